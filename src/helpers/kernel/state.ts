import { mapIndexOfHandle } from '../abi.js';
import type { ProgramContext } from '../contexts/context.js';
import { FaultSignal } from '../fault.js';
import type { BpfMap } from '../maps/map.js';
import type { Memory } from '../memory.js';
import { SimClock } from './clock.js';
import { ForeignMemory } from './foreign-memory.js';
import { SimRandom } from './random.js';
import { DEFAULT_TASK, type TaskInfo } from './task.js';

/** Where bpf_redirect / bpf_redirect_map pointed the packet (the test run only records it). */
export interface RedirectTarget {
  ifindex: number;
  flags: number;
  /** The map of a redirect_map, by name. */
  map?: string;
}

/** What one run accumulates; reset by the orchestrator before each run. */
export interface RunState {
  /** `enum bpf_prog_type` of the running program (helpers that differ by type look at it). */
  progType: number;
  context: ProgramContext | undefined;
  /** bpf_trace_printk / bpf_trace_vprintk output, one entry per call, as the trace pipe shows the message. */
  printk: string[];
  /** Tail calls taken so far in this run (the kernel allows 33). */
  tailCalls: number;
  redirect: RedirectTarget | undefined;
}

export const newRunState = (progType = 0, context?: ProgramContext): RunState => ({
  progType,
  context,
  printk: [],
  tailCalls: 0,
  redirect: undefined,
});

export interface KernelOptions {
  /** Possible CPUs: copies of per-CPU values, LRU lists (default 2). */
  cpus?: number;
  /** The CPU programs run on (`bpf_get_smp_processor_id`, which per-CPU copy they see; default 0). */
  cpu?: number;
  clock?: SimClock;
  /** Seed of `bpf_get_prandom_u32`. */
  seed?: number;
  task?: Partial<TaskInfo>;
}

/**
 * The state of the simulated kernel that helpers see: the memory, the maps (by index: a map
 * pointer is `mapHandle(index)`), the CPU, the clocks, the PRNG, the current task, memory a probe
 * may read, and the state of the run in progress.
 */
export class KernelState {
  readonly memory: Memory;
  readonly maps: BpfMap[] = [];
  readonly cpus: number;
  cpu: number;
  readonly clock: SimClock;
  readonly random: SimRandom;
  task: TaskInfo;
  /** Kernel memory `bpf_probe_read_kernel` may read besides the simulated kernel's own. */
  readonly kernelMemory = new ForeignMemory();
  /** User memory `bpf_probe_read_user` reads. */
  readonly userMemory = new ForeignMemory();
  run: RunState = newRunState();
  /** Address of the current task's `task_struct` (kernel objects), 0 when the test set none. */
  currentTask = 0n;
  /** What `bpf_get_current_cgroup_id` returns. */
  cgroupId = 1n;
  /** Program types by program index (a tail call checks nothing, but tools may). */
  programTypes: number[] = [];

  constructor(memory: Memory, options: KernelOptions = {}) {
    this.memory = memory;
    this.cpus = options.cpus ?? 2;
    this.cpu = options.cpu ?? 0;
    if (!Number.isInteger(this.cpus) || this.cpus < 1) throw new RangeError(`cpus must be a positive integer, not ${this.cpus}`);
    if (!Number.isInteger(this.cpu) || this.cpu < 0 || this.cpu >= this.cpus) throw new RangeError(`cpu ${this.cpu} is not one of the ${this.cpus} CPUs`);
    this.clock = options.clock ?? new SimClock();
    this.random = new SimRandom(options.seed);
    this.task = { ...DEFAULT_TASK, ...options.task };
  }

  /** The map behind a map pointer argument, or a fault naming the helper. */
  mapArg(v: bigint, helper: string): BpfMap {
    const i = mapIndexOfHandle(BigInt.asUintN(64, v));
    const m = i >= 0 ? this.maps[i] : undefined;
    if (m === undefined) throw new FaultSignal('helper', `${helper}: 0x${BigInt.asUintN(64, v).toString(16)} is not a map pointer`);
    return m;
  }
}
