/**
 * parseInteger (bpf_strtol/strtoul's __bpf_strtoull) against a BigInt reference on random digit
 * strings: values that cross 2^48 (where the parser leaves doubles for BigInt), 2^53 and 2^64.
 */
import { describe, expect, it } from 'vitest';
import { parseInteger } from '../../src/helpers/impl/strings.js';

const U64 = (1n << 64n) - 1n;

function reference(digits: string, base: number): { value: bigint } | 'ERANGE' {
  let v = 0n;
  let overflow = false;
  for (const ch of digits) {
    v = v * BigInt(base) + BigInt(parseInt(ch, 16));
    if (v > U64) overflow = true;
    v &= U64;
  }
  return overflow ? 'ERANGE' : { value: v };
}

describe('parseInteger', () => {
  it('agrees with a BigInt reference across the double/BigInt switch', () => {
    let seed = 7;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) >>> 0) % n);
    const enc = new TextEncoder();
    for (let t = 0; t < 3000; t++) {
      const base = [8, 10, 16][rnd(3)]!;
      const len = 1 + rnd(24);
      let digits = '';
      for (let i = 0; i < len; i++) digits += rnd(base).toString(16);
      const got = parseInteger(enc.encode(digits), BigInt(base));
      const want = reference(digits, base);
      if (want === 'ERANGE') expect(got).toBe(-34);
      else expect(got).toEqual({ consumed: len, value: want.value, negative: false });
    }
  });

  it('reads the largest u64 and refuses one past it', () => {
    const enc = new TextEncoder();
    expect(parseInteger(enc.encode('18446744073709551615'), 10n)).toEqual({ consumed: 20, value: U64, negative: false });
    expect(parseInteger(enc.encode('18446744073709551616'), 10n)).toBe(-34);
    expect(parseInteger(enc.encode('0xffffffffffffffff'), 0n)).toEqual({ consumed: 18, value: U64, negative: false });
  });
});
