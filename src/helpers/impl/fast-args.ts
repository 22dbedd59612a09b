import { mapIndexOfInt32 } from '../abi.js';
import type { KernelState } from '../kernel/state.js';
import type { BpfMap } from '../maps/map.js';
import type { Memory } from '../memory.js';

/**
 * Argument plumbing of the fast paths (FastHelperFn): r1..r5 lie as little-endian u64s at `a`,
 * read as 32-bit halves so that no BigInt is made. Each reader decides as its HelperFn twin in
 * args.ts decides (`u32`, `checkedAddress`), so a fast path and its HelperFn fault alike.
 */

/** u32(r`i`): the low half of register `i` (1..5). */
export const argU32 = (m: Memory, a: number, i: number): number => m.dv.getUint32(a + 8 * (i - 1), true);

/** The high half of register `i`, as a signed 32-bit integer (what Memory.check takes). */
export const argHi = (m: Memory, a: number, i: number): number => m.dv.getInt32(a + 8 * (i - 1) + 4, true);

/** True when register `i` is 0 (both halves). */
export const argIsZero = (m: Memory, a: number, i: number): boolean => (m.dv.getInt32(a + 8 * (i - 1), true) | m.dv.getInt32(a + 8 * (i - 1) + 4, true)) === 0;

/** Register `i` as a number when it is below 2^32, else -1 (a flags word with high bits set). */
export function argSmall(m: Memory, a: number, i: number): number {
  return argHi(m, a, i) === 0 ? argU32(m, a, i) : -1;
}

/** checkedAddress of the pointer in register `i` to `size` (> 0) bytes: its address, or the fault. */
export function argPointer(m: Memory, a: number, i: number, size: number, write: boolean): number {
  const dv = m.dv;
  const at = a + 8 * (i - 1);
  const lo = dv.getUint32(at, true);
  m.check(lo, dv.getInt32(at + 4, true), size, write);
  return lo;
}

/** The map whose handle is the u64 at `at` (register 1 when `at` is the block), or the fault KernelState.mapArg raises. */
export function mapAt(k: KernelState, at: number, helper: string): BpfMap {
  const dv = k.memory.dv;
  const i = dv.getInt32(at + 4, true) === 0 ? mapIndexOfInt32(dv.getInt32(at, true)) : -1;
  const m = i >= 0 ? k.maps[i] : undefined;
  return m ?? k.mapArg(dv.getBigUint64(at, true), helper);
}
