/**
 * kfuncs: kernel functions called through `.ksyms` declarations (`call` with src 2), checked
 * against their prototype in the kernel's BTF with the flags the kernel registers for them
 * (BTF_ID_FLAGS in kernel/bpf/helpers.c and friends; the flags live in .BTF_ids, not in BTF, so
 * they are a table here): references acquired must be released (KF_ACQUIRE/KF_RELEASE), results
 * that may be NULL checked (KF_RET_NULL), pointer arguments non-NULL and trusted, RCU read
 * sections balanced, open-coded iterators created, advanced and destroyed on the stack.
 */
import type { Btf } from '../btf/btf.js';
import { resolveType, sizeof } from '../btf/btf.js';
import type { BtfFuncProto } from '../btf/types.js';
import { allocPointer, btfHelperArgMismatch, btfPointer, btfPointerName, pointeeStruct } from './btf-pointers.js';
import { isTrustedPointer } from './btf-trust.js';
import type { Editor, StateView } from './domains/ebpf-domain.js';
import { counterVar } from './domains/ebpf-domain.js';
import { constValue, scalarConst, SCALAR_UNKNOWN } from './domains/scalar.js';
import { Kind, NUM_UNKNOWN, numValue, pointer, type RegValue, UNINIT } from './domains/types.js';
import type { VerifierEnv } from './env.js';

type Flag = 'acquire' | 'release' | 'retNull' | 'trusted' | 'rcu' | 'destructive' | 'sleepable' | 'iterNew' | 'iterNext' | 'iterDestroy' | 'rcuLock' | 'rcuUnlock';

/** The kernel's flags of the kfuncs bpfkit knows (Linux 6.18). */
const KFUNCS: Readonly<Record<string, readonly Flag[]>> = {
  bpf_task_acquire: ['acquire', 'rcu', 'retNull'],
  bpf_task_release: ['release'],
  bpf_task_from_pid: ['acquire', 'retNull'],
  bpf_task_from_vpid: ['acquire', 'retNull'],
  bpf_task_get_cgroup1: ['acquire', 'rcu', 'retNull'],
  bpf_cgroup_acquire: ['acquire', 'rcu', 'retNull'],
  bpf_cgroup_release: ['release'],
  bpf_cgroup_ancestor: ['acquire', 'rcu', 'retNull'],
  bpf_cgroup_from_id: ['acquire', 'retNull'],
  bpf_task_under_cgroup: ['rcu'],
  bpf_rcu_read_lock: ['rcuLock'],
  bpf_rcu_read_unlock: ['rcuUnlock'],
  bpf_obj_new_impl: ['acquire', 'retNull'],
  bpf_obj_drop_impl: ['release'],
  bpf_percpu_obj_new_impl: ['acquire', 'retNull'],
  bpf_percpu_obj_drop_impl: ['release'],
  bpf_refcount_acquire_impl: ['acquire', 'retNull', 'rcu'],
  bpf_iter_num_new: ['iterNew'],
  bpf_iter_num_next: ['iterNext', 'retNull'],
  bpf_iter_num_destroy: ['iterDestroy'],
  bpf_iter_task_new: ['iterNew', 'trusted', 'rcu'],
  bpf_iter_task_next: ['iterNext', 'retNull'],
  bpf_iter_task_destroy: ['iterDestroy'],
  bpf_iter_css_new: ['iterNew', 'trusted', 'rcu'],
  bpf_iter_css_next: ['iterNext', 'retNull'],
  bpf_iter_css_destroy: ['iterDestroy'],
  bpf_iter_css_task_new: ['iterNew', 'trusted'],
  bpf_iter_css_task_next: ['iterNext', 'retNull'],
  bpf_iter_css_task_destroy: ['iterDestroy'],
  bpf_iter_task_vma_new: ['iterNew', 'trusted', 'rcu'],
  bpf_iter_task_vma_next: ['iterNext', 'retNull'],
  bpf_iter_task_vma_destroy: ['iterDestroy'],
  bpf_iter_bits_new: ['iterNew'],
  bpf_iter_bits_next: ['iterNext', 'retNull'],
  bpf_iter_bits_destroy: ['iterDestroy'],
  bpf_send_signal_task: ['trusted'],
  crash_kexec: ['destructive'],
  bpf_get_task_exe_file: ['acquire', 'trusted', 'retNull'],
  bpf_put_file: ['release'],
  // bpf_tcp_ca_check_kfunc_ids (net/ipv4/bpf_tcp_ca.c): no flags, struct_ops programs only
  tcp_reno_ssthresh: [],
  tcp_reno_cong_avoid: [],
  tcp_reno_undo_cwnd: [],
  tcp_slow_start: [],
  tcp_cong_avoid_ai: [],
};

/** kfuncs registered for some program types only (register_btf_kfunc_id_set's type), by bpfkit's program type key. */
const KFUNC_PROG_TYPES: Readonly<Record<string, readonly string[]>> = {
  tcp_reno_ssthresh: ['struct_ops'],
  tcp_reno_cong_avoid: ['struct_ops'],
  tcp_reno_undo_cwnd: ['struct_ops'],
  tcp_slow_start: ['struct_ops'],
  tcp_cong_avoid_ai: ['struct_ops'],
};

/** Reference id of the RCU read section (one per program; sections nest). */
const RCU_REF = 0x7ff00000;
/** Whether code runs in an RCU read section: inside bpf_rcu_read_lock, or anywhere in a program that cannot sleep. */
export function inRcuSection(s: StateView, env: VerifierEnv): boolean {
  return !env.sleepable || s.refs.has(RCU_REF);
}

/** Reference ids of iterators: by frame and stack slot. */
const ITER_REF = 0x7fe00000;
const iterRef = (frame: number, slot: number): number => ITER_REF + frame * 1024 + slot;

/** What the verifier knows of a kfunc call: its name, prototype and flags. */
export interface KfuncInfo {
  readonly name: string;
  readonly proto: BtfFuncProto;
  readonly flags: readonly Flag[];
  readonly btf: Btf;
}

/** The kfunc a call names (its BTF id in the kernel BTF, or its name from the loader), or why it cannot be called. */
export function kfuncInfo(env: VerifierEnv, btfId: number, callee: string | undefined): KfuncInfo | string {
  const btf = env.kernel?.btf;
  if (btf === undefined) return `kfunc call${callee ? ` of ${callee}` : ''}: kfuncs need the kernel's BTF (--btf FILE)`;
  let fn = callee !== undefined ? btf.named(callee).find((t) => t.kind === 'FUNC') : undefined;
  if (fn === undefined && btfId > 0 && btfId < btf.length) {
    const t = btf.type(btfId);
    if (t.kind === 'FUNC') fn = t;
  }
  if (fn === undefined || fn.kind !== 'FUNC') return `calling kernel function ${callee ?? `[${btfId}]`} is not allowed: the kernel BTF has no such function`;
  const proto = resolveType(btf, fn.type);
  if (proto.kind !== 'FUNC_PROTO') return `kernel function ${fn.name} has no prototype in the kernel BTF`;
  const flags = KFUNCS[fn.name];
  if (flags === undefined) return `calling kernel function ${fn.name} is not allowed: bpfkit does not know its kfunc flags (it may not be a kfunc)`;
  const types = KFUNC_PROG_TYPES[fn.name];
  if (types !== undefined && !types.includes(env.progTypeName)) return `calling kernel function ${fn.name} is not allowed: the kernel registers it for ${types.join(', ')} programs only`;
  return { name: fn.name, proto, flags, btf };
}

const isIterArg = (btf: Btf, typeId: number): string | undefined => {
  const s = pointeeStruct(btf, typeId);
  return s !== undefined && s.name.startsWith('bpf_iter_') ? s.name : undefined;
};

/** The arguments' checks: undefined when the call is allowed, else the kernel's complaint. */
export function checkKfunc(s: StateView, env: VerifierEnv, info: KfuncInfo): string | undefined {
  const { btf, proto, flags, name } = info;
  if (flags.includes('rcuUnlock') && !s.refs.has(RCU_REF)) return 'unmatched rcu read unlock';
  if (flags.includes('destructive')) return `calling ${name}: destructive kfuncs need CAP_SYS_BOOT`;
  const inRcu = s.refs.has(RCU_REF);
  for (let i = 0; i < proto.params.length; i++) {
    const r = i + 1;
    const v = s.reg(r);
    const pt = proto.params[i]!.type;
    const t = resolveType(btf, pt);
    const pname = proto.params[i]!.name;
    // the kernel ignores __ign arguments (obj_new's meta, filled in by the verifier itself)
    if (pname.endsWith('__ign')) continue;
    if (v.kinds & Kind.UNINIT) return `R${r} !read_ok (argument ${i} of ${name} is not initialised)`;
    if (pname.endsWith('__k')) {
      if (v.kinds !== Kind.NUM) return `R${r} is not a scalar`;
      const c = constValue(v.num);
      if (c === undefined) return `R${r} must be a known constant`;
      if (OBJ_NEW.has(name)) {
        const why = objNewType(env, c);
        if (typeof why === 'string') return why;
      }
      continue;
    }
    if (pname.endsWith('__alloc')) {
      if (v.kinds & Kind.NULLABLE || isNullValue(v)) return `Possibly NULL pointer passed to trusted arg${i}`;
      if (v.kinds !== Kind.BTF || !v.alloc) return `arg#${i} expected pointer to allocated object`;
      if (v.ref <= 0) return 'allocated object must be referenced';
      if (constValue(v.num) !== 0n) return `R${r} must have zero offset when passed to release func or trusted arg to kfunc`;
      continue;
    }
    const iter = isIterArg(btf, pt);
    if (iter !== undefined) {
      if (v.kinds !== Kind.STACK || constValue(v.num) === undefined) return `arg#${i} expected pointer to an iterator on stack (${name})`;
      const slot = Number(constValue(v.num));
      const held = s.refs.has(iterRef(v.frame, slot));
      if (flags.includes('iterNew') && held) return `expected uninitialized iter_${iter.replace(/^bpf_iter_/, '')} as arg #${i + 1}`;
      if (!flags.includes('iterNew') && !held) return `expected an initialized iter_${iter.replace(/^bpf_iter_/, '')} as arg #${i + 1}`;
      continue;
    }
    if (t.kind === 'PTR') {
      const st = pointeeStruct(btf, pt);
      if (st === undefined) continue; // memory and size pairs, void *: not modelled beyond initialisation
      if ((v.kinds & ~Kind.NULLABLE) !== Kind.BTF) return `arg#${i} expected pointer to btf or socket (R${r} of ${name} is not a kernel object pointer)`;
      if (v.kinds & Kind.NULLABLE) return `Possibly NULL pointer passed to trusted arg${i}`;
      // the kernel matches a struct that starts with the wanted one (tcp_sock for sock), except for a release
      const matches = v.btf === st.id || v.btfName === st.name || (!flags.includes('release') && btfHelperArgMismatch(env.kernel, r, v, st.name) === undefined);
      if (!matches) return `kernel function ${name} args#${i} expected pointer to STRUCT ${st.name} but R${r} has a pointer to STRUCT ${v.btfName ?? '?'}`;
      if (constValue(v.num) !== 0n) return `R${r} must have zero offset when passed to release func or trusted arg to kfunc`;
      if (flags.includes('release')) {
        if (v.ref <= 0) return `release kernel function ${name} expects refcounted PTR_TO_BTF_ID (R${r} is ${btfPointerName(v)})`;
      } else if (!isTrustedPointer(v) && (flags.includes('trusted') || flags.includes('rcu'))) {
        if (!flags.includes('rcu')) return `R${r} must be referenced or trusted (${btfPointerName(v)} was read out of another object; pass a pointer the program was given or acquired)`;
        if (!v.rcu) return `R${r} must be a rcu pointer (${btfPointerName(v)} was read from a field the kernel does not list as RCU-safe, outside an RCU read section (a sleepable program has one only inside bpf_rcu_read_lock), or before a bpf_rcu_read_unlock; read an RCU-safe field inside the section)`;
      }
      continue;
    }
    if ((v.kinds & (Kind.NUM | Kind.UNINIT)) !== v.kinds) return `arg#${i} of ${name} is a number, but R${r} is a pointer`;
  }
  return undefined;
}

/** The kfuncs that allocate an object of the program's own type, given as their constant first argument. */
const OBJ_NEW = new Set(['bpf_obj_new_impl', 'bpf_percpu_obj_new_impl']);

/** The struct (in the program's BTF) bpf_obj_new's constant argument names, or the kernel's complaint. */
function objNewType(env: VerifierEnv, id: bigint): { id: number } | string {
  if (BigInt.asUintN(32, id) !== id) return 'local type ID argument must be in range [0, U32_MAX]';
  const local = env.kernel?.local;
  if (local === undefined) return 'bpf_obj_new/bpf_percpu_obj_new requires prog BTF';
  const n = Number(id);
  const t = n > 0 && n < local.length ? local.type(n) : undefined;
  if (t === undefined || t.kind !== 'STRUCT') return 'bpf_obj_new/bpf_percpu_obj_new type ID argument must be of a struct';
  return { id: n };
}

const isNullValue = (v: RegValue): boolean => v.kinds === Kind.NUM && constValue(v.num) === 0n;

/** The call's effect: references taken or dropped, iterators created or destroyed, r0. */
export function applyKfunc(e: Editor, env: VerifierEnv, info: KfuncInfo, nid: number, pc: number): void {
  const { btf, proto, flags, name } = info;
  if (flags.includes('rcuLock')) e.acquire(RCU_REF, { pc, what: 'bpf_rcu_read_lock-ed region (BPF_EXIT cannot be used inside it)' });
  if (flags.includes('rcuUnlock')) {
    e.release(RCU_REF);
    // MEM_RCU pointers become untrusted (and no longer NULL-or-not) once a section ends, even in a
    // program that stays in the kernel's own RCU section
    e.mapValues((x) => (x.rcu ? { ...x, kinds: x.kinds & ~Kind.NULLABLE, rcu: false, untrusted: true } : x));
  }
  proto.params.forEach((p, i) => {
    const v = e.reg(i + 1);
    if (isIterArg(btf, p.type) !== undefined && v.kinds === Kind.STACK && constValue(v.num) !== undefined) {
      const ref = iterRef(v.frame, Number(constValue(v.num)));
      if (flags.includes('iterNew')) e.acquire(ref, { pc, what: `iterator created by ${name} (destroy it with the matching _destroy)` });
      if (flags.includes('iterDestroy')) e.release(ref);
      if (flags.includes('iterNext')) {
        // The iterator bounds the loop that advances it, as the kernel's iterator convergence does.
        for (const [g] of e.globals) if (g >= counterVar(0) && g < counterVar(100000)) e.setGlobal(g, [0, 1]);
      }
    }
    if (flags.includes('release') && (pointeeStruct(btf, p.type) !== undefined || p.name.endsWith('__alloc')) && v.ref > 0) {
      const ref = v.ref;
      e.release(ref);
      const why = `its reference was released by ${name} at pc ${pc}`;
      e.mapValues((x) => (x.ref === ref ? numValue(SCALAR_UNKNOWN, why) : x));
    }
  });
  let r0: RegValue;
  const ret = resolveType(btf, proto.returnType);
  const nullable = flags.includes('retNull');
  const newType = OBJ_NEW.has(name) ? constValue(e.reg(1).num) : undefined;
  const local = env.kernel?.local;
  const allocated = newType !== undefined && local !== undefined ? objNewType(env, newType) : undefined;
  if (allocated !== undefined && typeof allocated !== 'string' && local !== undefined) {
    // an object of the program's own type, which the program owns until it drops it
    e.mapValues((x) => (x.id === nid ? { ...x, id: 0 } : x));
    e.acquire(nid, { pc, what: `object allocated by ${name} (drop it with bpf_obj_drop)` });
    r0 = { ...allocPointer(local, allocated.id, true, nid), ref: nid };
  } else if (ret.kind === 'VOID') r0 = UNINIT;
  else if (ret.kind === 'PTR') {
    const st = pointeeStruct(btf, proto.returnType);
    if (nullable) e.mapValues((x) => (x.id === nid ? { ...x, id: 0 } : x));
    if (st !== undefined) {
      r0 = btfPointer(btf, st.id, nullable, nullable ? nid : 0);
      if (flags.includes('acquire')) {
        e.acquire(nid, { pc, what: `reference acquired by ${name}` });
        r0 = { ...r0, ref: nid };
      }
    } else {
      let size = -1;
      try {
        size = sizeof(btf, ret.type);
      } catch {
        size = -1;
      }
      r0 = pointer(Kind.MEM | (nullable ? Kind.NULLABLE : 0), scalarConst(0n), { size, id: nullable ? nid : 0 });
    }
  } else r0 = NUM_UNKNOWN;
  for (let r = 1; r <= 5; r++) e.setReg(r, UNINIT);
  e.setReg(0, r0);
}
