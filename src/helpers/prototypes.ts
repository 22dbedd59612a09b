import { ProgType } from '../loader/kinds.js';
import { helperId } from './helper-ids.js';

/**
 * The prototypes of the helpers the simulated kernel implements, as plain data for the verifier:
 * what each argument must be, what comes back, and which program types may call it. The kinds
 * follow the kernel's `bpf_func_proto` (kernel/bpf/helpers.c, net/core/filter.c,
 * kernel/trace/bpf_trace.c) in bpfkit's spelling:
 *
 * Arguments
 * - `map`: a map pointer (ARG_CONST_MAP_PTR); `map-key`: memory of the map's key size
 *   (ARG_PTR_TO_MAP_KEY); `map-value`: readable memory of its value size; `uninit-map-value`:
 *   writable memory of its value size the helper fills;
 * - `mem`: readable memory whose size is the next argument; `mem-or-null`: the same or NULL;
 *   `uninit-mem`: writable memory the helper fills, sized by the next argument;
 * - `size`: a known non-zero size (ARG_CONST_SIZE); `size-or-zero`; `alloc-size-or-zero`: a
 *   constant size for memory the helper allocates (ringbuf_reserve);
 * - `ctx`: the program's context pointer; `anything`: any scalar; `func`: a pointer to a bpf
 *   function (a callback); `stack-or-null`: a pointer to the stack or NULL (a callback's context);
 * - `const-str`: a pointer to a NUL-terminated string in read-only map memory (.rodata);
 * - `ringbuf-mem`: a record returned by ringbuf_reserve, which the call releases.
 * Returns
 * - `integer`, `void` (r0 is unusable after the call), `map-value-or-null` (a map lookup: the
 *   value, or for a map of maps the inner map), `ringbuf-mem-or-null` (memory of the size of
 *   argument 2, to be submitted or discarded on every path).
 */
export type HelperArgKind =
  | 'map'
  | 'map-key'
  | 'map-value'
  | 'uninit-map-value'
  | 'mem'
  | 'mem-or-null'
  | 'uninit-mem'
  | 'size'
  | 'size-or-zero'
  | 'alloc-size-or-zero'
  | 'ctx'
  | 'anything'
  | 'func'
  | 'stack-or-null'
  | 'const-str'
  | 'ringbuf-mem';

export type HelperReturnKind = 'integer' | 'void' | 'map-value-or-null' | 'ringbuf-mem-or-null';

export interface HelperPrototype {
  id: number;
  /** The kernel's name, `bpf_...`. */
  name: string;
  args: readonly HelperArgKind[];
  ret: HelperReturnKind;
  /** Program types that may call it (`enum bpf_prog_type` numbers), or 'any'. */
  progTypes: readonly number[] | 'any';
  /** Only for GPL-compatible programs. */
  gplOnly: boolean;
  /** For `func` arguments: the callback's arguments, by kind. */
  callbackArgs?: readonly string[];
}

const TRACING = [ProgType.KPROBE, ProgType.TRACEPOINT, ProgType.RAW_TRACEPOINT, ProgType.PERF_EVENT, ProgType.TRACING, ProgType.RAW_TRACEPOINT_WRITABLE];
const TC = [ProgType.SCHED_CLS, ProgType.SCHED_ACT];
const SKB = [...TC, ProgType.SOCKET_FILTER, ProgType.CGROUP_SKB, ProgType.LWT_IN, ProgType.LWT_OUT, ProgType.LWT_XMIT, ProgType.SK_SKB];
const XDP = [ProgType.XDP];

type Row = [name: string, args: HelperArgKind[], ret: HelperReturnKind, progTypes: readonly number[] | 'any', gplOnly?: boolean, callbackArgs?: string[]];

const ROWS: Row[] = [
  ['map_lookup_elem', ['map', 'map-key'], 'map-value-or-null', 'any'],
  ['map_update_elem', ['map', 'map-key', 'map-value', 'anything'], 'integer', 'any'],
  ['map_delete_elem', ['map', 'map-key'], 'integer', 'any'],
  ['map_push_elem', ['map', 'map-value', 'anything'], 'integer', 'any'],
  ['map_pop_elem', ['map', 'uninit-map-value'], 'integer', 'any'],
  ['map_peek_elem', ['map', 'uninit-map-value'], 'integer', 'any'],
  ['map_lookup_percpu_elem', ['map', 'map-key', 'anything'], 'map-value-or-null', 'any'],
  ['ringbuf_output', ['map', 'mem', 'size-or-zero', 'anything'], 'integer', 'any'],
  ['ringbuf_reserve', ['map', 'alloc-size-or-zero', 'anything'], 'ringbuf-mem-or-null', 'any'],
  ['ringbuf_submit', ['ringbuf-mem', 'anything'], 'void', 'any'],
  ['ringbuf_discard', ['ringbuf-mem', 'anything'], 'void', 'any'],
  ['ringbuf_query', ['map', 'anything'], 'integer', 'any'],
  ['trace_printk', ['mem', 'size', 'anything', 'anything', 'anything'], 'integer', 'any', true],
  ['trace_vprintk', ['mem', 'size', 'mem-or-null', 'size-or-zero'], 'integer', 'any', true],
  ['snprintf', ['mem-or-null', 'size-or-zero', 'const-str', 'mem-or-null', 'size-or-zero'], 'integer', 'any', true],
  ['ktime_get_ns', [], 'integer', 'any'],
  ['ktime_get_boot_ns', [], 'integer', 'any'],
  ['ktime_get_coarse_ns', [], 'integer', 'any'],
  ['ktime_get_tai_ns', [], 'integer', 'any'],
  ['jiffies64', [], 'integer', 'any'],
  ['get_prandom_u32', [], 'integer', 'any'],
  ['get_smp_processor_id', [], 'integer', 'any'],
  ['get_numa_node_id', [], 'integer', 'any'],
  ['tail_call', ['ctx', 'map', 'anything'], 'void', 'any'],
  ['get_current_pid_tgid', [], 'integer', TRACING],
  ['get_current_uid_gid', [], 'integer', TRACING],
  ['get_current_comm', ['uninit-mem', 'size'], 'integer', TRACING],
  ['probe_read', ['uninit-mem', 'size-or-zero', 'anything'], 'integer', TRACING, true],
  ['probe_read_str', ['uninit-mem', 'size-or-zero', 'anything'], 'integer', TRACING, true],
  ['probe_read_kernel', ['uninit-mem', 'size-or-zero', 'anything'], 'integer', 'any', true],
  ['probe_read_kernel_str', ['uninit-mem', 'size-or-zero', 'anything'], 'integer', 'any', true],
  ['probe_read_user', ['uninit-mem', 'size-or-zero', 'anything'], 'integer', 'any', true],
  ['probe_read_user_str', ['uninit-mem', 'size-or-zero', 'anything'], 'integer', 'any', true],
  ['strncmp', ['mem', 'size', 'const-str'], 'integer', 'any'],
  ['loop', ['anything', 'func', 'stack-or-null', 'anything'], 'integer', 'any', false, ['anything', 'stack-or-null']],
  ['for_each_map_elem', ['map', 'func', 'stack-or-null', 'anything'], 'integer', 'any', false, ['map', 'map-key', 'map-value', 'stack-or-null']],
  ['perf_event_output', ['ctx', 'map', 'anything', 'mem', 'size-or-zero'], 'integer', [...TRACING, ...SKB, ...XDP], true],
  ['skb_load_bytes', ['ctx', 'anything', 'uninit-mem', 'size'], 'integer', SKB],
  ['skb_load_bytes_relative', ['ctx', 'anything', 'uninit-mem', 'size', 'anything'], 'integer', SKB],
  ['skb_store_bytes', ['ctx', 'anything', 'mem', 'size', 'anything'], 'integer', [...TC, ProgType.LWT_XMIT, ProgType.SK_SKB]],
  ['skb_pull_data', ['ctx', 'anything'], 'integer', [...TC, ProgType.LWT_XMIT, ProgType.SK_SKB]],
  ['skb_vlan_push', ['ctx', 'anything', 'anything'], 'integer', TC],
  ['skb_vlan_pop', ['ctx'], 'integer', TC],
  ['l3_csum_replace', ['ctx', 'anything', 'anything', 'anything', 'anything'], 'integer', [...TC, ProgType.LWT_XMIT]],
  ['l4_csum_replace', ['ctx', 'anything', 'anything', 'anything', 'anything'], 'integer', [...TC, ProgType.LWT_XMIT]],
  ['csum_diff', ['mem-or-null', 'size-or-zero', 'mem-or-null', 'size-or-zero', 'anything'], 'integer', [...TC, ...XDP, ProgType.LWT_IN, ProgType.LWT_OUT, ProgType.LWT_XMIT]],
  ['redirect', ['anything', 'anything'], 'integer', [...TC, ...XDP, ProgType.LWT_XMIT]],
  ['redirect_map', ['map', 'anything', 'anything'], 'integer', XDP],
  ['xdp_adjust_head', ['ctx', 'anything'], 'integer', XDP],
  ['xdp_adjust_tail', ['ctx', 'anything'], 'integer', XDP],
  ['xdp_adjust_meta', ['ctx', 'anything'], 'integer', XDP],
  ['xdp_get_buff_len', ['ctx'], 'integer', XDP],
  ['xdp_load_bytes', ['ctx', 'anything', 'uninit-mem', 'size'], 'integer', XDP],
  ['xdp_store_bytes', ['ctx', 'anything', 'mem', 'size'], 'integer', XDP],
];

export const HELPER_PROTOTYPES: readonly HelperPrototype[] = ROWS.map(([name, args, ret, progTypes, gplOnly, callbackArgs]) => {
  const id = helperId(name);
  if (id < 0) throw new Error(`prototype for unknown helper ${name}`);
  const p: HelperPrototype = { id, name: `bpf_${name}`, args, ret, progTypes, gplOnly: gplOnly ?? false };
  if (callbackArgs !== undefined) p.callbackArgs = callbackArgs;
  return p;
});

const BY_ID = new Map(HELPER_PROTOTYPES.map((p) => [p.id, p]));

/** The prototype of helper `id`, or undefined when the simulated kernel does not implement it. */
export const helperPrototype = (id: number): HelperPrototype | undefined => BY_ID.get(id);

/** True when a program of type `progType` may call helper `id`. */
export function helperAllowed(id: number, progType: number): boolean {
  const p = BY_ID.get(id);
  return p !== undefined && (p.progTypes === 'any' || p.progTypes.includes(progType));
}
