import { Errno } from '../errno.js';
import type { KernelState } from '../kernel/state.js';
import { argHi, argU32 } from './fast-args.js';
import type { FastHelperGroup, HelperGroup } from './group.js';

/**
 * bpf_strtol and bpf_strtoul. Every call of a program that parses numbers runs through here, so
 * the parse reads the string in place (no copy), accumulates in two 32-bit halves (no BigInt) and
 * leaves its result in module scratch (no object per call).
 */

const TWO32 = 4294967296;
/** __bpf_strtoull copies at most this many bytes after the blanks and sign (char str[64] with its NUL). */
const MAX_DIGITS = 63;

const isSpace = (c: number): boolean => c === 0x20 || (c >= 0x09 && c <= 0x0d) || c === 0xa0;
const isXDigit = (c: number): boolean => (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x66);

// The value of the last successful parseAt, as u64 halves, and its sign.
let valueLo = 0;
let valueHi = 0;
let valueNegative = false;

/**
 * The flags argument as the base it names, or -1 when the kernel refuses it (a base other than
 * 0/8/10/16, or any bit above BPF_STRTOX_BASE_MASK): both are -EINVAL.
 */
const baseOf = (lo: number, hi: number): number => (hi === 0 && (lo === 0 || lo === 8 || lo === 10 || lo === 16) ? lo : -1);

/**
 * __bpf_strtoull (kernel/bpf/helpers.c) over the `len` bytes at `at` of `u8` (already checked):
 * blanks, one '-', then the digits of `base` (0: "0x" is hex when a hex digit follows, a leading 0
 * octal, else decimal) from at most 63 bytes, which end as the kernel's copy ends, at a NUL.
 * Returns the bytes consumed (value in valueLo/valueHi, sign in valueNegative) or a negative errno.
 */
function parseAt(u8: Uint8Array, at: number, len: number, flagsBase: number): number {
  if (len === 0 || flagsBase < 0) return -Errno.EINVAL;
  let base = flagsBase;
  const end = at + len;
  let p = at;
  while (p < end && isSpace(u8[p]!)) p++;
  const negative = p < end && u8[p] === 0x2d;
  if (negative) p++;
  if (p === end) return -Errno.EINVAL;
  const consumed = p - at;
  // str[stop - p] is the NUL of the kernel's copy; the radix fixup reads at most that far.
  const stop = p + Math.min(end - p, MAX_DIGITS);
  const c0 = u8[p]!;
  const c1 = p + 1 < stop ? u8[p + 1]! : 0;
  if (base === 0) {
    if (c0 === 0x30) base = (c1 | 0x20) === 0x78 && isXDigit(p + 2 < stop ? u8[p + 2]! : 0) ? 16 : 8;
    else base = 10;
  }
  const s = base === 16 && c0 === 0x30 && (c1 | 0x20) === 0x78 ? p + 2 : p;
  let lo = 0;
  let hi = 0;
  let q = s;
  for (; q < stop; q++) {
    const c = u8[q]!;
    const lc = c | 0x20;
    let v: number;
    if (c >= 0x30 && c <= 0x39) v = c - 0x30;
    else if (lc >= 0x61 && lc <= 0x66) v = lc - 0x61 + 10;
    else break;
    if (v >= base) break;
    // lo * 16 + 15 < 2^37 and hi * 16 + carry < 2^37: exact doubles. The value passes 2^64 exactly
    // when the high half does; the kernel's overflow flag is sticky and checked first, so stop here.
    const t = lo * base + v;
    lo = t >>> 0;
    const h = hi * base + (t - lo) / TWO32;
    if (h >= TWO32) return -Errno.ERANGE;
    hi = h;
  }
  if (q === s) return -Errno.EINVAL;
  valueLo = lo;
  valueHi = hi;
  valueNegative = negative;
  return consumed + (q - p);
}

/**
 * __bpf_strtoull on `buf` with `flags` (the helpers' parse, for tests and tools): the bytes consumed,
 * the value and its sign, or a negative errno.
 */
export function parseInteger(buf: Uint8Array, flags: bigint): { consumed: number; value: bigint; negative: boolean } | number {
  const f = BigInt.asUintN(64, flags);
  const r = parseAt(buf, 0, buf.length, baseOf(Number(f & 0xffffffffn), Number(f >> 32n)));
  if (r < 0) return r;
  return { consumed: r, value: (BigInt(valueHi) << 32n) | BigInt(valueLo), negative: valueNegative };
}

/**
 * bpf_strtol (`signed`) or bpf_strtoul with its pointers and flags as 32-bit halves: *res is zeroed
 * first (checked as a write, as the kernel stores it first), the string is checked for `len`
 * bytes, and *res is written on success. Returns r0 (bytes consumed or a negative errno).
 */
function strtox(k: KernelState, signed: boolean, bufLo: number, bufHi: number, len: number, flagsBase: number, resLo: number, resHi: number): number {
  const memory = k.memory;
  memory.check(resLo, resHi, 8, true);
  const res = resLo >>> 0;
  memory.dv.setUint32(res, 0, true);
  memory.dv.setUint32(res + 4, 0, true);
  if ((bufLo === 0 && bufHi === 0) || len === 0) return -Errno.EINVAL;
  memory.check(bufLo, bufHi, len, false);
  const r = parseAt(memory.u8, bufLo >>> 0, len, flagsBase);
  if (r < 0) return r;
  let lo = valueLo;
  let hi = valueHi;
  if (valueNegative) {
    if (!signed) return -Errno.EINVAL;
    // -value as an s64 must not be positive: value <= 2^63.
    if (hi > 0x80000000 || (hi === 0x80000000 && lo !== 0)) return -Errno.ERANGE;
    if (lo === 0) hi = (TWO32 - hi) >>> 0;
    else {
      lo = TWO32 - lo;
      hi = ~hi >>> 0;
    }
  } else if (signed && hi >= 0x80000000) return -Errno.ERANGE;
  const dv = memory.dv;
  dv.setUint32(res, lo, true);
  dv.setUint32(res + 4, hi, true);
  return r;
}

/** r0 values as BigInts made once (bytes consumed, errnos): a call allocates none for them. */
const SMALL: readonly bigint[] = Array.from({ length: 512 }, (_, i) => BigInt(i - 256));
const r0 = (r: number): bigint => (r >= -256 && r < 256 ? SMALL[r + 256]! : BigInt(r));

/** The low half of a u64 argument (every bpfkit address and size lies below 2^32). */
function low(v: bigint): number {
  const n = Number(v);
  return n >= 0 && n <= 0xffffffff ? n : Number(BigInt.asUintN(32, v));
}
/** The high half of a u64 argument. */
function high(v: bigint): number {
  const n = Number(v);
  return n >= 0 && n <= 0xffffffff ? 0 : Number(BigInt.asUintN(64, v) >> 32n);
}

/** bpf_strtol and bpf_strtoul: *res is zeroed first and written on success. */
export const stringHelpers: HelperGroup = (k) => ({
  strtol: (_rt, buf, bufLen, flags, res) => r0(strtox(k, true, low(buf), high(buf), low(bufLen), baseOf(low(flags), high(flags)), low(res), high(res))),
  strtoul: (_rt, buf, bufLen, flags, res) => r0(strtox(k, false, low(buf), high(buf), low(bufLen), baseOf(low(flags), high(flags)), low(res), high(res))),
});

/** The same helpers with their arguments read as halves where the engine put them (FastHelperFn). */
export const stringFastHelpers: FastHelperGroup = (k) => {
  const call = (signed: boolean, a: number): number => {
    const m = k.memory;
    const flags = baseOf(argU32(m, a, 3), argHi(m, a, 3));
    return strtox(k, signed, argU32(m, a, 1), argHi(m, a, 1), argU32(m, a, 2), flags, argU32(m, a, 4), argHi(m, a, 4));
  };
  return {
    strtol: (_rt, a) => call(true, a),
    strtoul: (_rt, a) => call(false, a),
  };
};
