/**
 * Counted loops: a block that jumps back to itself, whose exit test compares a register stepped by
 * constant adds with a value the block does not change. Its trip count is then known on entry
 * (./emit-loop.ts works it out at run time), and so are the addresses every access of the block
 * will touch when their base registers are stepped the same way or left alone.
 *
 * Only the shape is recognised here; whether a given entry may take the fast path (the budget
 * covers the trips, every access stays in one region, nothing wraps) is decided at run time.
 */
import type { Slots } from '../isa/slots.js';
import type { Block } from './cfg.js';
import { accessOf } from './emit-mem.js';

/** How the exit test compares the stepped register (left) with the other operand, normalised. */
export type LoopTest =
  /** Continue while left < right (unsigned or signed); the step is positive. */
  | 'lt'
  | 'le'
  /** Continue while left > right; the step is negative. */
  | 'gt'
  | 'ge'
  /** Continue while left != right. */
  | 'ne';

export interface LoopAccess {
  readonly pc: number;
  readonly base: number;
  /** What the adds before it in the block added to the base register (mod 2^64). */
  readonly before: bigint;
  readonly off: number;
  readonly size: number;
  readonly write: boolean;
}

export interface CountedLoop {
  readonly block: Block;
  /** The register the exit test steps, and its step per trip (non-zero, |step| < 2^31). */
  readonly iv: number;
  readonly step: bigint;
  readonly test: LoopTest;
  readonly signed: boolean;
  /** The other operand: a register the block does not write, or a (sign-extended) constant. */
  readonly bound: { readonly reg: number } | { readonly imm: bigint };
  /** Per register r0..r10: its step per trip (0n when the block does not write it). */
  readonly steps: readonly bigint[];
  /** The block's accesses, static stack accesses left out (they need no check). */
  readonly accesses: readonly LoopAccess[];
}

const STEP_LIMIT = 1n << 31n;

/** The same comparison with its operands swapped. */
const MIRROR: Record<number, number> = { 0x10: 0x10, 0x50: 0x50, 0x20: 0xa0, 0xa0: 0x20, 0x30: 0xb0, 0xb0: 0x30, 0x60: 0xc0, 0xc0: 0x60, 0x70: 0xd0, 0xd0: 0x70 };
const TEST: Record<number, [LoopTest, boolean]> = {
  0x50: ['ne', false],
  0x20: ['gt', false],
  0x30: ['ge', false],
  0xa0: ['lt', false],
  0xb0: ['le', false],
  0x60: ['gt', true],
  0x70: ['ge', true],
  0xc0: ['lt', true],
  0xd0: ['le', true],
};

/**
 * The counted loop `block` is, or undefined. `staticStack`: accesses at r10 + constant inside the
 * frame need no check (see ./emit-mem.ts) and are left out of `accesses`.
 */
export function countedLoop(slots: Slots, block: Block, staticStack: boolean): CountedLoop | undefined {
  if (block.flow !== 'cond') return undefined;
  // The jump back is the taken edge (the fall-through edge leads past the block).
  if (block.succs[0] !== block.start || block.succs[1] === block.start) return undefined;
  const n = block.pcs.length;
  const last = block.pcs[n - 1]!;
  const jop = slots.op[last]!;
  // 64-bit jumps only (JMP32 compares low halves: another wrap-around analysis).
  if ((jop & 7) !== 5) return undefined;
  // Registers the block writes other than by constant adds get no step.
  const steps: Array<bigint | undefined> = Array.from({ length: 11 }, () => 0n);
  const accesses: LoopAccess[] = [];
  for (let i = 0; i < n - 1; i++) {
    const pc = block.pcs[i]!;
    const op = slots.op[pc]!;
    const d = slots.dst[pc]!;
    const a = accessOf(op);
    if (a !== undefined) {
      const base = a.write ? d : slots.src[pc]!;
      const off = slots.off[pc]!;
      if (!(staticStack && base === 10 && off >= -512 && off + a.size <= 0)) {
        const s = steps[base];
        if (s === undefined) return undefined;
        accesses.push({ pc, base, before: s, off, size: a.size, write: a.write });
      }
    }
    if (op === 0x07 || op === 0x17) {
      const k = BigInt(slots.imm[pc]! | 0);
      const s = steps[d];
      if (s !== undefined) steps[d] = BigInt.asIntN(64, s + (op === 0x07 ? k : -k));
      continue;
    }
    for (const r of defs(slots, pc)) steps[r] = undefined;
  }
  const x = (jop & 0x08) !== 0;
  let cmp = jop & 0xf0;
  let iv = slots.dst[last]!;
  let bound: CountedLoop['bound'] = x ? { reg: slots.src[last]! } : { imm: BigInt(slots.imm[last]! | 0) };
  if (x && steps[iv] === 0n && steps[slots.src[last]!] !== 0n) {
    // The stepped register is the right operand.
    bound = { reg: iv };
    iv = slots.src[last]!;
    cmp = MIRROR[cmp]!;
  }
  const step = steps[iv];
  const t = TEST[cmp];
  if (step === undefined || step === 0n || t === undefined) return undefined;
  if ('reg' in bound && steps[bound.reg] !== 0n) return undefined;
  const [test, signed] = t;
  const up = step > 0n;
  if ((test === 'lt' || test === 'le') !== up && test !== 'ne') return undefined;
  for (const s of steps) if (s !== undefined && (s >= STEP_LIMIT || s <= -STEP_LIMIT)) return undefined;
  // A base written otherwise later in the block differs from trip to trip in no fixed way.
  for (const a of accesses) if (steps[a.base] === undefined) return undefined;
  return { block, iv, step, test, signed, bound, steps: steps.map((s) => s ?? 0n), accesses };
}

/** Registers the (non-jump) instruction at `pc` writes. */
function defs(slots: Slots, pc: number): number[] {
  const op = slots.op[pc]!;
  const cls = op & 7;
  const d = slots.dst[pc]!;
  if (cls === 4 || cls === 7 || cls === 1 || op === 0x18) return [d];
  if (op === 0xc3 || op === 0xdb) {
    const kind = slots.imm[pc]!;
    if (kind === 0xf1) return [0];
    if (kind & 1) return [slots.src[pc]!];
  }
  return [];
}
