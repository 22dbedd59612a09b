import { describe, expect, it } from 'vitest';
import { FUNC_POINTER_BASE, MAP_HANDLE_BASE, MAP_HANDLE_STRIDE, mapHandle, mapIndexOfHandle, mapIndexOfInt32, mapIndexOfNumber } from '../../src/helpers/abi.js';

/** The map index behind a handle, by definition: a whole number of strides above the base, below the function pointers. */
const reference = (n: number): number => {
  if (n < MAP_HANDLE_BASE || n >= FUNC_POINTER_BASE) return -1;
  const rel = n - MAP_HANDLE_BASE;
  return rel % MAP_HANDLE_STRIDE === 0 ? rel / MAP_HANDLE_STRIDE : -1;
};

describe('map handles', () => {
  const values = [0, 1, 0x7fffffff, 0x80000000, MAP_HANDLE_BASE - MAP_HANDLE_STRIDE, MAP_HANDLE_BASE - 1, FUNC_POINTER_BASE, FUNC_POINTER_BASE - 1, 0xffffffff, 0x20000000, 0x60000000];
  for (let i = 0; i < 64; i++) values.push(mapHandle(i), mapHandle(i) + 1, mapHandle(i) + 8, mapHandle(i) - 4);
  values.push(mapHandle(65535), mapHandle(65535) + MAP_HANDLE_STRIDE);
  for (let s = 7, i = 0; i < 2000; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    values.push(s, (MAP_HANDLE_BASE + (s & 0x0ffff000)) >>> 0);
  }

  it('decode the same index from a number, from a BigInt and from a signed low half', () => {
    for (const v of values) {
      const want = reference(v);
      expect(mapIndexOfNumber(v)).toBe(want);
      expect(mapIndexOfHandle(BigInt(v))).toBe(want);
      expect(mapIndexOfInt32(v | 0)).toBe(want);
    }
    expect(mapIndexOfHandle((1n << 32n) | BigInt(mapHandle(1)))).toBe(-1);
    expect(mapIndexOfHandle(-1n)).toBe(-1);
  });
});
