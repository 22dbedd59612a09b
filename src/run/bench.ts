import type { ObjectInstance } from '../helpers/kernel.js';
import { ProfileCollector, type ProfileReport } from '../observe/profile.js';
import type { ContextInput } from './context.js';
import { createEngine, type EngineKind } from './engine.js';
import { runProgram } from './program.js';

/** One engine's figures for one program. */
export interface BenchResult {
  engine: EngineKind;
  /** Runs measured. */
  runs: number;
  nsPerRun: number;
  instructionsPerRun: number;
  instructionsPerSecond: number;
  /** JIT only: time to compile the program (cold, binaryen optimizer included). */
  compileMs?: number;
  retval: number;
}

export interface BenchOptions extends ContextInput {
  engine: EngineKind;
  /** Time to spend measuring, in ms (default 1000). */
  ms?: number;
}

const now = (): number => performance.now();

/**
 * Measures a program the way BPF_PROG_TEST_RUN's `repeat` does: many runs on one context, packet
 * and map changes carrying over; time per run excludes setting up the context. The JIT's compile
 * time is measured on its own, before the runs.
 */
export function benchProgram(instance: ObjectInstance, name: string, options: BenchOptions): BenchResult {
  const { engine, ms = 1000, ...input } = options;
  let compileMs: number | undefined;
  if (engine === 'jit') {
    const index = instance.programIndex(name);
    const t0 = now();
    createEngine('jit', instance.execProgram(index), instance.memory, instance.helpers);
    compileMs = now() - t0;
  }
  const first = runProgram(instance, name, { ...input, engine });
  if (first.error) throw first.error;
  // Grow the batch until one takes a tenth of the time, then measure for the rest of it.
  let repeat = 1;
  let elapsed = 0;
  for (;;) {
    const t0 = now();
    runProgram(instance, name, { ...input, engine, repeat });
    elapsed = now() - t0;
    if (elapsed > ms / 10 || repeat >= 1 << 24) break;
    repeat *= 2;
  }
  const batches = Math.max(1, Math.round(ms / Math.max(elapsed, 0.001)));
  let runs = 0;
  let executed = 0;
  const t0 = now();
  for (let b = 0; b < batches; b++) {
    const r = runProgram(instance, name, { ...input, engine, repeat });
    runs += repeat;
    executed += r.executed;
  }
  const total = now() - t0;
  const nsPerRun = (total * 1e6) / runs;
  const perRun = executed / runs;
  return {
    engine,
    runs,
    nsPerRun,
    instructionsPerRun: perRun,
    instructionsPerSecond: (perRun / nsPerRun) * 1e9,
    ...(compileMs !== undefined ? { compileMs } : {}),
    retval: first.retval,
  };
}

/**
 * Where the time goes, per source line and per helper (on the interpreter): one counting run with
 * a per-instruction hook, then timed runs with only the helpers timed.
 */
export function profileProgram(instance: ObjectInstance, name: string, input: ContextInput, ms = 1000): ProfileReport {
  const prof = new ProfileCollector();
  runProgram(instance, name, { ...input, instrument: prof.countingInstrument() });
  prof.countedRun();
  const instrument = prof.timingInstrument();
  let repeat = 1;
  const start = now();
  while (now() - start < ms) {
    prof.timed(() => runProgram(instance, name, { ...input, instrument, repeat }), repeat);
    if (repeat < 4096) repeat *= 2;
  }
  return prof.report();
}
