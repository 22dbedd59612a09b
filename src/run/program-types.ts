import type { ProgramContext } from '../helpers/contexts/context.js';
import { FlowDissectorContext } from '../helpers/contexts/flow-dissector.js';
import { KprobeContext } from '../helpers/contexts/kprobe.js';
import { SkbContext, skbPacketProblem } from '../helpers/contexts/skb.js';
import { SockContext, simSocket } from '../helpers/contexts/sock.js';
import { SkSkbContext } from '../helpers/contexts/sk-skb.js';
import { SkMsgContext } from '../helpers/contexts/sk-msg.js';
import { SysctlContext, type SysctlInput } from '../helpers/contexts/sysctl.js';
import { SockoptContext, type SockoptInput } from '../helpers/contexts/sockopt.js';
import { NetfilterContext, netfilterSetup, netfilterStateBytes, type NetfilterSetup } from '../helpers/contexts/netfilter.js';
import { SockOpsContext, type SockOpsInput } from '../helpers/contexts/sock-ops.js';
import { SkLookupContext, skLookupBytes, skLookupInputProblem } from '../helpers/contexts/sk-lookup.js';
import type { SimSocketSpec } from '../helpers/kernel/sockets.js';
import { rawTracepointArgs, TracepointContext } from '../helpers/contexts/tracepoint.js';
import { PerfEventContext, SockAddrContext, SYSCALL_CTX_MAX, SyscallContext, type SockAddrInput } from '../helpers/contexts/user-ctx.js';
import { XDP_MAX_PACKET, XdpContext } from '../helpers/contexts/xdp.js';
import { Errno } from '../helpers/errno.js';
import type { Memory } from '../helpers/memory.js';
import { BpfkitError, ErrorCode } from '../errors.js';
import { ProgType, progTypeName } from '../loader/kinds.js';
import { TestRunError, type ContextInput } from './context.js';

/** One runnable program type: what it takes, whether the kernel can test-run it, how its context is built. */
export interface ProgramTypeEntry {
  types: readonly number[];
  /** The input a run takes (for messages and the README's table). */
  input: string;
  /** True when BPF_PROG_TEST_RUN runs it (then bpfkit does what the test run does). */
  kernelTestRun: boolean;
  create(memory: Memory, type: number, input: ContextInput): ProgramContext;
  /**
   * Makes `ctx` (one this entry created, its regions still in place) a fresh context for `input`,
   * as `create` would, without allocating; false when it cannot (then a new one is created). Input
   * `create` refuses is refused here the same way.
   */
  reuse?(ctx: ProgramContext, type: number, input: ContextInput): boolean;
}

const ETH_HLEN = 14;

function needPacket(input: ContextInput, type: number): Uint8Array {
  if (input.packet === undefined) throw new BpfkitError(ErrorCode.Usage, `a ${progTypeName(type)} program runs on a packet: give one (--data FILE)`);
  return input.packet;
}

function xdpFrame(input: ContextInput, type: number): Uint8Array {
  const p = needPacket(input, type);
  if (p.length < ETH_HLEN) throw new TestRunError(-Errno.EINVAL, `a ${p.length}-byte frame is shorter than an Ethernet header`);
  if (p.length > XDP_MAX_PACKET) throw new TestRunError(-Errno.EINVAL, `a ${p.length}-byte frame is over the ${XDP_MAX_PACKET} bytes of an XDP frame (fragments are not simulated)`);
  return p;
}

function skbFrame(input: ContextInput, type: number): Uint8Array {
  const p = needPacket(input, type);
  const problem = skbPacketProblem(p);
  if (problem !== undefined) throw new TestRunError(problem.errno, problem.reason);
  return p;
}

function skbContext(memory: Memory, type: number, input: ContextInput): ProgramContext {
  const p = skbFrame(input, type);
  const l2 = type === ProgType.SCHED_CLS || type === ProgType.SCHED_ACT;
  const direct = l2 || type === ProgType.LWT_IN || type === ProgType.LWT_OUT || type === ProgType.LWT_XMIT;
  return new SkbContext(memory, p, { l2, directAccess: direct });
}

function flowFrame(input: ContextInput, type: number): Uint8Array {
  const p = needPacket(input, type);
  if (p.length < ETH_HLEN) throw new TestRunError(-Errno.EINVAL, `a ${p.length}-byte frame is shorter than an Ethernet header`);
  return p;
}

function syscallBytes(input: ContextInput): Uint8Array | undefined {
  if (input.ctx !== undefined && input.ctx.length > SYSCALL_CTX_MAX) throw new TestRunError(-Errno.EINVAL, `a ${input.ctx.length}-byte context is over ${SYSCALL_CTX_MAX} bytes`);
  return input.ctx;
}

function needSockAddr(input: ContextInput, type: number): SockAddrInput {
  if (input.sockAddr === undefined) throw new BpfkitError(ErrorCode.Usage, `a ${progTypeName(type)} program runs on a socket address: give sockAddr { ip, port }`);
  return input.sockAddr;
}

function skLookupInput(input: ContextInput): Uint8Array {
  const ctx = input.ctx ?? (input.skLookup === undefined ? undefined : skLookupBytes(input.skLookup));
  const problem = skLookupInputProblem(ctx);
  if (problem !== undefined) {
    if (ctx === undefined) throw new BpfkitError(ErrorCode.Usage, 'an sk_lookup program runs for a socket lookup: give skLookup { remoteIp, remotePort, localIp, localPort } or ctx');
    throw new TestRunError(problem.errno, problem.reason);
  }
  return ctx!;
}

function netfilterInput(input: ContextInput, type: number): [Uint8Array, NetfilterSetup] {
  const p = needPacket(input, type);
  const setup = netfilterSetup(p, input.ctx ?? (input.netfilter === undefined ? undefined : netfilterStateBytes(input.netfilter)));
  if ('errno' in setup) throw new TestRunError(setup.errno, setup.reason);
  return [p, setup];
}

function needSockOps(input: ContextInput): SockOpsInput {
  if (input.sockOps === undefined) throw new BpfkitError(ErrorCode.Usage, 'a sock_ops program runs for a callback: give sockOps { op }');
  return input.sockOps;
}

function needSysctl(input: ContextInput): SysctlInput {
  if (input.sysctl === undefined) throw new BpfkitError(ErrorCode.Usage, 'a cgroup_sysctl program runs on a sysctl access: give sysctl { name, value, newValue? }');
  return input.sysctl;
}

function needSockopt(input: ContextInput): SockoptInput {
  if (input.sockopt === undefined) throw new BpfkitError(ErrorCode.Usage, 'a cgroup_sockopt program runs on a getsockopt/setsockopt call: give sockopt { op, level, optname, optval }');
  return input.sockopt;
}

function needSocket(input: ContextInput, type: number): SimSocketSpec {
  if (input.socket === undefined) throw new BpfkitError(ErrorCode.Usage, `a ${progTypeName(type)} program runs on a socket: give socket { protocol, localIp, localPort }`);
  return input.socket;
}

/**
 * The program-type table: every program type bpfkit runs, with its input and context. A new
 * runnable type is one entry here and one context module in src/helpers/contexts.
 */
export const PROGRAM_TYPES: readonly ProgramTypeEntry[] = [
  {
    types: [ProgType.XDP],
    input: 'a frame (14..3520 bytes); xdp: ingress ifindex, rx queue',
    kernelTestRun: true,
    create: (memory, type, input) => new XdpContext(memory, xdpFrame(input, type), input.xdp),
    reuse: (ctx, type, input) => {
      const p = xdpFrame(input, type);
      if (!(ctx instanceof XdpContext)) return false;
      ctx.reset(p, input.xdp);
      return true;
    },
  },
  {
    types: [ProgType.SCHED_CLS, ProgType.SCHED_ACT, ProgType.SOCKET_FILTER, ProgType.CGROUP_SKB, ProgType.LWT_IN, ProgType.LWT_OUT, ProgType.LWT_XMIT],
    input: 'a frame (14..3712 bytes; IPv4/IPv6 at least their header)',
    kernelTestRun: true,
    create: skbContext,
    reuse: (ctx, type, input) => {
      const p = skbFrame(input, type);
      return ctx instanceof SkbContext && ctx.reset(p);
    },
  },
  {
    types: [ProgType.FLOW_DISSECTOR],
    input: 'a frame (at least 14 bytes); the result is the struct bpf_flow_keys',
    kernelTestRun: true,
    create: (memory, type, input) => new FlowDissectorContext(memory, flowFrame(input, type)),
    reuse: (ctx, type, input) => {
      const p = flowFrame(input, type);
      return ctx instanceof FlowDissectorContext && ctx.reset(p);
    },
  },
  {
    types: [ProgType.SYSCALL],
    input: 'context bytes (ctx, up to 65535, writable; none: r1 = NULL); the result carries them back',
    kernelTestRun: true,
    create: (memory, _type, input) => new SyscallContext(memory, syscallBytes(input)),
    reuse: (ctx, _type, input) => {
      const bytes = syscallBytes(input);
      return ctx instanceof SyscallContext && ctx.reset(bytes);
    },
  },
  {
    types: [ProgType.KPROBE],
    input: 'pt_regs registers (regs) or function arguments (args)',
    kernelTestRun: false,
    create: (memory, _type, input) => new KprobeContext(memory, input.regs ?? {}, input.args ?? []),
    reuse: (ctx, _type, input) => {
      if (!(ctx instanceof KprobeContext)) return false;
      ctx.reset(input.regs ?? {}, input.args ?? []);
      return true;
    },
  },
  {
    types: [ProgType.TRACEPOINT],
    input: 'the event record bytes (ctx)',
    kernelTestRun: false,
    create: (memory, _type, input) => new TracepointContext(memory, 'tracepoint', input.ctx ?? new Uint8Array(8)),
    reuse: (ctx, _type, input) => ctx instanceof TracepointContext && ctx.reset('tracepoint', input.ctx ?? new Uint8Array(8)),
  },
  {
    types: [ProgType.RAW_TRACEPOINT, ProgType.RAW_TRACEPOINT_WRITABLE],
    input: 'the u64 arguments (args) or their bytes (ctx)',
    kernelTestRun: true,
    create: (memory, _type, input) => new TracepointContext(memory, 'raw-tracepoint', input.ctx ?? rawTracepointArgs(input.args ?? [])),
    reuse: (ctx, _type, input) => ctx instanceof TracepointContext && ctx.reset('raw-tracepoint', input.ctx ?? rawTracepointArgs(input.args ?? [])),
  },
  {
    types: [ProgType.PERF_EVENT],
    input: 'pt_regs (regs/args) and perf: sample_period, addr',
    kernelTestRun: false,
    create: (memory, _type, input) => new PerfEventContext(memory, input.regs ?? {}, input.args ?? [], input.perf ?? {}),
    reuse: (ctx, _type, input) => {
      if (!(ctx instanceof PerfEventContext)) return false;
      ctx.reset(input.regs ?? {}, input.args ?? [], input.perf ?? {});
      return true;
    },
  },
  {
    types: [ProgType.CGROUP_SOCK_ADDR],
    input: 'sockAddr: ip, port, type, protocol (msgSrc for sendmsg); the rewritten struct bpf_sock_addr comes back',
    kernelTestRun: false,
    create: (memory, type, input) => new SockAddrContext(memory, needSockAddr(input, type)),
    reuse: (ctx, type, input) => {
      const a = needSockAddr(input, type);
      if (!(ctx instanceof SockAddrContext)) return false;
      ctx.reset(a);
      return true;
    },
  },
  {
    types: [ProgType.CGROUP_SOCK],
    input: 'socket: protocol, localIp, localPort (remote*, mark, priority, boundDevIf); the struct bpf_sock after the run comes back',
    kernelTestRun: false,
    create: (memory, type, input) => new SockContext(memory, needSocket(input, type)),
    reuse: (ctx, type, input) => {
      const spec = needSocket(input, type);
      if (!(ctx instanceof SockContext)) return false;
      ctx.reset(spec);
      return true;
    },
  },
  {
    types: [ProgType.SOCK_OPS],
    input: 'socket (TCP) and sockOps: op, args, tcp fields; the struct bpf_sock_ops (reply) comes back',
    kernelTestRun: false,
    create: (memory, type, input) => {
      const ops = needSockOps(input);
      return new SockOpsContext(memory, needSocket(input, type), ops);
    },
    reuse: (ctx, type, input) => {
      const ops = needSockOps(input);
      const spec = needSocket(input, type);
      if (!(ctx instanceof SockOpsContext)) return false;
      ctx.reset(spec, ops);
      return true;
    },
  },
  {
    types: [ProgType.SK_LOOKUP],
    input: 'skLookup: protocol, remoteIp, remotePort, localIp, localPort (or the struct bpf_sk_lookup bytes as ctx); ctx_out (cookie of the assigned socket) comes back',
    kernelTestRun: true,
    create: (memory, _type, input) => new SkLookupContext(memory, skLookupInput(input)),
    reuse: (ctx, _type, input) => {
      const bytes = skLookupInput(input);
      if (!(ctx instanceof SkLookupContext)) return false;
      ctx.reset(bytes);
      return true;
    },
  },
  {
    types: [ProgType.SK_SKB],
    input: 'the message (packet: payload only, no headers) and the receiving socket; r0 the parser\'s length or the verdict, a redirect and the message after the run come back',
    kernelTestRun: false,
    create: (memory, type, input) => {
      if (input.packet === undefined) throw new BpfkitError(ErrorCode.Usage, 'an sk_skb program runs on a message a socket received: give it as packet (payload bytes, no headers)');
      return new SkSkbContext(memory, input.packet, simSocket(needSocket(input, type)));
    },
    reuse: (ctx, type, input) => {
      if (input.packet === undefined) throw new BpfkitError(ErrorCode.Usage, 'an sk_skb program runs on a message a socket received: give it as packet (payload bytes, no headers)');
      const socket = simSocket(needSocket(input, type));
      return ctx instanceof SkSkbContext && ctx.resetMessage(input.packet, socket);
    },
  },
  {
    types: [ProgType.SK_MSG],
    input: 'the message (packet: the bytes sent) and the sending socket; the verdict, a redirect, the message after push/pop come back',
    kernelTestRun: false,
    create: (memory, type, input) => {
      if (input.packet === undefined) throw new BpfkitError(ErrorCode.Usage, 'an sk_msg program runs on a message a socket sends: give it as packet');
      return new SkMsgContext(memory, input.packet, simSocket(needSocket(input, type)));
    },
    reuse: (ctx, type, input) => {
      if (input.packet === undefined) throw new BpfkitError(ErrorCode.Usage, 'an sk_msg program runs on a message a socket sends: give it as packet');
      const socket = simSocket(needSocket(input, type));
      if (!(ctx instanceof SkMsgContext)) return false;
      ctx.reset(input.packet, socket);
      return true;
    },
  },
  {
    types: [ProgType.CGROUP_SYSCTL],
    input: 'sysctl: name (net/ipv4/tcp_mem), value (as the handler prints it), newValue for a write, filePos; ctx (file_pos) and a write\'s stored value (packet) come back',
    kernelTestRun: false,
    create: (memory, _type, input) => new SysctlContext(memory, needSysctl(input)),
    reuse: (ctx, _type, input) => {
      const sysctl = needSysctl(input);
      if (!(ctx instanceof SysctlContext)) return false;
      ctx.reset(sysctl);
      return true;
    },
  },
  {
    types: [ProgType.CGROUP_SOCKOPT],
    input: 'socket and sockopt: op (get/set), level, optname, optval, optlen, retval (get); ctx (level, optname, optlen, retval) and the value (packet) come back',
    kernelTestRun: false,
    create: (memory, type, input) => {
      const sockopt = needSockopt(input);
      return new SockoptContext(memory, simSocket(needSocket(input, type)), sockopt);
    },
    reuse: (ctx, type, input) => {
      const sockopt = needSockopt(input);
      const socket = simSocket(needSocket(input, type));
      return ctx instanceof SockoptContext && ctx.reset(socket, sockopt);
    },
  },
  {
    types: [ProgType.NETFILTER],
    input: 'a packet (the IP datagram for LOCAL_OUT, else an Ethernet frame) and netfilter: hook, pf (or the struct nf_hook_state bytes as ctx); r0 only comes back',
    kernelTestRun: true,
    create: (memory, type, input) => {
      const [p, setup] = netfilterInput(input, type);
      return new NetfilterContext(memory, p, setup);
    },
    reuse: (ctx, type, input) => {
      const [p, setup] = netfilterInput(input, type);
      return ctx instanceof NetfilterContext && ctx.reset(p, setup);
    },
  },
];

const BY_TYPE = new Map<number, ProgramTypeEntry>(PROGRAM_TYPES.flatMap((e) => e.types.map((t) => [t, e] as const)));

/** The table entry of program type `type`, or undefined when bpfkit cannot run it. */
export const programTypeEntry = (type: number): ProgramTypeEntry | undefined => BY_TYPE.get(type);

/** The runnable program types' names, for messages. */
export const runnableTypeNames = (): string => PROGRAM_TYPES.flatMap((e) => e.types.map((t) => progTypeName(t))).join(', ');
