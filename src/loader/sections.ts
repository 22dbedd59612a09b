import { AttachType as A } from './attach-types.js';
import { ProgType as P } from './kinds.js';

/**
 * Section name → program type, the table libbpf keeps (`section_defs` in libbpf.c), rewritten as
 * data. Patterns follow libbpf's rules:
 * - `name` matches exactly;
 * - `name+` matches `name` or `name/anything` (the part after `/` is the attach target);
 * - `name/` matches any name starting with `name/`.
 * The first matching entry wins, so more specific entries come first.
 */
export interface SectionDef {
  pattern: string;
  type: number;
  expectedAttachType: number;
  /** Sleepable variant (`.s` sections). */
  sleepable?: boolean;
}

const def = (pattern: string, type: number, expectedAttachType = 0, sleepable = false): SectionDef =>
  sleepable ? { pattern, type, expectedAttachType, sleepable } : { pattern, type, expectedAttachType };

export const SECTION_DEFS: readonly SectionDef[] = [
  def('socket', P.SOCKET_FILTER),
  def('sk_reuseport/migrate', P.SK_REUSEPORT, A.SK_REUSEPORT_SELECT_OR_MIGRATE),
  def('sk_reuseport', P.SK_REUSEPORT, A.SK_REUSEPORT_SELECT),
  def('kprobe+', P.KPROBE),
  def('uprobe+', P.KPROBE),
  def('uprobe.s+', P.KPROBE, 0, true),
  def('kretprobe+', P.KPROBE),
  def('uretprobe+', P.KPROBE),
  def('uretprobe.s+', P.KPROBE, 0, true),
  def('kprobe.multi+', P.KPROBE, A.TRACE_KPROBE_MULTI),
  def('kretprobe.multi+', P.KPROBE, A.TRACE_KPROBE_MULTI),
  def('kprobe.session+', P.KPROBE, A.TRACE_KPROBE_SESSION),
  def('uprobe.multi+', P.KPROBE, A.TRACE_UPROBE_MULTI),
  def('uretprobe.multi+', P.KPROBE, A.TRACE_UPROBE_MULTI),
  def('uprobe.multi.s+', P.KPROBE, A.TRACE_UPROBE_MULTI, true),
  def('uretprobe.multi.s+', P.KPROBE, A.TRACE_UPROBE_MULTI, true),
  def('ksyscall+', P.KPROBE),
  def('kretsyscall+', P.KPROBE),
  def('usdt+', P.KPROBE),
  def('usdt.s+', P.KPROBE, 0, true),
  def('tc/ingress', P.SCHED_CLS, A.TCX_INGRESS),
  def('tc/egress', P.SCHED_CLS, A.TCX_EGRESS),
  def('tcx/ingress', P.SCHED_CLS, A.TCX_INGRESS),
  def('tcx/egress', P.SCHED_CLS, A.TCX_EGRESS),
  def('netkit/primary', P.SCHED_CLS, A.NETKIT_PRIMARY),
  def('netkit/peer', P.SCHED_CLS, A.NETKIT_PEER),
  def('tc', P.SCHED_CLS),
  def('classifier', P.SCHED_CLS),
  def('action', P.SCHED_ACT),
  def('tracepoint+', P.TRACEPOINT),
  def('tp+', P.TRACEPOINT),
  def('raw_tracepoint+', P.RAW_TRACEPOINT),
  def('raw_tp+', P.RAW_TRACEPOINT),
  def('raw_tracepoint.w+', P.RAW_TRACEPOINT_WRITABLE),
  def('raw_tp.w+', P.RAW_TRACEPOINT_WRITABLE),
  def('tp_btf+', P.TRACING, A.TRACE_RAW_TP),
  def('fentry+', P.TRACING, A.TRACE_FENTRY),
  def('fmod_ret+', P.TRACING, A.MODIFY_RETURN),
  def('fexit+', P.TRACING, A.TRACE_FEXIT),
  def('fentry.s+', P.TRACING, A.TRACE_FENTRY, true),
  def('fmod_ret.s+', P.TRACING, A.MODIFY_RETURN, true),
  def('fexit.s+', P.TRACING, A.TRACE_FEXIT, true),
  def('freplace+', P.EXT),
  def('lsm+', P.LSM, A.LSM_MAC),
  def('lsm.s+', P.LSM, A.LSM_MAC, true),
  def('lsm_cgroup+', P.LSM, A.LSM_CGROUP),
  def('iter+', P.TRACING, A.TRACE_ITER),
  def('iter.s+', P.TRACING, A.TRACE_ITER, true),
  def('syscall', P.SYSCALL, 0, true),
  def('xdp.frags/devmap', P.XDP, A.XDP_DEVMAP),
  def('xdp/devmap', P.XDP, A.XDP_DEVMAP),
  def('xdp.frags/cpumap', P.XDP, A.XDP_CPUMAP),
  def('xdp/cpumap', P.XDP, A.XDP_CPUMAP),
  def('xdp.frags', P.XDP, A.XDP),
  def('xdp', P.XDP, A.XDP),
  def('perf_event', P.PERF_EVENT),
  def('lwt_in', P.LWT_IN),
  def('lwt_out', P.LWT_OUT),
  def('lwt_xmit', P.LWT_XMIT),
  def('lwt_seg6local', P.LWT_SEG6LOCAL),
  def('sockops', P.SOCK_OPS, A.CGROUP_SOCK_OPS),
  def('sk_skb/stream_parser', P.SK_SKB, A.SK_SKB_STREAM_PARSER),
  def('sk_skb/stream_verdict', P.SK_SKB, A.SK_SKB_STREAM_VERDICT),
  def('sk_skb/verdict', P.SK_SKB, A.SK_SKB_VERDICT),
  def('sk_skb', P.SK_SKB),
  def('sk_msg', P.SK_MSG, A.SK_MSG_VERDICT),
  def('lirc_mode2', P.LIRC_MODE2, A.LIRC_MODE2),
  def('flow_dissector', P.FLOW_DISSECTOR, A.FLOW_DISSECTOR),
  def('cgroup_skb/ingress', P.CGROUP_SKB, A.CGROUP_INET_INGRESS),
  def('cgroup_skb/egress', P.CGROUP_SKB, A.CGROUP_INET_EGRESS),
  def('cgroup/skb', P.CGROUP_SKB),
  def('cgroup/sock_create', P.CGROUP_SOCK, A.CGROUP_INET_SOCK_CREATE),
  def('cgroup/sock_release', P.CGROUP_SOCK, A.CGROUP_INET_SOCK_RELEASE),
  def('cgroup/sock', P.CGROUP_SOCK, A.CGROUP_INET_SOCK_CREATE),
  def('cgroup/post_bind4', P.CGROUP_SOCK, A.CGROUP_INET4_POST_BIND),
  def('cgroup/post_bind6', P.CGROUP_SOCK, A.CGROUP_INET6_POST_BIND),
  def('cgroup/bind4', P.CGROUP_SOCK_ADDR, A.CGROUP_INET4_BIND),
  def('cgroup/bind6', P.CGROUP_SOCK_ADDR, A.CGROUP_INET6_BIND),
  def('cgroup/connect4', P.CGROUP_SOCK_ADDR, A.CGROUP_INET4_CONNECT),
  def('cgroup/connect6', P.CGROUP_SOCK_ADDR, A.CGROUP_INET6_CONNECT),
  def('cgroup/connect_unix', P.CGROUP_SOCK_ADDR, A.CGROUP_UNIX_CONNECT),
  def('cgroup/sendmsg4', P.CGROUP_SOCK_ADDR, A.CGROUP_UDP4_SENDMSG),
  def('cgroup/sendmsg6', P.CGROUP_SOCK_ADDR, A.CGROUP_UDP6_SENDMSG),
  def('cgroup/sendmsg_unix', P.CGROUP_SOCK_ADDR, A.CGROUP_UNIX_SENDMSG),
  def('cgroup/recvmsg4', P.CGROUP_SOCK_ADDR, A.CGROUP_UDP4_RECVMSG),
  def('cgroup/recvmsg6', P.CGROUP_SOCK_ADDR, A.CGROUP_UDP6_RECVMSG),
  def('cgroup/recvmsg_unix', P.CGROUP_SOCK_ADDR, A.CGROUP_UNIX_RECVMSG),
  def('cgroup/getpeername4', P.CGROUP_SOCK_ADDR, A.CGROUP_INET4_GETPEERNAME),
  def('cgroup/getpeername6', P.CGROUP_SOCK_ADDR, A.CGROUP_INET6_GETPEERNAME),
  def('cgroup/getpeername_unix', P.CGROUP_SOCK_ADDR, A.CGROUP_UNIX_GETPEERNAME),
  def('cgroup/getsockname4', P.CGROUP_SOCK_ADDR, A.CGROUP_INET4_GETSOCKNAME),
  def('cgroup/getsockname6', P.CGROUP_SOCK_ADDR, A.CGROUP_INET6_GETSOCKNAME),
  def('cgroup/getsockname_unix', P.CGROUP_SOCK_ADDR, A.CGROUP_UNIX_GETSOCKNAME),
  def('cgroup/sysctl', P.CGROUP_SYSCTL, A.CGROUP_SYSCTL),
  def('cgroup/getsockopt', P.CGROUP_SOCKOPT, A.CGROUP_GETSOCKOPT),
  def('cgroup/setsockopt', P.CGROUP_SOCKOPT, A.CGROUP_SETSOCKOPT),
  def('cgroup/dev', P.CGROUP_DEVICE, A.CGROUP_DEVICE),
  def('struct_ops+', P.STRUCT_OPS),
  def('struct_ops.s+', P.STRUCT_OPS, 0, true),
  def('sk_lookup', P.SK_LOOKUP, A.SK_LOOKUP),
  def('netfilter', P.NETFILTER, A.NETFILTER),
];

/** What a section name says about the programs in it. */
export interface SectionProgramType {
  type: number;
  expectedAttachType: number;
  /** The text after `/` in `kprobe/do_sys_open`-style names (only for `+` patterns). */
  attachTo?: string;
  /** The table entry that matched, or undefined when none did (type UNSPEC, as libbpf leaves it). */
  def?: SectionDef;
}

function matches(pattern: string, name: string): { ok: boolean; rest?: string } {
  if (pattern.endsWith('/')) return { ok: name.startsWith(pattern), rest: name.slice(pattern.length) };
  if (pattern.endsWith('+')) {
    const prefix = pattern.slice(0, -1);
    if (!name.startsWith(prefix)) return { ok: false };
    if (name.length === prefix.length) return { ok: true };
    if (name[prefix.length] === '/') return { ok: true, rest: name.slice(prefix.length + 1) };
    return { ok: false };
  }
  return { ok: name === pattern };
}

/** Program type for a section name, as libbpf decides it; unknown names give UNSPEC (0). */
export function programTypeForSection(section: string): SectionProgramType {
  for (const d of SECTION_DEFS) {
    const m = matches(d.pattern, section);
    if (!m.ok) continue;
    const out: SectionProgramType = { type: d.type, expectedAttachType: d.expectedAttachType, def: d };
    if (m.rest !== undefined && m.rest !== '') out.attachTo = m.rest;
    return out;
  }
  return { type: P.UNSPEC, expectedAttachType: 0 };
}
