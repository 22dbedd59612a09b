/**
 * `bpfkit verify` on one object, as plain data (what the command prints for it, and whether its
 * programs passed), so a batch can verify objects in worker threads (`--jobs N`) and still print
 * them in the order given.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { formatReport, formatStates, toJson, verifyProgram } from '../verifier/index.js';
import { ExitError } from './common.js';
import { loadObjectFile, noteRunningKernelBtf, requireProgram, requirePrograms, type ObjectFileOptions } from './object.js';

export interface VerifyCliOptions extends ObjectFileOptions {
  program?: string;
  json?: boolean;
  verbose?: boolean;
  states?: boolean;
  unprivileged?: boolean;
  /** `--jobs N` as given. */
  jobs?: string;
}

/** A program the loader could not prepare (no type, a link error): reported, never verified. */
export interface NotVerified {
  name: string;
  section: string;
  reason: string;
  object?: string;
}

/** What verifying one object gives, as structured-clonable data. */
export interface ObjectOutcome {
  /** In a batch: the object could not be read (its one-line error). */
  unreadable?: { code: string; message: string };
  /** Text mode: the report (not yet coloured: colours are the printing thread's to decide). */
  text: string;
  /** Text mode: one line per program not verified. */
  lines: string[];
  /** JSON mode: the verified programs' entries (with `object` in a batch). */
  json: Array<Record<string, unknown>>;
  /** Each verified program's verdict. */
  accepted: boolean[];
  skipped: NotVerified[];
}

/** Verifies the programs of `obj`. In a batch an unreadable object is an outcome; alone it throws. */
export function verifyObjectFile(obj: string, opts: VerifyCliOptions, batch: boolean): ObjectOutcome {
  const options = { verbose: opts.verbose === true, unprivileged: opts.unprivileged === true, states: opts.states === true };
  const out: ObjectOutcome = { text: '', lines: [], json: [], accepted: [], skipped: [] };
  let programs;
  try {
    const object = loadObjectFile(obj, opts);
    requirePrograms(object, obj);
    if (opts.program !== undefined) requireProgram(object, opts.program, obj);
    const chosen = object.programs.filter((p) => opts.program === undefined || p.name === opts.program);
    for (const p of chosen) {
      if (p.notVerifiable !== undefined) out.skipped.push({ name: p.name, section: p.section, reason: p.notVerifiable, ...(batch ? { object: obj } : {}) });
    }
    programs = chosen.filter((p) => p.notVerifiable === undefined).map((p) => verifyProgram(object, p.name, options));
  } catch (e) {
    if (!batch || !(e instanceof ExitError)) throw e;
    out.unreadable = { code: e.code, message: e.message };
    return out;
  }
  const report = { programs };
  out.accepted = programs.map((p) => p.accepted);
  if (opts.json) {
    const json = toJson(report, { states: opts.states === true }) as { programs: Array<Record<string, unknown>> };
    // A batch names each program's object; a single object keeps the documented shape.
    out.json = batch ? json.programs.map((p) => ({ ...p, object: obj })) : json.programs;
  } else {
    out.text = programs.length > 0 ? (opts.states ? formatStates(report) : formatReport(report, opts.verbose === true)) : '';
    out.lines = out.skipped.map((p) => `${p.name} (${p.section}): NOT VERIFIED: ${p.reason}`);
  }
  return out;
}

/** `--jobs` as a worker count: a positive integer, default the machine's cores. */
export function parseJobs(value: string | undefined): number {
  if (value === undefined) return availableParallelism();
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new ExitError(`--jobs: '${value}' is not a positive whole number`, 2);
  return n;
}

/** What a worker posts back for the object at `index`. */
export interface WorkerReply {
  index: number;
  outcome?: ObjectOutcome;
  /** A failure that is not an unreadable object (a bpfkit bug): the main thread raises it. */
  crash?: { name: string; message: string; code?: string };
  usedKernelBtf: boolean;
}

/**
 * Verifies `objs` in `jobs` worker threads, each taking the next object when it finishes one;
 * `done` gets every outcome in the order of `objs` (an outcome waits for the ones before it).
 */
export async function verifyInWorkers(
  objs: readonly string[],
  opts: VerifyCliOptions,
  jobs: number,
  done: (index: number, outcome: ObjectOutcome) => void,
): Promise<void> {
  const results: Array<ObjectOutcome | undefined> = new Array(objs.length);
  let next = 0;
  let emitted = 0;
  let failure: Error | undefined;
  const workers: Worker[] = [];
  const data = { opts: { ...opts } };
  await new Promise<void>((resolve, reject) => {
    let live = 0;
    const feed = (w: Worker): void => {
      if (failure !== undefined || next >= objs.length) {
        void w.terminate();
        if (--live === 0) (failure ? reject(failure) : resolve());
        return;
      }
      const index = next++;
      w.postMessage({ index, obj: objs[index] });
    };
    for (let i = 0; i < Math.min(jobs, objs.length); i++) {
      const w = new Worker(new URL('./verify-worker.js', import.meta.url), { workerData: data });
      workers.push(w);
      live++;
      w.on('message', (reply: WorkerReply) => {
        if (reply.usedKernelBtf) noteRunningKernelBtf();
        if (reply.crash !== undefined) {
          // A bpfkit error keeps its code (the command exits 2 with its message, as without workers).
          const c = reply.crash;
          const e = c.code !== undefined ? new ExitError(c.message, 2, c.code) : new Error(c.message);
          if (c.code === undefined) e.name = c.name;
          failure ??= e;
        } else if (failure === undefined) {
          results[reply.index] = reply.outcome!;
          try {
            while (emitted < objs.length && results[emitted] !== undefined) {
              done(emitted, results[emitted]!);
              results[emitted] = undefined;
              emitted++;
            }
          } catch (e) {
            failure ??= e as Error;
          }
        }
        feed(w);
      });
      w.on('error', (e) => {
        failure ??= e;
        if (--live === 0) reject(failure);
      });
      feed(w);
    }
  });
}
