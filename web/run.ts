/**
 * Running a program on both engines. Each engine gets its own simulated kernel (its own copy of
 * the object), so the two see the same sequence of packets and their maps can be compared after
 * every run; maps keep their state across runs, as in a kernel, until the object is reset.
 * Timing uses a third and fourth copy, so the hundreds of timed runs never touch the maps shown.
 */
import { loadObject, type BpfkitObject, type EngineKind, type ProgramRunOptions, type RunResult } from 'bpfkit/core';
import { snapshotMaps, type MapSnapshot } from './maps.js';

export const ENGINES: readonly EngineKind[] = ['interp', 'jit'];

export interface Timing {
  /** Runs averaged. */
  readonly runs: number;
  readonly avgMs: number;
  /** The first run on a fresh copy: for the JIT, compiling to WebAssembly included. */
  readonly firstMs: number | undefined;
}

export interface EngineRun {
  readonly engine: EngineKind;
  /** Undefined when the run was refused (a thrown error: bad input, unsupported program type...). */
  readonly result: RunResult | undefined;
  readonly refused: string | undefined;
  readonly before: MapSnapshot[];
  readonly after: MapSnapshot[];
  readonly timing: Timing | undefined;
}

export interface TimingOptions {
  /** At most this many timed runs per engine. */
  readonly maxRuns: number;
  /** ...and stop once this much time has gone by. */
  readonly budgetMs: number;
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** An object loaded from bytes, once per engine (state) and once more per engine (timing). */
export class Session {
  readonly name: string;
  readonly bytes: Uint8Array;
  private state: Record<EngineKind, BpfkitObject>;
  private readonly bench = new Map<EngineKind, BpfkitObject>();
  /** `engine/program` pairs already run once on their timing copy. */
  private readonly warmed = new Set<string>();

  constructor(name: string, bytes: Uint8Array) {
    this.name = name;
    this.bytes = bytes;
    this.state = { interp: loadObject(bytes), jit: loadObject(bytes) };
  }

  /** The copy the page shows (programs, listing, maps): the interpreter's. */
  get main(): BpfkitObject {
    return this.state.interp;
  }

  /** Fresh maps: reloads the state copies. */
  reset(): void {
    this.state = { interp: loadObject(this.bytes), jit: loadObject(this.bytes) };
  }

  /** Runs `program` once on `engine` (maps before and after), then times it on the timing copy. */
  run(engine: EngineKind, program: string, input: ProgramRunOptions, timing: TimingOptions): EngineRun {
    const obj = this.state[engine];
    const before = snapshotMaps(obj);
    let result: RunResult | undefined;
    let refused: string | undefined;
    try {
      result = obj.program(program).run({ ...input, engine });
    } catch (e) {
      refused = message(e);
    }
    const after = snapshotMaps(obj);
    return { engine, result, refused, before, after, timing: refused === undefined ? this.time(engine, program, input, timing) : undefined };
  }

  private time(engine: EngineKind, program: string, input: ProgramRunOptions, o: TimingOptions): Timing | undefined {
    let obj = this.bench.get(engine);
    if (obj === undefined) {
      obj = loadObject(this.bytes);
      this.bench.set(engine, obj);
    }
    const prog = obj.program(program);
    const options: ProgramRunOptions = { ...input, engine };
    try {
      let firstMs: number | undefined;
      const key = `${engine}/${program}`;
      if (!this.warmed.has(key)) {
        const t = performance.now();
        prog.run(options);
        firstMs = performance.now() - t;
        this.warmed.add(key);
      }
      // Warm up first (not counted): the browser's own JIT needs a few hundred calls to settle.
      const warm = performance.now();
      for (let i = 0; i < Math.min(o.maxRuns, 200) && performance.now() - warm < o.budgetMs / 4; i++) prog.run(options);
      let runs = 0;
      const start = performance.now();
      let now = start;
      do {
        prog.run(options);
        runs++;
        now = performance.now();
      } while (runs < o.maxRuns && now - start < o.budgetMs);
      return { runs, avgMs: (now - start) / runs, firstMs };
    } catch {
      return undefined;
    }
  }
}
