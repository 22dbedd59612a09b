import type { Memory } from './memory.js';

/**
 * What a helper sees of the engine that called it. Both engines implement it, so one helper
 * implementation serves the interpreter and the JIT alike.
 */
export interface HelperRuntime {
  readonly memory: Memory;
  /** The pc of the call instruction (for messages). */
  readonly pc: number;
  /**
   * Runs the bpf function at `slot` of the current program with r1..r5 = `args` and returns its r0.
   * Used by helpers that take callbacks (`bpf_loop`, `bpf_for_each_map_elem`). The callee gets its
   * own stack frame below the caller's and shares the instruction budget. Helpers reuse `args`
   * from one call to the next (one list per iteration would be garbage): copy it to keep it.
   */
  callFunction(slot: number, args: readonly bigint[]): bigint;
  /**
   * For `bpf_tail_call`: ends the running program as soon as the helper returns, without an
   * exception, leaving `target` for {@link EngineInstance.takeTailCall}. False where the engine
   * cannot (not asked to by {@link EngineOptions.returnOnTailCall}, or inside a callback): the
   * helper then throws {@link TailCallSignal}.
   */
  deferTailCall?(target: number): boolean;
}

/**
 * A helper implementation: r1..r5 in, r0 out, all as unsigned or signed 64-bit BigInts. Only the
 * arguments of the helper's prototype are meaningful (all five for bpf_trace_printk, kfuncs and ids
 * without a prototype): past them the JIT passes 0n, as reading them would not be the kernel's ABI.
 */
export type HelperFn = (rt: HelperRuntime, r1: bigint, r2: bigint, r3: bigint, r4: bigint, r5: bigint) => bigint;

/**
 * A helper's fast path, which no BigInt crosses: r1..r5 lie as little-endian u64s at `args` in
 * the memory (read them as 32-bit halves through `memory.dv`; only the prototype's arguments are
 * meaningful, as for {@link HelperFn}), and r0 comes back as a number that is an exact integer
 * (r0 is it modulo 2^64), or as a BigInt when it may not fit. Same faults, same effects as the
 * helper's {@link HelperFn}, which engines call instead whenever the table has no fast path.
 */
export type FastHelperFn = (rt: HelperRuntime, args: number) => number | bigint;

/**
 * Where an engine puts r1..r5 for a {@link FastHelperFn}: the never-mapped page under NULL_GUARD,
 * which no region covers, so no program can read or write it (bytes [80, 120)).
 */
export const HELPER_ARGS = 80;
/** Where the JIT's `helperm` import leaves the high half of r0 (bytes [120, 124) of that page). */
export const HELPER_RET_HI = 120;

/** The helper-table id of the kfunc with BTF id `btfId` (a `call` with src 2): negative, apart from every helper id. */
export const kfuncId = (btfId: number): number => -(btfId + 1);

/** The helper table engines dispatch `call IMM` through. */
export interface HelperTable {
  /** The implementation for helper `id`, or undefined when it is not supported. */
  get(id: number): HelperFn | undefined;
  /** The kernel's name of helper `id` (`bpf_map_lookup_elem`), or `unknown`. */
  nameOf(id: number): string;
  /** The fast path of helper `id`, if it has one (a table that wraps another may leave it out). */
  fast?(id: number): FastHelperFn | undefined;
}

/**
 * Thrown by `bpf_tail_call` when the jump succeeds: the engine abandons the current program and
 * starts `target` with the same context, as the kernel does.
 */
export class TailCallSignal extends Error {
  readonly target: number;
  constructor(target: number) {
    // Control flow, not a failure: no stack trace (capturing one through WebAssembly frames cost
    // more than the rest of a tail call).
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super('tail call');
    Error.stackTraceLimit = limit;
    this.target = target;
  }
}

/** Value of a function pointer (`lddw` with BPF_PSEUDO_FUNC): a code address no region overlaps. */
export const FUNC_POINTER_BASE = 0xf000_0000;
/** Value of a map pointer (`lddw` with BPF_PSEUDO_MAP_FD): an opaque handle no region overlaps. */
export const MAP_HANDLE_BASE = 0xe000_0000;
/** Spacing of map handles, so handle arithmetic never lands on another map. */
export const MAP_HANDLE_STRIDE = 0x1000;
/** log2 of {@link MAP_HANDLE_STRIDE}. */
const MAP_HANDLE_SHIFT = 12;

export const mapHandle = (index: number): number => MAP_HANDLE_BASE + index * MAP_HANDLE_STRIDE;
/** The map index behind a handle value, or -1 when the value is not a map handle. */
export function mapIndexOfHandle(v: bigint): number {
  // Number() first: every handle is below 2^32, so no BigInt is made on this path (each map helper call).
  return mapIndexOfNumber(Number(v));
}

/** {@link mapIndexOfHandle} of a value given as a number (its low half, when its high half is 0). */
export function mapIndexOfNumber(n: number): number {
  if (!(n >= MAP_HANDLE_BASE && n < FUNC_POINTER_BASE)) return -1;
  // Integer operations only: `%` and `/` of a double above 2^31 went through fmod (~10 ns a map helper call).
  const rel = (n - MAP_HANDLE_BASE) | 0;
  return (rel & (MAP_HANDLE_STRIDE - 1)) === 0 ? rel >>> MAP_HANDLE_SHIFT : -1;
}

/**
 * {@link mapIndexOfNumber} of a value whose high half is 0, given its low half as a signed 32-bit
 * integer (`DataView.getInt32`): int32 arithmetic alone, as handles lie above 2^31 (each map helper call).
 */
export function mapIndexOfInt32(lo: number): number {
  const rel = (lo - (MAP_HANDLE_BASE | 0)) | 0;
  return rel >= 0 && rel < FUNC_POINTER_BASE - MAP_HANDLE_BASE && (rel & (MAP_HANDLE_STRIDE - 1)) === 0 ? rel >>> MAP_HANDLE_SHIFT : -1;
}

/** Builds a table from a plain id → implementation record and a name list. */
export function helperTable(
  fns: ReadonlyMap<number, HelperFn>,
  names: ReadonlyMap<number, string>,
  fast: ReadonlyMap<number, FastHelperFn> = new Map(),
): HelperTable {
  // By id in an array: engines ask on every call of a helper.
  const byId: Array<FastHelperFn | undefined> = [];
  for (const [id, fn] of fast) if (id >= 0) byId[id] = fn;
  return {
    get: (id) => fns.get(id),
    nameOf: (id) => names.get(id) ?? 'unknown',
    fast: (id) => (id >= 0 ? byId[id] : undefined),
  };
}

/** Options every engine takes when it prepares a program. */
export interface EngineOptions {
  /** Instructions a run may execute (default 1,000,000). */
  budget?: number;
  /**
   * Implements legacy `LD_ABS`/`LD_IND` packet loads for socket-buffer contexts: returns the value
   * (already converted from network byte order), or undefined to end the program with r0 = 0.
   */
  legacyLoad?: (offset: number, size: 1 | 2 | 4) => number | undefined;
  /**
   * The caller asks {@link EngineInstance.takeTailCall} after every run that returns: a tail call
   * may then end a run by returning (cheap) instead of by throwing {@link TailCallSignal}.
   */
  returnOnTailCall?: boolean;
}

/**
 * A program prepared by one engine (interpreter or JIT), bound to a memory and a helper table.
 * Both engines implement it, and must agree bit for bit: same r0, same memory, same faults
 * (kind, pc, message).
 */
export interface EngineInstance {
  /** Runs from slot 0 with r1..r5 = `args`; returns r0 as an unsigned 64-bit value. */
  run(args: readonly bigint[], budget?: number): bigint;
  /** Instructions executed by the last run (budget used). */
  readonly executed: number;
  /**
   * After a run that returned: the program a tail call ended it for (its r0 means nothing then),
   * or -1; clears it. Only engines made with {@link EngineOptions.returnOnTailCall} end runs so.
   */
  takeTailCall?(): number;
}
