import { BpfkitError, ErrorCode } from '../../errors.js';
import type { MapDef } from '../../loader/model.js';
import { MapFlag, MapType, mapTypeName } from '../../loader/kinds.js';
import { ArrayMap } from './array.js';
import { BloomFilterMap } from './bloom-filter.js';
import { CpuMap } from './cpumap.js';
import { DevMap } from './devmap.js';
import { HashMap } from './hash.js';
import { LOCAL_STORAGE_OWNERS, LocalStorageMap } from './local-storage.js';
import { LpmTrieMap } from './lpm-trie.js';
import type { BpfMap, MapEnv } from './map.js';
import { MapInMap } from './map-in-map.js';
import { PerfEventArray } from './perf-event.js';
import { ProgArrayMap } from './prog-array.js';
import { QueueStackMap } from './queue-stack.js';
import { RingbufMap } from './ringbuf.js';
import { XskMap } from './xskmap.js';
import { SockHash, SockMap } from './sockmap.js';
import { CgroupStorageMap } from './cgroup-storage.js';
import { CgroupArrayMap } from './cgroup-array.js';
import { PERF_MAX_STACK, StackTraceMap } from './stack-trace.js';
import { UserRingbufMap } from './user-ringbuf.js';
import { ReuseportArrayMap } from './reuseport-array.js';

const ACCESS = MapFlag.RDONLY | MapFlag.WRONLY | MapFlag.RDONLY_PROG | MapFlag.WRONLY_PROG;
const ARRAY_FLAGS = MapFlag.NUMA_NODE | MapFlag.MMAPABLE | ACCESS | MapFlag.INNER_MAP;
const HASH_FLAGS = MapFlag.NO_PREALLOC | MapFlag.NO_COMMON_LRU | MapFlag.NUMA_NODE | ACCESS | MapFlag.ZERO_SEED;
const PAGE_SIZE = 4096;
/** The largest per-CPU value the kernel allocates (PCPU_MIN_UNIT_SIZE). */
const PCPU_MAX_VALUE = 32768;
/** A key must fit on the 512-byte stack to be usable from a program (the kernel's MAX_BPF_STACK). */
const MAX_KEY = 512;
/** bpfkit keeps map storage in one WebAssembly memory: refuse maps that would not fit. */
const MAX_MAP_BYTES = 512 * 1024 * 1024;

/**
 * The map-type table: how bpfkit creates each map type it simulates. A new map type is one entry
 * here (plus its definition checks in {@link mapDefProblem}) and one module.
 */
const MAP_TYPE_TABLE = new Map<number, (def: MapDef, index: number, env: MapEnv) => BpfMap>([
  [MapType.HASH, (d, i, e) => new HashMap(d, i, e)],
  [MapType.ARRAY, arrayMap],
  [MapType.PROG_ARRAY, (d, i, e) => new ProgArrayMap(d, i, e)],
  [MapType.PERF_EVENT_ARRAY, (d, i, e) => new PerfEventArray(d, i, e)],
  [MapType.PERCPU_HASH, (d, i, e) => new HashMap(d, i, e)],
  [MapType.PERCPU_ARRAY, arrayMap],
  [MapType.LRU_HASH, (d, i, e) => new HashMap(d, i, e)],
  [MapType.LRU_PERCPU_HASH, (d, i, e) => new HashMap(d, i, e)],
  [MapType.LPM_TRIE, (d, i, e) => new LpmTrieMap(d, i, e)],
  [MapType.ARRAY_OF_MAPS, (d, i, e) => new MapInMap(d, i, e)],
  [MapType.HASH_OF_MAPS, (d, i, e) => new MapInMap(d, i, e)],
  [MapType.DEVMAP, (d, i, e) => new DevMap(d, i, e)],
  [MapType.CPUMAP, (d, i, e) => new CpuMap(d, i, e)],
  [MapType.XSKMAP, (d, i, e) => new XskMap(d, i, e)],
  [MapType.QUEUE, (d, i, e) => new QueueStackMap(d, i, e)],
  [MapType.STACK, (d, i, e) => new QueueStackMap(d, i, e)],
  [MapType.DEVMAP_HASH, (d, i, e) => new DevMap(d, i, e)],
  [MapType.RINGBUF, (d, i, e) => new RingbufMap(d, i, e)],
  // The kernel seeds a bloom filter at random unless BPF_F_ZERO_SEED; bpfkit's seed is fixed per map.
  [MapType.BLOOM_FILTER, (d, i, e) => new BloomFilterMap(d, i, e, 0x9e3779b9 ^ i)],
  [MapType.SK_STORAGE, (d, i, e) => new LocalStorageMap(d, i, e)],
  [MapType.TASK_STORAGE, (d, i, e) => new LocalStorageMap(d, i, e)],
  [MapType.INODE_STORAGE, (d, i, e) => new LocalStorageMap(d, i, e)],
  [MapType.CGRP_STORAGE, (d, i, e) => new LocalStorageMap(d, i, e)],
  [MapType.SOCKMAP, (d, i, e) => new SockMap(d, i, e)],
  [MapType.SOCKHASH, (d, i, e) => new SockHash(d, i, e)],
  [MapType.CGROUP_STORAGE, (d, i, e) => new CgroupStorageMap(d, i, e)],
  [MapType.PERCPU_CGROUP_STORAGE, (d, i, e) => new CgroupStorageMap(d, i, e)],
  [MapType.CGROUP_ARRAY, (d, i, e) => new CgroupArrayMap(d, i, e)],
  [MapType.USER_RINGBUF, (d, i, e) => new UserRingbufMap(d, i, e)],
  [MapType.REUSEPORT_SOCKARRAY, (d, i, e) => new ReuseportArrayMap(d, i, e)],
  [MapType.STACK_TRACE, (d, i, e) => {
    if (d.flags & MapFlag.STACK_BUILD_ID) throw new BpfkitError(ErrorCode.Unsupported, `map '${d.name}' (stack_trace): BPF_F_STACK_BUILD_ID (build-id stacks) is not simulated by bpfkit`);
    return new StackTraceMap(d, i, e);
  }],
]);

function arrayMap(def: MapDef, index: number, env: MapEnv): BpfMap {
  return new ArrayMap(def, index, env, {
    readOnlyForPrograms: def.origin === 'rodata' || def.origin === 'kconfig' || (def.flags & MapFlag.RDONLY_PROG) !== 0,
  });
}

/** The map types bpfkit simulates. */
export const SUPPORTED_MAP_TYPES: readonly number[] = [...MAP_TYPE_TABLE.keys()];

const FLAG_NAMES: ReadonlyArray<[number, string]> = Object.entries(MapFlag).map(([k, v]) => [v, `BPF_F_${k}`]);

function flagNames(flags: number): string {
  const names = FLAG_NAMES.filter(([v]) => flags & v).map(([, n]) => n);
  const known = FLAG_NAMES.reduce((m, [v]) => m | v, 0);
  if (flags & ~known) names.push(`0x${(flags & ~known).toString(16)}`);
  return names.join('|');
}

/** Why the kernel would refuse to create `def` (its -EINVAL/-E2BIG cases), or undefined. */
export function mapDefProblem(def: MapDef, cpus: number): string | undefined {
  const t = def.type;
  const { keySize: k, valueSize: v, maxEntries: n, flags } = def;
  const allowed = (mask: number): string | undefined =>
    flags & ~mask ? `flag ${flagNames(flags & ~mask)} is not valid for a ${mapTypeName(t)} map` : undefined;
  switch (t) {
    case MapType.ARRAY:
    case MapType.PERCPU_ARRAY:
      if (k !== 4) return `key_size must be 4, not ${k}`;
      if (v === 0 || n === 0) return 'value_size and max_entries must not be 0';
      if (t === MapType.PERCPU_ARRAY && v > PCPU_MAX_VALUE) return `value_size ${v} is over the per-CPU limit of ${PCPU_MAX_VALUE}`;
      if (t === MapType.PERCPU_ARRAY && flags & MapFlag.MMAPABLE) return 'BPF_F_MMAPABLE is not valid for a percpu_array map';
      return allowed(ARRAY_FLAGS);
    case MapType.PROG_ARRAY:
    case MapType.PERF_EVENT_ARRAY:
    case MapType.CGROUP_ARRAY:
    case MapType.ARRAY_OF_MAPS:
      if (k !== 4 || v !== 4) return `key_size and value_size must be 4, not ${k} and ${v}`;
      if (n === 0) return 'max_entries must not be 0';
      return allowed(ARRAY_FLAGS | (t === MapType.PERF_EVENT_ARRAY ? MapFlag.PRESERVE_ELEMS : 0));
    case MapType.HASH:
    case MapType.PERCPU_HASH:
    case MapType.LRU_HASH:
    case MapType.LRU_PERCPU_HASH:
    case MapType.HASH_OF_MAPS: {
      const lru = t === MapType.LRU_HASH || t === MapType.LRU_PERCPU_HASH;
      if (k === 0 || v === 0 || n === 0) return 'key_size, value_size and max_entries must not be 0';
      if (k > MAX_KEY) return `key_size ${k} is over ${MAX_KEY}`;
      if (t === MapType.HASH_OF_MAPS && v !== 4) return `value_size must be 4, not ${v}`;
      if ((t === MapType.PERCPU_HASH || t === MapType.LRU_PERCPU_HASH) && v > PCPU_MAX_VALUE) return `value_size ${v} is over the per-CPU limit of ${PCPU_MAX_VALUE}`;
      if (!lru && flags & MapFlag.NO_COMMON_LRU) return 'BPF_F_NO_COMMON_LRU is only valid for LRU maps';
      if (lru && flags & MapFlag.NO_PREALLOC) return 'LRU maps must be preallocated (BPF_F_NO_PREALLOC is not valid)';
      if (lru && flags & MapFlag.NO_COMMON_LRU && n < cpus) return `a per-CPU LRU needs max_entries >= the ${cpus} CPUs`;
      return allowed(HASH_FLAGS);
    }
    case MapType.LPM_TRIE:
      if (n === 0) return 'max_entries must not be 0';
      if (!(flags & MapFlag.NO_PREALLOC)) return 'an lpm_trie map needs BPF_F_NO_PREALLOC';
      if (k < 5 || k > 4 + 256) return `key_size ${k} must be 5..260 (a u32 prefix length and 1..256 data bytes)`;
      if (v < 1) return 'value_size must not be 0';
      return allowed(MapFlag.NO_PREALLOC | MapFlag.NUMA_NODE | ACCESS);
    case MapType.QUEUE:
    case MapType.STACK:
      if (k !== 0) return `key_size must be 0, not ${k}`;
      if (v === 0 || n === 0) return 'value_size and max_entries must not be 0';
      return allowed(MapFlag.NUMA_NODE | ACCESS);
    case MapType.RINGBUF:
    case MapType.USER_RINGBUF:
      if (k !== 0 || v !== 0) return `key_size and value_size must be 0, not ${k} and ${v}`;
      if (n === 0 || (n & (n - 1)) !== 0 || n % PAGE_SIZE !== 0) return `max_entries ${n} must be a power of 2 and a multiple of ${PAGE_SIZE}`;
      return allowed(MapFlag.NUMA_NODE);
    case MapType.DEVMAP:
    case MapType.DEVMAP_HASH:
      if (k !== 4 || (v !== 4 && v !== 8)) return `key_size must be 4 and value_size 4 or 8, not ${k} and ${v}`;
      if (n === 0) return 'max_entries must not be 0';
      return allowed(MapFlag.NUMA_NODE | ACCESS);
    case MapType.CPUMAP:
      if (k !== 4 || (v !== 4 && v !== 8)) return `key_size must be 4 and value_size 4 or 8, not ${k} and ${v}`;
      if (n === 0) return 'max_entries must not be 0';
      return allowed(MapFlag.NUMA_NODE);
    case MapType.XSKMAP:
      if (k !== 4 || v !== 4) return `key_size and value_size must be 4, not ${k} and ${v}`;
      if (n === 0) return 'max_entries must not be 0';
      return allowed(MapFlag.NUMA_NODE | ACCESS);
    case MapType.BLOOM_FILTER:
      if (k !== 0) return `key_size must be 0, not ${k}`;
      if (v === 0 || n === 0) return 'value_size and max_entries must not be 0';
      if ((def.mapExtra ?? 0) & ~0xf) return `map_extra ${def.mapExtra} must be a hash count of 0..15`;
      return allowed(MapFlag.NUMA_NODE | MapFlag.ZERO_SEED | ACCESS);
    case MapType.SK_STORAGE:
    case MapType.TASK_STORAGE:
    case MapType.INODE_STORAGE:
    case MapType.CGRP_STORAGE:
      // bpf_local_storage_map_alloc_check: an int key (the owner's fd), storage per owner, BTF for the dump.
      if (k !== 4 || v === 0) return `key_size must be 4 and value_size not 0, not ${k} and ${v}`;
      if (n !== 0) return `max_entries must be 0, not ${n} (storage is per owner)`;
      if (!(flags & MapFlag.NO_PREALLOC)) return 'a local storage map needs BPF_F_NO_PREALLOC';
      if (def.origin === 'btf' && (!def.btfKeyTypeId || !def.btfValueTypeId)) return 'a local storage map needs BTF key and value types';
      return allowed(MapFlag.NO_PREALLOC | MapFlag.CLONE);
    case MapType.REUSEPORT_SOCKARRAY:
      if (k !== 4 || (v !== 4 && v !== 8)) return `key_size must be 4 and value_size 4 or 8, not ${k} and ${v}`;
      if (n === 0) return 'max_entries must not be 0';
      return allowed(ARRAY_FLAGS);
    case MapType.SOCKMAP:
    case MapType.SOCKHASH:
      if (n === 0) return 'max_entries must not be 0';
      if (t === MapType.SOCKMAP && k !== 4) return `key_size must be 4, not ${k}`;
      if (t === MapType.SOCKHASH && k === 0) return 'key_size must not be 0';
      if (t === MapType.SOCKHASH && k > MAX_KEY) return `key_size ${k} is over ${MAX_KEY}`;
      if (v !== 4 && v !== 8) return `value_size must be 4 (a socket fd) or 8 (fd in, cookie out), not ${v}`;
      return allowed(MapFlag.NUMA_NODE | MapFlag.RDONLY | MapFlag.WRONLY);
    case MapType.CGROUP_STORAGE:
    case MapType.PERCPU_CGROUP_STORAGE:
      // cgroup_storage_map_alloc: a struct bpf_cgroup_storage_key or a u64 cgroup id.
      if (k !== 16 && k !== 8) return `key_size must be 16 (struct bpf_cgroup_storage_key) or 8, not ${k}`;
      if (v === 0) return 'value_size must not be 0';
      if (t === MapType.PERCPU_CGROUP_STORAGE && v > PCPU_MAX_VALUE) return `value_size ${v} is over the per-CPU limit of ${PCPU_MAX_VALUE} (-E2BIG)`;
      if (n !== 0) return `max_entries must be 0, not ${n} (storage is per attachment)`;
      return allowed(MapFlag.NUMA_NODE | ACCESS);
    case MapType.STACK_TRACE:
      if (n === 0 || k !== 4 || v < 8 || v % 8 !== 0) return `key_size must be 4, value_size a multiple of 8, max_entries not 0 (not ${k}, ${v}, ${n})`;
      if (v / 8 > PERF_MAX_STACK) return `value_size ${v} holds more than perf_event_max_stack (${PERF_MAX_STACK}) frames`;
      if (n > 2 ** 31) return `max_entries ${n} is over 2^31 (-E2BIG)`;
      return allowed(MapFlag.NUMA_NODE | ACCESS | MapFlag.STACK_BUILD_ID);
    default:
      return undefined;
  }
}

const LOCAL_STORAGE_TYPES: readonly number[] = [MapType.SK_STORAGE, MapType.TASK_STORAGE, MapType.INODE_STORAGE, MapType.CGRP_STORAGE];

function storageBytes(def: MapDef, cpus: number): number {
  const per = Math.ceil(def.valueSize / 8) * 8 + Math.ceil(def.keySize / 8) * 8;
  const copies = def.type === MapType.PERCPU_ARRAY || def.type === MapType.PERCPU_HASH || def.type === MapType.LRU_PERCPU_HASH ? cpus : 1;
  if (def.type === MapType.RINGBUF || def.type === MapType.USER_RINGBUF) return def.maxEntries * 2;
  if (def.type === MapType.QUEUE || def.type === MapType.STACK) return 0;
  if (LOCAL_STORAGE_TYPES.includes(def.type)) return LOCAL_STORAGE_OWNERS * Math.ceil(def.valueSize / 8) * 8;
  return def.maxEntries * per * copies;
}

/**
 * Creates the simulated map for `def`, or throws a {@link BpfkitError} naming the map and what is
 * wrong: an unsupported type (`Unsupported`) or a definition the kernel itself would refuse.
 */
export function createMap(def: MapDef, index: number, env: MapEnv): BpfMap {
  if (!SUPPORTED_MAP_TYPES.includes(def.type)) {
    throw new BpfkitError(ErrorCode.Unsupported, `map '${def.name}': map type ${mapTypeName(def.type)} (${def.type}) is not supported`);
  }
  const problem = mapDefProblem(def, env.cpus);
  if (problem !== undefined) {
    throw new BpfkitError(ErrorCode.Unsupported, `map '${def.name}' (${mapTypeName(def.type)}): ${problem} (the kernel refuses it with -EINVAL)`);
  }
  if (storageBytes(def, env.cpus) > MAX_MAP_BYTES) {
    throw new BpfkitError(ErrorCode.Unsupported, `map '${def.name}': ${def.maxEntries} entries need more than ${MAX_MAP_BYTES >> 20} MiB, more than bpfkit simulates`);
  }
  return MAP_TYPE_TABLE.get(def.type)!(def, index, env);
}
