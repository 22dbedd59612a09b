/**
 * The JIT engine: a compiled program instantiated against one memory and one helper table. This is
 * the JS half of the generated code's runtime (memory slow path, budget faults, helpers, callx,
 * legacy loads) and the `EngineInstance`/`HelperRuntime` both engines implement. Every fault text
 * is built here with the interpreter's wording, so both engines report the same thing.
 */
import type { EngineInstance, EngineOptions, FastHelperFn, HelperRuntime, HelperTable } from '../helpers/abi.js';
import { FUNC_POINTER_BASE, HELPER_ARGS, HELPER_RET_HI } from '../helpers/abi.js';
import type { ExecProgram } from '../helpers/exec-program.js';
import { FaultSignal, RuntimeFault, type FaultKind } from '../helpers/fault.js';
import { MAX_CALL_FRAMES, type Memory, PROBE_ZERO } from '../helpers/memory.js';
import { coverageGlobals, type CompiledProgram, REPLAY } from './compile.js';
import { accessOf } from './emit-mem.js';
import { AbortWithZero, DEFAULT_BUDGET, ENV, fnName, Global, HELPER_MOVED, Import, MAILBOX, MAIN, MAIN32, mayAbort, mayTailCall, REGION_COUNT, REGION_MAX, REGION_TABLE, retGlobal, RT, STACK_TOP, TAIL_FLAG, UNWIND_ABORT, UNWIND_TAIL } from './runtime.js';

/** A generated function: r0..r9 in, r0 out. */
type EntryFn = (...regs: bigint[]) => bigint;
/** The run entry: r1..r5 and the budget in, r0 out. */
type MainFn = (r1: bigint, r2: bigint, r3: bigint, r4: bigint, r5: bigint, budget: number) => bigint;
/** The 32-bit run entry (./runtime.ts MAIN32): r1, r2 and the budget in, r0's low half out. */
type Main32Fn = (r1: number, r2: number, budget: number) => number;

/** One instance of a compiled module, with typed handles on what it exports. */
interface Live {
  readonly compiled: CompiledProgram;
  readonly fns: ReadonlyMap<number, EntryFn>;
  readonly main: MainFn | undefined;
  readonly main32: Main32Fn | undefined;
  readonly rem: WebAssembly.Global;
  /** The budget saved by the slow path of the access in progress (i64). */
  readonly sRem: WebAssembly.Global;
  /** Per pc: its index in its block, and how many instructions of the block follow it. */
  readonly index: Int32Array;
  readonly tail: Int32Array;
  readonly depth: WebAssembly.Global;
  readonly bS: WebAssembly.Global;
  readonly bE: WebAssembly.Global;
  /** ret[1..5]; ret[0] unused. */
  readonly ret: readonly WebAssembly.Global[];
  /** Per pc: the start of its block. */
  readonly blockOf: Int32Array;
  /** Coverage builds: each block's entry counter, and each conditional jump's taken counter (by pc). */
  readonly blockCounters: ReadonlyArray<[block: readonly number[], counter: WebAssembly.Global]>;
  readonly takenCounters: ReadonlyArray<[pc: number, counter: WebAssembly.Global]>;
  /** Coverage builds: the conditional jump just evaluated, or -1. */
  readonly lastCond: WebAssembly.Global | undefined;
}

/** Coverage a JIT engine counted, in the form `CoverageCollector.add` takes. */
export interface CoverageCounts {
  /** Executions of each slot (an instruction counts when it starts, as the interpreter's hook counts it). */
  hits: Uint32Array;
  /** For each conditional jump reached: [taken, not taken]. */
  branches: Map<number, [number, number]>;
}

/** Compiles (or fetches from the cache) the program with at least the given extra entries. */
export type CompiledSource = (extraEntries: readonly number[]) => CompiledProgram;

const LEGACY_SIZE = [4, 2, 1, 8] as const;
/** r0 values most programs return (verdicts, small counts), allocated once. */
const SMALL: readonly bigint[] = Array.from({ length: 1024 }, (_, i) => BigInt(i)); // by (op >> 3) & 3: W, H, B, DW

export class JitEngine implements EngineInstance, HelperRuntime {
  readonly memory: Memory;
  /** The pc of the helper call in progress (HelperRuntime). */
  pc = 0;
  executed = 0;
  private budget: number;
  private readonly prog: ExecProgram;
  private readonly helpers: HelperTable;
  private readonly legacyLoad: EngineOptions['legacyLoad'];
  private readonly source: CompiledSource;
  /** The instance new runs start in (replaced when a new function entry had to be compiled). */
  private primary: Live;
  /** The instance whose helper call is in progress (callbacks run from there). */
  private cur: Live | undefined;
  /** The pc of a budget fault that will be raised on reaching it, or -1. */
  private pending = -1;
  /** While a fault is pending: the budget left on entry to the block it is in. */
  private pendingRemBefore = 0;
  /** While a fault is pending: the instance whose block it is in. */
  private pendingLive: Live | undefined;
  /** Every instance made (coverage counters live in each; a recompile adds one). */
  private readonly lives: Live[] = [];
  /**
   * Coverage corrections by slot: block counters count a block on entry, so a block stopped
   * partway by a fault over-counts the slots it did not reach; those get -1 here.
   */
  private uncounted: Int32Array;
  /** Coverage corrections by conditional jump: [taken, not taken] (see `coverageGlobals.last`). */
  private readonly unbranched = new Map<number, [number, number]>();

  /** The table's fast paths by helper id, fetched on a helper's first `helperm` call (null: it has none). */
  private readonly fastFns: Array<FastHelperFn | null | undefined> = [];

  /** The memory layout the region table was last written for (see Memory.layout), or -1. */
  private synced = -1;

  /** The instance the last run started in (its `rem` global holds the budget left). */
  private top: Live | undefined;
  /** True once the last run ran out of budget. */
  private exhausted = false;

  /** Whether the caller takes tail calls from {@link takeTailCall} (EngineOptions.returnOnTailCall). */
  private readonly returnOnTailCall: boolean;
  /** The target of the tail call the last run ended with, or -1. */
  private tailTarget = -1;
  /** Callbacks in progress (callFunction): a tail call or an abort there unwinds by exception. */
  private callbacks = 0;
  /** Whether the program holds an LD_ABS/LD_IND, which may end a run by setting TAIL_FLAG. */
  private readonly mayAbort: boolean;

  /**
   * Budget left where the last run stopped, as the interpreter's `remaining` field: runProgram
   * reads it after a tail call to charge what ran to the run's shared budget. Generated code writes
   * its budget back before every helper call, so after a helper's TailCallSignal the global holds
   * exactly what the interpreter holds; `executed` stays as the interpreter leaves it.
   */
  get remaining(): number {
    if (this.exhausted) return 0;
    return this.top === undefined ? this.budget : (this.top.rem.value as number);
  }

  constructor(prog: ExecProgram, memory: Memory, helpers: HelperTable, source: CompiledSource, options: EngineOptions = {}) {
    this.prog = prog;
    this.memory = memory;
    this.helpers = helpers;
    this.legacyLoad = options.legacyLoad;
    this.budget = options.budget ?? DEFAULT_BUDGET;
    this.source = source;
    this.returnOnTailCall = options.returnOnTailCall === true && mayTailCall(prog.slots);
    this.mayAbort = mayAbort(prog.slots);
    this.uncounted = new Int32Array(prog.slots.length);
    this.primary = this.instantiate(source([]));
  }

  /**
   * Slot hits and branch counts since the last reset, when the module was compiled with
   * `coverage: true` (all zero otherwise). An instruction counts when it starts executing, as the
   * interpreter's hook counts it: the one a memory or helper fault stops at counts, the one the
   * budget runs out at does not, and nothing after either does. A conditional jump's direction
   * counts when it is evaluated (the interpreter's hook counts it on reaching the next
   * instruction: the two differ only when the budget runs out right at that instruction, or the
   * jump leaves the program).
   */
  coverageCounts(): CoverageCounts {
    const n = this.prog.slots.length;
    const acc = new Float64Array(n);
    const taken = new Map<number, number>();
    for (const live of this.lives) {
      for (const [pcs, g] of live.blockCounters) {
        const v = (g.value as number) >>> 0;
        if (v !== 0) for (const pc of pcs) acc[pc]! += v;
      }
      for (const [pc, g] of live.takenCounters) {
        const v = (g.value as number) >>> 0;
        if (v !== 0) taken.set(pc, (taken.get(pc) ?? 0) + v);
      }
    }
    const hits = new Uint32Array(n);
    for (let pc = 0; pc < n; pc++) hits[pc] = acc[pc]! + this.uncounted[pc]!;
    const branches = new Map<number, [number, number]>();
    for (const live of this.lives) {
      for (const [pc] of live.takenCounters) {
        if (hits[pc] === 0 || branches.has(pc)) continue;
        const t = taken.get(pc) ?? 0;
        const [dt, dn] = this.unbranched.get(pc) ?? [0, 0];
        // A jump whose only direction was taken back was never counted at all by the hook.
        if (t + dt === 0 && hits[pc]! - t + dn === 0) continue;
        branches.set(pc, [t + dt, hits[pc]! - t + dn]);
      }
    }
    return { hits, branches };
  }

  /** Zeroes the coverage counters. */
  resetCoverage(): void {
    for (const live of this.lives) {
      for (const [, g] of live.blockCounters) g.value = 0;
      for (const [, g] of live.takenCounters) g.value = 0;
    }
    this.uncounted.fill(0);
    this.unbranched.clear();
  }

  /**
   * The budget ran out on entering the block at `start`: if a conditional jump led there, the
   * interpreter's hook (which counts a direction on reaching the next instruction) never counted it.
   */
  private unbranch(live: Live, start: number): void {
    const g = live.lastCond;
    if (g === undefined) return;
    const j = g.value as number;
    if (j < 0) return;
    const block = live.compiled.cfg.blocks.get(live.blockOf[j]!);
    if (block === undefined) return;
    const [taken] = block.succs as [number, number];
    const b = this.unbranched.get(j) ?? [0, 0];
    if (start === taken) b[0]--;
    else b[1]--;
    this.unbranched.set(j, b);
  }

  /** A fault stopped `live`'s block at `pc`: the slots after it (and `pc` itself unless `reached`) never started. */
  private uncount(live: Live | undefined, pc: number, reached: boolean): void {
    if (live === undefined || live.blockCounters.length === 0 || pc < 0 || pc >= this.prog.slots.length) return;
    const block = live.compiled.cfg.blocks.get(live.blockOf[pc]!);
    if (block === undefined) return;
    for (let i = live.index[pc]! + (reached ? 1 : 0); i < block.pcs.length; i++) this.uncounted[block.pcs[i]!]!--;
  }

  /**
   * Writes the region table generated code searches on a cache miss (see REGION_TABLE): before
   * a run, after every helper call and when a callback starts, the only times regions change
   * under running code. Regions past the table's room are left to the JS slow path.
   */
  private syncRegions(): void {
    // The table is a function of the region list alone, whose layout number never repeats.
    if (this.synced === this.memory.layout) return;
    this.synced = this.memory.layout;
    const dv = this.memory.dv;
    let n = 0;
    for (const r of this.memory.listRegions()) {
      if (r.kind === 'stack') continue;
      if (n === REGION_MAX) break;
      const at = REGION_TABLE + n * 16;
      dv.setUint32(at, r.start, true);
      dv.setUint32(at + 4, r.end, true);
      dv.setUint32(at + 8, r.stride, true);
      dv.setUint32(at + 12, ((r.elemSize & 0x7fffffff) | (r.writable ? 0x80000000 : 0)) >>> 0, true);
      n++;
    }
    dv.setUint32(REGION_COUNT, n, true);
    const stack = this.memory.stack;
    dv.setUint32(STACK_TOP, stack.writable ? this.memory.stackTop : 0, true);
  }

  /** Runs from slot 0 with r1..r5 = `args`; returns r0 (unsigned 64-bit). */
  run(args: readonly bigint[] = [], budget?: number): bigint {
    const nargs = args.length;
    if (nargs <= 2 && this.primary.main32 !== undefined) {
      // Number() of each argument decides whether it fits in 32 bits exactly (the range test is
      // exact however a huge value rounds).
      const n0 = nargs > 0 ? Number(args[0]!) : 0;
      const n1 = nargs > 1 ? Number(args[1]!) : 0;
      if (n0 >= 0 && n0 <= 0xffffffff && n1 >= 0 && n1 <= 0xffffffff) return this.run32(n0, budget, n1);
    }
    return this.runWide(args, budget);
  }

  /**
   * {@link run} with r1 (and r2) as unsigned 32-bit numbers, what a context pointer always is: no
   * BigInt is made on the way in (runProgram's path; a BigInt to Number conversion costs more than
   * the rest of an empty run).
   */
  run32(r1: number, budget?: number, r2 = 0): bigint {
    // Kept small enough for the optimizer to inline into its caller: the rare ways out (no 32-bit
    // entry, faults, a wide r0) are methods of their own.
    const top = this.primary;
    const main32 = top.main32;
    if (main32 === undefined) return this.runWide(r2 === 0 ? [BigInt(r1)] : [BigInt(r1), BigInt(r2)], budget);
    const memory = this.memory;
    if (this.synced !== memory.layout) this.syncRegions();
    if (budget !== undefined) this.budget = budget;
    this.executed = 0;
    this.pending = -1;
    this.cur = undefined;
    this.exhausted = false;
    this.top = top;
    memory.setStackDepth(0);
    let lo: number;
    try {
      lo = main32(r1, r2, this.budget);
    } catch (e) {
      return this.stopped32(top, e);
    }
    if (this.pending >= 0) return this.stopped32(top, undefined);
    const dv = memory.dv;
    this.executed = this.budget - dv.getFloat64(MAILBOX + 8, true);
    // The budget left is the one the exception path reads: the import spilled it, nothing ran since.
    if (this.mayAbort && this.aborted()) return 0n;
    const hi = dv.getUint32(MAILBOX, true);
    if (hi === 0 && lo >= 0 && lo < SMALL.length) return SMALL[lo]!;
    return hi === 0 ? BigInt(lo >>> 0) : (BigInt(hi) << 32n) | BigInt(lo >>> 0);
  }

  /**
   * A run32 that threw `e`, or returned with a budget fault pending (`e` undefined): raises the
   * fault, or answers 0 for an LD_ABS/LD_IND out of the packet (AbortWithZero).
   */
  private stopped32(top: Live, e: unknown): bigint {
    // A fault leaves the memory model's stack where the run stopped, as the interpreter does.
    if (e === undefined || !(e instanceof AbortWithZero) || this.pending >= 0) {
      this.memory.setStackDepth(top.depth.value as number);
      throw e === undefined || e instanceof AbortWithZero ? this.budgetFault(this.pending) : e;
    }
    this.executed = this.budget - (top.rem.value as number);
    return 0n;
  }

  /**
   * Whether the run just ended by an LD_ABS/LD_IND out of the packet (TAIL_FLAG = UNWIND_ABORT);
   * clears the flag. The generated code returned from every frame with r0 = 0 and the budget
   * global as the legacy import left it, exactly what an AbortWithZero leaves.
   */
  private aborted(): boolean {
    const dv = this.memory.dv;
    if (dv.getInt32(TAIL_FLAG, true) !== UNWIND_ABORT) return false;
    dv.setInt32(TAIL_FLAG, 0, true);
    return true;
  }

  /** A run through the 64-bit entry (arguments that do not fit main32). */
  private runWide(args: readonly bigint[], budget: number | undefined): bigint {
    this.syncRegions();
    if (budget !== undefined) this.budget = budget;
    this.executed = 0;
    this.pending = -1;
    this.cur = undefined;
    this.exhausted = false;
    const top = this.primary;
    this.top = top;
    try {
      if (top.main === undefined) {
        top.rem.value = this.budget;
        return this.invoke(top, 0, 0, args);
      }
      this.memory.setStackDepth(0);
      const a0 = args[0] ?? 0n;
      const a1 = args[1] ?? 0n;
      let r0: bigint;
      try {
        r0 = top.main(a0, a1, args[2] ?? 0n, args[3] ?? 0n, args[4] ?? 0n, this.budget);
      } catch (e) {
        if (!(e instanceof AbortWithZero)) throw e;
        r0 = 0n;
      }
      if (this.pending >= 0) throw this.budgetFault(this.pending);
      this.executed = this.budget - (top.rem.value as number);
      if (this.mayAbort && this.aborted()) return 0n;
      return BigInt.asUintN(64, r0);
    } catch (e) {
      // Leave the memory model's stack where the run stopped, as the interpreter does.
      this.memory.setStackDepth(top.depth.value as number);
      throw e;
    }
  }

  /** Runs a bpf function as a callback, in a fresh frame below the current one. */
  callFunction(slot: number, args: readonly bigint[]): bigint {
    this.syncRegions();
    const from = this.cur ?? this.primary;
    const saved = from.depth.value as number;
    this.callbacks++;
    try {
      return this.invoke(from, slot, saved + 1, args);
    } finally {
      this.callbacks--;
      from.depth.value = saved;
      this.memory.setStackDepth(saved);
    }
  }

  /**
   * HelperRuntime: a tail call ends the run by returning. The generated code returns from every
   * frame on seeing TAIL_FLAG (compiled in where mayTailCall); a callback's frames lie under a
   * helper that would carry on, so a tail call there is still thrown.
   */
  deferTailCall(target: number): boolean {
    if (!this.returnOnTailCall || this.callbacks !== 0) return false;
    this.tailTarget = target;
    this.memory.dv.setInt32(TAIL_FLAG, UNWIND_TAIL, true);
    return true;
  }

  /** EngineInstance: the tail call the last run ended with (-1: none), cleared. */
  takeTailCall(): number {
    const t = this.tailTarget;
    if (t >= 0) {
      this.tailTarget = -1;
      this.memory.dv.setInt32(TAIL_FLAG, 0, true);
    }
    return t;
  }

  private invoke(from: Live, slot: number, depth: number, args: readonly bigint[]): bigint {
    // These faults come before the callee runs: they count what ran up to the helper call (a run's
    // own entry has run nothing yet).
    if (depth >= MAX_CALL_FRAMES) {
      throw this.faultLeaving(from.rem.value as number, 'call-depth', this.pc, `call depth exceeds ${MAX_CALL_FRAMES} frames`);
    }
    const n = this.prog.slots.length;
    if (slot < 0 || slot >= n) {
      throw this.faultLeaving(from.rem.value as number, 'invalid', slot < 0 ? 0 : n - 1, `jump out of the program to pc ${slot}`);
    }
    from.depth.value = depth;
    this.memory.setStackDepth(depth);
    // Callbacks run once per element or iteration: r1..r5 go straight to the entry (no register
    // array, no spread) when this instance has it.
    const nargs = args.length;
    const fn = from.fns.get(slot);
    let r0: bigint;
    try {
      if (fn !== undefined) {
        r0 = fn(0n, nargs > 0 ? args[0]! : 0n, nargs > 1 ? args[1]! : 0n, nargs > 2 ? args[2]! : 0n, nargs > 3 ? args[3]! : 0n, nargs > 4 ? args[4]! : 0n, 0n, 0n, 0n, 0n);
      } else {
        const regs: bigint[] = [0n, 0n, 0n, 0n, 0n, 0n, 0n, 0n, 0n, 0n];
        for (let i = 0; i < 5 && i < nargs; i++) regs[i + 1] = args[i]!;
        r0 = this.callIn(from, slot, regs);
      }
    } catch (e) {
      if (e instanceof AbortWithZero) {
        this.executed = this.budget - (from.rem.value as number);
        return 0n;
      }
      throw e;
    }
    if (this.pending >= 0) throw this.budgetFault(this.pending);
    this.executed = this.budget - (from.rem.value as number);
    if (this.mayAbort && this.aborted()) return 0n;
    return r0 >= 0n ? r0 : BigInt.asUintN(64, r0);
  }

  /** Calls the function at `slot` from code of instance `from`, in whichever instance has it. */
  private callIn(from: Live, slot: number, regs: readonly bigint[]): bigint {
    const to = from.fns.has(slot) ? from : this.liveWith(slot);
    const fn = to.fns.get(slot)!;
    if (to === from) return fn(...regs);
    to.rem.value = from.rem.value;
    to.depth.value = from.depth.value;
    try {
      return fn(...regs);
    } finally {
      from.rem.value = to.rem.value;
      from.depth.value = to.depth.value;
      for (let r = 1; r <= 5; r++) from.ret[r]!.value = to.ret[r]!.value;
    }
  }

  /**
   * An instance with a function for `slot`. Function pointers the analysis could not see (computed
   * ones) get the program recompiled with that entry added; the new module replaces the cached one.
   */
  private liveWith(slot: number): Live {
    if (!this.primary.fns.has(slot)) this.primary = this.instantiate(this.source([...this.primary.compiled.entries, slot]));
    return this.primary;
  }

  private fault(kind: FaultKind, pc: number, reason: string): RuntimeFault {
    return new RuntimeFault(kind, pc, reason, this.prog.source[pc]);
  }

  /**
   * A fault at an instruction that left `remaining` of the budget: like the interpreter, report the
   * instructions run up to and including it.
   */
  private faultLeaving(remaining: number, kind: FaultKind, pc: number, reason: string): RuntimeFault {
    this.executed = this.budget - remaining;
    return this.fault(kind, pc, reason);
  }

  private budgetFault(pc: number, live?: Live): RuntimeFault {
    // Once per run: a pending fault may be raised again by a later entry into JS.
    if (!this.exhausted) this.uncount(this.pending >= 0 ? this.pendingLive : live, pc, false);
    this.executed = this.budget;
    this.exhausted = true;
    return this.fault('budget', pc, `instruction budget of ${this.budget} exhausted`);
  }

  /** Every entry from generated code into JS first raises a pending budget fault, if any. */
  private checkPending(): void {
    if (this.pending >= 0) throw this.budgetFault(this.pending);
  }

  private callHelper(self: Live, pc: number, id: number, depth: number, a1: bigint, a2: bigint, a3: bigint, a4: bigint, a5: bigint): bigint {
    this.checkPending();
    const poison = this.prog.poisoned.size > 0 ? this.prog.poisoned.get(pc) : undefined;
    if (poison !== undefined) {
      throw this.faultLeaving(self.rem.value as number, 'poisoned', pc, `instruction poisoned by a failed CO-RE relocation: ${poison}`);
    }
    const fn = this.helpers.get(id);
    if (fn === undefined) {
      const why = id < 0 ? `kfunc call (BTF id ${-id - 1}) is not supported` : `helper ${this.helpers.nameOf(id)} (#${id}) is not supported`;
      throw this.faultLeaving(self.rem.value as number, 'helper', pc, why);
    }
    this.pc = pc;
    this.memory.setStackDepth(depth);
    const prev = this.cur;
    this.cur = self;
    try {
      // i64 arguments arrive signed; helpers see them as the unsigned values the registers hold.
      // The result goes back to an i64, which wraps it modulo 2^64 as BigInt.asUintN would.
      const r = fn(this, unsigned(a1), unsigned(a2), unsigned(a3), unsigned(a4), unsigned(a5));
      this.syncRegions();
      return r;
    } catch (e) {
      // Generated code wrote the budget back before calling: it is what the call left.
      if (e instanceof FaultSignal) throw this.faultLeaving(self.rem.value as number, e.kind, pc, e.message);
      throw e;
    } finally {
      this.cur = prev;
    }
  }

  /**
   * The `helperm` import: r1..r5 wait at HELPER_ARGS; the fast path runs when the table has one,
   * else the HelperFn with the registers read as BigInts. Leaves r0's high half at HELPER_RET_HI.
   */
  private callHelperMem(self: Live, pc: number, id: number, depth: number): number {
    let fast = this.fastFns[id];
    if (fast === undefined) {
      fast = this.helpers.fast?.(id) ?? null;
      this.fastFns[id] = fast;
    }
    let r: number | bigint;
    // The layout before the call: the generated code's cached regions stay exact unless it changes (HELPER_MOVED).
    const layout = this.memory.layout;
    if (fast === null) {
      const dv = this.memory.dv;
      const a = (i: number): bigint => dv.getBigUint64(HELPER_ARGS + 8 * (i - 1), true);
      r = this.callHelper(self, pc, id, depth, a(1), a(2), a(3), a(4), a(5));
    } else {
      this.checkPending();
      const poison = this.prog.poisoned.size > 0 ? this.prog.poisoned.get(pc) : undefined;
      if (poison !== undefined) {
        throw this.faultLeaving(self.rem.value as number, 'poisoned', pc, `instruction poisoned by a failed CO-RE relocation: ${poison}`);
      }
      this.pc = pc;
      this.memory.setStackDepth(depth);
      const prev = this.cur;
      this.cur = self;
      try {
        r = fast(this, HELPER_ARGS);
        this.syncRegions();
      } catch (e) {
        if (e instanceof FaultSignal) throw this.faultLeaving(self.rem.value as number, e.kind, pc, e.message);
        throw e;
      } finally {
        this.cur = prev;
      }
    }
    // Through the 32-bit view: this DataView store stayed a runtime call in optimized code.
    const i32 = this.memory.i32;
    i32[HELPER_MOVED >> 2] = this.memory.layout !== layout ? 1 : 0;
    if (typeof r === 'number') {
      i32[HELPER_RET_HI >> 2] = r >= 0 && r <= 0xffffffff ? 0 : Math.floor(r / 0x100000000);
      return r | 0;
    }
    i32[HELPER_RET_HI >> 2] = Number(BigInt.asUintN(64, r) >> 32n);
    return Number(BigInt.asUintN(32, r)) | 0;
  }

  private instantiate(compiled: CompiledProgram): Live {
    const { op } = this.prog.slots;
    const n = this.prog.slots.length;
    const memory = this.memory;
    // `self` is this instance's handles, bound once instantiation is done.
    let self: Live | undefined;
    const me = (): Live => self!;
    const access = (pc: number, lo: number, hi: number): number => {
      if (this.pending >= 0 && pc >= this.pending) throw this.budgetFault(this.pending);
      const a = accessOf(op[pc]!)!;
      const live = me();
      memory.setStackDepth(live.depth.value as number);
      let region;
      try {
        region = memory.check(lo, hi, a.size, a.write);
      } catch (e) {
        if (!(e instanceof FaultSignal)) throw e;
        this.uncount(live, pc, true);
        // The block was charged whole on entry; the interpreter had counted only up to here.
        const left =
          this.pending >= 0
            ? this.pendingRemBefore - (live.index[pc]! + 1)
            : Number(live.sRem.value as bigint) + live.tail[pc]!;
        throw this.faultLeaving(left, e.kind, pc, e.message);
      }
      if (this.pending >= 0 || region === PROBE_ZERO) {
        // Keep every later access on this path, so none past the faulting pc slips through (and
        // none of a probe load that reads 0 is cached).
        live.bS.value = 0;
        live.bE.value = 0;
        return region === PROBE_ZERO ? 1 : 0;
      }
      let start = region.start;
      let end = region.end;
      if (region.stride > 0) {
        start += Math.floor(((lo >>> 0) - region.start) / region.stride) * region.stride;
        end = start + region.elemSize;
      }
      live.bS.value = start;
      live.bE.value = end;
      return 0;
    };
    /** Replays of blocks the budget stopped part-way, instantiated on first use (see compile.ts `compileReplay`). */
    const replays = new Map<WebAssembly.Module, (...regs: bigint[]) => void>();
    const rt = {
      [Import.access]: access,
      [Import.budget]: (start: number, rem: number, ...regs: bigint[]): void => {
        this.checkPending();
        const live = me();
        const block = live.compiled.cfg.blocks.get(start)!;
        // `rem` is what charging the whole block left: the interpreter runs remBefore of its instructions.
        const remBefore = rem + block.pcs.length;
        const at = block.pcs[remBefore]!;
        // Nothing before `at` can be observed: stop right here.
        if (remBefore === 0) this.unbranch(live, block.start);
        if (remBefore <= block.firstEffect) throw this.budgetFault(at, live);
        this.pendingLive = live;
        this.pending = at;
        this.pendingRemBefore = remBefore;
        // The replay runs the block's accesses before `at` through `access`, which faults where the
        // interpreter would; past them nothing can be observed.
        const module = live.compiled.replay(start, remBefore);
        let replay = replays.get(module);
        if (replay === undefined) {
          const ex = new WebAssembly.Instance(module, { [ENV]: { memory: memory.wasm }, [RT]: { [Import.access]: access } }).exports;
          replay = ex[REPLAY] as (...r: bigint[]) => void;
          replays.set(module, replay);
        }
        replay(...regs);
        throw this.budgetFault(at);
      },
      [Import.fault]: (code: number): void => {
        this.checkPending();
        const f = me().compiled.faults[code]!;
        if (f.kind === 'budget') throw this.budgetFault(f.pc);
        throw this.faultLeaving(me().rem.value as number, f.kind, f.pc, f.reason);
      },
      // The call depth comes as an argument: reading the exported global from JS is an API call.
      [Import.helper]: (pc: number, id: number, d: number, a1: bigint, a2: bigint, a3: bigint, a4: bigint, a5: bigint): bigint =>
        this.callHelper(self!, pc, id, d, a1, a2, a3, a4, a5),
      // Registers past a helper's arity are never read (runtime.ts helperArity): 0n stands in.
      helper0: (pc: number, id: number, d: number): bigint => this.callHelper(self!, pc, id, d, 0n, 0n, 0n, 0n, 0n),
      helper1: (pc: number, id: number, d: number, a1: bigint): bigint => this.callHelper(self!, pc, id, d, a1, 0n, 0n, 0n, 0n),
      helper2: (pc: number, id: number, d: number, a1: bigint, a2: bigint): bigint =>
        this.callHelper(self!, pc, id, d, a1, a2, 0n, 0n, 0n),
      helper3: (pc: number, id: number, d: number, a1: bigint, a2: bigint, a3: bigint): bigint =>
        this.callHelper(self!, pc, id, d, a1, a2, a3, 0n, 0n),
      helper4: (pc: number, id: number, d: number, a1: bigint, a2: bigint, a3: bigint, a4: bigint): bigint =>
        this.callHelper(self!, pc, id, d, a1, a2, a3, a4, 0n),
      [Import.helperm]: (pc: number, id: number, d: number): number => this.callHelperMem(self!, pc, id, d),
      [Import.callx]: (pc: number, target: bigint, ...regs: bigint[]): bigint => {
        this.checkPending();
        const live = me();
        const v = BigInt.asUintN(64, target);
        const hi = Number(v >> 32n);
        const lo = Number(v & 0xffffffffn);
        if (hi === 0 && lo >= FUNC_POINTER_BASE && lo < FUNC_POINTER_BASE + n) {
          const depth = live.depth.value as number;
          if (depth + 1 >= MAX_CALL_FRAMES) {
            throw this.faultLeaving(live.rem.value as number, 'call-depth', pc, `call depth exceeds ${MAX_CALL_FRAMES} frames`);
          }
          live.depth.value = depth + 1;
          const r0 = this.callIn(live, lo - FUNC_POINTER_BASE, regs);
          live.depth.value = depth;
          return r0;
        }
        if (hi !== 0) {
          const text = `0x${hi.toString(16)}${lo.toString(16).padStart(8, '0')}`;
          throw this.faultLeaving(live.rem.value as number, 'bad-call', pc, `callx to ${text}, which is neither a helper nor a function`);
        }
        const r0 = this.callHelper(live, pc, lo | 0, live.depth.value as number, regs[1]!, regs[2]!, regs[3]!, regs[4]!, regs[5]!);
        // A helper leaves r1..r5 as they were; the generated code reads them back from `ret`.
        for (let r = 1; r <= 5; r++) live.ret[r]!.value = regs[r]!;
        return r0;
      },
      [Import.legacy]: (pc: number, offset: number): number => {
        this.checkPending();
        if (this.legacyLoad === undefined) {
          throw this.faultLeaving(me().rem.value as number, 'invalid', pc, 'LD_ABS/LD_IND need a socket buffer context');
        }
        const v = this.legacyLoad(offset, LEGACY_SIZE[(op[pc]! >> 3) & 3] as 1 | 2 | 4);
        if (v === undefined) {
          // The memory model's stack stays at the frame the program ended in, as the interpreter's.
          this.memory.setStackDepth(me().depth.value as number);
          // A callback's frames lie under a helper that would carry on after a return.
          if (this.callbacks !== 0) throw new AbortWithZero();
          this.memory.dv.setInt32(TAIL_FLAG, UNWIND_ABORT, true);
          return 0;
        }
        return v;
      },
    };
    const instance = new WebAssembly.Instance(compiled.module, { [ENV]: { memory: memory.wasm }, [RT]: rt });
    const ex = instance.exports;
    const fns = new Map<number, EntryFn>();
    for (const e of compiled.entries) fns.set(e, exportedFunction(ex, fnName(e)));
    const main = ex[MAIN];
    const main32 = ex[MAIN32];
    const index = new Int32Array(n);
    const tail = new Int32Array(n);
    const blockOf = new Int32Array(n);
    const blockCounters: Array<[readonly number[], WebAssembly.Global]> = [];
    const takenCounters: Array<[number, WebAssembly.Global]> = [];
    for (const b of compiled.cfg.blocks.values()) {
      b.pcs.forEach((pc, i) => {
        index[pc] = i;
        tail[pc] = b.pcs.length - 1 - i;
        blockOf[pc] = b.start;
      });
      // Only coverage builds export counters.
      const g = ex[coverageGlobals.block(b.start)];
      if (g instanceof WebAssembly.Global) blockCounters.push([b.pcs, g]);
      const last = b.pcs[b.pcs.length - 1]!;
      const t = ex[coverageGlobals.taken(last)];
      if (t instanceof WebAssembly.Global) takenCounters.push([last, t]);
    }
    const lastCond = ex[coverageGlobals.last];
    self = {
      lastCond: lastCond instanceof WebAssembly.Global ? lastCond : undefined,
      blockOf,
      blockCounters,
      takenCounters,
      index,
      tail,
      sRem: exportedGlobal(ex, 'sREM'),
      compiled,
      fns,
      main: typeof main === 'function' ? (main as MainFn) : undefined,
      main32: typeof main32 === 'function' ? (main32 as Main32Fn) : undefined,
      rem: exportedGlobal(ex, Global.rem),
      depth: exportedGlobal(ex, Global.depth),
      bS: exportedGlobal(ex, Global.bS),
      bE: exportedGlobal(ex, Global.bE),
      ret: [0, 1, 2, 3, 4, 5].map((r) => exportedGlobal(ex, retGlobal(r === 0 ? 1 : r))),
    };
    this.lives.push(self);
    return self;
  }
}

const unsigned = (v: bigint): bigint => (v < 0n ? BigInt.asUintN(64, v) : v);

function exportedFunction(ex: WebAssembly.Exports, name: string): EntryFn {
  const f = ex[name];
  if (typeof f !== 'function') throw new Error(`jit: module lacks function ${name}`);
  return f as EntryFn;
}

function exportedGlobal(ex: WebAssembly.Exports, name: string): WebAssembly.Global {
  const g = ex[name];
  if (!(g instanceof WebAssembly.Global)) throw new Error(`jit: module lacks global ${name}`);
  return g;
}
