import { BpfkitError, ErrorCode } from '../errors.js';
import type { ProgramContext } from '../helpers/contexts/context.js';
import type { PtRegs } from '../helpers/contexts/kprobe.js';
import type { SockOpsInput } from '../helpers/contexts/sock-ops.js';
import type { SkLookupInput } from '../helpers/contexts/sk-lookup.js';
import type { SysctlInput } from '../helpers/contexts/sysctl.js';
import type { SockoptInput } from '../helpers/contexts/sockopt.js';
import type { NetfilterInput } from '../helpers/contexts/netfilter.js';
import type { PerfEventInput, SockAddrInput } from '../helpers/contexts/user-ctx.js';
import type { SimSocketSpec } from '../helpers/kernel/sockets.js';
import type { XdpOptions } from '../helpers/contexts/xdp.js';
import { errnoName } from '../helpers/errno.js';
import type { Memory } from '../helpers/memory.js';
import { progTypeName } from '../loader/kinds.js';
import { programTypeEntry, runnableTypeNames } from './program-types.js';

/** What a run starts from: a packet for packet programs, context bytes or registers for tracing ones. */
export interface ContextInput {
  /** The frame for XDP, tc and socket-filter programs (as BPF_PROG_TEST_RUN's data_in). */
  packet?: Uint8Array;
  /** Raw context bytes: a tracepoint record, or a raw tracepoint's u64 arguments. */
  ctx?: Uint8Array;
  /** kprobe: pt_regs registers by name. */
  regs?: PtRegs;
  /** kprobe: function arguments (di, si, dx, cx, r8, r9); raw tracepoint: its arguments. */
  args?: readonly bigint[];
  /** XDP: ingress_ifindex and rx_queue_index of xdp_md. */
  xdp?: XdpOptions;
  /** cgroup_sock_addr: the address the hook sees. */
  sockAddr?: SockAddrInput;
  /** perf_event: sample_period and addr of struct bpf_perf_event_data. */
  perf?: PerfEventInput;
  /** cgroup_sock, sock_ops: the socket the hook runs on. */
  socket?: SimSocketSpec;
  /** sock_ops: the callback (op, args) and TCP fields. */
  sockOps?: SockOpsInput;
  /** sk_lookup: the lookup (addresses, ports, protocol); or give its struct bpf_sk_lookup as `ctx`. */
  skLookup?: SkLookupInput;
  /** cgroup_sysctl: the sysctl read or written. */
  sysctl?: SysctlInput;
  /** cgroup_sockopt: the getsockopt/setsockopt call (with `socket`). */
  sockopt?: SockoptInput;
  /** netfilter: the hook and family (or the struct nf_hook_state bytes as `ctx`), with `packet`. */
  netfilter?: NetfilterInput;
}

/** BPF_PROG_TEST_RUN refused the input before running anything (what kernel-run reports as "test_run failed"). */
export class TestRunError extends BpfkitError {
  readonly errno: number;
  constructor(errno: number, reason: string) {
    super(ErrorCode.Usage, `the kernel's test run refuses this input: ${reason} (${errnoName(errno)})`);
    this.errno = errno;
  }
}

/**
 * Builds the context of a run of a program of type `type` in `memory` through the program-type
 * table (program-types.ts): as BPF_PROG_TEST_RUN would for the types it runs, with documented
 * semantics for the others.
 */
export function createContext(memory: Memory, type: number, input: ContextInput): ProgramContext {
  const entry = programTypeEntry(type);
  if (entry === undefined) {
    throw new BpfkitError(ErrorCode.Unsupported, `programs of type ${progTypeName(type)} (${type}) cannot be run: bpfkit runs ${runnableTypeNames()} programs`);
  }
  return entry.create(memory, type, input);
}
