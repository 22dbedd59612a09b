import { ObjectInstance, type KernelOptions } from '../helpers/kernel.js';
import type { KernelObjects } from '../helpers/kernel-objects/objects.js';
import type { Btf } from '../btf/btf.js';
import type { SimClock } from '../helpers/kernel/clock.js';
import type { TaskInfo } from '../helpers/kernel/task.js';
import { inspectObject, type InspectReport } from '../loader/inspect.js';
import { listProgram } from '../loader/listing.js';
import { loadObject as loadModel, type LoadOptions } from '../loader/load.js';
import type { ProgramTypes } from '../loader/program-types.js';
import { progTypeName } from '../loader/kinds.js';
import type { BpfObject, ProgramDef } from '../loader/model.js';
import { BpfkitError, ErrorCode } from '../errors.js';
import { runProgram, type RunOptions, type RunResult } from '../run/program.js';
import { verifyProgram, type ProgramReport, type VerifyOptions } from '../verifier/index.js';
import { BpfkitMap } from './map.js';
import { decodeAs, newPerfRecords, newRingbufRecords, type PerfRecords, type RingbufRecords } from './records.js';
import type { BtfValue } from '../helpers/btf-value.js';
import { tailCallReach, VerifierRejectedError } from './verdict.js';
import { CoverageCollector } from '../observe/coverage.js';
import { TraceRecorder, type TraceEntry, type TraceOptions } from '../observe/trace.js';

/** Options of {@link loadObject}. */
export interface LoadObjectOptions {
  /**
   * The kernel's BTF (raw, e.g. a copy of /sys/kernel/btf/vmlinux, an ELF with .BTF, or a parsed
   * Btf): CO-RE relocations go against it, tp_btf/fentry/fexit/lsm/iter programs find their hook's
   * prototype in it (a missing one fails the load as libbpf fails it), and kernel objects for
   * unit tests ({@link BpfkitObject.kernel}) take their layout from it. Raw bytes are opened once
   * per process and decoded on demand.
   */
  btf?: Uint8Array | Btf;
  /**
   * Program types for programs whose section names none (`2/1`, `from-netdev`, `.text`, ...):
   * `'sched_cls'` for every such program, or `{ from_netdev: 'sched_cls', '*': 'xdp' }` per
   * program, as `--type` takes them. Names are the kernel's without `BPF_PROG_TYPE_`, lowercased.
   */
  types?: ProgramTypes;
  /** The kernel config `.kconfig` externs read, as text (`CONFIG_X=y` lines), like `--kconfig`. */
  kconfig?: string;
  /** Possible CPUs of the simulated kernel (per-CPU maps keep one value each; default 2). */
  cpus?: number;
  /** The CPU programs run on unless a run says otherwise (default 0). */
  cpu?: number;
  /** The clock helpers read (`bpf_ktime_get_ns`, jiffies); time stands still unless you move it. */
  clock?: SimClock;
  /** Seed of `bpf_get_prandom_u32`. */
  seed?: number;
  /** What `bpf_get_current_pid_tgid`, `_uid_gid` and `_comm` return. */
  task?: Partial<TaskInfo>;
  /**
   * max_entries of maps by name, set before the maps are created (libbpf's
   * `bpf_map__set_max_entries`): `{ events: 1024 }`. Without it a perf event array of 0 entries,
   * or a map of 0 entries in the legacy `maps` section, gets one entry per CPU; other maps of 0
   * entries fail to load as the kernel refuses them.
   */
  maxEntries?: Readonly<Record<string, number>>;
  /** Sockets of the simulated socket table (what bpf_sk_lookup_tcp/udp, bpf_skc_lookup_tcp find). */
  sockets?: KernelOptions['sockets'];
  /** The stacks bpf_get_stackid / bpf_get_stack walk: `{ kernel, user }` instruction pointers, innermost first. */
  stacks?: KernelOptions['stacks'];
}

/** Options of {@link BpfkitProgram.run}. */
export interface ProgramRunOptions extends RunOptions {
  /** Sets CLOCK_MONOTONIC (ns) before the run. */
  clock?: bigint;
  /** Reseeds `bpf_get_prandom_u32` before the run. */
  random?: number;
  /**
   * Verify before running (default true): the first run verifies the program, and the programs it
   * can tail-call, once (the verdict is cached) and a rejected one is not run: run() throws a
   * {@link VerifierRejectedError} carrying the report. `false` runs it anyway, as `bpfkit run
   * --no-verify` does.
   */
  verify?: boolean;
  /** Records every executed instruction (interpreter); `true` keeps up to 100,000 entries. */
  trace?: boolean | TraceOptions;
  /**
   * Counts instruction and branch hits into a collector: `true` uses the object's own
   * ({@link BpfkitObject.coverage}), so many runs add up and one `toLcov()` writes them all.
   * With `engine: 'jit'` the counts come from counters compiled into the JIT's code (same counts).
   */
  coverage?: boolean | CoverageCollector;
}

/**
 * What a run returns: the run result, plus the trace when one was asked for. Ring-buffer and
 * perf records decode through the object's BTF: `r.ringbuf.decode<Event>('struct event')`.
 */
export interface ProgramRunResult extends RunResult {
  trace?: TraceEntry[];
  ringbuf: RingbufRecords;
  perf: PerfRecords;
}

/**
 * An eBPF object loaded into a simulated kernel: its programs ready to verify and run, its maps
 * live and readable from TypeScript. Programs share the maps, as they do in the kernel.
 */
export class BpfkitObject {
  /** The object model: programs, maps and global data as the loader found them. */
  readonly model: BpfObject;
  /** The simulated kernel instance the programs run in. */
  readonly instance: ObjectInstance;
  readonly programs: readonly BpfkitProgram[];
  readonly maps: readonly BpfkitMap[];
  /** Coverage gathered by runs with `coverage: true`; `coverage.toLcov()` writes it as lcov. */
  readonly coverage = new CoverageCollector();

  constructor(model: BpfObject, options: LoadObjectOptions = {}) {
    this.model = model;
    const kernel: KernelOptions = {};
    if (options.cpus !== undefined) kernel.cpus = options.cpus;
    if (options.cpu !== undefined) kernel.cpu = options.cpu;
    if (options.clock !== undefined) kernel.clock = options.clock;
    if (options.seed !== undefined) kernel.seed = options.seed;
    if (options.task !== undefined) kernel.task = options.task;
    if (options.maxEntries !== undefined) kernel.maxEntries = options.maxEntries;
    if (options.sockets !== undefined) kernel.sockets = options.sockets;
    if (options.stacks !== undefined) kernel.stacks = options.stacks;
    this.instance = new ObjectInstance(model, kernel);
    this.programs = model.programs.map((p) => new BpfkitProgram(this, p));
    this.maps = model.maps.map((m) => new BpfkitMap(this.instance.map(m.name), m));
  }

  /**
   * Kernel objects built from the kernel BTF for unit tests of tracing programs:
   * `obj.kernel.object('task_struct', { pid: 42, comm: 'bash', real_parent: { pid: 1 } })` places
   * a task (the rest of it zero) that programs read through BTF pointers and bpf_probe_read_kernel;
   * `obj.kernel.setCurrentTask(task)` makes it what bpf_get_current_task(_btf) and the
   * get_current_* helpers see. Objects stay from run to run.
   */
  get kernel(): KernelObjects {
    return this.instance.kernelObjects();
  }

  /** The program named `name`; throws a BpfkitError listing the programs there are. */
  program(name: string): BpfkitProgram {
    const p = this.programs.find((q) => q.name === name);
    if (p === undefined) {
      throw new BpfkitError(ErrorCode.Usage, `no program named '${name}' (programs: ${this.programs.map((q) => q.name).join(', ') || 'none'})`);
    }
    return p;
  }

  /**
   * The map named `name` (global data maps are `.data`, `.bss`, `.rodata`, ...), typed by the
   * caller: `obj.map<FlowKey, FlowStats>('flows')` (see `bpfkit gen types`).
   */
  map<K = BtfValue, V = BtfValue>(name: string): BpfkitMap<K, V> {
    const m = this.maps.find((q) => q.name === name);
    if (m === undefined) {
      throw new BpfkitError(ErrorCode.Usage, `no map named '${name}' (maps: ${this.maps.map((q) => q.name).join(', ') || 'none'})`);
    }
    return m as unknown as BpfkitMap<K, V>;
  }

  /** Decodes bytes (a ring-buffer record, a map value...) as the BTF type `type` names, e.g. `'struct event'`. */
  decode<T = BtfValue>(type: string, bytes: Uint8Array): T {
    return decodeAs<T>(this.model.btfTypes, type, bytes);
  }

  private readonly reports = new Map<string, ProgramReport>();

  /** The verifier's report on program `name` with default options, computed once. */
  report(name: string): ProgramReport {
    let r = this.reports.get(name);
    if (r === undefined) {
      r = verifyProgram(this.model, this.program(name).name);
      this.reports.set(name, r);
    }
    return r;
  }

  /** What `bpfkit inspect --json` prints. */
  inspect(): InspectReport {
    return inspectObject(this.model);
  }
}

/** One program of a loaded object. */
export class BpfkitProgram {
  private readonly owner: BpfkitObject;
  /** The linked program as the loader made it. */
  readonly def: ProgramDef;

  constructor(owner: BpfkitObject, def: ProgramDef) {
    this.owner = owner;
    this.def = def;
  }

  get name(): string {
    return this.def.name;
  }
  get section(): string {
    return this.def.section;
  }
  /** bpftool's name of the program type (`xdp`, `sched_cls`, `kprobe`, ...). */
  get type(): string {
    return progTypeName(this.def.type);
  }

  /**
   * Verifies the program as the kernel would at load; the same report `bpfkit verify --json` prints.
   * Without options the report is computed once and shared with {@link run}'s check.
   */
  verify(options: VerifyOptions = {}): ProgramReport {
    if (this.def.notVerifiable !== undefined) throw new BpfkitError(ErrorCode.Usage, `program '${this.def.name}' not verified: ${this.def.notVerifiable}`);
    if (Object.keys(options).length === 0) return this.owner.report(this.def.name);
    return verifyProgram(this.owner.model, this.def.name, options);
  }

  /**
   * Throws a {@link VerifierRejectedError} when the verifier rejects this program or a program
   * it can tail-call (see {@link tailCallReach}); verdicts are cached, so this costs one
   * verification per program.
   */
  assertVerified(): void {
    // Reach and verdicts are fixed at load (the object's own prog-array slots, cached reports), so
    // one pass that finds them all accepted holds for every later run: run() then skips the walk.
    if (this.verified) return;
    for (const name of tailCallReach(this.owner.model, this.def.name)) {
      const report = this.owner.report(name);
      if (!report.accepted) throw new VerifierRejectedError(this.def.name, report);
    }
    this.verified = true;
  }

  private verified = false;
  private index: number | undefined;

  /**
   * Runs the program once (or `repeat` times) on a packet or context, like BPF_PROG_TEST_RUN.
   * Compiled code is cached, so many runs cost one compile. A runtime fault comes back in
   * `error` (with pc, source line and reason) rather than being thrown. The JIT must be loaded
   * first with `await loadJit()`.
   *
   * Safe by default: a program the verifier rejects (or one it can tail-call) is not run; this
   * throws a {@link VerifierRejectedError} with the report, unless `verify: false`.
   */
  run(options: ProgramRunOptions = {}): ProgramRunResult {
    if (this.def.notVerifiable !== undefined) throw new BpfkitError(ErrorCode.Usage, `program '${this.def.name}' cannot run: ${this.def.notVerifiable}`);
    const { trace, coverage } = options;
    if (options.verify !== false) this.assertVerified();
    const k = this.owner.instance.kernel;
    if (options.clock !== undefined) k.clock.set(options.clock);
    if (options.random !== undefined) k.random.reseed(options.random);
    let recorder: TraceRecorder | undefined;
    // runProgram reads only RunOptions' fields: the common call (no trace, no coverage) passes the
    // caller's options through without a copy (this runs on every call).
    let run: RunOptions = options;
    if (trace) {
      recorder = new TraceRecorder(trace === true ? {} : trace);
      run = { ...options, instrument: recorder.instrument() };
    } else if (coverage) {
      run = { ...options, instrument: (coverage === true ? this.owner.coverage : coverage).instrument() };
    }
    // The program's index, found by name once (runProgram takes either).
    this.index ??= this.owner.instance.programIndex(this.def.name);
    const btf = this.owner.model.btfTypes;
    const result = runProgram(this.owner.instance, this.index, run, newRingbufRecords(btf), newPerfRecords(btf)) as RunResult as ProgramRunResult;
    if (recorder !== undefined) {
      recorder.finish();
      result.trace = recorder.entries;
    }
    return result;
  }

  /** The listing `bpfkit disasm` prints: source lines interleaved, maps and calls named. */
  disassemble(): string {
    return listProgram(this.owner.model, this.def.name);
  }
}

/** Loads an eBPF object from its bytes into a fresh simulated kernel. */
export function loadObject(bytes: Uint8Array, options: LoadObjectOptions = {}): BpfkitObject {
  const load: LoadOptions = {};
  if (options.btf !== undefined) load.btf = options.btf;
  if (options.types !== undefined) load.types = options.types;
  if (options.kconfig !== undefined) load.kconfig = options.kconfig;
  const model = loadModel(bytes, load);
  return new BpfkitObject(model, options);
}
