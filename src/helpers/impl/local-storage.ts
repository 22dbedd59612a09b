import { FaultSignal } from '../fault.js';
import type { KernelState } from '../kernel/state.js';
import { LOCAL_STORAGE_GET_F_CREATE, LocalStorageMap } from '../maps/local-storage.js';
import { copyIn } from './args.js';
import type { HelperGroup } from './group.js';

function storageMap(k: KernelState, m: bigint, helper: string): LocalStorageMap {
  const map = k.mapArg(m, helper);
  if (!(map instanceof LocalStorageMap)) throw new FaultSignal('helper', `${helper}: map '${map.name}' is a ${map.typeName} map, not a local storage map`);
  return map;
}

/**
 * bpf_{sk,task,inode,cgrp}_storage_get/delete on the local storage maps (maps/local-storage.ts):
 * the owner is the pointer the program passes (a socket, a task, ...). get with
 * BPF_LOCAL_STORAGE_GET_F_CREATE creates the value from `value` (or zeroed when NULL); flags other
 * than that answer NULL, as the kernel's do (-EINVAL inside), and a NULL owner answers NULL.
 */
export const localStorageHelpers: HelperGroup = (k) => {
  const get = (helper: string) => (_rt: unknown, m: bigint, owner: bigint, value: bigint, flags: bigint): bigint => {
    const map = storageMap(k, m, helper);
    if (flags & ~LOCAL_STORAGE_GET_F_CREATE) return 0n;
    const create = flags === LOCAL_STORAGE_GET_F_CREATE;
    const init = create && value !== 0n ? copyIn(k.memory, value, map.valueSize) : undefined;
    return BigInt(map.storageGet(BigInt.asUintN(64, owner), init, create));
  };
  const del = (helper: string) => (_rt: unknown, m: bigint, owner: bigint): bigint => BigInt(storageMap(k, m, helper).storageDelete(BigInt.asUintN(64, owner)));
  return {
    sk_storage_get: get('bpf_sk_storage_get'),
    sk_storage_delete: del('bpf_sk_storage_delete'),
    task_storage_get: get('bpf_task_storage_get'),
    task_storage_delete: del('bpf_task_storage_delete'),
    inode_storage_get: get('bpf_inode_storage_get'),
    inode_storage_delete: del('bpf_inode_storage_delete'),
    cgrp_storage_get: get('bpf_cgrp_storage_get'),
    cgrp_storage_delete: del('bpf_cgrp_storage_delete'),
  };
};
