import { Errno } from '../errno.js';
import { checkedAddress, copyIn, lowAddress, u32 } from './args.js';
import type { HelperGroup } from './group.js';

const BASE_MASK = 0x1fn;
const U64_MAX = (1n << 64n) - 1n;
/** Below this, `small * 16 + 15` is still an exact double. */
const SMALL_LIMIT = 2 ** 48;

const isSpace = (c: number): boolean => c === 0x20 || (c >= 0x09 && c <= 0x0d) || c === 0xa0;
const isXDigit = (c: number): boolean => (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x66);

/**
 * __bpf_strtoull (kernel/bpf/helpers.c): blanks, one '-', then the digits of `base` (0: "0x" is
 * hex when a hex digit follows, a leading 0 octal, else decimal) from at most 63 bytes. Returns
 * the bytes consumed and the value, or a negative errno.
 */
export function parseInteger(buf: Uint8Array, flags: bigint): { consumed: number; value: bigint; negative: boolean } | number {
  let base = Number(flags & BASE_MASK);
  if (buf.length === 0) return -Errno.EINVAL;
  if (base !== 0 && base !== 8 && base !== 10 && base !== 16) return -Errno.EINVAL;
  if (flags & ~BASE_MASK) return -Errno.EINVAL;
  let i = 0;
  while (i < buf.length && isSpace(buf[i]!)) i++;
  const negative = i < buf.length && buf[i] === 0x2d;
  if (negative) i++;
  const consumed = i;
  if (consumed === buf.length) return -Errno.EINVAL;
  const str = new Uint8Array(64);
  str.set(buf.subarray(i, i + Math.min(buf.length - i, 63)));
  let s = 0;
  if (base === 0) {
    if (str[0] === 0x30) base = (str[1]! | 0x20) === 0x78 && isXDigit(str[2]!) ? 16 : 8;
    else base = 10;
  }
  if (base === 16 && str[0] === 0x30 && (str[1]! | 0x20) === 0x78) s = 2;
  // Digits accumulate in a double while the value stays exact (below 2^53 / 16), then as a BigInt.
  let small = 0;
  let value: bigint | undefined;
  let rv = 0;
  let overflow = false;
  for (;;) {
    const c = str[s + rv]!;
    const lc = c | 0x20;
    let v: number;
    if (c >= 0x30 && c <= 0x39) v = c - 0x30;
    else if (lc >= 0x61 && lc <= 0x66) v = lc - 0x61 + 10;
    else break;
    if (v >= base) break;
    if (value === undefined && small < SMALL_LIMIT) small = small * base + v;
    else {
      const next = (value ?? BigInt(small)) * BigInt(base) + BigInt(v);
      if (next > U64_MAX) overflow = true;
      value = next & U64_MAX;
    }
    rv++;
  }
  if (overflow) return -Errno.ERANGE;
  value ??= BigInt(small);
  if (rv === 0) return -Errno.EINVAL;
  return { consumed: consumed + s + rv, value, negative };
}

/** Writes `v` to the 8 bytes at `res` in place (checked as a write; no buffer or view per call). */
function result(k: Parameters<HelperGroup>[0], res: bigint, v: bigint): void {
  const at = checkedAddress(k.memory, res, 8, true);
  const dv = k.memory.dv;
  if (v === 0n) {
    dv.setUint32(at, 0, true);
    dv.setUint32(at + 4, 0, true);
  } else dv.setBigUint64(at, BigInt.asUintN(64, v), true);
}

/** bpf_strtol and bpf_strtoul: *res is zeroed first and written on success. */
export const stringHelpers: HelperGroup = (k) => ({
  strtol: (_rt, buf, bufLen, flags, res) => {
    result(k, res, 0n);
    const n = u32(bufLen);
    const p = lowAddress(buf) === 0 || n === 0 ? -Errno.EINVAL : parseInteger(copyIn(k.memory, buf, n), BigInt.asUintN(64, flags));
    if (typeof p === 'number') return BigInt(p);
    if (p.negative) {
      if (BigInt.asIntN(64, -p.value) > 0n) return BigInt(-Errno.ERANGE);
      result(k, res, -p.value);
    } else {
      if (BigInt.asIntN(64, p.value) < 0n) return BigInt(-Errno.ERANGE);
      result(k, res, p.value);
    }
    return BigInt(p.consumed);
  },
  strtoul: (_rt, buf, bufLen, flags, res) => {
    result(k, res, 0n);
    const n = u32(bufLen);
    const p = lowAddress(buf) === 0 || n === 0 ? -Errno.EINVAL : parseInteger(copyIn(k.memory, buf, n), BigInt.asUintN(64, flags));
    if (typeof p === 'number') return BigInt(p);
    if (p.negative) return BigInt(-Errno.EINVAL);
    result(k, res, p.value);
    return BigInt(p.consumed);
  },
});
