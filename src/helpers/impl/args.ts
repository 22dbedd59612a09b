import { FaultSignal } from '../fault.js';
import type { Memory } from '../memory.js';

/**
 * Argument plumbing shared by the helper implementations: pointers arrive as 64-bit values and
 * become checked views of the memory; the view faults (with the region named) like a program's
 * own access would.
 */

/** A checked view of `size` bytes at the 64-bit pointer `ptr`. */
export function view(memory: Memory, ptr: bigint, size: number, write = false): Uint8Array {
  if (size === 0) return new Uint8Array(0);
  const at = checkedAddress(memory, ptr, size, write);
  return memory.u8.subarray(at, at + size);
}

/** The address of `size` bytes at the 64-bit pointer `ptr`, checked as {@link view} checks them (`size` > 0). */
export function checkedAddress(memory: Memory, ptr: bigint, size: number, write = false): number {
  // Every mapped address is below 2^32: one conversion, no BigInt arithmetic (each helper call).
  const n = Number(ptr);
  if (n >= 0 && n <= 0xffffffff) {
    memory.check(n, 0, size, write);
    return n;
  }
  const p = BigInt.asUintN(64, ptr);
  const lo = Number(p & 0xffffffffn);
  const hi = Number(p >> 32n) | 0;
  memory.check(lo, hi, size, write);
  return lo;
}

/**
 * The address of `size` bytes at the 64-bit pointer `ptr`, checked as {@link view} checks them,
 * for helpers that read the bytes in place (no view is made).
 */
export function addressArg(memory: Memory, ptr: bigint, size: number, write = false): number {
  const n = Number(ptr);
  if (n >= 0 && n <= 0xffffffff) {
    if (size !== 0) memory.check(n, 0, size, write);
    return n;
  }
  const p = BigInt.asUintN(64, ptr);
  const lo = Number(p & 0xffffffffn);
  if (size !== 0) memory.check(lo, Number(p >> 32n) | 0, size, write);
  return lo;
}

/** A copy of `size` bytes at `ptr`. */
export function copyIn(memory: Memory, ptr: bigint, size: number): Uint8Array {
  if (size === 0) return new Uint8Array(0);
  // Copied straight from the memory: no view made first (map keys and values, every map helper call).
  const at = checkedAddress(memory, ptr, size);
  return memory.u8.slice(at, at + size);
}

/** Writes `bytes` at `ptr` (checked as a write). */
export function copyOut(memory: Memory, ptr: bigint, bytes: Uint8Array): void {
  view(memory, ptr, bytes.length, true).set(bytes);
}

/** Zeroes `size` bytes at `ptr`. */
export function zeroOut(memory: Memory, ptr: bigint, size: number): void {
  view(memory, ptr, size, true).fill(0);
}

/** A u32 argument (the kernel's `u32` parameters take the low half). */
export function u32(v: bigint): number {
  // Most arguments already fit: Number() decides that exactly (however a huge value rounds), with no BigInt made.
  const n = Number(v);
  return n >= 0 && n <= 0xffffffff ? n : Number(BigInt.asUintN(32, v));
}
/** An `int`/`s32` argument. */
export const s32 = (v: bigint): number => Number(BigInt.asIntN(32, v));

/** The value of a 64-bit pointer when it lies below 2^32 (every bpfkit address), else -1. */
export function lowAddress(v: bigint): number {
  const n = Number(v);
  if (n >= 0 && n <= 0xffffffff) return n;
  const p = BigInt.asUintN(64, v);
  return p >> 32n === 0n ? Number(p) : -1;
}

/** The context of the run when it is of kind `kind`, else a fault naming the helper. */
export function requireCtx<T>(ctx: T | undefined, kind: string, helper: string): T {
  if (ctx === undefined) throw new FaultSignal('helper', `${helper} needs a ${kind} context`);
  return ctx;
}
