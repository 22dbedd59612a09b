/**
 * The helper table shared by the verifier and the simulated kernel: for every helper of the
 * kernel's UAPI its prototype (protos/table.ts, in the vocabulary of protos/kinds.ts), which
 * program types may call it (protos/availability.ts, recorded from the kernel), and which map
 * types it takes (protos/map-compat.ts). Implementations live in helpers/registry.ts, by id.
 */
import { ProgType } from '../loader/kinds.js';
import { HELPER_NAMES } from './helper-ids.js';
import { GPL_ONLY_HELPERS, HELPERS_BY_PROG_TYPE } from './protos/availability.js';
import type { CallbackProto, HelperPrototype, HelperSignature } from './protos/kinds.js';
import { HELPER_ROWS } from './protos/table.js';

export type { CallbackProto, HelperArgKind, HelperPrototype, HelperReturnKind, HelperSignature, HelperVariant } from './protos/kinds.js';
export { mapFitsHelper } from './protos/map-compat.js';

/** bpftool's name of each program type: the key of the availability table. */
export const PROG_TYPE_KEYS: Readonly<Record<number, string>> = {
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
  [ProgType.LIRC_MODE2]: 'lirc_mode2',
  [ProgType.SK_REUSEPORT]: 'sk_reuseport',
  [ProgType.FLOW_DISSECTOR]: 'flow_dissector',
  [ProgType.CGROUP_SYSCTL]: 'cgroup_sysctl',
  [ProgType.RAW_TRACEPOINT_WRITABLE]: 'raw_tracepoint_writable',
  [ProgType.CGROUP_SOCKOPT]: 'cgroup_sockopt',
  [ProgType.TRACING]: 'tracing',
  [ProgType.STRUCT_OPS]: 'struct_ops',
  [ProgType.EXT]: 'ext',
  [ProgType.LSM]: 'lsm',
  [ProgType.SK_LOOKUP]: 'sk_lookup',
  [ProgType.SYSCALL]: 'syscall',
  [ProgType.NETFILTER]: 'netfilter',
};

/** The availability keys of attach types the kernel's helper choice depends on. */
const ATTACH_KEYS: Readonly<Record<number, string>> = {
  8: 'bind4', 9: 'bind6', 14: 'sendmsg4', 15: 'sendmsg6', 19: 'recvmsg4', 20: 'recvmsg6',
  29: 'getpeername4', 30: 'getpeername6', 31: 'getsockname4', 32: 'getsockname6',
  49: 'connect_unix', 50: 'sendmsg_unix', 51: 'recvmsg_unix', 52: 'getpeername4', 53: 'getsockname4',
  22: 'setsockopt', 33: 'devmap', 35: 'cpumap', 5: 'stream_verdict', 38: 'verdict', 28: 'iter',
};

/** The availability key of a program type and attach type (`cgroup_sock_addr/bind4`). */
export function availabilityKey(progType: number, attachType?: number): string | undefined {
  const key = PROG_TYPE_KEYS[progType];
  if (key === undefined) return undefined;
  const sub = attachType !== undefined ? ATTACH_KEYS[attachType] : undefined;
  return sub !== undefined && HELPERS_BY_PROG_TYPE[`${key}/${sub}`] ? `${key}/${sub}` : key;
}

const GPL_ONLY = new Set(GPL_ONLY_HELPERS);
const ALLOWED = new Map<string, ReadonlySet<number>>(Object.entries(HELPERS_BY_PROG_TYPE).map(([k, ids]) => [k, new Set(ids)]));
const TYPE_BY_KEY = new Map<string, number>(Object.entries(PROG_TYPE_KEYS).map(([n, k]) => [k, Number(n)]));

/** Every helper of the UAPI (ids 1..), its prototype and who may call it. */
export const HELPER_PROTOTYPES: readonly HelperPrototype[] = HELPER_ROWS.map((r) => {
  const progTypes = Object.entries(HELPERS_BY_PROG_TYPE)
    .filter(([k, ids]) => !k.includes('/') && ids.includes(r.id))
    .map(([k]) => TYPE_BY_KEY.get(k)!)
    .filter((t) => t !== undefined);
  const p: HelperPrototype = {
    id: r.id,
    name: `bpf_${r.name}`,
    args: r.args,
    ret: r.ret,
    // the running kernel's word where it could be asked, else the source's
    gplOnly: GPL_ONLY.has(r.id) || r.gpl,
    sleepable: r.sleepable,
    changesPacket: r.changesPacket,
    variants: r.variants,
    progTypes,
    ...(r.btf ? { btf: r.btf } : {}),
    ...(r.sizes ? { sizes: r.sizes } : {}),
    ...(r.retBtf ? { retBtf: r.retBtf } : {}),
    ...(r.callback ? { callback: r.callback, callbackArgs: r.callback.params.map(simulatedParam) } : {}),
  };
  return p;
});

function simulatedParam(p: CallbackProto['params'][number]): string {
  if (typeof p === 'object') return p.fromArg === 3 || p.fromArg === 4 ? 'stack-or-null' : 'anything';
  return p === 'index' || p === 'scalar' || p === 'btf' || p === 'dynptr' ? 'anything' : p;
}

const BY_ID = new Map(HELPER_PROTOTYPES.map((p) => [p.id, p]));

/** The prototype of helper `id`, or undefined when the id is not a helper of the UAPI. */
export const helperPrototype = (id: number): HelperPrototype | undefined => BY_ID.get(id);

/** The prototype of helper `id` as a program of bpftool type `key` (`sched_cls`, `tracing`) sees it. */
export function helperSignature(id: number, key: string): HelperSignature | undefined {
  const p = BY_ID.get(id);
  if (!p) return undefined;
  const type = key.split('/')[0]!;
  const v = p.variants.find((x) => x.progTypes.includes(type));
  return v ?? p;
}

/** True when a program of type `progType` (with `attachType`) may call helper `id`, as the kernel decides. */
export function helperAllowed(id: number, progType: number, attachType?: number): boolean {
  const key = availabilityKey(progType, attachType);
  if (key === undefined) return false;
  return ALLOWED.get(key)?.has(id) ?? false;
}

/** The kernel's name of a helper id without `bpf_`, or undefined beyond the UAPI. */
export const helperBareName = (id: number): string | undefined => (id > 0 ? HELPER_NAMES[id] : undefined);
