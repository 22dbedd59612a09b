/**
 * The contract between generated code and its JavaScript side: names of imports and globals, the
 * layout of each function's locals, and the faults that code raises through the `fault` import.
 * The generated module never decides a message itself: every fault text is made on the JS side,
 * from the same memory model and the same wording as the interpreter.
 */
import type { FaultKind } from '../helpers/fault.js';
import { helperPrototype } from '../helpers/prototypes.js';
import type { Slots } from '../isa/slots.js';

/** Import module name of the runtime functions, and of the memory. */
export const RT = 'rt';
export const ENV = 'env';

/** Runtime imports (module `rt`). Signatures are fixed in compile.ts. */
export const Import = {
  /** `access(pc, lo, hi)`: slow path of a memory access; faults or refreshes the bounds globals. */
  access: 'access',
  /**
   * `budget(blockPc, rem, r0..r10)`: the budget cannot cover a block (`rem` is what is left after
   * charging it, negative); raises the budget fault at the instruction the interpreter stops at,
   * or a memory fault the block's replay reaches first (compile.ts `budgetCheck`).
   */
  budget: 'budget',
  /** `fault(k)`: raises static fault `k` (or the pending budget fault). */
  fault: 'fault',
  /** `helper(pc, id, depth, r1..r5) -> r0` (depth: the call depth global, for the stack frame). */
  helper: 'helper',
  /**
   * `helper0(pc, id, depth) -> r0` .. `helper4(pc, id, depth, r1..r4) -> r0`: a helper that reads fewer than five
   * registers (see helperArity) gets only those; each i64 crossing into JS costs a BigInt.
   */
  helperN: (n: number): string => (n === 5 ? 'helper' : `helper${n}`),
  /**
   * `helperm(pc, id, depth) -> low half of r0` for the helpers with a fast path (FAST_HELPER_IDS): r1..rN are
   * stored at HELPER_ARGS first and the high half of r0 comes back at HELPER_RET_HI, so a helper
   * with a fast path (FastHelperFn) runs without a BigInt either way.
   */
  helperm: 'helperm',
  /** `callx(pc, target, r0..r9) -> r0`; r1..r5 come back through the `ret` globals. */
  callx: 'callx',
  /** `legacy(pc, offset) -> value`: LD_ABS/LD_IND. */
  legacy: 'legacy',
} as const;

/** Globals the module exports; JS reads and writes them around calls. */
export const Global = {
  /** Instructions left in the budget (f64, so JS never allocates a BigInt for it). */
  rem: 'rem',
  /** Call depth of the innermost live frame (i32). */
  depth: 'depth',
  /** Bounds the last slow-path access found, [bS, bE) (i32); 0, 0 means "no cache". */
  bS: 'bS',
  bE: 'bE',
} as const;
/** r1..r5 of a function's exit, for the caller (i64). */
export const retGlobal = (r: number): string => `ret${r}`;

/** Exported entry of a run: `main(r1..r5, budget) -> r0` (see compile.ts). */
export const MAIN = 'main';
/**
 * The cheap entry: `main32(r1, r2, budget) -> low half of r0` for runs whose arguments fit in 32
 * bits (every context pointer does); the high half of r0 and the budget left go to the mailbox.
 * No BigInt crosses the boundary and no WebAssembly.Global is read back.
 */
export const MAIN32 = 'main32';
/**
 * Scratch bytes in the never-mapped page under the memory model's NULL_GUARD: [MAILBOX, +4) the
 * high half of r0, [MAILBOX + 8, +8) the budget left (f64). No region ever covers them, so a
 * program cannot reach them; the memory model never writes there.
 */
export const MAILBOX = 16;
/**
 * Also in that page: non-zero while generated code unwinds to the run's entry without an exception
 * (i32): {@link UNWIND_TAIL} for a deferred tail call, {@link UNWIND_ABORT} for an LD_ABS/LD_IND out
 * of the packet, which ends the program with r0 = 0. Generated code tests it after every call that
 * may have set it (see {@link mayUnwind}) and returns at once; the engine's entry clears it. A
 * WebAssembly exception thrown through frames costs microseconds in V8; this costs a load.
 */
export const TAIL_FLAG = MAILBOX + 4;
/**
 * Also in that page (bytes [124, 128), after the helper arguments and r0's high half): non-zero
 * when the `helperm` call that just returned changed the memory's layout (see Memory.layout). The
 * code after such a call forgets its cached regions only then: a map helper, which adds, drops
 * and moves no region, leaves every cached bound exact (the next access after each map call
 * searched the region table before).
 */
export const HELPER_MOVED = 124;
/** {@link TAIL_FLAG}'s value for a deferred tail call. */
export const UNWIND_TAIL = 1;
/** {@link TAIL_FLAG}'s value for an LD_ABS/LD_IND that ended the program with r0 = 0. */
export const UNWIND_ABORT = 2;
/** `enum bpf_func_id` of bpf_tail_call. */
export const TAIL_CALL_HELPER = 12;

/**
 * Whether a program can reach bpf_tail_call from its own code (a `call 12`, or a `callx`, whose
 * target is known only at run time): only then does its code test {@link TAIL_FLAG} after calls.
 */
export function mayTailCall(slots: Slots): boolean {
  let v = tailCallers.get(slots);
  if (v === undefined) {
    v = false;
    const { op, src, imm } = slots;
    for (let pc = 0; pc < slots.length && !v; pc++) v = op[pc] === 0x8d || (op[pc] === 0x85 && src[pc] === 0 && imm[pc] === TAIL_CALL_HELPER);
    tailCallers.set(slots, v);
  }
  return v;
}

/** Whether a program holds an LD_ABS/LD_IND, which may end it by setting {@link TAIL_FLAG}. */
export function mayAbort(slots: Slots): boolean {
  let v = aborters.get(slots);
  if (v === undefined) {
    v = false;
    const { op } = slots;
    for (let pc = 0; pc < slots.length && !v; pc++) v = LEGACY_OPS.has(op[pc]!);
    aborters.set(slots, v);
  }
  return v;
}
const LEGACY_OPS = new Set([0x20, 0x28, 0x30, 0x40, 0x48, 0x50]);
const aborters = new WeakMap<Slots, boolean>();

/**
 * Whether a callee (or a function reached by `callx`) may come back with {@link TAIL_FLAG} set:
 * the code after such calls tests it.
 */
export const mayUnwind = (slots: Slots): boolean => mayTailCall(slots) || mayAbort(slots);
const tailCallers = new WeakMap<Slots, boolean>();

/**
 * The region table, also in that page: at REGION_COUNT the number of entries, from REGION_TABLE
 * 16 bytes each: start, end, stride, and element size with bit 31 set when writable (u32, little
 * endian). Every region but the stack, as the memory model holds them; the engine rewrites it
 * before generated code may use it (a run's start, after each helper call, a callback's start).
 * A cache miss searches it in WebAssembly (`LOOKUP`) before calling out to JS.
 */
export const REGION_COUNT = 64;
/**
 * The stack's end (u32; 0 when the stack is not writable), beside the table: `LOOKUP` answers for
 * the stack itself, from the current depth's frame up to it, as Memory.check does.
 */
export const STACK_TOP = REGION_COUNT + 4;
export const REGION_TABLE = 128;
export const REGION_MAX = (65536 - REGION_TABLE) >> 4;
/** Internal function `lookup(ea, size, write) -> found`: sets bS/bE when the table holds the access. */
export const LOOKUP = 'lookup';

/** Exported name of the WebAssembly function for the bpf function at `slot`. */
export const fnName = (slot: number): string => `f${slot}`;

/**
 * Locals of every generated function. Parameters are r0..r9 (a bpf-to-bpf callee starts with all
 * of the caller's registers, as in the interpreter); the rest are scratch.
 */
export const Local = {
  R10: 10,
  /** Budget left (i64), kept in a local so the hot path never touches memory for it. */
  REM: 11,
  /** Read-cache bounds [RS, RE) and write-cache bounds [WS, WE) (i64): the interpreter's cache. */
  RS: 12,
  RE: 13,
  WS: 14,
  WE: 15,
  /** Effective address of the access in progress (i64). */
  EA: 16,
  T1: 17,
  T2: 18,
  /** The Relooper's label helper, or the br_table dispatch index (i32). */
  LABEL: 19,
  /** r10 - 512 as an i32: the base of static stack accesses, whose offsets are then non-negative. */
  FPB: 20,
  /** Block number to enter next, in a large function's chunk dispatch (i32). */
  NEXT: 21,
  /** The block the budget could not cover, for the function's exhaustion exit (i32). */
  BLK: 22,
  /** The value a counted loop's stepped register has after its fast trips (i64; ./emit-loop.ts). */
  LEND: 23,
  /** Where a counted loop's single trips end and its unrolled ones begin (i64; ./emit-loop.ts). */
  LMID: 24,
} as const;
export const PARAM_COUNT = 10;

/** A fault whose kind, pc and reason are known when the code is generated. */
export interface StaticFault {
  readonly kind: FaultKind;
  readonly pc: number;
  readonly reason: string;
}

/**
 * Thrown by the `legacy` import to end the program early with r0 = 0 (an out-of-bounds LD_ABS)
 * inside a callback, whose frames lie under a helper that would carry on after a return; elsewhere
 * the import sets {@link TAIL_FLAG} to {@link UNWIND_ABORT} instead.
 */
export class AbortWithZero extends Error {
  constructor() {
    // Control flow: no stack trace (see TailCallSignal).
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super('LD_ABS/LD_IND out of bounds: the program ends with r0 = 0');
    Error.stackTraceLimit = limit;
  }
}

/** Default instruction budget of a run (the interpreter's). */
export const DEFAULT_BUDGET = 1_000_000;

/**
 * Registers r1..rN a call of helper `id` hands to JS: the prototype's arguments. bpf_trace_printk
 * is variadic (the kernel's prototype names fmt and size; r3..r5 are its values), kfuncs and ids
 * without a prototype get all five. A helper never sees the registers past its arity, in either
 * engine's sense: test/jit/helper-arity.test.ts holds every implementation to it.
 */
export function helperArity(id: number): number {
  if (id <= 0 || VARIADIC.has(id)) return 5;
  const p = helperPrototype(id);
  if (p === undefined) return 5;
  return Math.max(p.args.length, ...p.variants.map((v) => v.args.length));
}
const VARIADIC = new Set([6]); // bpf_trace_printk
