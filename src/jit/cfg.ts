/**
 * Control-flow analysis for the JIT: which slots start functions, where basic blocks begin and end,
 * and which blocks each function reaches. Blocks are the unit of the instruction budget (charged
 * once at a block's entry) and of the Relooper's structured control flow.
 */
import type { Slots } from '../isa/slots.js';
import { FUNC_POINTER_BASE } from '../helpers/abi.js';

/** How an instruction passes control on; everything but `next` ends a basic block. */
export type Flow =
  | 'next' // falls through to the following instruction (pc + 1, or pc + 2 after lddw)
  | 'cond' // conditional jump: pc + 1 + off, or pc + 1
  | 'ja' // unconditional jump (target in `off`, or in `imm` for the 32-bit form)
  | 'exit'
  | 'call-local' // bpf-to-bpf call, then pc + 1
  | 'call-helper' // helper call (also `callx`), then pc + 1
  | 'legacy' // LD_ABS / LD_IND: may end the whole program, then pc + 1
  | 'fault'; // unknown opcode: always faults

/**
 * Every opcode the engines execute, with its flow. Anything missing is an unknown opcode that
 * faults when reached, exactly as the interpreter's `default:` does.
 */
const FLOW: Array<Flow | undefined> = new Array<Flow | undefined>(256).fill(undefined);
{
  const alu64 = [0x07, 0x17, 0x27, 0x37, 0x47, 0x57, 0x67, 0x77, 0x87, 0x97, 0xa7, 0xb7, 0xc7, 0xd7];
  const alu64x = [0x0f, 0x1f, 0x2f, 0x3f, 0x4f, 0x5f, 0x6f, 0x7f, 0x9f, 0xaf, 0xbf, 0xcf];
  const alu32 = [0x04, 0x14, 0x24, 0x34, 0x44, 0x54, 0x64, 0x74, 0x84, 0x94, 0xa4, 0xb4, 0xc4, 0xd4];
  const alu32x = [0x0c, 0x1c, 0x2c, 0x3c, 0x4c, 0x5c, 0x6c, 0x7c, 0x9c, 0xac, 0xbc, 0xcc, 0xdc];
  const mem = [0x61, 0x69, 0x71, 0x79, 0x81, 0x89, 0x91, 0x62, 0x6a, 0x72, 0x7a, 0x63, 0x6b, 0x73, 0x7b, 0xc3, 0xdb, 0x18];
  for (const op of [...alu64, ...alu64x, ...alu32, ...alu32x, ...mem]) FLOW[op] = 'next';
  for (const op of [0x20, 0x28, 0x30, 0x40, 0x48, 0x50]) FLOW[op] = 'legacy';
  const jmp64 = [0x15, 0x1d, 0x55, 0x5d, 0x45, 0x4d, 0x25, 0x2d, 0x35, 0x3d, 0xa5, 0xad, 0xb5, 0xbd];
  const jmp64s = [0x65, 0x6d, 0x75, 0x7d, 0xc5, 0xcd, 0xd5, 0xdd];
  for (const op of [...jmp64, ...jmp64s]) {
    FLOW[op] = 'cond';
    FLOW[(op & 0xf8) | 0x06] = 'cond'; // the JMP32 twin
  }
  FLOW[0x05] = 'ja';
  FLOW[0x06] = 'ja';
  FLOW[0x95] = 'exit';
  FLOW[0x8d] = 'call-helper';
}

/** The flow of the instruction at `pc`. */
export function flowOf(slots: Slots, pc: number): Flow {
  const op = slots.op[pc]!;
  if (op === 0x85) {
    const kind = slots.src[pc]!;
    // a kfunc (src 2) is called through the helper table too (helpers/abi.ts kfuncId)
    return kind === 1 ? 'call-local' : 'call-helper';
  }
  return FLOW[op] ?? 'fault';
}

/** Slots an instruction occupies in the fall-through direction. */
export const widthAt = (slots: Slots, pc: number): number => (slots.op[pc] === 0x18 ? 2 : 1);

/** Where a jump at `pc` goes when taken. */
export function jumpTarget(slots: Slots, pc: number): number {
  const op = slots.op[pc]!;
  return pc + 1 + (op === 0x06 ? slots.imm[pc]! : slots.off[pc]!);
}

/** Where a local call at `pc` enters. */
export const callTarget = (slots: Slots, pc: number): number => pc + 1 + slots.imm[pc]!;

export interface Block {
  /** The leader's pc. */
  readonly start: number;
  /** The pc of each instruction, in order (an lddw is one instruction). */
  readonly pcs: readonly number[];
  /** Flow of the last instruction (`next` when the block falls into a leader). */
  readonly flow: Flow;
  /** Successor pcs inside the same function (may lie outside the program: those fault). */
  readonly succs: readonly number[];
  /**
   * Index in `pcs` of the first memory access, the only instruction before a block's last that can
   * have an effect (a store, a fault), static stack loads left out when nothing writes r10 (see
   * {@link staticStackLoad}); `pcs.length` when there is none.
   */
  readonly firstEffect: number;
}

export interface ControlFlow {
  readonly blocks: ReadonlyMap<number, Block>;
  /** Function entry slots, sorted; each becomes one WebAssembly function. */
  readonly entries: readonly number[];
  /** Block leaders each function reaches (its entry block first). */
  readonly functionBlocks: ReadonlyMap<number, readonly number[]>;
  /** True when some instruction may write r10 (then r10-relative accesses get full checks). */
  readonly writesR10: boolean;
}

const isMemoryOp = (op: number): boolean => {
  const cls = op & 7;
  return (cls === 1 || cls === 2 || cls === 3) && op !== 0x18;
};

/** Bytes a load, store or atomic at `op` moves, by its size bits (W, H, B, DW). */
const ACCESS_BYTES = [4, 2, 1, 8] as const;

/**
 * True for a load from the current stack frame at r10 + constant offset. When no instruction
 * writes r10 such a load can neither fault nor change anything (the frame is always mapped), so
 * it is no effect in the sense of {@link Block.firstEffect}: the generated code gives it no check
 * (./emit-mem.ts) and a block stopped by the budget need not replay it (./compile.ts). Stores there
 * still count: the stack's bytes after a run are compared between the engines.
 */
export function staticStackLoad(slots: Slots, pc: number): boolean {
  const op = slots.op[pc]!;
  if ((op & 7) !== 1) return false;
  const off = slots.off[pc]!;
  return slots.src[pc] === 10 && off >= -512 && off + ACCESS_BYTES[(op >> 3) & 3]! <= 0;
}

/**
 * Analyses the program from `extraEntries` plus every entry it can find statically: slot 0, the
 * declared functions, local call targets and function pointers that appear as constants.
 */
export function analyse(slots: Slots, declared: readonly number[], extraEntries: Iterable<number> = []): ControlFlow {
  const n = slots.length;
  const inRange = (pc: number): boolean => pc >= 0 && pc < n;
  const entries = new Set<number>([0, ...declared.filter(inRange), ...[...extraEntries].filter(inRange)]);
  let dynamicCalls = false;
  for (let pc = 0; pc < n; pc++) {
    const f = flowOf(slots, pc);
    if (f === 'call-helper') dynamicCalls = true;
  }
  if (dynamicCalls) {
    // Helpers (bpf_loop) and callx reach functions through pointer values; the ones that appear as
    // constants get their own WebAssembly function up front. Others are compiled on first use.
    for (let pc = 0; pc < n; pc++) {
      const op = slots.op[pc]!;
      let v = -1;
      if (op === 0x18 && pc + 1 < n && slots.imm[pc + 1] === 0) v = slots.imm[pc]! >>> 0;
      else if (op === 0xb4) v = slots.imm[pc]! >>> 0;
      if (v >= FUNC_POINTER_BASE && v < FUNC_POINTER_BASE + n) entries.add(v - FUNC_POINTER_BASE);
    }
  }

  // Pass 1: every reachable pc, and the leaders among them.
  const leaders = new Set<number>(entries);
  const seen = new Uint8Array(n);
  const work = [...entries];
  const push = (pc: number, leader: boolean): void => {
    if (!inRange(pc)) return;
    if (leader) leaders.add(pc);
    if (!seen[pc]) work.push(pc);
  };
  let writesR10 = false;
  while (work.length > 0) {
    const pc = work.pop()!;
    if (seen[pc]) continue;
    seen[pc] = 1;
    const op = slots.op[pc]!;
    const cls = op & 7;
    if (slots.dst[pc] === 10 && (cls === 0 || cls === 1 || cls === 4 || cls === 7)) writesR10 = true;
    if ((op === 0xc3 || op === 0xdb) && slots.src[pc] === 10) writesR10 = true;
    switch (flowOf(slots, pc)) {
      case 'next':
        push(pc + widthAt(slots, pc), false);
        break;
      case 'cond':
        push(jumpTarget(slots, pc), true);
        push(pc + 1, true);
        break;
      case 'ja':
        push(jumpTarget(slots, pc), true);
        break;
      case 'call-local': {
        const t = callTarget(slots, pc);
        if (inRange(t) && !entries.has(t)) {
          entries.add(t);
          push(t, true);
        }
        push(pc + 1, true);
        break;
      }
      case 'call-helper':
      case 'legacy':
        push(pc + 1, true);
        break;
      case 'exit':
      case 'fault':
        break;
    }
  }

  // Pass 2: the blocks.
  const blocks = new Map<number, Block>();
  for (const start of leaders) {
    if (!seen[start]) continue;
    const pcs: number[] = [];
    let pc = start;
    let flow: Flow = 'next';
    let succs: number[] = [];
    let firstEffect = -1;
    for (;;) {
      pcs.push(pc);
      flow = flowOf(slots, pc);
      if (firstEffect < 0 && isMemoryOp(slots.op[pc]!) && (writesR10 || !staticStackLoad(slots, pc))) firstEffect = pcs.length - 1;
      if (flow !== 'next') break;
      const next = pc + widthAt(slots, pc);
      if (!inRange(next) || leaders.has(next)) {
        succs = [next];
        break;
      }
      pc = next;
    }
    switch (flow) {
      case 'cond':
        succs = [jumpTarget(slots, pc), pc + 1];
        break;
      case 'ja':
        succs = [jumpTarget(slots, pc)];
        break;
      case 'call-local':
      case 'call-helper':
      case 'legacy':
        succs = [pc + 1];
        break;
      case 'exit':
      case 'fault':
        succs = [];
        break;
      case 'next':
        break;
    }
    blocks.set(start, { start, pcs, flow, succs, firstEffect: firstEffect < 0 ? pcs.length : firstEffect });
  }

  const sortedEntries = [...entries].sort((a, b) => a - b);
  const functionBlocks = new Map<number, number[]>();
  for (const e of sortedEntries) {
    const order: number[] = [];
    const mine = new Set<number>([e]);
    const queue = [e];
    for (let q = 0; q < queue.length; q++) {
      const b = queue[q]!;
      order.push(b);
      for (const s of blocks.get(b)!.succs) {
        if (inRange(s) && !mine.has(s)) {
          mine.add(s);
          queue.push(s);
        }
      }
    }
    functionBlocks.set(e, order);
  }
  return { blocks, entries: sortedEntries, functionBlocks, writesR10 };
}
