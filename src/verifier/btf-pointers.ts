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
import { Kind, NUM_UNKNOWN, numValue, pointer, type RegValue } from './domains/types.js';

/** What the verifier knows of the kernel: its BTF and the program's hook. */
export interface KernelBtfEnv {
  readonly btf: Btf;
  readonly attach?: AttachTarget;
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
  if (arg !== undefined) return valueOfType(k.btf, arg.type, size, false, 0);
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

type Walk = { ptr?: number; name: string } | { error: string };

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
      return s !== undefined ? { ptr: s.id, name: m.name } : { name: m.name };
    }
    if (off + size > mend) return { error: `access beyond the end of member ${m.name} (mend:${mend}) in struct ${tname} with off ${off} size ${size}` };
    return { name: m.name };
  }
  return { error: `struct ${tname} doesn't have field at offset ${off}` };
}

/** The register name the kernel gives a BTF pointer in messages: `ptr_task_struct`, `ptr_or_null_task_struct`. */
export function btfPointerName(v: RegValue): string {
  return `ptr_${(v.kinds & Kind.NULLABLE) !== 0 ? 'or_null_' : ''}${v.btfName ?? ''}`;
}

/**
 * Checks a load or store of `size` bytes at `off` through BTF pointer `r` holding `v`; returns
 * the kernel's complaint, or undefined when it is allowed.
 */
export function checkBtfAccess(k: KernelBtfEnv | undefined, r: number, v: RegValue, off: bigint, size: bigint, write: boolean): string | undefined {
  if (write) return `only read is supported (R${r} is ${btfPointerName(v)}: tracing programs may not write kernel objects through BTF pointers)`;
  if (k === undefined || v.btf === undefined || v.btf < 0) return `R${r} may point to different kernel types: the read cannot be checked`;
  const base = constValue(v.num);
  if (base === undefined) return `R${r} is ${btfPointerName(v)} invalid variable offset: off=${off}, var_off=${tnumToString(v.num.t)}`;
  const at = BigInt.asIntN(64, base) + off;
  if (at < 0n) return `R${r} is ${btfPointerName(v)} invalid negative access: off=${at}`;
  const w = walk(k.btf, v.btf, Number(at), Number(size));
  return 'error' in w ? w.error : undefined;
}

/** The value a load through BTF pointer `v` gives (after {@link checkBtfAccess} allowed it). */
export function btfLoad(k: KernelBtfEnv | undefined, v: RegValue, off: number, size: number): RegValue {
  const base = constValue(v.num);
  if (k === undefined || v.btf === undefined || v.btf < 0 || base === undefined) return sized(size);
  const w = walk(k.btf, v.btf, Number(BigInt.asIntN(64, base)) + off, size);
  if ('error' in w || w.ptr === undefined) return sized(size);
  return { ...btfPointer(k.btf, w.ptr), untrusted: true };
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
