import { TailCallSignal } from '../helpers/abi.js';
import type { ProgramContext } from '../helpers/contexts/context.js';
import { RuntimeFault } from '../helpers/fault.js';
import type { ObjectInstance } from '../helpers/kernel.js';
import { newRunState, type CloneRecord, type RedirectTarget, type RunState } from '../helpers/kernel/state.js';
import { PerfEventArray, type PerfRecord } from '../helpers/maps/perf-event.js';
import { RingbufMap } from '../helpers/maps/ringbuf.js';
import type { EngineOptions, HelperTable } from '../helpers/abi.js';
import type { ProgramDef } from '../loader/model.js';
import type { ExecProgram } from '../helpers/exec-program.js';
import type { Memory, MemoryMark } from '../helpers/memory.js';
import { DEFAULT_BUDGET, Interpreter, type InstructionHook } from '../vm/interpreter.js';
import { createContext, type ContextInput } from './context.js';
import { programTypeEntry, type ProgramTypeEntry } from './program-types.js';
import { readsKernelPointers, tracingContext, type TracingArgs } from './tracing-context.js';
import { BpfkitError, ErrorCode } from '../errors.js';
import { createEngine, remainingBudget, type Engine, type EngineKind } from './engine.js';

export interface RunOptions extends Omit<ContextInput, 'args'> {
  /**
   * The hook's arguments: u64s by position (kprobe registers di, si..., raw tracepoint arguments,
   * tp_btf/fentry/fexit/lsm context slots), or values by name from the hook's BTF prototype, with
   * pointers to kernel objects given as fields (see {@link TracingArgs}); an iterator's context fields.
   */
  args?: readonly bigint[] | TracingArgs;
  /** interp (default) or jit (load it first with loadJitEngine). */
  engine?: EngineKind;
  /** Instructions a run may execute, tail-called programs included (default 1,000,000). */
  budget?: number;
  /**
   * Runs the program this many times on the same context, as BPF_PROG_TEST_RUN's `repeat` does:
   * changes to the packet and maps carry over; the result is the last run's.
   */
  repeat?: number;
  /** The CPU to run on (default: the instance's). */
  cpu?: number;
  /** Time the engine's own runs apart from the set-up around them (fills {@link RunResult.engineNs}). */
  measure?: boolean;
  /**
   * Observes the run instruction by instruction (traces, coverage, profiles). Instrumented runs
   * use the interpreter with a per-instruction hook, on an engine of their own; a coverage-only
   * instrument (see {@link RunInstrument.coverage}) with `engine: 'jit'` runs on the JIT instead.
   */
  instrument?: RunInstrument;
}

/** What a trace, coverage or profile collector plugs into a run. */
export interface RunInstrument {
  /** The hook for `prog` (called again for each program a tail call enters). */
  hookFor(prog: ExecProgram, memory: Memory): InstructionHook | undefined;
  /** Wraps the helper table, e.g. to record or time helper calls. */
  wrapHelpers?(table: HelperTable): HelperTable;
  /**
   * Where coverage counts go. An instrument with one and neither `wrapHelpers` nor any other use
   * for the hook may run on the JIT (`engine: 'jit'`) with compiled-in counters instead of the hook.
   */
  coverage?: CoverageSink;
}

/** Takes slot hit counts and branch counts [taken, not taken] of one program (CoverageCollector.add). */
export interface CoverageSink {
  add(prog: ExecProgram, hits: ArrayLike<number>, branches?: ReadonlyMap<number, readonly [number, number]>): void;
}

/** What a JIT engine built with `coverage: true` adds (src/jit/engine.ts; run/ does not import the JIT). */
interface CoverageCounting {
  coverageCounts(): { hits: Uint32Array; branches: Map<number, [number, number]> };
  resetCoverage(): void;
}

const countsCoverage = (e: Engine): e is Engine & CoverageCounting =>
  typeof (e as Partial<CoverageCounting>).coverageCounts === 'function';

/** A JIT engine for program `index` with coverage counters, reused across runs (counts are reset after each). */
function coverageJitEngine(instance: ObjectInstance, index: number): Engine & CoverageCounting {
  let byKey = engines.get(instance);
  if (byKey === undefined) {
    byKey = new Map();
    engines.set(instance, byKey);
  }
  const key = `${index}/jit/coverage`;
  let e = byKey.get(key);
  if (e === undefined) {
    const k = instance.kernel;
    // createEngine hands its options to compileJit, whose JitOptions has `coverage`.
    const options: EngineOptions & { coverage: boolean } = {
      coverage: true,
      legacyLoad: (offset, size) => k.run.context?.legacyLoad?.(offset, size),
    };
    e = createEngine('jit', instance.execProgram(index), instance.memory, instance.helpers, options);
    byKey.set(key, e);
  }
  if (!countsCoverage(e)) throw new Error('jit: engine built with coverage has no counters');
  return e;
}

export interface RunResult {
  /** r0 of the last run as the test run reports it: unsigned 32-bit. */
  retval: number;
  /** r0 in full (64 bits). */
  r0: bigint;
  /** The packet after the run (undefined for tracing programs), as the test run copies it out. */
  packet: Uint8Array | undefined;
  /** bpf_printk / bpf_trace_printk messages, in order. */
  printk: string[];
  /** What an iterator wrote to its seq_file (bpf_seq_printf, bpf_seq_write); absent when nothing. */
  seq?: string;
  /** Ring buffer records submitted during the run, ring by ring in map order (as kernel-run consumes them). */
  ringbuf: Uint8Array[];
  /** Records written to perf event arrays with an open reader. */
  perf: PerfRecord[];
  /** Where bpf_redirect/bpf_redirect_map/bpf_redirect_peer/bpf_redirect_neigh last pointed. */
  redirect: RedirectTarget | undefined;
  /** The copies bpf_clone_redirect sent, in order. */
  clones: CloneRecord[];
  /** The context after the run where the test run hands it back (syscall, cgroup_sock_addr): ctx_out. */
  ctx: Uint8Array | undefined;
  /** Signals bpf_send_signal(_thread) sent. */
  signals: Array<{ signal: number; to: 'process' | 'thread' }>;
  /** Tail calls taken in the last run. */
  tailCalls: number;
  /** Instructions executed, all runs and tail-called programs included. */
  executed: number;
  /** The runtime fault that stopped the run (pc, source line, reason), if one did. */
  error: RuntimeFault | undefined;
  /** With `measure`: nanoseconds spent inside the engines (the rest of the call is set-up and results). */
  engineNs?: number;
}

const engines = new WeakMap<ObjectInstance, Map<string, Engine>>();

/** What runs of an instance keep between them: looked up once per run. */
interface InstanceRuns {
  /** Plain engines by program index * 2 + (jit ? 1 : 0). */
  readonly engines: Engine[];
  /** The ring buffers and perf event arrays (drained after each run), for `outputsOf` maps. */
  outputs: Array<RingbufMap | PerfEventArray>;
  outputsOf: number;
  /**
   * The run state between runs (k.run outside a run): one object per instance, so finishing a run
   * allocates nothing. Each run gets a fresh state of its own, whose arrays go to its result.
   */
  readonly idle: RunState;
  /** What a run of program i looks up, found on its first run. */
  readonly progs: Array<ProgramRuns | undefined>;
}

/** A program's definition and what its runs use, fixed at load. */
interface ProgramRuns {
  readonly def: ProgramDef;
  readonly entry: ProgramTypeEntry | undefined;
  readonly probeNullReads: boolean;
}

const instanceRuns = new WeakMap<ObjectInstance, InstanceRuns>();

/** The instance run last and its runs: a test's calls all run one instance (a WeakMap get costs more than the compare). */
let lastInstance: ObjectInstance | undefined;
let lastRuns: InstanceRuns | undefined;

function runsOf(instance: ObjectInstance): InstanceRuns {
  let r = instance === lastInstance ? lastRuns! : instanceRuns.get(instance);
  if (r === undefined) {
    r = { engines: [], outputs: [], outputsOf: -1, idle: newRunState(), progs: [] };
    instanceRuns.set(instance, r);
  }
  lastInstance = instance;
  lastRuns = r;
  const maps = instance.kernel.maps;
  // Rebuilt should the kernel ever gain maps after load.
  if (r.outputsOf !== maps.length) {
    r.outputs = maps.filter((m): m is RingbufMap | PerfEventArray => m instanceof RingbufMap || m instanceof PerfEventArray);
    r.outputsOf = maps.length;
  }
  return r;
}

function programRuns(instance: ObjectInstance, runs: InstanceRuns, index: number): ProgramRuns {
  let p = runs.progs[index];
  if (p === undefined) {
    const def = instance.program(index);
    p = { def, entry: programTypeEntry(def.type), probeNullReads: readsKernelPointers(def.type) };
    runs.progs[index] = p;
  }
  return p;
}

/** Puts the instance's idle state back in place, as a fresh one (only what something outside a run changed). */
function idleState(runs: InstanceRuns): RunState {
  const s = runs.idle;
  s.progType = 0;
  s.program = -1;
  s.slotBias = 0;
  s.inTimer = undefined;
  s.context = undefined;
  s.tailCalls = 0;
  s.redirect = undefined;
  s.seq = '';
  if (s.printk.length !== 0) s.printk = [];
  if (s.clones.length !== 0) s.clones = [];
  if (s.signals.length !== 0) s.signals = [];
  return s;
}

/** The input of a plain (non-BTF) context: arguments as u64s only. */
function plainInput(options: RunOptions): ContextInput {
  // The common call (a packet, no arguments) passes through without a copy: contexts read only
  // ContextInput's fields.
  if (options.args === undefined) return options as ContextInput;
  const { args, ...rest } = options;
  if (!Array.isArray(args) || !args.every((a) => typeof a === 'bigint')) {
    throw new BpfkitError(ErrorCode.Usage, 'arguments by name or as kernel objects are for tracing programs (tp_btf, fentry/fexit, lsm, iter, raw_tp, kprobe)');
  }
  return { ...rest, args: args as readonly bigint[] };
}

/** The engine for program `index`, reused across runs; LD_ABS goes to the current run's context. */
function engineFor(instance: ObjectInstance, runs: InstanceRuns, index: number, kind: EngineKind): Engine {
  const key = index * 2 + (kind === 'jit' ? 1 : 0);
  let e = runs.engines[key];
  if (e === undefined) {
    const k = instance.kernel;
    e = createEngine(kind, instance.execProgram(index), instance.memory, instance.helpers, {
      legacyLoad: (offset, size) => {
        const ctx: ProgramContext | undefined = k.run.context;
        if (ctx?.legacyLoad === undefined) return undefined;
        return ctx.legacyLoad(offset, size);
      },
      returnOnTailCall: true,
    });
    runs.engines[key] = e;
  }
  return e;
}

/** A fresh interpreter for program `index` with the instrument's hook and helper wrapper. */
function instrumentedEngine(instance: ObjectInstance, index: number, instrument: RunInstrument): Engine {
  const prog = instance.execProgram(index);
  const k = instance.kernel;
  const helpers = instrument.wrapHelpers ? instrument.wrapHelpers(instance.helpers) : instance.helpers;
  const hook = instrument.hookFor(prog, instance.memory);
  return new Interpreter(prog, instance.memory, helpers, {
    legacyLoad: (offset, size) => k.run.context?.legacyLoad?.(offset, size),
    ...(hook ? { hook } : {}),
  });
}

/** Appends `from` to `to` (a spread push of many records would pass them all as arguments). */
function pushAll<T>(to: T[], from: readonly T[]): void {
  for (let i = 0; i < from.length; i++) to.push(from[i]!);
}

/** The low 32 bits of r0 as a number (no BigInt is made for the common r0 below 2^32: comparisons allocate none, `&` does). */
export const u32Of = (r0: bigint): number => (r0 >= 0n && r0 <= 0xffffffffn ? Number(r0) : Number(r0 & 0xffffffffn));

/**
 * Runs program `name` (or the program at index `name`) of `instance` once (or `repeat` times) on a
 * packet or context, as the kernel's BPF_PROG_TEST_RUN would: tail calls run their target with the
 * same context (at most 33 per run), maps keep their state, ring buffer records are consumed after
 * the run. A runtime fault does not throw: it comes back in `error`. Input the test run itself
 * refuses throws a TestRunError (with the kernel's errno); usage errors throw BpfkitError.
 * `ringbufOut` and `perfOut` are empty arrays to collect the records in (new ones by default).
 */
export function runProgram(instance: ObjectInstance, name: string | number, options: RunOptions = {}, ringbufOut?: Uint8Array[], perfOut?: PerfRecord[]): RunResult {
  const first = typeof name === 'number' ? name : instance.programIndex(name);
  const runs = runsOf(instance);
  const prog = programRuns(instance, runs, first);
  const def = prog.def;
  const kind = options.engine ?? 'interp';
  const repeat = options.repeat === undefined ? 1 : Math.max(1, Math.floor(options.repeat));
  const k = instance.kernel;
  const savedCpu = k.cpu;
  if (options.cpu !== undefined) {
    if (!Number.isInteger(options.cpu) || options.cpu < 0 || options.cpu >= k.cpus) throw new RangeError(`cpu ${options.cpu} is not one of the ${k.cpus} CPUs`);
    k.cpu = options.cpu;
  }
  // The context of the last run is reset instead of re-created when nothing was allocated since
  // (the same memory layout); a run of another type drops it. Taken off the instance for the run.
  const memory = instance.memory;
  let area = instance.runArea;
  instance.runArea = undefined;
  const type = def.type;
  const entry = prog.entry;
  const reusable = area !== undefined && area.type === type && memory.isAt(area.mark);
  let kept: MemoryMark | undefined;
  let ctx: ProgramContext | undefined;
  if (!reusable) memory.release(instance.baseMark);
  try {
    memory.probeNullReads = prog.probeNullReads;
    // Reused only where the plain contexts apply (tracingContext makes the others, with kernel
    // objects of the run's own); the entry refuses input `create` would refuse, the same way.
    const args = options.args;
    if (
      reusable &&
      entry?.reuse !== undefined &&
      def.attachError === undefined &&
      (args === undefined || (Array.isArray(args) && args.every((a) => typeof a === 'bigint'))) &&
      entry.reuse(area!.ctx, type, plainInput(options))
    ) {
      ctx = area!.ctx;
      kept = area!.mark;
    } else {
      area = undefined;
      if (reusable) memory.release(instance.baseMark);
      const traced = tracingContext(instance, def, options);
      ctx = traced ?? createContext(memory, type, plainInput(options));
      if (traced === undefined && entry?.reuse !== undefined) kept = memory.mark();
    }
    const run = newRunState(type, ctx, first);
    k.run = run;
    const budget = options.budget ?? DEFAULT_BUDGET;
    let r0 = 0n;
    let executed = 0;
    let error: RuntimeFault | undefined;
    const measure = options.measure === true;
    let engineNs = 0;
    const inst = options.instrument;
    const jitCoverage = kind === 'jit' && inst?.coverage !== undefined && inst.wrapHelpers === undefined ? inst.coverage : undefined;
    // Allocated only for coverage runs on the JIT: a plain run's set-up stays allocation-light.
    const counted = jitCoverage !== undefined ? new Map<number, Engine & CoverageCounting>() : undefined;
    // r1 of every run and tail call: the context's address (one array for the whole call).
    const address = ctx.address;
    // For engines without run32 (made once per call, on first use).
    let r1: bigint[] | undefined;
    for (let rep = 0; rep < repeat && error === undefined; rep++) {
      run.tailCalls = 0;
      let current = first;
      let left = budget;
      for (;;) {
        let engine: Engine;
        if (inst === undefined) engine = engineFor(instance, runs, current, kind);
        else if (counted !== undefined) {
          const e = coverageJitEngine(instance, current);
          // Counts left by a run that threw (not a fault) belong to no one.
          if (!counted.has(current)) e.resetCoverage();
          counted.set(current, e);
          engine = e;
        } else engine = instrumentedEngine(instance, current, inst);
        const t0 = measure ? performance.now() : 0;
        let next: number;
        try {
          r0 = engine.run32 !== undefined ? engine.run32(address, left) : engine.run((r1 ??= [BigInt(address)]), left);
          // A tail call ends a run by returning when the engine was made to (engineFor), else by TailCallSignal.
          next = engine.takeTailCall?.() ?? -1;
          if (next < 0) {
            executed += engine.executed;
            break;
          }
        } catch (e) {
          if (e instanceof TailCallSignal) next = e.target;
          else if (e instanceof RuntimeFault) {
            executed += engine.executed;
            error = e;
            break;
          } else throw e;
        } finally {
          if (measure) engineNs += (performance.now() - t0) * 1e6;
        }
        const rest = remainingBudget(engine);
        if (rest !== undefined) {
          executed += left - rest;
          left = rest;
        }
        current = next;
        run.progType = instance.program(current).type;
        run.program = current;
      }
    }
    if (counted !== undefined) {
      for (const [index, e] of counted) {
        const { hits, branches } = e.coverageCounts();
        e.resetCoverage();
        jitCoverage!.add(instance.execProgram(index), hits, branches);
      }
    }
    // The caller's empty arrays, when given, hold the records (the API's arrays with `decode`).
    const ringbuf = ringbufOut ?? [];
    const perf = perfOut ?? [];
    const outputs = runs.outputs;
    for (let i = 0; i < outputs.length; i++) {
      const m = outputs[i]!;
      if (m instanceof RingbufMap) pushAll(ringbuf, m.consume());
      else pushAll(perf, m.drain());
    }
    const packet = ctx.packetOut();
    const ctxOut = 'ctxOut' in ctx && typeof ctx.ctxOut === 'function' ? (ctx.ctxOut(r0) as Uint8Array | undefined) : undefined;
    // The run state is not used again, so its arrays go to the result without copies.
    if (run.seq === '' && !measure) {
      // The common result as one literal: spreads in an object literal take the runtime's slow path.
      return { retval: u32Of(r0), r0, packet, printk: run.printk, ringbuf, perf, redirect: run.redirect, clones: run.clones, signals: run.signals, ctx: ctxOut, tailCalls: run.tailCalls, executed, error };
    }
    return {
      retval: u32Of(r0),
      r0,
      packet,
      printk: run.printk,
      ...(run.seq !== '' ? { seq: run.seq } : {}),
      ringbuf,
      perf,
      redirect: run.redirect,
      clones: run.clones,
      signals: run.signals,
      ctx: ctxOut,
      tailCalls: run.tailCalls,
      executed,
      error,
      ...(measure ? { engineNs } : {}),
    };
  } finally {
    k.run = idleState(runs);
    k.cpu = savedCpu;
    memory.probeNullReads = false;
    if (kept !== undefined) {
      // What the run allocated above its context goes; the context stays for the next run.
      memory.release(kept);
      instance.runArea = area ?? { type, ctx: ctx!, mark: kept };
    } else memory.release(instance.baseMark);
  }
}
