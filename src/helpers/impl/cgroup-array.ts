import { SkbContext } from '../contexts/skb.js';
import { Errno } from '../errno.js';
import { FaultSignal } from '../fault.js';
import { CgroupArrayMap } from '../maps/cgroup-array.js';
import { u32 } from './args.js';
import type { HelperGroup } from './group.js';

/**
 * bpf_current_task_under_cgroup and bpf_skb_under_cgroup against a cgroup array: 1 when the
 * simulated task's cgroup (TaskInfo.cgroupId, or one of cgroupAncestors) is the slot's cgroup or
 * below it, else 0; -E2BIG past the array, -EAGAIN for an empty slot. The skb's socket is the
 * current task's (as the test run's socket is the caller's); an skb without one is -ENOENT.
 */
export const cgroupArrayHelpers: HelperGroup = (k) => {
  const under = (m: bigint, idx: bigint, name: string): bigint => {
    const map = k.mapArg(m, name);
    if (!(map instanceof CgroupArrayMap)) throw new FaultSignal('helper', `${name}: map '${map.name}' is not a cgroup array`);
    const c = map.cgroupAt(u32(idx));
    if (typeof c === 'number') return BigInt(c);
    return k.task.cgroupId === c || k.task.cgroupAncestors.includes(c) ? 1n : 0n;
  };
  return {
    current_task_under_cgroup: (_rt, m, idx) => under(m, idx, 'bpf_current_task_under_cgroup'),
    skb_under_cgroup: (_rt, _skb, m, idx) => {
      const ctx = k.run.context;
      if (!(ctx instanceof SkbContext)) return BigInt(-Errno.ENOENT);
      return under(m, idx, 'bpf_skb_under_cgroup');
    },
  };
};
