import { mapIndexOfHandle } from '../abi.js';
import type { ProgramContext } from '../contexts/context.js';
import { FaultSignal } from '../fault.js';
import type { BpfMap } from '../maps/map.js';
import type { Memory } from '../memory.js';
import { SimClock } from './clock.js';
import { SimNetwork, type Neighbour, type Route } from './network.js';
import { TimerTable } from './timers.js';
import { SocketTable, type SimSocketSpec } from './sockets.js';
import { ForeignMemory } from './foreign-memory.js';
import { SimRandom } from './random.js';
import { DEFAULT_TASK, type TaskInfo } from './task.js';

/** Where bpf_redirect / bpf_redirect_map pointed the packet (the test run only records it). */
export interface RedirectTarget {
  ifindex: number;
  flags: number;
  /** The map of a redirect_map, by name. */
  map?: string;
  /** How: `peer` (bpf_redirect_peer), `neigh` (bpf_redirect_neigh, with `nexthop` when it gave one); absent for bpf_redirect/redirect_map. */
  via?: 'peer' | 'neigh';
  /** bpf_redirect_neigh was given a next hop. */
  nexthop?: boolean;
  /** bpf_redirect_map to a cpumap: the CPU; to an xskmap: the queue index. */
  cpu?: number;
  queue?: number;
  /** bpf_sk_redirect_map/hash and bpf_msg_redirect_map/hash (sk_skb, sk_msg): the socket's map key (hex) and its local and remote ends. */
  socket?: { key: string; local: string; remote?: string };
}

/** A copy of the packet bpf_clone_redirect sent to a device. */
export interface CloneRecord {
  ifindex: number;
  /** BPF_F_INGRESS (1) or 0 (egress). */
  flags: number;
  packet: Uint8Array;
}

/** A network device of the simulated kernel (what ifindex lookups, fib_lookup and check_mtu see). */
export interface NetDevice {
  ifindex: number;
  name: string;
  mtu: number;
  /** The device's MAC address (6 bytes). */
  mac: Uint8Array;
  /** Its addresses (the source bpf_fib_lookup picks with BPF_FIB_LOOKUP_SRC). */
  addresses?: string[];
}

/** The devices a kernel starts with: the loopback device, ifindex 1 (what the test run uses). */
export const defaultDevices = (): NetDevice[] => [{ ifindex: 1, name: 'lo', mtu: 65536, mac: new Uint8Array(6) }];

/** The call stacks of the simulated current task at the probe (kernel and user), innermost frame first. */
export interface SimStacks {
  kernel: bigint[];
  user: bigint[];
}

/** What one run accumulates; reset by the orchestrator before each run. */
export interface RunState {
  /** `enum bpf_prog_type` of the running program (helpers that differ by type look at it). */
  progType: number;
  /** Index of the running program in the object (-1 outside a run). */
  program: number;
  /** What to subtract from a function pointer's slot to get the program's (a callback program's trampoline). */
  slotBias: number;
  /** The timer whose callback is running (bpf_timer_cancel on it is -EDEADLK). */
  inTimer: number | undefined;
  context: ProgramContext | undefined;
  /** bpf_trace_printk / bpf_trace_vprintk output, one entry per call, as the trace pipe shows the message. */
  printk: string[];
  /** Tail calls taken so far in this run (the kernel allows 33). */
  tailCalls: number;
  redirect: RedirectTarget | undefined;
  /** Packets bpf_clone_redirect sent, in order. */
  clones: CloneRecord[];
  /** Signals bpf_send_signal(_thread) sent to the current task. */
  signals: Array<{ signal: number; to: 'process' | 'thread' }>;
  /** What an iterator wrote to its seq_file (bpf_seq_printf, bpf_seq_write), in order. */
  seq: string;
}

export const newRunState = (progType = 0, context?: ProgramContext, program = -1): RunState => ({
  progType,
  program,
  slotBias: 0,
  inTimer: undefined,
  context,
  printk: [],
  tailCalls: 0,
  redirect: undefined,
  clones: [],
  signals: [],
  seq: '',
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
  /** Network devices (default: the loopback device, ifindex 1). */
  devices?: NetDevice[];
  /** Routes of the simulated routing table. */
  routes?: Route[];
  /** Neighbour (ARP/NDP) entries. */
  neighbours?: Neighbour[];
  /** Sockets of the simulated socket table. */
  sockets?: SimSocketSpec[];
  /** The stacks bpf_get_stackid / bpf_get_stack walk: instruction pointers, innermost first. */
  stacks?: Partial<SimStacks>;
  /**
   * max_entries of maps by name, set before the maps are created, as libbpf's
   * `bpf_map__set_max_entries` or an object's own loader does.
   */
  maxEntries?: Readonly<Record<string, number>>;
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
  /** `struct pt_regs` of tasks by the task's address (bpf_task_pt_regs), set with kernel objects' `taskRegs`. */
  readonly taskRegs = new Map<bigint, bigint>();
  /** What `bpf_get_current_cgroup_id` returns. */
  cgroupId = 1n;
  /** Network devices by ifindex. */
  readonly devices = new Map<number, NetDevice>();
  /** The sockets bpf_sk_lookup_* find. */
  readonly sockets = new SocketTable();
  /** bpf_timer state by the timer's address. */
  readonly timers = new TimerTable();
  /** Routes and neighbours (bpf_fib_lookup, bpf_check_mtu) over `devices`. */
  readonly net: SimNetwork;
  /** The last socket cookie given out (sock_gen_cookie counts up from 1). */
  lastCookie = 0n;
  /** The stacks bpf_get_stackid / bpf_get_stack see (set them before a run). */
  stacks: SimStacks;
  /** Program types by program index (a tail call checks nothing, but tools may). */
  programTypes: number[] = [];
  /** Expected attach types by program index (undefined where the section gives none). */
  programAttachTypes: Array<number | undefined> = [];

  constructor(memory: Memory, options: KernelOptions = {}) {
    this.memory = memory;
    this.cpus = options.cpus ?? 2;
    this.cpu = options.cpu ?? 0;
    if (!Number.isInteger(this.cpus) || this.cpus < 1) throw new RangeError(`cpus must be a positive integer, not ${this.cpus}`);
    if (!Number.isInteger(this.cpu) || this.cpu < 0 || this.cpu >= this.cpus) throw new RangeError(`cpu ${this.cpu} is not one of the ${this.cpus} CPUs`);
    this.clock = options.clock ?? new SimClock();
    this.random = new SimRandom(options.seed);
    this.task = { ...DEFAULT_TASK, ...options.task };
    for (const d of options.devices ?? defaultDevices()) this.devices.set(d.ifindex, d);
    this.net = new SimNetwork(this.devices);
    for (const r of options.routes ?? []) this.net.addRoute(r);
    for (const n of options.neighbours ?? []) this.net.addNeighbour(n);
    for (const s of options.sockets ?? []) this.sockets.add(s);
    this.stacks = { kernel: [...(options.stacks?.kernel ?? [])], user: [...(options.stacks?.user ?? [])] };
  }

  /** A fresh socket cookie. */
  nextCookie(): bigint {
    this.lastCookie += 1n;
    return this.lastCookie;
  }

  /** The map behind a map pointer argument, or a fault naming the helper. */
  mapArg(v: bigint, helper: string): BpfMap {
    // Negative values (never handles) give -1 as their unsigned form would.
    const i = mapIndexOfHandle(v);
    const m = i >= 0 ? this.maps[i] : undefined;
    if (m === undefined) throw new FaultSignal('helper', `${helper}: 0x${BigInt.asUintN(64, v).toString(16)} is not a map pointer`);
    return m;
  }
}
