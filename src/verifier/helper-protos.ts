/**
 * Helper prototypes as the verifier needs them: the kind of each argument, the kind of the result,
 * and the side effects that matter for safety (callbacks, references, packet invalidation, map
 * types). This is data, read by assertions.ts and the transformer; the kernel's own table is
 * `bpf_func_proto`. Which program types may call which helper is in helper-availability.ts,
 * recorded from the kernel.
 */
import { HELPER_NAMES } from '../helpers/helper-ids.js';
import { type HelperArgKind, type HelperReturnKind, helperPrototype } from '../helpers/prototypes.js';
import { MapType } from '../loader/kinds.js';

export type ArgKind =
  /** Any initialised value. */
  | 'anything'
  /** A map (lddw of a map). */
  | 'map'
  /** Pointer to `key_size` readable bytes of the map in argument 1. */
  | 'mapKey'
  /** Pointer to `value_size` readable bytes of the map in argument 1. */
  | 'mapValue'
  /** Pointer to readable memory whose size is the next argument. */
  | 'mem'
  /** Like mem, or NULL (with a zero size). */
  | 'memOrNull'
  /** Pointer to memory the helper writes, size in the next argument; may be uninitialised. */
  | 'uninitMem'
  /** Like uninitMem, or NULL (with a zero size). */
  | 'uninitMemOrNull'
  /** A size known to be in (0, limit]: the previous argument's memory. */
  | 'size'
  /** Like size, zero allowed. */
  | 'sizeOrZero'
  /** The unmodified context pointer. */
  | 'ctx'
  /** A function of the program (a callback). */
  | 'func'
  /** A stack pointer or NULL (callback context). */
  | 'stackOrNull'
  /** Ring buffer memory from bpf_ringbuf_reserve, at offset 0; the reference is released. */
  | 'ringbufMem'
  /** A constant allocation size (ring buffer reservations). */
  | 'allocSize'
  /** Pointer to `value_size` bytes of the map in argument 1 that the helper writes. */
  | 'uninitMapValue'
  /** Pointer to 8 writable bytes (a long the helper stores to). */
  | 'long'
  /** Pointer to 4 writable bytes (an int the helper stores to). */
  | 'int'
  /** Pointer to a NUL-terminated string in a read-only map value. */
  | 'constStr';

export type RetKind = 'integer' | 'void' | 'mapValueOrNull' | 'ringbufMemOrNull' | 'btfPtr';

export interface CallbackSpec {
  /** Argument (1-based) holding the callback. */
  readonly arg: number;
  /**
   * What the callback receives in r1..r5: an index, a copy of one of the helper's arguments, the
   * map of argument 1 / a pointer to one of its keys / one of its values (bpf_for_each_map_elem).
   */
  readonly params: ReadonlyArray<'index' | { readonly fromArg: number } | 'scalar' | 'mapKey' | 'mapValue'>;
  /** Range of the callback's return value. */
  readonly ret: readonly [number, number];
}

export interface HelperProto {
  readonly name: string;
  readonly args: readonly ArgKind[];
  readonly ret: RetKind;
  readonly callback?: CallbackSpec;
  /** The helper may move or resize the packet: every packet pointer becomes invalid. */
  readonly changesPacket?: boolean;
  /** Map types argument 1 may be (when it is a map). */
  readonly mapTypes?: readonly number[];
  /** Needs GPL-compatible license. */
  readonly gpl?: boolean;
}

const T = MapType;
const NOT_FOR_LOOKUP = [T.RINGBUF, T.PERF_EVENT_ARRAY, T.PROG_ARRAY, T.QUEUE, T.STACK, T.BLOOM_FILTER, T.USER_RINGBUF, T.STRUCT_OPS];
const LOOKUP_MAPS = Object.values(T).filter((t) => !NOT_FOR_LOOKUP.includes(t as (typeof NOT_FOR_LOOKUP)[number]));

const PROTOS_BY_NAME: Record<string, Omit<HelperProto, 'name'>> = {
  map_lookup_elem: { args: ['map', 'mapKey'], ret: 'mapValueOrNull', mapTypes: LOOKUP_MAPS },
  map_update_elem: { args: ['map', 'mapKey', 'mapValue', 'anything'], ret: 'integer', mapTypes: LOOKUP_MAPS },
  map_delete_elem: { args: ['map', 'mapKey'], ret: 'integer', mapTypes: LOOKUP_MAPS },
  map_push_elem: { args: ['map', 'mapValue', 'anything'], ret: 'integer', mapTypes: [T.QUEUE, T.STACK, T.BLOOM_FILTER] },
  map_pop_elem: { args: ['map', 'uninitMapValue'], ret: 'integer', mapTypes: [T.QUEUE, T.STACK] },
  map_peek_elem: { args: ['map', 'uninitMapValue'], ret: 'integer', mapTypes: [T.QUEUE, T.STACK, T.BLOOM_FILTER] },
  probe_read: { args: ['uninitMem', 'sizeOrZero', 'anything'], ret: 'integer', gpl: true },
  probe_read_kernel: { args: ['uninitMem', 'sizeOrZero', 'anything'], ret: 'integer', gpl: true },
  probe_read_user: { args: ['uninitMem', 'sizeOrZero', 'anything'], ret: 'integer', gpl: true },
  probe_read_str: { args: ['uninitMem', 'sizeOrZero', 'anything'], ret: 'integer', gpl: true },
  probe_read_kernel_str: { args: ['uninitMem', 'sizeOrZero', 'anything'], ret: 'integer', gpl: true },
  probe_read_user_str: { args: ['uninitMem', 'sizeOrZero', 'anything'], ret: 'integer', gpl: true },
  ktime_get_ns: { args: [], ret: 'integer' },
  ktime_get_boot_ns: { args: [], ret: 'integer' },
  ktime_get_coarse_ns: { args: [], ret: 'integer' },
  ktime_get_tai_ns: { args: [], ret: 'integer' },
  jiffies64: { args: [], ret: 'integer' },
  // arguments 3-5 are whatever the format consumes: the kernel does not check them
  trace_printk: { args: ['mem', 'size'], ret: 'integer', gpl: true },
  trace_vprintk: { args: ['mem', 'size', 'memOrNull', 'sizeOrZero'], ret: 'integer', gpl: true },
  skb_load_bytes_relative: { args: ['ctx', 'anything', 'uninitMem', 'size', 'anything'], ret: 'integer' },
  for_each_map_elem: {
    args: ['map', 'func', 'stackOrNull', 'anything'],
    ret: 'integer',
    callback: { arg: 2, params: [{ fromArg: 1 }, 'mapKey', 'mapValue', { fromArg: 3 }], ret: [0, 1] },
  },
  get_prandom_u32: { args: [], ret: 'integer' },
  get_smp_processor_id: { args: [], ret: 'integer' },
  get_numa_node_id: { args: [], ret: 'integer' },
  get_current_pid_tgid: { args: [], ret: 'integer' },
  get_current_uid_gid: { args: [], ret: 'integer' },
  get_current_comm: { args: ['uninitMem', 'size'], ret: 'integer' },
  get_current_task: { args: [], ret: 'integer', gpl: true },
  get_current_task_btf: { args: [], ret: 'btfPtr', gpl: true },
  current_task_under_cgroup: { args: ['map', 'anything'], ret: 'integer', mapTypes: [T.CGROUP_ARRAY] },
  get_ns_current_pid_tgid: { args: ['anything', 'anything', 'uninitMem', 'size'], ret: 'integer' },
  get_current_cgroup_id: { args: [], ret: 'integer' },
  get_cgroup_classid: { args: ['ctx'], ret: 'integer' },
  get_hash_recalc: { args: ['ctx'], ret: 'integer' },
  get_socket_cookie: { args: ['ctx'], ret: 'integer' },
  get_socket_uid: { args: ['ctx'], ret: 'integer' },
  get_route_realm: { args: ['ctx'], ret: 'integer' },
  tail_call: { args: ['ctx', 'map', 'anything'], ret: 'void', mapTypes: [T.PROG_ARRAY] },
  redirect: { args: ['anything', 'anything'], ret: 'integer' },
  redirect_map: { args: ['map', 'anything', 'anything'], ret: 'integer', mapTypes: [T.DEVMAP, T.DEVMAP_HASH, T.CPUMAP, T.XSKMAP] },
  perf_event_output: { args: ['ctx', 'map', 'anything', 'mem', 'sizeOrZero'], ret: 'integer', mapTypes: [T.PERF_EVENT_ARRAY] },
  perf_event_read: { args: ['map', 'anything'], ret: 'integer', mapTypes: [T.PERF_EVENT_ARRAY] },
  get_stackid: { args: ['ctx', 'map', 'anything'], ret: 'integer', mapTypes: [T.STACK_TRACE] },
  get_stack: { args: ['ctx', 'uninitMem', 'sizeOrZero', 'anything'], ret: 'integer' },
  csum_diff: { args: ['memOrNull', 'sizeOrZero', 'memOrNull', 'sizeOrZero', 'anything'], ret: 'integer' },
  skb_load_bytes: { args: ['ctx', 'anything', 'uninitMem', 'size'], ret: 'integer' },
  skb_store_bytes: { args: ['ctx', 'anything', 'mem', 'size', 'anything'], ret: 'integer', changesPacket: true },
  l3_csum_replace: { args: ['ctx', 'anything', 'anything', 'anything', 'anything'], ret: 'integer', changesPacket: true },
  l4_csum_replace: { args: ['ctx', 'anything', 'anything', 'anything', 'anything'], ret: 'integer', changesPacket: true },
  clone_redirect: { args: ['ctx', 'anything', 'anything'], ret: 'integer', changesPacket: true },
  skb_vlan_push: { args: ['ctx', 'anything', 'anything'], ret: 'integer', changesPacket: true },
  skb_vlan_pop: { args: ['ctx'], ret: 'integer', changesPacket: true },
  skb_change_proto: { args: ['ctx', 'anything', 'anything'], ret: 'integer', changesPacket: true },
  skb_change_type: { args: ['ctx', 'anything'], ret: 'integer' },
  skb_change_tail: { args: ['ctx', 'anything', 'anything'], ret: 'integer', changesPacket: true },
  skb_change_head: { args: ['ctx', 'anything', 'anything'], ret: 'integer', changesPacket: true },
  skb_pull_data: { args: ['ctx', 'anything'], ret: 'integer', changesPacket: true },
  skb_adjust_room: { args: ['ctx', 'anything', 'anything', 'anything'], ret: 'integer', changesPacket: true },
  set_hash_invalid: { args: ['ctx'], ret: 'void' },
  set_hash: { args: ['ctx', 'anything'], ret: 'integer' },
  csum_update: { args: ['ctx', 'anything'], ret: 'integer' },
  xdp_adjust_head: { args: ['ctx', 'anything'], ret: 'integer', changesPacket: true },
  xdp_adjust_meta: { args: ['ctx', 'anything'], ret: 'integer', changesPacket: true },
  xdp_adjust_tail: { args: ['ctx', 'anything'], ret: 'integer', changesPacket: true },
  xdp_get_buff_len: { args: ['ctx'], ret: 'integer' },
  xdp_load_bytes: { args: ['ctx', 'anything', 'uninitMem', 'size'], ret: 'integer' },
  xdp_store_bytes: { args: ['ctx', 'anything', 'mem', 'size'], ret: 'integer' },
  ringbuf_output: { args: ['map', 'mem', 'sizeOrZero', 'anything'], ret: 'integer', mapTypes: [T.RINGBUF] },
  ringbuf_reserve: { args: ['map', 'allocSize', 'anything'], ret: 'ringbufMemOrNull', mapTypes: [T.RINGBUF] },
  ringbuf_submit: { args: ['ringbufMem', 'anything'], ret: 'void' },
  ringbuf_discard: { args: ['ringbufMem', 'anything'], ret: 'void' },
  ringbuf_query: { args: ['map', 'anything'], ret: 'integer', mapTypes: [T.RINGBUF] },
  loop: {
    args: ['anything', 'func', 'stackOrNull', 'anything'],
    ret: 'integer',
    callback: { arg: 2, params: ['index', { fromArg: 3 }], ret: [0, 1] },
  },
  snprintf: { args: ['uninitMemOrNull', 'sizeOrZero', 'constStr', 'memOrNull', 'sizeOrZero'], ret: 'integer' },
  strncmp: { args: ['mem', 'size', 'constStr'], ret: 'integer' },
  get_func_ip: { args: ['ctx'], ret: 'integer' },
  get_attach_cookie: { args: ['ctx'], ret: 'integer' },
  send_signal: { args: ['anything'], ret: 'integer' },
  get_current_ancestor_cgroup_id: { args: ['anything'], ret: 'integer' },
  fib_lookup: { args: ['ctx', 'mem', 'size', 'anything'], ret: 'integer' },
  check_mtu: { args: ['ctx', 'anything', 'int', 'anything', 'anything'], ret: 'integer' },
};

/** The simulated kernel's argument kinds in the verifier's spelling. */
const FROM_SIMULATED: Record<HelperArgKind, ArgKind> = {
  map: 'map',
  'map-key': 'mapKey',
  'map-value': 'mapValue',
  'uninit-map-value': 'uninitMapValue',
  mem: 'mem',
  'mem-or-null': 'memOrNull',
  'uninit-mem': 'uninitMem',
  size: 'size',
  'size-or-zero': 'sizeOrZero',
  'alloc-size-or-zero': 'allocSize',
  ctx: 'ctx',
  anything: 'anything',
  func: 'func',
  'stack-or-null': 'stackOrNull',
  'const-str': 'constStr',
  'ringbuf-mem': 'ringbufMem',
};
const RET_FROM_SIMULATED: Record<HelperReturnKind, RetKind> = {
  integer: 'integer',
  void: 'void',
  'map-value-or-null': 'mapValueOrNull',
  'ringbuf-mem-or-null': 'ringbufMemOrNull',
};

/**
 * Where the verifier must read a prototype differently from the simulated kernel's table:
 * trace_printk's arguments 3-5 are whatever the format consumes (the kernel checks none of
 * them, so they may be uninitialised); snprintf writes its output buffer.
 */
export const VERIFIER_ARG_OVERRIDES: Readonly<Record<string, readonly ArgKind[]>> = {
  trace_printk: ['mem', 'size'],
  snprintf: ['uninitMemOrNull', 'sizeOrZero', 'constStr', 'memOrNull', 'sizeOrZero'],
};

/**
 * The prototype of a helper id, or undefined when bpfkit's verifier does not know it. Arguments
 * and result come from the simulated kernel's table (src/helpers/prototypes.ts) when it has the
 * helper; this file adds what only the verifier needs (callbacks, packet invalidation, map
 * types) and the prototypes of helpers the simulated kernel does not implement.
 */
const protoCache = new Map<number, HelperProto | undefined>();

export function helperProto(id: number): HelperProto | undefined {
  if (protoCache.has(id)) return protoCache.get(id);
  const p = buildProto(id);
  protoCache.set(id, p);
  return p;
}

function buildProto(id: number): HelperProto | undefined {
  const name = HELPER_NAMES[id];
  if (name === undefined) return undefined;
  const own = PROTOS_BY_NAME[name];
  const sim = helperPrototype(id);
  if (!sim) return own ? { name, ...own } : undefined;
  const proto: HelperProto = {
    ...own,
    name,
    args: VERIFIER_ARG_OVERRIDES[name] ?? sim.args.map((a) => FROM_SIMULATED[a]),
    ret: RET_FROM_SIMULATED[sim.ret],
    gpl: sim.gplOnly,
  };
  return proto;
}

/** The verifier's own prototype (for the consistency test with the simulated kernel's). */
export function ownHelperProto(name: string): Omit<HelperProto, 'name'> | undefined {
  return PROTOS_BY_NAME[name];
}

export const helperName = (id: number): string => {
  const n = HELPER_NAMES[id];
  return n === undefined ? `helper#${id}` : `bpf_${n}#${id}`;
};
