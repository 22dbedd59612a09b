/**
 * The context (`r1` at entry) of each program type: its layout, which fields may be read or
 * written with which sizes, and which fields load packet pointers. The rules follow the kernel's
 * `*_is_valid_access` functions for privileged (CAP_BPF) loaders.
 */
import { ProgType } from '../loader/kinds.js';

export type CtxResult = 'num' | 'packet' | 'packet_end' | 'packet_meta' | 'sock_or_null';

export type CtxAccess = { readonly ok: true; readonly result: CtxResult } | { readonly ok: false; readonly why: string };

export interface ContextSpec {
  /** The C type, for messages (`struct xdp_md`). */
  readonly name: string;
  readonly size: number;
  /** Whether a load/store of `size` bytes at `off` is allowed, and what a load gives. */
  access(off: number, size: number, write: boolean): CtxAccess;
  /** Whether the program may write into the packet. */
  readonly packetWritable: boolean;
}

interface Field {
  readonly name: string;
  readonly off: number;
  readonly size: number;
}

const fieldAt = (fields: readonly Field[], off: number): Field | undefined => fields.find((f) => off >= f.off && off < f.off + f.size);

const ok = (result: CtxResult = 'num'): CtxAccess => ({ ok: true, result });
const no = (why: string): CtxAccess => ({ ok: false, why });

// ---------------------------------------------------------------------------------------------
// XDP: struct xdp_md

const XDP_FIELDS: readonly Field[] = [
  { name: 'data', off: 0, size: 4 },
  { name: 'data_end', off: 4, size: 4 },
  { name: 'data_meta', off: 8, size: 4 },
  { name: 'ingress_ifindex', off: 12, size: 4 },
  { name: 'rx_queue_index', off: 16, size: 4 },
  { name: 'egress_ifindex', off: 20, size: 4 },
];

const XDP: ContextSpec = {
  name: 'struct xdp_md',
  size: 24,
  packetWritable: true,
  access(off, size, write) {
    const f = fieldAt(XDP_FIELDS, off);
    if (!f) return no('outside the structure');
    if (f.name === 'egress_ifindex') return no('egress_ifindex is only available to devmap programs');
    if (write) return no(`${f.name} is read-only`);
    if (size !== 4 || off !== f.off) return no(`${f.name} must be read whole, with a 4-byte load`);
    return ok(f.name === 'data' ? 'packet' : f.name === 'data_end' ? 'packet_end' : f.name === 'data_meta' ? 'packet_meta' : 'num');
  },
};

// ---------------------------------------------------------------------------------------------
// struct __sk_buff (socket filters, tc, cgroup skb)

const SKB_FIELDS: readonly Field[] = [
  ['len', 0], ['pkt_type', 4], ['mark', 8], ['queue_mapping', 12], ['protocol', 16], ['vlan_present', 20],
  ['vlan_tci', 24], ['vlan_proto', 28], ['priority', 32], ['ingress_ifindex', 36], ['ifindex', 40],
  ['tc_index', 44], ['cb', 48, 20], ['hash', 68], ['tc_classid', 72], ['data', 76], ['data_end', 80],
  ['napi_id', 84], ['family', 88], ['remote_ip4', 92], ['local_ip4', 96], ['remote_ip6', 100, 16],
  ['local_ip6', 116, 16], ['remote_port', 132], ['local_port', 136], ['data_meta', 140],
  ['flow_keys', 144, 8], ['tstamp', 152, 8], ['wire_len', 160], ['gso_segs', 164], ['sk', 168, 8],
  ['gso_size', 176], ['tstamp_type', 180, 1], ['(padding)', 181, 3], ['hwtstamp', 184, 8],
].map(([name, off, size]) => ({ name: name as string, off: off as number, size: (size as number | undefined) ?? 4 }));

type SkbFlavor = 'socket_filter' | 'tc' | 'cgroup_skb';

const SKB_SOCK_FIELDS = new Set(['family', 'remote_ip4', 'local_ip4', 'remote_ip6', 'local_ip6', 'remote_port', 'local_port']);

function skbAccess(flavor: SkbFlavor, off: number, size: number, write: boolean): CtxAccess {
  const f = fieldAt(SKB_FIELDS, off);
  if (!f) return no('outside the structure');
  const n = f.name;
  // fields each flavour cannot touch at all
  if (flavor === 'socket_filter' && (['tc_classid', 'data', 'data_meta', 'data_end', 'tstamp', 'wire_len', 'hwtstamp'].includes(n) || SKB_SOCK_FIELDS.has(n)))
    return no(`${n} is not available to socket filters`);
  if (flavor === 'tc' && SKB_SOCK_FIELDS.has(n)) return no(`${n} is not available to tc programs`);
  if (flavor === 'cgroup_skb' && ['tc_classid', 'data_meta', 'wire_len'].includes(n)) return no(`${n} is not available to cgroup skb programs`);
  if (write) {
    const writable: Record<SkbFlavor, string[]> = {
      socket_filter: ['cb'],
      tc: ['mark', 'tc_index', 'priority', 'tc_classid', 'cb', 'tstamp', 'queue_mapping'],
      cgroup_skb: ['mark', 'priority', 'cb', 'tstamp'],
    };
    if (!writable[flavor].includes(n)) return no(`${n} is read-only`);
  }
  if (off % size !== 0) return no('misaligned access');
  switch (n) {
    case 'cb':
      break;
    case 'remote_ip6':
    case 'local_ip6':
    case 'remote_ip4':
    case 'local_ip4':
    case 'data':
    case 'data_meta':
    case 'data_end':
      if (size !== 4) return no(`${n} must be accessed with 4-byte loads`);
      break;
    case 'flow_keys':
      return no('flow_keys is only for flow dissectors');
    case 'hwtstamp':
      if (write || size !== 8) return no('hwtstamp is read-only and must be read with an 8-byte load');
      break;
    case 'tstamp':
      if (size !== 8) return no('tstamp must be accessed with 8-byte loads');
      break;
    case 'sk':
      if (write || size !== 8) return no('sk is a read-only pointer, read with an 8-byte load');
      return ok('sock_or_null');
    case 'tstamp_type':
      // tc programs may read it (one byte); it tells the kernel how to read tstamp
      if (flavor === 'tc' && !write && size === 1) break;
      return no(`${n} cannot be accessed${flavor === 'tc' ? ' except by a 1-byte read' : ''}`);
    case '(padding)':
      return no(`${n} cannot be accessed`);
    default:
      if (write) {
        if (size !== 4) return no(`${n} must be written with 4-byte stores`);
      } else if (size > 4) {
        return no(`${n} is 4 bytes`);
      }
  }
  if (n === 'cb' && off + size > f.off + f.size) return no('access beyond cb[4]');
  return ok(n === 'data' ? 'packet' : n === 'data_end' ? 'packet_end' : n === 'data_meta' ? 'packet_meta' : 'num');
}

const skb = (flavor: SkbFlavor): ContextSpec => ({
  name: 'struct __sk_buff',
  size: 192,
  packetWritable: flavor === 'tc',
  access: (off, size, write) => skbAccess(flavor, off, size, write),
});

// ---------------------------------------------------------------------------------------------
// Tracing

/** x86-64 `struct pt_regs`: 21 registers of 8 bytes. */
const PT_REGS_SIZE = 168;

const readOnlyBlob = (name: string, size: number, minOff = 0): ContextSpec => ({
  name,
  size,
  packetWritable: false,
  access(off, sz, write) {
    if (write) return no(`${name} is read-only`);
    if (off < minOff || off + sz > size) return no('outside the structure');
    if (off % sz !== 0) return no('misaligned access');
    return ok();
  },
});

const PERF_EVENT: ContextSpec = {
  name: 'struct bpf_perf_event_data',
  size: PT_REGS_SIZE + 16,
  packetWritable: false,
  access(off, size, write) {
    if (write) return no('the context is read-only');
    if (off < 0 || off + size > PT_REGS_SIZE + 16) return no('outside the structure');
    if (off % size !== 0) return no('misaligned access');
    if (off >= PT_REGS_SIZE && size !== 8 && size !== 4 && size !== 2 && size !== 1) return no('bad size');
    return ok();
  },
};

/** fentry/fexit/LSM: an array of 8-byte arguments. Pointer arguments are not typed (no kernel BTF). */
const BTF_ARGS: ContextSpec = {
  name: 'u64 args[]',
  size: 8 * 12,
  packetWritable: false,
  access(off, size, write) {
    if (write) return no('the arguments are read-only');
    if (off < 0 || off >= 8 * 12) return no('outside the arguments');
    if (off % 8 !== 0) return no(`offset ${off} is not a multiple of 8`);
    if (size !== 8) return no('arguments are read with 8-byte loads');
    return ok();
  },
};

const SYSCALL: ContextSpec = {
  name: 'syscall context',
  size: 0xffff,
  packetWritable: false,
  access(off, size) {
    if (off < 0 || off + size > 0xffff) return no('outside the context');
    if (off % size !== 0) return no('misaligned access');
    return ok();
  },
};

const unmodelled = (type: number): ContextSpec => ({
  name: `context of program type ${type}`,
  size: 0,
  packetWritable: false,
  access: () => no('bpfkit does not model the context of this program type'),
});

/** The context of a program type (attach type distinguishes cgroup/skb flavours where it matters). */
export function contextFor(progType: number): ContextSpec {
  switch (progType) {
    case ProgType.XDP:
      return XDP;
    case ProgType.SCHED_CLS:
    case ProgType.SCHED_ACT:
      return skb('tc');
    case ProgType.SOCKET_FILTER:
      return skb('socket_filter');
    case ProgType.CGROUP_SKB:
      return skb('cgroup_skb');
    case ProgType.KPROBE:
      return readOnlyBlob('struct pt_regs', PT_REGS_SIZE);
    case ProgType.TRACEPOINT:
      // the first 8 bytes are the common fields; the tracepoint's own size is checked at attach
      return readOnlyBlob('tracepoint record', 8192, 8);
    case ProgType.RAW_TRACEPOINT:
    case ProgType.RAW_TRACEPOINT_WRITABLE:
      return readOnlyBlob('struct bpf_raw_tracepoint_args', 8 * 12);
    case ProgType.PERF_EVENT:
      return PERF_EVENT;
    case ProgType.TRACING:
    case ProgType.LSM:
      return BTF_ARGS;
    case ProgType.SYSCALL:
      return SYSCALL;
    default:
      return unmodelled(progType);
  }
}

/** Program types whose programs may use the legacy packet loads (ld_abs / ld_ind). */
export function mayUseLegacyPacketLoads(progType: number): boolean {
  return progType === ProgType.SOCKET_FILTER || progType === ProgType.SCHED_CLS || progType === ProgType.SCHED_ACT;
}

/** Program types whose programs may read the packet directly (through ctx->data). */
export function packetAccess(progType: number): 'none' | 'read' | 'write' {
  switch (progType) {
    case ProgType.XDP:
    case ProgType.SCHED_CLS:
    case ProgType.SCHED_ACT:
    case ProgType.LWT_XMIT:
    case ProgType.SK_SKB:
    case ProgType.SK_MSG:
      return 'write';
    case ProgType.CGROUP_SKB:
    case ProgType.LWT_IN:
    case ProgType.LWT_OUT:
    case ProgType.LWT_SEG6LOCAL:
    case ProgType.SK_REUSEPORT:
    case ProgType.FLOW_DISSECTOR:
      return 'read';
    default:
      return 'none';
  }
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
      return [1, 1];
    case ProgType.TRACING:
      // fentry (24) / fexit (25) must return 0; fmod_ret and iterators differ
      return expectedAttachType === 24 || expectedAttachType === 25 ? [0, 0] : undefined;
    default:
      return undefined;
  }
}

/** bpftool's name of a program type, used to find the helpers it may call. */
export const PROG_TYPE_HELPER_KEY: Record<number, string> = {
  [ProgType.SOCKET_FILTER]: 'socket_filter',
  [ProgType.KPROBE]: 'kprobe',
  [ProgType.SCHED_CLS]: 'sched_cls',
  [ProgType.SCHED_ACT]: 'sched_act',
  [ProgType.TRACEPOINT]: 'tracepoint',
  [ProgType.XDP]: 'xdp',
  [ProgType.PERF_EVENT]: 'perf_event',
  [ProgType.CGROUP_SKB]: 'cgroup_skb',
  [ProgType.CGROUP_SOCK]: 'cgroup_sock',
  [ProgType.LWT_IN]: 'lwt_in',
  [ProgType.LWT_OUT]: 'lwt_out',
  [ProgType.LWT_XMIT]: 'lwt_xmit',
  [ProgType.SOCK_OPS]: 'sock_ops',
  [ProgType.SK_SKB]: 'sk_skb',
  [ProgType.CGROUP_DEVICE]: 'cgroup_device',
  [ProgType.SK_MSG]: 'sk_msg',
  [ProgType.RAW_TRACEPOINT]: 'raw_tracepoint',
  [ProgType.CGROUP_SOCK_ADDR]: 'cgroup_sock_addr',
  [ProgType.LWT_SEG6LOCAL]: 'lwt_seg6local',
  [ProgType.SK_REUSEPORT]: 'sk_reuseport',
  [ProgType.FLOW_DISSECTOR]: 'flow_dissector',
  [ProgType.CGROUP_SYSCTL]: 'cgroup_sysctl',
  [ProgType.RAW_TRACEPOINT_WRITABLE]: 'raw_tracepoint',
  [ProgType.CGROUP_SOCKOPT]: 'cgroup_sockopt',
  // tracing programs need an attach target to probe; they get the raw tracepoint set (a close superset)
  [ProgType.TRACING]: 'raw_tracepoint',
  [ProgType.LSM]: 'raw_tracepoint',
  [ProgType.SK_LOOKUP]: 'sk_lookup',
  [ProgType.SYSCALL]: 'syscall',
};
