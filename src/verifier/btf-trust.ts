/**
 * How much the kernel trusts a kernel object pointer read out of another one (check_ptr_to_btf_access,
 * Linux 6.18). A field on the kernel's allow lists keeps its parent's trust: fully (BTF_TYPE_SAFE_TRUSTED,
 * possibly NULL for _OR_NULL), or inside an RCU read section (BTF_TYPE_SAFE_RCU: MEM_RCU, never NULL;
 * BTF_TYPE_SAFE_RCU_OR_NULL and fields tagged `__rcu`: MEM_RCU and possibly NULL). Any other field is
 * a plain pointer (loads only; "must be referenced or trusted" for trusted kfuncs, "must be a rcu
 * pointer" for KF_RCU ones), and outside an RCU section (a sleepable program without
 * bpf_rcu_read_lock) untrusted. A non-sleepable program always runs in an RCU read section.
 */

/** `struct.field` names of the kernel's allow lists (kernel/bpf/verifier.c, BTF_TYPE_SAFE_*). */
const SAFE_TRUSTED = new Set(['bpf_iter_meta.seq', 'bpf_iter__task.meta', 'bpf_iter__task.task', 'linux_binprm.file', 'file.f_inode']);
const SAFE_TRUSTED_OR_NULL = new Set(['socket.sk', 'dentry.d_inode']);
const SAFE_RCU = new Set(['task_struct.cpus_ptr', 'task_struct.cgroups', 'task_struct.real_parent', 'task_struct.group_leader', 'cgroup.kn', 'css_set.dfl_cgrp', 'cgroup_subsys_state.cgroup']);
const SAFE_RCU_OR_NULL = new Set(['mm_struct.exe_file', 'mm_struct.owner', 'sk_buff.sk', 'request_sock.sk']);

/** The trust of a pointer read from a field: what the register then holds. */
export interface FieldTrust {
  readonly untrusted: boolean;
  readonly rcu: boolean;
  readonly nullable: boolean;
}

/** Whether a pointer value is trusted as the kernel's is_trusted_reg says (referenced, or no unsafe flag). */
export const isTrustedPointer = (v: { readonly ref: number; readonly untrusted?: boolean; readonly rcu?: boolean }): boolean =>
  v.ref > 0 || (v.untrusted !== true && v.rcu !== true);

/**
 * The trust of the pointer in field `field` of struct `parent`, read through a pointer of trust
 * `from`, `rcuTagged` when the field's type carries the `__rcu` tag, `inRcu` when the read is in an
 * RCU read section.
 */
export function fieldTrust(parent: string, field: string, from: { readonly ref: number; readonly untrusted?: boolean; readonly rcu?: boolean }, rcuTagged: boolean, inRcu: boolean): FieldTrust {
  const plain: FieldTrust = { untrusted: true, rcu: false, nullable: false };
  if (!isTrustedPointer(from)) return plain;
  const key = `${parent}.${field}`;
  if (SAFE_TRUSTED.has(key)) return { untrusted: false, rcu: false, nullable: false };
  if (SAFE_TRUSTED_OR_NULL.has(key)) return { untrusted: false, rcu: false, nullable: true };
  if (!inRcu) return plain;
  if (SAFE_RCU.has(key)) return { untrusted: false, rcu: true, nullable: false };
  if (SAFE_RCU_OR_NULL.has(key) || rcuTagged) return { untrusted: false, rcu: true, nullable: true };
  return plain;
}
