import { FaultSignal } from '../fault.js';
import { CgroupStorageMap, type StorageRef } from '../maps/cgroup-storage.js';
import type { HelperGroup } from './group.js';

const runStorages = new WeakMap<object, Map<number, StorageRef>>();

/**
 * bpf_get_local_storage: the running program's cgroup storage in a cgroup (or per-CPU cgroup)
 * storage map, never NULL: the storage linked for the simulated task's cgroup (TaskInfo.cgroupId) and the program's
 * attach type when a test attached one ({@link CgroupStorageMap.attach}), else the run's own zeroed
 * storage, which lasts for the run and its repeats as BPF_PROG_TEST_RUN's does. Per-CPU maps give
 * the running CPU's copy.
 */
export const cgroupStorageHelpers: HelperGroup = (k) => ({
  get_local_storage: (_rt, m) => {
    const map = k.mapArg(m, 'bpf_get_local_storage');
    if (!(map instanceof CgroupStorageMap)) throw new FaultSignal('helper', `bpf_get_local_storage: map '${map.name}' is not a cgroup storage map`);
    const attachType = k.programAttachTypes[k.run.program];
    let ref = map.linkedFor(k.task.cgroupId, attachType);
    if (ref === undefined) {
      let byMap = runStorages.get(k.run);
      if (byMap === undefined) runStorages.set(k.run, (byMap = new Map()));
      ref = byMap.get(map.index);
      if (ref === undefined) {
        ref = map.runStorage();
        byMap.set(map.index, ref);
      }
    }
    return BigInt(map.copyOf(ref, k.cpu));
  },
});
