import type { ObjectInstance } from '../helpers/kernel.js';
import { ProfileCollector, type ProfileReport } from '../observe/profile.js';
import type { ContextInput } from './context.js';
import { createEngine, type EngineKind } from './engine.js';
import { runProgram } from './program.js';

/** One engine's figures for one program. */
export interface BenchResult {
  engine: EngineKind;
  /** True when every per-call run started from fresh maps and a fresh packet (`--reset`). */
  reset: boolean;
  /** Runs measured, steady state. */
  runs: number;
  /** Steady state: ns per run of many runs on one context (BPF_PROG_TEST_RUN's `repeat`). */
  nsPerRun: number;
  /** Per call: ns per `run()` as a test makes it (context, packet and result included). */
  perCallNs: number;
  /** Of a call: ns inside the engine, and ns of set-up and results around it. */
  execNsPerCall: number;
  setupNsPerCall: number;
  /** Calls measured for the per-call figures. */
  calls: number;
  instructionsPerRun: number;
  instructionsPerSecond: number;
  /** JIT only: time to compile the program (cold; cached modules make later loads free). */
  compileMs?: number;
  /** r0 (low 32 bits) of the steady-state runs: the value the timed runs returned. */
  retval: number;
  /** r0 of one call from a fresh kernel (differs from `retval` when state carried over changes the path). */
  firstRetval: number;
}

export interface BenchOptions extends ContextInput {
  engine: EngineKind;
  /** Time to spend measuring, in ms (default 1000), split between per-call and steady state. */
  ms?: number;
  /**
   * Per-call runs each start from a fresh kernel instance (fresh maps, fresh packet), so engines
   * compared take the same path (default true). Steady-state runs always carry state over.
   */
  reset?: boolean;
}

const now = (): number => performance.now();

/** Something that gives a fresh instance of the object (maps as loaded). */
export type InstanceSource = () => ObjectInstance;

/**
 * Measures a program two ways: per call (as a unit test calls `run()`: fresh state each call
 * with `reset`, the engine's time split from set-up), and in steady state (BPF_PROG_TEST_RUN's
 * `repeat` on one context, packet and map changes carrying over). The JIT's compile time is
 * measured on its own, before the runs.
 */
export function benchProgram(fresh: InstanceSource, name: string, options: BenchOptions): BenchResult {
  const { engine, ms = 1000, reset = true, ...input } = options;
  let compileMs: number | undefined;
  if (engine === 'jit') {
    const instance = fresh();
    const index = instance.programIndex(name);
    const t0 = now();
    createEngine('jit', instance.execProgram(index), instance.memory, instance.helpers);
    compileMs = now() - t0;
  }
  const first = runProgram(fresh(), name, { ...input, engine });
  if (first.error) throw first.error;

  // Per call. Fresh instances are made before the clock starts, a batch at a time.
  let calls = 0;
  let callNs = 0;
  let execNs = 0;
  const shared = reset ? undefined : fresh();
  const perCallEnd = now() + ms / 2;
  while (now() < perCallEnd || calls < 16) {
    const batch = Array.from({ length: 16 }, () => shared ?? fresh());
    for (const instance of batch) {
      const t0 = now();
      const r = runProgram(instance, name, { ...input, engine, measure: true });
      callNs += (now() - t0) * 1e6;
      execNs += r.engineNs ?? 0;
      calls++;
    }
  }

  // Steady state: grow the batch until one takes a tenth of the time, then measure for the rest.
  const instance = fresh();
  let repeat = 1;
  let elapsed = 0;
  let last = runProgram(instance, name, { ...input, engine });
  for (;;) {
    const t0 = now();
    last = runProgram(instance, name, { ...input, engine, repeat });
    elapsed = now() - t0;
    if (elapsed > ms / 20 || repeat >= 1 << 24) break;
    repeat *= 2;
  }
  const batches = Math.max(1, Math.round(ms / 2 / Math.max(elapsed, 0.001)));
  let runs = 0;
  let executed = 0;
  const t0 = now();
  for (let b = 0; b < batches; b++) {
    last = runProgram(instance, name, { ...input, engine, repeat });
    runs += repeat;
    executed += last.executed;
  }
  const total = now() - t0;
  const nsPerRun = (total * 1e6) / runs;
  const perRun = executed / runs;
  return {
    engine,
    reset,
    runs,
    nsPerRun,
    perCallNs: callNs / calls,
    execNsPerCall: execNs / calls,
    setupNsPerCall: (callNs - execNs) / calls,
    calls,
    instructionsPerRun: perRun,
    instructionsPerSecond: (perRun / nsPerRun) * 1e9,
    ...(compileMs !== undefined ? { compileMs } : {}),
    retval: last.retval,
    firstRetval: first.retval,
  };
}

/**
 * Where the time goes, per source line and per helper (on the interpreter), over the runs it
 * times: with `reset` every run (counted and timed) starts from a fresh instance, as `bench
 * --reset` times them; without, counting and timing continue on one instance, after as many
 * runs as the timing makes, so the counted runs are steady-state runs too.
 */
export function profileProgram(
  fresh: InstanceSource | ObjectInstance,
  name: string,
  input: ContextInput,
  ms = 1000,
  reset = false,
): ProfileReport {
  const make = typeof fresh === 'function' ? fresh : (): ObjectInstance => fresh;
  const prof = new ProfileCollector();
  const instrument = prof.timingInstrument();
  const counting = prof.countingInstrument();
  const shared = reset ? undefined : make();
  const start = now();
  let timedRuns = 0;
  while (now() - start < ms || timedRuns === 0) {
    if (reset) {
      // One fresh instance per timed run; each gets its counted twin, so counts match what was timed.
      const a = make();
      prof.timed(() => runProgram(a, name, { ...input, instrument }), 1);
      runProgram(make(), name, { ...input, instrument: counting });
      prof.countedRun();
    } else {
      prof.timed(() => runProgram(shared!, name, { ...input, instrument }), 1);
      runProgram(shared!, name, { ...input, instrument: counting });
      prof.countedRun();
    }
    timedRuns++;
  }
  return prof.report();
}
