import { Errno } from '../errno.js';
import type { HelperGroup } from '../impl/group.js';
import { view } from '../impl/args.js';

/** x86-64 `struct pt_regs`: 21 registers of 8 bytes. */
const PT_REGS_SIZE = 168;

/** A zeroed `struct pt_regs` for the run (a task whose registers the test did not set). */
function zeroRegs(k: Parameters<HelperGroup>[0]): bigint {
  return BigInt(k.memory.alloc('kernel pt_regs', 'kernel', PT_REGS_SIZE, { writable: false }).start);
}

/**
 * The current task as a kernel object (set by the test with `kernel.setCurrentTask`), the cgroup
 * it runs in, and its ids as its pid namespace sees them (bpfkit has one namespace: the ids are the task's).
 */
export const currentTaskHelpers: HelperGroup = (k) => ({
  get_current_task: () => k.currentTask,
  get_current_task_btf: () => k.currentTask,
  get_current_cgroup_id: () => k.cgroupId,
  // the registers a test gave the task (kernel objects' taskRegs); a task without reads as zeroes
  task_pt_regs: (_rt, task) => k.taskRegs.get(BigInt.asUintN(64, task)) ?? zeroRegs(k),
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
