/**
 * Which registers are live where. The slow paths (a cache miss, a budget shortfall) call into JS;
 * V8's WebAssembly code has no callee-saved registers, so every value live across such a call would
 * be kept in a stack slot for the whole loop around it, cold path or not. Generated code instead
 * stores the live registers to globals right before the call and reloads them after: no value
 * lives across the call, and the hot path keeps its registers. Liveness keeps those sets small.
 *
 * Registers are bits 0..10 of a mask.
 */
import type { Slots } from '../isa/slots.js';
import { type Block, type ControlFlow, flowOf } from './cfg.js';

const bit = (r: number): number => 1 << r;
const R0_R5 = 0x3f;
const R0_R9 = 0x3ff;
const R1_R5 = 0x3e;

/** Registers the instruction at `pc` reads and writes. */
export function useDef(slots: Slots, pc: number, exitUse = R0_R5): { use: number; def: number } {
  const op = slots.op[pc]!;
  const d = slots.dst[pc]!;
  const s = slots.src[pc]!;
  const x = (op & 0x08) !== 0;
  switch (flowOf(slots, pc)) {
    case 'exit':
      return { use: exitUse, def: 0 };
    case 'call-local':
      return { use: R0_R9, def: R0_R5 };
    case 'call-helper':
      return op === 0x8d ? { use: R0_R9 | bit(d), def: R0_R5 } : { use: R1_R5, def: bit(0) };
    case 'legacy':
      return { use: (op & 0xe0) === 0x40 ? bit(s) : 0, def: bit(0) };
    case 'cond':
      return { use: bit(d) | (x ? bit(s) : 0), def: 0 };
    case 'ja':
    case 'fault':
      return { use: 0, def: 0 };
    case 'next':
      break;
  }
  const cls = op & 7;
  if (op === 0x18) return { use: 0, def: bit(d) };
  if (cls === 4 || cls === 7) {
    if ((op & 0xf0) === 0xb0) return { use: x ? bit(s) : 0, def: bit(d) };
    return { use: bit(d) | (x && (op & 0xf0) !== 0xd0 ? bit(s) : 0), def: bit(d) };
  }
  if (cls === 1) return { use: bit(s), def: bit(d) };
  if (cls === 2) return { use: bit(d), def: 0 };
  if (op === 0xc3 || op === 0xdb) {
    const kind = slots.imm[pc]!;
    return { use: bit(d) | bit(s) | bit(0), def: kind === 0xf1 ? bit(0) : kind & 1 ? bit(s) : 0 };
  }
  return { use: bit(d) | bit(s), def: 0 };
}

/** Every instruction's {@link useDef} sets, worked out once per compile (each is asked for several times). */
export interface UseDefTable {
  readonly use: Uint16Array;
  readonly def: Uint16Array;
}

export function useDefTable(slots: Slots, exitUse = R0_R5): UseDefTable {
  const use = new Uint16Array(slots.length);
  const def = new Uint16Array(slots.length);
  for (let pc = 0; pc < slots.length; pc++) {
    const ud = useDef(slots, pc, exitUse);
    use[pc] = ud.use;
    def[pc] = ud.def;
  }
  return { use, def };
}

/**
 * Registers live on entry to each block (all functions share one block graph). `calls`: whether a
 * function may be entered by a local call or callx, whose caller gets r1..r5 back at `exit`; with
 * none, only r0 leaves a function.
 */
export function liveIn(cfg: ControlFlow, slots: Slots, calls = true, table?: UseDefTable): Map<number, number> {
  const { use, def } = table ?? useDefTable(slots, calls ? R0_R5 : 1);
  // Each block as one transfer, in = (out & ~kill) | gen, composed once from its instructions;
  // the fixpoint then visits blocks last to first (liveness flows backwards).
  const blocks = [...cfg.blocks.values()].reverse();
  const gen = new Int32Array(blocks.length);
  const kill = new Int32Array(blocks.length);
  const index = new Map<number, number>();
  blocks.forEach((b, k) => {
    index.set(b.start, k);
    let g = 0;
    let d = 0;
    for (let i = b.pcs.length - 1; i >= 0; i--) {
      const pc = b.pcs[i]!;
      g = (g & ~def[pc]!) | use[pc]!;
      d |= def[pc]!;
    }
    gen[k] = g;
    kill[k] = d;
  });
  const succs = blocks.map((b) => b.succs.map((s) => index.get(s) ?? -1));
  const inOf = new Int32Array(blocks.length);
  for (let changed = true; changed; ) {
    changed = false;
    for (let k = 0; k < blocks.length; k++) {
      let out = 0;
      for (const s of succs[k]!) if (s >= 0) out |= inOf[s]!;
      const l = (out & ~kill[k]!) | gen[k]!;
      if (l !== inOf[k]) {
        inOf[k] = l;
        changed = true;
      }
    }
  }
  const live = new Map<number, number>();
  for (const start of cfg.blocks.keys()) live.set(start, inOf[index.get(start)!]!);
  return live;
}

/** Registers live right after each instruction of `b`, given what is live on its way out. */
export function liveAfter(table: UseDefTable, b: Block, out: number): Int32Array {
  const { use, def } = table;
  const after = new Int32Array(b.pcs.length);
  let l = out;
  for (let i = b.pcs.length - 1; i >= 0; i--) {
    after[i] = l;
    const pc = b.pcs[i]!;
    l = (l & ~def[pc]!) | use[pc]!;
  }
  return after;
}

/** What is live on the way out of `b`. */
export function liveOut(b: Block, live: ReadonlyMap<number, number>): number {
  let out = 0;
  for (const s of b.succs) out |= live.get(s) ?? 0;
  return out;
}
