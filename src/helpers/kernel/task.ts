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
}

export const DEFAULT_TASK: TaskInfo = { pid: 4242, tgid: 4242, uid: 1000, gid: 1000, comm: 'bpfkit-test' };
