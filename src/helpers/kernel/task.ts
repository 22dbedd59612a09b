/**
 * The "current" task the tracing helpers report (`bpf_get_current_pid_tgid`, `_uid_gid`,
 * `_comm`): whatever the test sets. Defaults describe a plain user process.
 */
export interface TaskInfo {
  /** Thread id (the kernel's pid). */
  pid: number;
  /** Process id (the kernel's tgid). */
  tgid: number;
  uid: number;
  gid: number;
  /** Task name; the kernel keeps 16 bytes including the NUL. */
  comm: string;
  /**
   * The kernel address of its `struct task_struct` (what bpf_get_current_task returns); place the
   * bytes a program reads there with `kernelMemory`.
   */
  address: bigint;
  /** Its cgroup v2 id (bpf_get_current_cgroup_id; 1 is the root cgroup), and the ids of the cgroups above it, root first. */
  cgroupId: bigint;
  cgroupAncestors: bigint[];
  /** The device and inode of its pid namespace (bpf_get_ns_current_pid_tgid); the initial namespace's inode is 0xeffffffc. */
  pidNs: { dev: bigint; ino: bigint };
}

export const DEFAULT_TASK: TaskInfo = {
  pid: 4242,
  tgid: 4242,
  uid: 1000,
  gid: 1000,
  comm: 'bpfkit-test',
  address: 0xffff888000100000n,
  cgroupId: 1n,
  cgroupAncestors: [],
  pidNs: { dev: 4n, ino: 0xeffffffcn },
};
