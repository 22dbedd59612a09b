import { BpfkitError, ErrorCode } from '../errors.js';
import type { ProgramContext } from '../helpers/contexts/context.js';
import { KprobeContext, type PtRegs } from '../helpers/contexts/kprobe.js';
import { SkbContext, skbPacketProblem } from '../helpers/contexts/skb.js';
import { rawTracepointArgs, TracepointContext } from '../helpers/contexts/tracepoint.js';
import { XDP_MAX_PACKET, XdpContext, type XdpOptions } from '../helpers/contexts/xdp.js';
import { Errno, errnoName } from '../helpers/errno.js';
import type { Memory } from '../helpers/memory.js';
import { ProgType, progTypeName } from '../loader/kinds.js';

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
}

/** BPF_PROG_TEST_RUN refused the input before running anything (what kernel-run reports as "test_run failed"). */
export class TestRunError extends BpfkitError {
  readonly errno: number;
  constructor(errno: number, reason: string) {
    super(ErrorCode.Usage, `the kernel's test run refuses this input: ${reason} (${errnoName(errno)})`);
    this.errno = errno;
  }
}

const ETH_HLEN = 14;

function needPacket(input: ContextInput, type: number): Uint8Array {
  if (input.packet === undefined) throw new BpfkitError(ErrorCode.Usage, `a ${progTypeName(type)} program runs on a packet: give one (--data FILE)`);
  return input.packet;
}

/**
 * Builds the context of a run of a program of type `type` in `memory`, as BPF_PROG_TEST_RUN
 * would (XDP, tc, socket filters, LWT, cgroup skb), or as the kernel would call a tracing program
 * (kprobe, tracepoint, raw tracepoint — the kernel cannot test-run the first two).
 */
export function createContext(memory: Memory, type: number, input: ContextInput): ProgramContext {
  switch (type) {
    case ProgType.XDP: {
      const p = needPacket(input, type);
      if (p.length < ETH_HLEN) throw new TestRunError(-Errno.EINVAL, `a ${p.length}-byte frame is shorter than an Ethernet header`);
      if (p.length > XDP_MAX_PACKET) throw new TestRunError(-Errno.EINVAL, `a ${p.length}-byte frame is over the ${XDP_MAX_PACKET} bytes of an XDP frame (fragments are not simulated)`);
      return new XdpContext(memory, p, input.xdp);
    }
    case ProgType.SCHED_CLS:
    case ProgType.SCHED_ACT:
    case ProgType.SOCKET_FILTER:
    case ProgType.CGROUP_SKB:
    case ProgType.LWT_IN:
    case ProgType.LWT_OUT:
    case ProgType.LWT_XMIT: {
      const p = needPacket(input, type);
      const problem = skbPacketProblem(p);
      if (problem !== undefined) throw new TestRunError(problem.errno, problem.reason);
      const l2 = type === ProgType.SCHED_CLS || type === ProgType.SCHED_ACT;
      const direct = l2 || type === ProgType.LWT_IN || type === ProgType.LWT_OUT || type === ProgType.LWT_XMIT;
      return new SkbContext(memory, p, { l2, directAccess: direct });
    }
    case ProgType.KPROBE:
      return new KprobeContext(memory, input.regs ?? {}, input.args ?? []);
    case ProgType.TRACEPOINT:
      return new TracepointContext(memory, 'tracepoint', input.ctx ?? new Uint8Array(8));
    case ProgType.RAW_TRACEPOINT:
    case ProgType.RAW_TRACEPOINT_WRITABLE:
      return new TracepointContext(memory, 'raw-tracepoint', input.ctx ?? rawTracepointArgs(input.args ?? []));
    default:
      throw new BpfkitError(ErrorCode.Unsupported, `programs of type ${progTypeName(type)} (${type}) cannot be run: bpfkit runs xdp, tc, socket filter, lwt, cgroup_skb, kprobe, tracepoint and raw_tracepoint programs`);
  }
}
