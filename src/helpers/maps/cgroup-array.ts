import type { MapDef } from '../../loader/model.js';
import { Errno } from '../errno.js';
import { BpfMap, u32Bytes, u32le, type MapEntry, type MapEnv, type MapStatus } from './map.js';


/**
 * `BPF_MAP_TYPE_CGROUP_ARRAY` (kernel/bpf/arraymap.c): cgroups by index, for
 * bpf_skb_under_cgroup and bpf_current_task_under_cgroup. The kernel takes cgroup fds; bpfkit
 * takes cgroup ids ({@link setCgroup}), the hierarchy being the simulated task's cgroup id and its ancestors (TaskInfo). Like every fd array it cannot be read back
 * (-EOPNOTSUPP; kernel-run lists it empty), a delete is -E2BIG past the end and -ENOENT on an
 * empty slot.
 */
export class CgroupArrayMap extends BpfMap {
  private readonly cgroups: Array<bigint | undefined>;

  constructor(def: MapDef, index: number, env: MapEnv) {
    super(def, index, env);
    this.cgroups = new Array<bigint | undefined>(def.maxEntries).fill(undefined);
  }

  /** Places the cgroup of id `id` in slot `index` (what user space does with the cgroup's fd). */
  setCgroup(index: number, id: bigint): MapStatus {
    if (!Number.isInteger(index) || index < 0 || index >= this.maxEntries) return -Errno.E2BIG;
    this.cgroups[index] = id;
    return 0;
  }

  /** The cgroup id in slot `index`, or -E2BIG past the end, -EAGAIN for an empty slot (as the helpers answer). */
  cgroupAt(index: number): bigint | number {
    if (index >= this.maxEntries) return -Errno.E2BIG;
    return this.cgroups[index] ?? -Errno.EAGAIN;
  }

  override delete(key: Uint8Array): MapStatus {
    const i = u32le(key);
    if (i >= this.maxEntries) return -Errno.E2BIG;
    if (this.cgroups[i] === undefined) return -Errno.ENOENT;
    this.cgroups[i] = undefined;
    return 0;
  }

  override sysLookup(_key: Uint8Array): Uint8Array | MapStatus {
    return -Errno.EOPNOTSUPP;
  }

  override sysUpdate(_key: Uint8Array, _value: Uint8Array, _flags: number): MapStatus {
    // The kernel takes a cgroup fd; there are none here: setCgroup is the way in.
    return -Errno.EBADF;
  }

  override sysNextKey(key: Uint8Array | undefined): Uint8Array | undefined {
    const next = key === undefined || u32le(key) >= this.maxEntries ? 0 : u32le(key) + 1;
    return next < this.maxEntries ? u32Bytes(next) : undefined;
  }

  override entries(): MapEntry[] {
    return [];
  }
}
