/**
 * Which helpers may take which map types, as the kernel's check_map_func_compatibility decides it
 * both ways: a map type may be restricted to some helpers, and a helper to some map types. A map
 * type absent from the first table and a helper absent from the second take any.
 */
import { MapType as T } from '../../loader/kinds.js';

type Name = string;

/** Map types usable only with these helpers (by name, without `bpf_`). */
export const MAP_TYPE_HELPERS: ReadonlyMap<number, readonly Name[]> = new Map<number, readonly Name[]>([
  [T.PROG_ARRAY, ['tail_call']],
  [T.PERF_EVENT_ARRAY, ['perf_event_read', 'perf_event_output', 'skb_output', 'perf_event_read_value', 'xdp_output']],
  [T.RINGBUF, ['ringbuf_output', 'ringbuf_reserve', 'ringbuf_query', 'ringbuf_reserve_dynptr', 'ringbuf_submit_dynptr', 'ringbuf_discard_dynptr']],
  [T.USER_RINGBUF, ['user_ringbuf_drain']],
  [T.STACK_TRACE, ['get_stackid']],
  [T.CGROUP_ARRAY, ['skb_under_cgroup', 'current_task_under_cgroup']],
  [T.CGROUP_STORAGE, ['get_local_storage']],
  [T.PERCPU_CGROUP_STORAGE, ['get_local_storage']],
  [T.DEVMAP, ['redirect_map', 'map_lookup_elem']],
  [T.DEVMAP_HASH, ['redirect_map', 'map_lookup_elem']],
  [T.CPUMAP, ['redirect_map']],
  [T.XSKMAP, ['redirect_map', 'map_lookup_elem']],
  [T.ARRAY_OF_MAPS, ['map_lookup_elem']],
  [T.HASH_OF_MAPS, ['map_lookup_elem']],
  // update/delete are allowed where may_update_sockmap says (see SOCKMAP_UPDATE_PROG_TYPES)
  [T.SOCKMAP, ['sk_redirect_map', 'sock_map_update', 'msg_redirect_map', 'sk_select_reuseport', 'map_lookup_elem']],
  [T.SOCKHASH, ['sk_redirect_hash', 'sock_hash_update', 'msg_redirect_hash', 'sk_select_reuseport', 'map_lookup_elem']],
  [T.REUSEPORT_SOCKARRAY, ['sk_select_reuseport']],
  [T.QUEUE, ['map_peek_elem', 'map_pop_elem', 'map_push_elem']],
  [T.STACK, ['map_peek_elem', 'map_pop_elem', 'map_push_elem']],
  [T.SK_STORAGE, ['sk_storage_get', 'sk_storage_delete', 'kptr_xchg']],
  [T.INODE_STORAGE, ['inode_storage_get', 'inode_storage_delete', 'kptr_xchg']],
  [T.TASK_STORAGE, ['task_storage_get', 'task_storage_delete', 'kptr_xchg']],
  [T.CGRP_STORAGE, ['cgrp_storage_get', 'cgrp_storage_delete', 'kptr_xchg']],
  [T.BLOOM_FILTER, ['map_peek_elem', 'map_push_elem']],
]);

/** Helpers usable only with these map types. */
export const HELPER_MAP_TYPES: ReadonlyMap<Name, readonly number[]> = new Map<Name, readonly number[]>([
  ['tail_call', [T.PROG_ARRAY]],
  ['perf_event_read', [T.PERF_EVENT_ARRAY]],
  ['perf_event_output', [T.PERF_EVENT_ARRAY]],
  ['perf_event_read_value', [T.PERF_EVENT_ARRAY]],
  ['skb_output', [T.PERF_EVENT_ARRAY]],
  ['xdp_output', [T.PERF_EVENT_ARRAY]],
  ['ringbuf_output', [T.RINGBUF]],
  ['ringbuf_reserve', [T.RINGBUF]],
  ['ringbuf_query', [T.RINGBUF]],
  ['ringbuf_reserve_dynptr', [T.RINGBUF]],
  ['user_ringbuf_drain', [T.USER_RINGBUF]],
  ['get_stackid', [T.STACK_TRACE]],
  ['current_task_under_cgroup', [T.CGROUP_ARRAY]],
  ['skb_under_cgroup', [T.CGROUP_ARRAY]],
  ['redirect_map', [T.DEVMAP, T.DEVMAP_HASH, T.CPUMAP, T.XSKMAP]],
  ['sk_redirect_map', [T.SOCKMAP]],
  ['msg_redirect_map', [T.SOCKMAP]],
  ['sock_map_update', [T.SOCKMAP]],
  ['sk_redirect_hash', [T.SOCKHASH]],
  ['msg_redirect_hash', [T.SOCKHASH]],
  ['sock_hash_update', [T.SOCKHASH]],
  ['get_local_storage', [T.CGROUP_STORAGE, T.PERCPU_CGROUP_STORAGE]],
  ['sk_select_reuseport', [T.REUSEPORT_SOCKARRAY, T.SOCKMAP, T.SOCKHASH]],
  ['map_pop_elem', [T.QUEUE, T.STACK]],
  ['map_peek_elem', [T.QUEUE, T.STACK, T.BLOOM_FILTER]],
  ['map_push_elem', [T.QUEUE, T.STACK, T.BLOOM_FILTER]],
  ['map_lookup_percpu_elem', [T.PERCPU_ARRAY, T.PERCPU_HASH, T.LRU_PERCPU_HASH]],
  ['sk_storage_get', [T.SK_STORAGE]],
  ['sk_storage_delete', [T.SK_STORAGE]],
  ['inode_storage_get', [T.INODE_STORAGE]],
  ['inode_storage_delete', [T.INODE_STORAGE]],
  ['task_storage_get', [T.TASK_STORAGE]],
  ['task_storage_delete', [T.TASK_STORAGE]],
  ['cgrp_storage_get', [T.CGRP_STORAGE]],
  ['cgrp_storage_delete', [T.CGRP_STORAGE]],
]);

/**
 * Program types that may update and delete sockmap/sockhash entries (may_update_sockmap; sock_ops
 * may only delete, iterators may do both).
 */
export const SOCKMAP_UPDATE_PROG_TYPES: readonly string[] = ['socket_filter', 'sched_cls', 'sched_act', 'xdp', 'sk_reuseport', 'flow_dissector', 'sk_lookup'];

/** Whether helper `name` may take a map of type `mapType` in a program of bpftool type `progType`. */
export function mapFitsHelper(name: string, mapType: number, progType: string): boolean {
  const byMap = MAP_TYPE_HELPERS.get(mapType);
  const sockUpdate =
    (mapType === T.SOCKMAP || mapType === T.SOCKHASH) &&
    (name === 'map_update_elem' || name === 'map_delete_elem') &&
    (SOCKMAP_UPDATE_PROG_TYPES.includes(progType) || (progType === 'sock_ops' && name === 'map_delete_elem') || progType === 'tracing/iter');
  if (byMap && !byMap.includes(name) && !sockUpdate) return false;
  const byHelper = HELPER_MAP_TYPES.get(name);
  return !byHelper || byHelper.includes(mapType);
}
