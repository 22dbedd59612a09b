import { Errno } from '../errno.js';
import type { HelperGroup } from '../impl/group.js';
import { view } from '../impl/args.js';

/**
 * The current task as a kernel object (set by the test with `kernel.setCurrentTask`), the cgroup
 * it runs in, and its ids as its pid namespace sees them (bpfkit has one namespace: the ids are the task's).
 */
export const currentTaskHelpers: HelperGroup = (k) => ({
  get_current_task: () => k.currentTask,
  get_current_task_btf: () => k.currentTask,
  get_current_cgroup_id: () => k.cgroupId,
  get_ns_current_pid_tgid: (_rt, _dev, _ino, nsdata, size) => {
    // struct bpf_pidns_info { u32 pid; u32 tgid; }: any other size is -EINVAL, as in the kernel.
    if (BigInt.asUintN(32, size) !== 8n) return BigInt(-Errno.EINVAL);
    const out = view(k.memory, nsdata, 8, true);
    const dv = new DataView(out.buffer, out.byteOffset, 8);
    dv.setUint32(0, k.task.pid >>> 0, true);
    dv.setUint32(4, k.task.tgid >>> 0, true);
    return 0n;
  },
});
