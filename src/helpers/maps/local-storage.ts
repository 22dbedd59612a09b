import type { MapDef } from '../../loader/model.js';
import { Errno } from '../errno.js';
import { BpfMap, type MapEntry, type MapEnv, type MapStatus } from './map.js';
import { SlotStore } from './slot-store.js';

/** `flags` of bpf_*_storage_get: create the owner's storage when it has none. */
export const LOCAL_STORAGE_GET_F_CREATE = 1n;

/**
 * How many owners (sockets, tasks, inodes, cgroups) one storage map holds in bpfkit. The kernel
 * allocates storage per owner without a bound (max_entries is 0); bpfkit keeps values in its one
 * preallocated memory, so a map holds this many and a create past it fails like a failed
 * allocation (NULL).
 */
export const LOCAL_STORAGE_OWNERS = 256;

/**
 * Socket, task, inode and cgroup local storage (BPF_MAP_TYPE_SK/TASK/INODE/CGRP_STORAGE): one
 * value per owner object, found by the owner's pointer (bpf_sk_storage_get(map, sk, ...),
 * bpf_task_storage_get(map, task, ...)). Programs reach it only through those helpers (a
 * bpf_map_lookup_elem on it is refused by the verifier, -EINVAL here); user space names owners by
 * file descriptor in the kernel, which bpfkit has not, so tests read it by owner address
 * ({@link ownerValue}, {@link entries} with 8-byte owner keys).
 */
export class LocalStorageMap extends BpfMap {
  private readonly values: SlotStore;
  private readonly byOwner = new Map<bigint, number>();

  constructor(def: MapDef, index: number, env: MapEnv) {
    super(def, index, env);
    this.values = new SlotStore(env.memory, `map:${def.name}`, 'map-value', LOCAL_STORAGE_OWNERS, def.valueSize, 1, true);
  }

  /**
   * bpf_*_storage_get: the owner's value, created (from `init`, or zeroed) when `create` and
   * absent; 0 (NULL) when absent and not created, or when no slot is free.
   */
  storageGet(owner: bigint, init: Uint8Array | undefined, create: boolean): number {
    const slot = this.byOwner.get(owner);
    if (slot !== undefined) return this.values.addr(slot);
    if (!create || owner === 0n) return 0;
    const s = this.values.take();
    if (s < 0) return 0;
    if (init === undefined) this.values.zero(s);
    else this.values.write(s, 0, init);
    this.byOwner.set(owner, s);
    return this.values.addr(s);
  }

  /** bpf_*_storage_delete: 0, or -ENOENT when the owner has no storage here. */
  storageDelete(owner: bigint): MapStatus {
    const slot = this.byOwner.get(owner);
    if (slot === undefined) return -Errno.ENOENT;
    this.byOwner.delete(owner);
    this.values.give(slot);
    return 0;
  }

  /** The value stored for the owner at `owner` (a copy), or undefined. */
  ownerValue(owner: bigint): Uint8Array | undefined {
    const slot = this.byOwner.get(owner);
    return slot === undefined ? undefined : this.values.read(slot);
  }

  override entries(): MapEntry[] {
    return [...this.byOwner].map(([owner, slot]) => {
      const key = new Uint8Array(8);
      new DataView(key.buffer).setBigUint64(0, owner, true);
      return { key, value: this.values.read(slot) };
    });
  }

  /** User space names owners by fd (a socket, a pidfd, ...): there are none in bpfkit. */
  override sysLookup(): MapStatus {
    return -Errno.EBADF;
  }
  override sysUpdate(): MapStatus {
    return -Errno.EBADF;
  }
  override sysDelete(): MapStatus {
    return -Errno.EBADF;
  }
}

