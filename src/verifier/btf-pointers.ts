/**
 * PTR_TO_BTF_ID: pointers to kernel objects typed by the kernel's BTF, as tracing programs get
 * them (tp_btf, fentry/fexit/fmod_ret and lsm arguments, an iterator's context fields,
 * bpf_get_current_task_btf). Loads through them walk the struct the way the kernel's
 * btf_struct_walk does: a pointer member to a struct gives another BTF pointer, anything else a
 * number of the load's size; writes are refused ("only read is supported"). The kernel turns
 * these loads into BPF_PROBE_MEM, so a NULL or stale pointer reads 0 at run time instead of faulting.
 */
import type { AttachTarget } from '../btf/attach.js';
import type { Btf } from '../btf/btf.js';
import { describe as describeType, resolveType, sizeof, skipModifiers } from '../btf/btf.js';
import type { BtfAnyType } from '../btf/types.js';
import { constValue, scalarConst, scalarRange } from './domains/scalar.js';
import { tnumToString } from './domains/tnum.js';
import { isStructOps, structOpsArgStruct, structOpsWrite } from './struct-ops.js';
import { fieldTrust } from './btf-trust.js';
import { Kind, NUM_UNKNOWN, numValue, pointer, type RegValue } from './domains/types.js';

/** What the verifier knows of the kernel: its BTF and the program's hook. */
export interface KernelBtfEnv {
  readonly btf: Btf;
  readonly attach?: AttachTarget;
  /** The program's own BTF: the types of objects it allocates (bpf_obj_new). */
  readonly local?: Btf;
}

const sized = (bytes: number): RegValue => (bytes >= 8 ? NUM_UNKNOWN : numValue(scalarRange(0n, (1n << BigInt(bytes * 8)) - 1n)));

/** The struct or union a pointer type points to (typedefs and modifiers skipped), or undefined. */
export function pointeeStruct(btf: Btf, ptrTypeId: number): BtfAnyType | undefined {
  const p = resolveType(btf, ptrTypeId);
  if (p.kind !== 'PTR') return undefined;
  const t = resolveType(btf, p.type);
  if (t.kind === 'STRUCT' || t.kind === 'UNION') return t;
  if (t.kind === 'FWD') {
    // A forward declaration: the kernel's BTF defines it elsewhere under the same name.
    return btf.named(t.name).find((x) => x.kind === (t.union ? 'UNION' : 'STRUCT'));
  }
  return undefined;
}

/** A BTF pointer to struct `structId` at offset 0. */
export function btfPointer(btf: Btf, structId: number, nullable = false, id = 0): RegValue {
  const name = describeType(btf, structId).replace(/^(struct|union) /, '');
  return pointer(Kind.BTF | (nullable ? Kind.NULLABLE : 0), scalarConst(0n), { btf: structId, btfName: name, id });
}

/** A value of BTF type `typeId` as a register holds it after a load (or as an argument). */
export function valueOfType(btf: Btf, typeId: number, size: number, nullable: boolean, id: number): RegValue {
  const s = pointeeStruct(btf, typeId);
  if (s !== undefined && size === 8) return btfPointer(btf, s.id, nullable, id);
  return sized(size);
}

/**
 * A load from the context of a BTF-typed tracing program: argument `off / 8` of the hook
 * (fexit/fmod_ret: the return value after the arguments), or an iterator context's field.
 * Undefined when the hook is unknown (no kernel BTF): the arguments are then plain numbers.
 */
export function contextLoad(k: KernelBtfEnv | undefined, off: number, size: number, id: number): RegValue | undefined {
  const target = k?.attach;
  if (k === undefined || target === undefined) return undefined;
  if (target.kind === 'iter' && target.iterContext !== undefined) {
    const r = walk(k.btf, target.iterContext, off, size);
    if ('error' in r) return undefined;
    // The iterated object is NULL on the last call (PTR_TO_BTF_ID_OR_NULL); meta never is.
    return r.ptr !== undefined ? btfPointer(k.btf, r.ptr, r.name !== 'meta', r.name !== 'meta' ? id : 0) : sized(size);
  }
  const i = off / 8;
  if (!Number.isInteger(i)) return undefined;
  const arg = target.args[i];
  if (arg !== undefined) {
    const v = valueOfType(k.btf, arg.type, size, false, 0);
    // a congestion control's socket is its tcp_sock (bpf_tcp_ca_is_valid_access)
    if (isStructOps(target) && v.btf !== undefined) {
      const promoted = structOpsArgStruct(k.btf, target, v.btf);
      if (promoted !== v.btf) return btfPointer(k.btf, promoted);
    }
    return v;
  }
  if (i === target.args.length && (target.kind === 'fexit' || target.kind === 'fmod_ret')) return valueOfType(k.btf, target.proto.returnType, size, false, 0);
  return undefined;
}

/**
 * A load from a context that is a kernel struct (netfilter's `struct bpf_nf_ctx`): the member at
 * `off`, a pointer to a struct becoming a (trusted, non-NULL) BTF pointer. Undefined without the
 * struct in the kernel BTF.
 */
export function structContextLoad(k: KernelBtfEnv | undefined, structName: string, off: number, size: number): RegValue | undefined {
  const t = k?.btf.find(structName, 'STRUCT');
  if (k === undefined || t === undefined) return undefined;
  const r = walk(k.btf, t.id, off, size);
  if ('error' in r) return undefined;
  return r.ptr !== undefined ? btfPointer(k.btf, r.ptr) : sized(size);
}

type Walk = { ptr?: number; name: string; parent?: string; rcuTag?: boolean } | { error: string };

/** Whether a pointer type carries the `__rcu` type tag (PTR → TYPE_TAG "rcu" → ...). */
function rcuTagged(btf: Btf, ptrTypeId: number): boolean {
  let t = resolveType(btf, ptrTypeId);
  if (t.kind !== 'PTR') return false;
  for (let id = t.type, depth = 0; depth < 16 && id !== 0; depth++) {
    t = btf.type(id);
    if (t.kind === 'TYPE_TAG' && t.name === 'rcu') return true;
    if (t.kind !== 'TYPE_TAG' && t.kind !== 'CONST' && t.kind !== 'VOLATILE' && t.kind !== 'RESTRICT') return false;
    id = t.type;
  }
  return false;
}

/** The kernel's btf_struct_walk: what a load of `size` bytes at `off` inside struct `structId` reads. */
export function walk(btf: Btf, structId: number, off: number, size: number, depth = 0): Walk {
  const t = resolveType(btf, structId);
  if (t.kind !== 'STRUCT' && t.kind !== 'UNION') return { error: `${describeType(btf, structId)} is not a struct` };
  const tname = t.name || '(anon)';
  if (depth > 32) return { error: `struct ${tname} nests too deeply` };
  if (off + size > t.size) return { error: `access beyond struct ${tname} at off ${off} size ${size}` };
  for (const m of t.members) {
    const moff = Math.floor(m.bitsOffset / 8);
    if (off < moff) break;
    if (m.bitfieldSize > 0) {
      const endBit = m.bitsOffset + m.bitfieldSize;
      if (off <= moff && Math.ceil(endBit / 8) <= off + size) return { name: m.name };
      continue;
    }
    const mtype = skipModifiers(btf, m.type);
    let msize: number;
    try {
      msize = sizeof(btf, m.type);
    } catch {
      continue;
    }
    const mend = moff + msize;
    if (off >= mend) continue;
    const resolved = resolveType(btf, m.type);
    if (resolved.kind === 'ARRAY') {
      // Into an element: a struct element is walked, anything else read as a number.
      let elem = resolveType(btf, resolved.type);
      let elemSize = sizeof(btf, resolved.type);
      while (elem.kind === 'ARRAY') {
        elemSize = sizeof(btf, elem.type);
        elem = resolveType(btf, elem.type);
      }
      if (elemSize === 0) return { name: m.name };
      const inElem = (off - moff) % elemSize;
      if (elem.kind === 'STRUCT' || elem.kind === 'UNION') return walk(btf, elem.id, inElem, size, depth + 1);
      if (elem.kind === 'PTR') {
        if (inElem !== 0 || size !== 8) return { error: `cannot access ptr member ${m.name} with moff ${moff} in struct ${tname} with off ${off} size ${size}` };
        const s = pointeeStruct(btf, elem.id);
        return s !== undefined ? { ptr: s.id, name: m.name } : { name: m.name };
      }
      if (off + size > mend) return { error: `access beyond the end of member ${m.name} (mend:${mend}) in struct ${tname} with off ${off} size ${size}` };
      return { name: m.name };
    }
    if (resolved.kind === 'STRUCT' || resolved.kind === 'UNION') return walk(btf, resolved.id, off - moff, size, depth + 1);
    if (resolved.kind === 'PTR' || mtype.kind === 'PTR') {
      if (msize !== size || off !== moff) return { error: `cannot access ptr member ${m.name} with moff ${moff} in struct ${tname} with off ${off} size ${size}` };
      const s = pointeeStruct(btf, m.type);
      return s !== undefined ? { ptr: s.id, name: m.name, parent: tname, rcuTag: rcuTagged(btf, m.type) } : { name: m.name };
    }
    if (off + size > mend) return { error: `access beyond the end of member ${m.name} (mend:${mend}) in struct ${tname} with off ${off} size ${size}` };
    return { name: m.name };
  }
  return { error: `struct ${tname} doesn't have field at offset ${off}` };
}

/** The register name the kernel gives a BTF pointer in messages: `ptr_task_struct`, `ptr_or_null_task_struct`. */
export function btfPointerName(v: RegValue): string {
  return `${v.rcu ? 'rcu_' : ''}ptr_${(v.kinds & Kind.NULLABLE) !== 0 ? 'or_null_' : ''}${v.btfName ?? ''}`;
}

/**
 * Checks a load or store of `size` bytes at `off` through BTF pointer `r` holding `v`; returns
 * the kernel's complaint, or undefined when it is allowed.
 */
export function checkBtfAccess(k: KernelBtfEnv | undefined, r: number, v: RegValue, off: bigint, size: bigint, write: boolean): string | undefined {
  const structOps = isStructOps(k?.attach);
  if (write && !structOps && !v.alloc) return `only read is supported (R${r} is ${btfPointerName(v)}: tracing programs may not write kernel objects through BTF pointers)`;
  if (k === undefined || v.btf === undefined || v.btf < 0) return `R${r} may point to different kernel types: the ${write ? 'write' : 'read'} cannot be checked`;
  const base = constValue(v.num);
  if (base === undefined) return `R${r} is ${btfPointerName(v)} invalid variable offset: off=${off}, var_off=${tnumToString(v.num.t)}`;
  const at = BigInt.asIntN(64, base) + off;
  if (at < 0n) return `R${r} is ${btfPointerName(v)} invalid negative access: off=${at}`;
  if (v.alloc) return allocAccess(k, v.btf, Number(at), Number(size));
  if (write) {
    // struct_ops: the kernel's btf_struct_access of the struct_ops type decides (bpf_tcp_ca's list)
    if (v.untrusted) return `only read is supported (R${r} is untrusted_${btfPointerName(v)}: it was read out of another object)`;
    return structOpsWrite(k.btf, k.attach!, v.btf, Number(at), Number(size));
  }
  const w = walk(k.btf, v.btf, Number(at), Number(size));
  return 'error' in w ? w.error : undefined;
}

/**
 * The value a load through BTF pointer `v` gives (after {@link checkBtfAccess} allowed it): a
 * number, or a pointer whose trust the kernel's allow lists decide ({@link fieldTrust}); `inRcu`
 * when the load is inside an RCU read section, `id` the null-check id of a pointer that may be NULL.
 */
export function btfLoad(k: KernelBtfEnv | undefined, v: RegValue, off: number, size: number, inRcu = false, id = 0): RegValue {
  const base = constValue(v.num);
  // fields of the program's own objects are numbers (a pointer stored there is the program's business)
  if (k === undefined || v.btf === undefined || v.btf < 0 || base === undefined || v.alloc) return sized(size);
  const w = walk(k.btf, v.btf, Number(BigInt.asIntN(64, base)) + off, size);
  if ('error' in w || w.ptr === undefined) return sized(size);
  const trust = fieldTrust(w.parent ?? '', w.name, v, w.rcuTag === true, inRcu);
  const p = btfPointer(k.btf, w.ptr, trust.nullable, trust.nullable ? id : 0);
  return trust.untrusted ? { ...p, untrusted: true } : trust.rcu ? { ...p, rcu: true } : p;
}

/** Helpers that return BTF pointers: the struct, and whether the result may be NULL. */
const BTF_RETURNS: Readonly<Record<string, { type: string; nullable: boolean }>> = {
  get_current_task_btf: { type: 'task_struct', nullable: false },
  task_pt_regs: { type: 'pt_regs', nullable: false },
  skc_to_tcp6_sock: { type: 'tcp6_sock', nullable: true },
  skc_to_tcp_sock: { type: 'tcp_sock', nullable: true },
  skc_to_tcp_timewait_sock: { type: 'tcp_timewait_sock', nullable: true },
  skc_to_tcp_request_sock: { type: 'tcp_request_sock', nullable: true },
  skc_to_udp6_sock: { type: 'udp6_sock', nullable: true },
  skc_to_unix_sock: { type: 'unix_sock', nullable: true },
  skc_to_mptcp_sock: { type: 'mptcp_sock', nullable: true },
  sock_from_file: { type: 'socket', nullable: true },
};

/** The BTF pointer helper `name` returns (bpf_get_current_task_btf, bpf_skc_to_*), when the kernel BTF has its type. */
export function helperBtfResult(k: KernelBtfEnv | undefined, name: string, id: number): RegValue | undefined {
  const r = BTF_RETURNS[name.replace(/^bpf_/, '').replace(/#\d+$/, '')];
  if (k === undefined || r === undefined) return undefined;
  const t = k.btf.named(r.type).find((x) => x.kind === 'STRUCT');
  return t === undefined ? undefined : btfPointer(k.btf, t.id, r.nullable, r.nullable ? id : 0);
}

/** Special fields of program-allocated objects, which only their kfuncs and helpers may touch (btf_field_type_name). */
const SPECIAL_FIELDS = new Set(['bpf_spin_lock', 'bpf_res_spin_lock', 'bpf_timer', 'bpf_wq', 'bpf_list_head', 'bpf_list_node', 'bpf_rb_root', 'bpf_rb_node', 'bpf_refcount', 'bpf_task_work']);

/**
 * A load or store of an object the program allocated (bpf_obj_new): inside its struct (the
 * program's BTF), and not over a special field ("direct access to bpf_spin_lock is disallowed").
 */
function allocAccess(k: KernelBtfEnv, structId: number, off: number, size: number): string | undefined {
  const btf = k.local;
  if (btf === undefined) return 'bpf_obj_new/bpf_percpu_obj_new requires prog BTF';
  const t = resolveType(btf, structId);
  if (t.kind !== 'STRUCT') return `${describeType(btf, structId)} is not a struct`;
  if (off + size > t.size) return `access beyond struct ${t.name} at off ${off} size ${size}`;
  const hit = specialField(btf, t, 0, off, size);
  if (hit !== undefined) return `direct access to ${hit} is disallowed`;
  return undefined;
}

function specialField(btf: Btf, t: BtfAnyType, base: number, off: number, size: number, depth = 0): string | undefined {
  if ((t.kind !== 'STRUCT' && t.kind !== 'UNION') || depth > 8) return undefined;
  for (const m of t.members) {
    const moff = base + m.bitsOffset / 8;
    let msize: number;
    try {
      msize = sizeof(btf, m.type);
    } catch {
      continue;
    }
    if (off >= moff + msize || moff >= off + size) continue;
    const mt = resolveType(btf, m.type);
    if ((mt.kind === 'STRUCT' || mt.kind === 'UNION') && SPECIAL_FIELDS.has(mt.name)) return mt.name;
    const inner = specialField(btf, mt, moff, off, size, depth + 1);
    if (inner !== undefined) return inner;
  }
  return undefined;
}

/** A pointer to an object of the program's own type `structId` (bpf_obj_new's result). */
export function allocPointer(local: Btf, structId: number, nullable: boolean, id: number): RegValue {
  const name = describeType(local, structId).replace(/^(struct|union) /, '');
  return pointer(Kind.BTF | (nullable ? Kind.NULLABLE : 0), scalarConst(0n), { btf: structId, btfName: name, id, alloc: true });
}

/**
 * The kernel's btf_struct_ids_match for a helper argument that must point to struct `want`: the
 * pointer's struct, or a struct it starts with (tcp_sock starts with sock); the kernel's complaint
 * when neither. Undefined when the pointer is not typed by kernel BTF (checked elsewhere).
 */
export function btfHelperArgMismatch(k: KernelBtfEnv | undefined, r: number, v: RegValue, want: string | undefined): string | undefined {
  if (k === undefined || want === undefined || (v.kinds & Kind.BTF) === 0 || v.btf === undefined || v.btf < 0 || v.alloc) return undefined;
  let id = v.btf;
  for (let depth = 0; depth < 16; depth++) {
    const t = resolveType(k.btf, id);
    if (t.kind !== 'STRUCT' && t.kind !== 'UNION') break;
    if (t.name === want) return undefined;
    const first = t.members[0];
    if (first === undefined || first.bitsOffset !== 0) break;
    id = first.type;
  }
  return `R${r} is of type ${v.btfName ?? '?'} but ${want} is expected`;
}
