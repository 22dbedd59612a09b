/**
 * Memory.copyOut (every run's result packet): word-aligned starts copy word by word, others byte
 * by byte; either way the copy holds exactly the bytes asked for and outlives later writes.
 */
import { describe, expect, it } from 'vitest';
import { Memory } from '../../src/helpers/memory.js';

describe('Memory.copyOut', () => {
  it('copies [start, end) exactly at every alignment and length, small and large', () => {
    const memory = new Memory();
    const r = memory.alloc('buf', 'packet', 8192, { writable: true });
    for (let i = 0; i < 8192; i++) memory.u8[r.start + i] = (i * 7 + 3) & 0xff;
    for (const skew of [0, 1, 2, 3, 4, 5, 6, 7]) {
      for (const n of [0, 1, 3, 4, 5, 14, 42, 66, 67, 4095, 4097]) {
        const start = r.start + skew;
        const expected = memory.u8.slice(start, start + n);
        const copy = memory.copyOut(start, start + n);
        expect(copy.length).toBe(n);
        expect(Array.from(copy)).toEqual(Array.from(expected));
        // The copy is its own: later writes to the memory leave it alone.
        if (n > 0) {
          memory.u8[start] ^= 0xff;
          expect(copy[0]).toBe(expected[0]);
          memory.u8[start] ^= 0xff;
        }
      }
    }
  });

  it('gives copies that never share bytes with each other', () => {
    const memory = new Memory();
    const r = memory.alloc('buf', 'packet', 256, { writable: true });
    memory.u8.fill(0x11, r.start, r.start + 256);
    const a = memory.copyOut(r.start, r.start + 66);
    const b = memory.copyOut(r.start + 2, r.start + 68);
    a.fill(0xee);
    expect(b.every((x) => x === 0x11)).toBe(true);
  });
});
