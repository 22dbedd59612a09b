/**
 * Helper argument plumbing: the fast paths (a Number() range test instead of BigInt arithmetic)
 * must give what the BigInt definitions give for every 64-bit value, huge and negative ones too.
 */
import { describe, expect, it } from 'vitest';
import { FaultSignal } from '../../src/helpers/fault.js';
import { checkedAddress, copyIn, lowAddress, u32, view } from '../../src/helpers/impl/args.js';
import { Memory } from '../../src/helpers/memory.js';

const VALUES = [0n, 1n, 5n, 0xffffffffn, 1n << 32n, (1n << 32n) | 7n, (1n << 53n) + 1n, (1n << 63n) | 3n, (1n << 64n) - 1n, -1n, -(1n << 32n), -(1n << 63n)];

describe('helper arguments', () => {
  it('u32 takes the low 32 bits of any value', () => {
    for (const v of VALUES) expect(u32(v), String(v)).toBe(Number(BigInt.asUintN(32, v)));
  });

  it('lowAddress is the value when it lies below 2^32 as an unsigned 64-bit value, else -1', () => {
    for (const v of VALUES) {
      const p = BigInt.asUintN(64, v);
      expect(lowAddress(v), String(v)).toBe(p < 1n << 32n ? Number(p) : -1);
    }
  });

  it('copyIn and view read checked memory; a pointer past 2^32 faults', () => {
    const memory = new Memory();
    const r = memory.allocBytes('buf', 'mem', new Uint8Array([1, 2, 3, 4, 5]));
    const at = BigInt(r.start);
    expect(Array.from(copyIn(memory, at + 1n, 3))).toEqual([2, 3, 4]);
    expect(Array.from(view(memory, at, 2))).toEqual([1, 2]);
    expect(checkedAddress(memory, at + 2n, 3)).toBe(r.start + 2);
    // The copy is a copy: a later write to the memory leaves it alone.
    const c = copyIn(memory, at, 5);
    memory.u8[r.start] = 9;
    expect(c[0]).toBe(1);
    expect(copyIn(memory, at, 0).length).toBe(0);
    expect(() => copyIn(memory, at + 3n, 3)).toThrow(FaultSignal);
    expect(() => copyIn(memory, at | (1n << 32n), 1)).toThrow(FaultSignal);
    expect(() => checkedAddress(memory, -1n, 1)).toThrow(FaultSignal);
  });
});
