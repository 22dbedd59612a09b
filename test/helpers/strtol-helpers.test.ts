/**
 * bpf_strtol / bpf_strtoul as helpers (HelperFn and FastHelperFn) against a BigInt transcription of
 * kernel/bpf/helpers.c (__bpf_strtoull, __bpf_strtoll, bpf_strtoul): the edges where 32-bit halves
 * can go wrong (2^32, 2^63, 2^64), base-0 prefixes, the 63-byte copy, and random strings.
 */
import { describe, expect, it } from 'vitest';
import { HELPER_ARGS, type HelperRuntime } from '../../src/helpers/abi.js';
import { helperId } from '../../src/helpers/helper-ids.js';
import { fastHelperFunctions } from '../../src/helpers/impl/registry.js';
import { harness, readU64, u64 } from './util.js';

const EINVAL = -22n;
const ERANGE = -34n;
const U64 = (1n << 64n) - 1n;

const isSpace = (c: number): boolean => c === 0x20 || (c >= 0x09 && c <= 0x0d) || c === 0xa0;

/** The kernel's code, step for step, in BigInts: r0 and *res (as a u64) after the call. */
function reference(name: 'strtol' | 'strtoul', buf: Uint8Array, flags: bigint): { r0: bigint; res: bigint } {
  const fail = (e: bigint): { r0: bigint; res: bigint } => ({ r0: e, res: 0n });
  let base = Number(flags & 0x1fn);
  if (buf.length === 0) return fail(EINVAL);
  if (base !== 0 && base !== 8 && base !== 10 && base !== 16) return fail(EINVAL);
  if (flags & ~0x1fn) return fail(EINVAL);
  let i = 0;
  while (i < buf.length && isSpace(buf[i]!)) i++;
  const negative = i < buf.length && buf[i] === 0x2d;
  if (negative) i++;
  let consumed = i;
  if (i === buf.length) return fail(EINVAL);
  const str = new Uint8Array(64);
  str.set(buf.subarray(i, i + Math.min(buf.length - i, 63)));
  let s = 0;
  if (base === 0) base = str[0] === 0x30 ? ((str[1]! | 0x20) === 0x78 && /[0-9a-f]/i.test(String.fromCharCode(str[2]!)) ? 16 : 8) : 10;
  if (base === 16 && str[0] === 0x30 && (str[1]! | 0x20) === 0x78) s = 2;
  let res = 0n;
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
    if (res > (U64 - BigInt(v)) / BigInt(base)) overflow = true;
    res = (res * BigInt(base) + BigInt(v)) & U64;
    rv++;
  }
  if (overflow) return fail(ERANGE);
  if (rv === 0) return fail(EINVAL);
  consumed += s + rv;
  if (name === 'strtoul') return negative ? fail(EINVAL) : { r0: BigInt(consumed), res };
  if (negative) {
    const neg = BigInt.asUintN(64, -res);
    if (BigInt.asIntN(64, neg) > 0n) return fail(ERANGE);
    return { r0: BigInt(consumed), res: neg };
  }
  if (BigInt.asIntN(64, res) < 0n) return fail(ERANGE);
  return { r0: BigInt(consumed), res };
}

const enc = (s: string): Uint8Array => new Uint8Array([...s].map((c) => c.charCodeAt(0)));

/** Calls the helper both ways (HelperFn, FastHelperFn) on fresh copies of `text`; both must agree. */
function call(name: 'strtol' | 'strtoul', text: string | Uint8Array, flags: bigint | number = 0, len?: number): { r0: bigint; res: bigint } {
  const bytes = typeof text === 'string' ? enc(text) : text;
  const out: Array<{ r0: bigint; res: bigint }> = [];
  for (const fast of [false, true]) {
    const h = harness();
    const buf = h.buf(bytes.length === 0 ? new Uint8Array(1) : bytes, false);
    const res = h.buf(u64(0x7777n));
    const args = [buf, len ?? bytes.length, flags, res];
    let r0: bigint;
    if (fast) {
      const fn = fastHelperFunctions(h.instance.kernel).get(helperId(name))!;
      const dv = h.instance.memory.dv;
      args.forEach((x, j) => dv.setBigUint64(HELPER_ARGS + 8 * j, BigInt.asUintN(64, BigInt(x)), true));
      const rt: HelperRuntime = { memory: h.instance.memory, pc: 0, callFunction: () => 0n };
      r0 = BigInt.asIntN(64, BigInt(fn(rt, HELPER_ARGS)));
    } else r0 = h.call(name, ...args);
    out.push({ r0, res: readU64(h.read(res, 8)) });
  }
  expect(out[1]).toEqual(out[0]);
  return out[0]!;
}

const ok = (r0: number, res: bigint): { r0: bigint; res: bigint } => ({ r0: BigInt(r0), res: BigInt.asUintN(64, res) });
const err = (e: bigint): { r0: bigint; res: bigint } => ({ r0: e, res: 0n });

describe('bpf_strtol / bpf_strtoul', () => {
  it('read u64 max and refuse one past it', () => {
    expect(call('strtoul', '18446744073709551615')).toEqual(ok(20, U64));
    expect(call('strtoul', '18446744073709551616')).toEqual(err(ERANGE));
    expect(call('strtoul', '0xffffffffffffffff')).toEqual(ok(18, U64));
    expect(call('strtoul', '0x10000000000000000')).toEqual(err(ERANGE));
    expect(call('strtoul', '1777777777777777777777', 8)).toEqual(ok(22, U64));
    expect(call('strtoul', '2000000000000000000000', 8)).toEqual(err(ERANGE));
    // Overflow far from the end of the digits: the flag is sticky in the kernel.
    expect(call('strtoul', '99999999999999999999999999999')).toEqual(err(ERANGE));
  });

  it('keep the s64 range for strtol, -2^63 included', () => {
    expect(call('strtol', '9223372036854775807')).toEqual(ok(19, (1n << 63n) - 1n));
    expect(call('strtol', '9223372036854775808')).toEqual(err(ERANGE));
    expect(call('strtol', '-9223372036854775808')).toEqual(ok(20, -(1n << 63n)));
    expect(call('strtol', '-9223372036854775809')).toEqual(err(ERANGE));
    expect(call('strtol', '-18446744073709551615')).toEqual(err(ERANGE));
    expect(call('strtol', '-0')).toEqual(ok(2, 0n));
    expect(call('strtol', '-1')).toEqual(ok(2, -1n));
    expect(call('strtol', '-4294967296')).toEqual(ok(11, -(1n << 32n)));
    expect(call('strtol', '-4294967297')).toEqual(ok(11, -(1n << 32n) - 1n));
    expect(call('strtol', '4294967296')).toEqual(ok(10, 1n << 32n));
    expect(call('strtoul', '-5')).toEqual(err(EINVAL));
  });

  it('take base-0 prefixes as the kernel does', () => {
    expect(call('strtol', '0x1f')).toEqual(ok(4, 31n));
    expect(call('strtol', '0X1F')).toEqual(ok(4, 31n));
    expect(call('strtol', '0xg')).toEqual(ok(1, 0n));
    expect(call('strtol', '0x')).toEqual(ok(1, 0n));
    expect(call('strtol', '0x', 16)).toEqual(err(EINVAL));
    expect(call('strtol', '0x1f', 10)).toEqual(ok(1, 0n));
    expect(call('strtol', '0x1f', 8)).toEqual(ok(1, 0n));
    expect(call('strtol', '0777')).toEqual(ok(4, 511n));
    expect(call('strtol', '0789')).toEqual(ok(2, 7n));
    expect(call('strtol', '0')).toEqual(ok(1, 0n));
    expect(call('strtol', '1f', 16)).toEqual(ok(2, 31n));
    // The radix test looks at most at the copy's NUL: "0x1" cut to 2 bytes is octal 0.
    expect(call('strtol', '0x1', 0, 2)).toEqual(ok(1, 0n));
  });

  it('stop after 63 bytes past the blanks and the sign', () => {
    const zeros = '0'.repeat(62);
    expect(call('strtoul', `${zeros}12`)).toEqual(ok(63, 1n));
    expect(call('strtoul', ` \t-${zeros}12`)).toEqual(err(EINVAL));
    expect(call('strtol', ` \t-${zeros}12`)).toEqual(ok(66, -1n));
    expect(call('strtol', `${' '.repeat(100)}42`)).toEqual(ok(102, 42n));
    expect(call('strtol', `0x${'0'.repeat(60)}abc`)).toEqual(ok(63, 0xan));
  });

  it('refuse bad flags, empty input and no digits, leaving *res zero', () => {
    expect(call('strtol', '12', 0x20 | 10)).toEqual(err(EINVAL));
    expect(call('strtol', '12', (1n << 32n) | 10n)).toEqual(err(EINVAL));
    expect(call('strtol', '12', 2)).toEqual(err(EINVAL));
    expect(call('strtol', '12', 0, 0)).toEqual(err(EINVAL));
    expect(call('strtol', '   ')).toEqual(err(EINVAL));
    expect(call('strtol', '  -')).toEqual(err(EINVAL));
    expect(call('strtol', '+7')).toEqual(err(EINVAL));
    expect(call('strtol', '\xa012')).toEqual(ok(3, 12n));
  });

  it('fault on a string or result outside memory, after zeroing *res', () => {
    for (const fast of [false, true]) {
      const h = harness();
      const res = h.buf(u64(5n));
      const text = h.buf(enc('12'), false);
      const run = (args: Array<number | bigint>): string => {
        try {
          if (!fast) return String(h.call('strtol', ...args));
          const dv = h.instance.memory.dv;
          args.forEach((x, j) => dv.setBigUint64(HELPER_ARGS + 8 * j, BigInt.asUintN(64, BigInt(x)), true));
          const rt: HelperRuntime = { memory: h.instance.memory, pc: 0, callFunction: () => 0n };
          return String(fastHelperFunctions(h.instance.kernel).get(helperId('strtol'))!(rt, HELPER_ARGS));
        } catch (e) {
          return `fault: ${(e as Error).message}`;
        }
      };
      expect(run([text, 40, 0, res])).toMatch(/^fault/);
      expect(readU64(h.read(res, 8))).toBe(0n);
      expect(run([(1n << 32n) | BigInt(text), 2, 0, res])).toMatch(/^fault/);
      expect(run([text, 2, 0, text])).toMatch(/^fault/);
      expect(run([0, 2, 0, res])).toBe('-22');
      expect(run([text, 2, 0, res])).toBe('2');
      expect(readU64(h.read(res, 8))).toBe(12n);
    }
  });

  it('agree with the kernel transcription on random strings', () => {
    let seed = 11;
    const rnd = (n: number): number => (seed = (seed * 1103515245 + 12345) >>> 0) % n;
    const alphabet = [' ', '\t', '-', '+', '0', '0', '0', '1', '7', '8', '9', 'a', 'f', 'F', 'x', 'X', 'g', '\0', '\xa0'];
    const flagChoices = [0n, 8n, 10n, 16n, 0n, 10n, 16n, 42n, 1n << 40n];
    for (let t = 0; t < 1000; t++) {
      const len = 1 + rnd(t % 10 === 0 ? 90 : 24);
      let s = '';
      for (let i = 0; i < len; i++) s += rnd(3) === 0 ? alphabet[rnd(alphabet.length)]! : '0123456789abcdef'[rnd(16)]!;
      let flags = flagChoices[rnd(flagChoices.length)]!;
      if (rnd(3) === 0) {
        // Near the edges of the halves and of the s64/u64 ranges.
        const v = (1n << BigInt([32, 63, 64][rnd(3)]!)) + BigInt(rnd(5)) - 2n;
        const radix = [8, 10, 16][rnd(3)]!;
        s = `${rnd(3) === 0 ? '-' : ''}${v.toString(radix)}`;
        flags = rnd(2) === 0 ? BigInt(radix) : 0n;
        if (flags === 0n && radix === 8) s = s.replace(/^(-?)/, '$10');
        if (flags === 0n && radix === 16) s = s.replace(/^(-?)/, '$10x');
      }
      const name = rnd(2) === 0 ? 'strtol' : 'strtoul';
      const got = call(name, s, flags);
      expect(`${name} ${JSON.stringify(s)} ${flags}: ${got.r0} ${got.res}`).toBe(
        `${name} ${JSON.stringify(s)} ${flags}: ${reference(name, enc(s), flags).r0} ${reference(name, enc(s), flags).res}`,
      );
    }
  });
});
