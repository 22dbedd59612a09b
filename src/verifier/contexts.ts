/**
 * The program-type table: for every `enum bpf_prog_type` the context a program receives in r1
 * (layout and access rules, one module per context under contexts/), whether it may write the
 * packet, what it must return, and whether it may use the legacy packet loads. Section names and
 * attach types are the loader's (src/loader/sections.ts); the rules are the kernel's
 * `*_is_valid_access` functions for privileged (CAP_BPF) loaders, per attach type where the
 * kernel decides by it.
 */
import { ProgType } from '../loader/kinds.js';
import { CGROUP_DEVICE_CTX, CGROUP_SYSCTL_CTX, sockoptContext } from './contexts/cgroup.js';
import { type ContextSpec, no } from './contexts/common.js';
import { SK_LOOKUP_CTX } from './contexts/sk-lookup.js';
import { SK_MSG_CTX } from './contexts/sk-msg.js';
import { SK_REUSEPORT_CTX } from './contexts/sk-reuseport.js';
import { CGROUP_SKB_CTX, FLOW_DISSECTOR_CTX, LWT_CTX, SK_SKB_CTX, SOCKET_FILTER_CTX, TC_CTX } from './contexts/skb.js';
import { cgroupSockContext } from './contexts/sock.js';
import { sockAddrContext } from './contexts/sock-addr.js';
import { SOCK_OPS_CTX } from './contexts/sock-ops.js';
import {
  BTF_ARGS_CTX,
  KPROBE_CTX,
  NETFILTER_CTX,
  PERF_EVENT_CTX,
  RAW_TRACEPOINT_CTX,
  RAW_TRACEPOINT_WRITABLE_CTX,
  SYSCALL_CTX,
  TRACEPOINT_CTX,
} from './contexts/tracing.js';
import { xdpContext } from './contexts/xdp.js';

export type { ContextSpec, CtxAccess, CtxResult } from './contexts/common.js';

interface ProgTypeEntry {
  /** The context for an attach type (the loader's expected_attach_type). */
  readonly context: (attachType: number | undefined) => ContextSpec;
  /** May write into the packet (may_access_direct_pkt_data); any type may read one it is given. */
  readonly packetWrite?: boolean;
  /** May use ld_abs / ld_ind (may_access_skb). */
  readonly legacyPacket?: boolean;
}

const fixed = (c: ContextSpec) => (): ContextSpec => c;

const P = ProgType;
const TABLE: Readonly<Partial<Record<number, ProgTypeEntry>>> = {
  [P.SOCKET_FILTER]: { context: fixed(SOCKET_FILTER_CTX), legacyPacket: true },
  [P.KPROBE]: { context: fixed(KPROBE_CTX) },
  [P.SCHED_CLS]: { context: fixed(TC_CTX), packetWrite: true, legacyPacket: true },
  [P.SCHED_ACT]: { context: fixed(TC_CTX), packetWrite: true, legacyPacket: true },
  [P.TRACEPOINT]: { context: fixed(TRACEPOINT_CTX) },
  [P.XDP]: { context: xdpContext, packetWrite: true },
  [P.PERF_EVENT]: { context: fixed(PERF_EVENT_CTX) },
  [P.CGROUP_SKB]: { context: fixed(CGROUP_SKB_CTX) },
  [P.CGROUP_SOCK]: { context: cgroupSockContext },
  [P.LWT_IN]: { context: fixed(LWT_CTX) },
  [P.LWT_OUT]: { context: fixed(LWT_CTX) },
  [P.LWT_XMIT]: { context: fixed(LWT_CTX), packetWrite: true },
  [P.LWT_SEG6LOCAL]: { context: fixed(LWT_CTX) },
  [P.SOCK_OPS]: { context: fixed(SOCK_OPS_CTX) },
  [P.SK_SKB]: { context: fixed(SK_SKB_CTX), packetWrite: true },
  [P.CGROUP_DEVICE]: { context: fixed(CGROUP_DEVICE_CTX) },
  [P.SK_MSG]: { context: fixed(SK_MSG_CTX), packetWrite: true },
  [P.RAW_TRACEPOINT]: { context: fixed(RAW_TRACEPOINT_CTX) },
  [P.CGROUP_SOCK_ADDR]: { context: sockAddrContext },
  [P.SK_REUSEPORT]: { context: fixed(SK_REUSEPORT_CTX) },
  [P.FLOW_DISSECTOR]: { context: fixed(FLOW_DISSECTOR_CTX) },
  [P.CGROUP_SYSCTL]: { context: fixed(CGROUP_SYSCTL_CTX) },
  [P.RAW_TRACEPOINT_WRITABLE]: { context: fixed(RAW_TRACEPOINT_WRITABLE_CTX) },
  [P.CGROUP_SOCKOPT]: { context: sockoptContext, packetWrite: true },
  [P.TRACING]: { context: fixed(BTF_ARGS_CTX) },
  [P.LSM]: { context: fixed(BTF_ARGS_CTX) },
  [P.STRUCT_OPS]: { context: fixed(BTF_ARGS_CTX) },
  [P.SK_LOOKUP]: { context: fixed(SK_LOOKUP_CTX) },
  [P.SYSCALL]: { context: fixed(SYSCALL_CTX) },
  [P.NETFILTER]: { context: fixed(NETFILTER_CTX) },
};

/**
 * Program types bpfkit does not model (lirc_mode2, struct_ops, ext): their programs are refused
 * naming the type, never accepted. (UNSPEC is the loader's "no type": the kernel refuses it too.)
 */
export function progTypeModelled(progType: number): boolean {
  return TABLE[progType] !== undefined || progType === P.UNSPEC;
}

const unmodelled = (type: number): ContextSpec => ({
  name: `context of program type ${type}`,
  size: 0,
  access: () => no('bpfkit does not model the context of this program type'),
});

/** The context of a program type and attach type. */
export function contextFor(progType: number, attachType?: number): ContextSpec {
  return TABLE[progType]?.context(attachType) ?? unmodelled(progType);
}

/** Program types whose programs may use the legacy packet loads (ld_abs / ld_ind). */
export function mayUseLegacyPacketLoads(progType: number): boolean {
  return TABLE[progType]?.legacyPacket === true;
}

/** Whether a program may write the packet it is given (every type may read one). */
export function packetAccess(progType: number): 'read' | 'write' {
  return TABLE[progType]?.packetWrite ? 'write' : 'read';
}

/** The range a program's return value must lie in, or undefined when any number is allowed. */
export function returnRange(progType: number, expectedAttachType: number | undefined): readonly [number, number] | undefined {
  switch (progType) {
    case ProgType.CGROUP_SKB:
      // BPF_CGROUP_INET_EGRESS (1) also allows 2 and 3 (congestion notification)
      return expectedAttachType === 1 ? [0, 3] : [0, 1];
    case ProgType.CGROUP_SOCK:
    case ProgType.SOCK_OPS:
    case ProgType.CGROUP_DEVICE:
    case ProgType.CGROUP_SYSCTL:
    case ProgType.CGROUP_SOCKOPT:
    case ProgType.SK_LOOKUP:
    case ProgType.NETFILTER:
      return [0, 1];
    case ProgType.CGROUP_SOCK_ADDR:
      // recvmsg, getpeername and getsockname hooks must return 1; bind hooks may return 0..3
      if ([19, 20, 51, 29, 30, 52, 31, 32, 53].includes(expectedAttachType ?? -1)) return [1, 1];
      return expectedAttachType === 8 || expectedAttachType === 9 ? [0, 3] : [0, 1];
    case ProgType.TRACING:
      // fentry (24) / fexit (25) must return 0, iterators (28) 0 or 1; fmod_ret anything
      return expectedAttachType === 24 || expectedAttachType === 25 ? [0, 0] : expectedAttachType === 28 ? [0, 1] : undefined;
    default:
      return undefined;
  }
}
