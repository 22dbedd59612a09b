import { BpfkitError, ErrorCode } from '../errors.js';
import type { Btf } from './btf.js';
import { resolveType } from './btf.js';
import type { BtfFuncProto, BtfParam } from './types.js';

/** Program kinds whose attach target is a kernel BTF type. */
export type AttachKind = 'tp_btf' | 'fentry' | 'fexit' | 'fmod_ret' | 'lsm' | 'iter' | 'raw_tp' | 'struct_ops';

/** A hook's prototype as the kernel BTF gives it. */
export interface AttachTarget {
  kind: AttachKind;
  /** The name in the section (`sched_process_exec`, `do_unlinkat`, `file_open`, `task`). */
  name: string;
  /** The BTF name looked up (`btf_trace_sched_process_exec`, `do_unlinkat`, `bpf_lsm_file_open`, `bpf_iter_task`). */
  btfName: string;
  /** The type found (FUNC or TYPEDEF). */
  typeId: number;
  proto: BtfFuncProto;
  /** The arguments the program sees in its context, in order (tp_btf/raw_tp drop the tracepoint's `void *__data`). */
  args: readonly BtfParam[];
  /** The context struct of an iterator (`struct bpf_iter__task`), whose members are the context's fields. */
  iterContext?: number;
  /** struct_ops: the kernel struct the program's map implements and the member (function pointer) it fills. */
  structOps?: { readonly struct: string; readonly structId: number; readonly member: string; readonly memberIndex: number };
}

/** The attach kind of a section prefix, or undefined for programs not attached by BTF. */
export function attachKindOf(section: string): AttachKind | undefined {
  const prefix = section.split('/')[0]!;
  switch (prefix) {
    case 'tp_btf':
      return 'tp_btf';
    case 'fentry':
    case 'fentry.s':
      return 'fentry';
    case 'fexit':
    case 'fexit.s':
      return 'fexit';
    case 'fmod_ret':
    case 'fmod_ret.s':
      return 'fmod_ret';
    case 'lsm':
    case 'lsm.s':
    case 'lsm_cgroup':
      return 'lsm';
    case 'iter':
    case 'iter.s':
      return 'iter';
    case 'raw_tp':
    case 'raw_tracepoint':
      return 'raw_tp';
    default:
      return undefined;
  }
}

/** Where libbpf looks: the typedef of a tracepoint, the LSM hook's bpf_lsm_ stub, the iterator's bpf_iter_ function. */
function btfNameOf(kind: AttachKind, name: string): { name: string; kind: 'TYPEDEF' | 'FUNC' } {
  switch (kind) {
    case 'tp_btf':
    case 'raw_tp':
      return { name: `btf_trace_${name}`, kind: 'TYPEDEF' };
    case 'lsm':
      return { name: `bpf_lsm_${name}`, kind: 'FUNC' };
    case 'iter':
      return { name: `bpf_iter_${name}`, kind: 'FUNC' };
    case 'struct_ops':
      // never looked up by name alone: structOpsTarget finds the member of its map's struct
      return { name, kind: 'FUNC' };
    default:
      return { name, kind: 'FUNC' };
  }
}

/**
 * The attach target of a program in kernel BTF, or undefined when the BTF has none. libbpf
 * fails the load of tp_btf, fentry/fexit/fmod_ret, lsm and iter programs without one; see
 * {@link requireAttachTarget}.
 */
export function findAttachTarget(btf: Btf, kind: AttachKind, name: string): AttachTarget | undefined {
  const want = btfNameOf(kind, name);
  const t = btf.named(want.name).find((x) => x.kind === want.kind);
  if (t === undefined) return undefined;
  let protoId: number;
  if (t.kind === 'TYPEDEF') {
    // typedef void (*btf_trace_x)(void *__data, args...)
    const ptr = resolveType(btf, t.type);
    if (ptr.kind !== 'PTR') return undefined;
    protoId = ptr.type;
  } else if (t.kind === 'FUNC') protoId = t.type;
  else return undefined;
  const proto = resolveType(btf, protoId);
  if (proto.kind !== 'FUNC_PROTO') return undefined;
  const args = kind === 'tp_btf' || kind === 'raw_tp' ? proto.params.slice(1) : proto.params;
  const target: AttachTarget = { kind, name, btfName: want.name, typeId: t.id, proto, args };
  if (kind === 'iter') {
    const ctx = btf.named(`bpf_iter__${name}`).find((x) => x.kind === 'STRUCT');
    if (ctx !== undefined) target.iterContext = ctx.id;
  }
  return target;
}

/** ESRCH, as libbpf reports a missing attach target. */
const ESRCH = 3;

/**
 * The attach target, or the error libbpf gives when the kernel has none:
 * `prog 'NAME': failed to find kernel BTF type ID of 'TARGET': -3`.
 */
export function requireAttachTarget(btf: Btf, program: string, kind: AttachKind, name: string): AttachTarget {
  const t = findAttachTarget(btf, kind, name);
  if (t !== undefined) return t;
  const want = btfNameOf(kind, name);
  throw new BpfkitError(
    ErrorCode.BadInput,
    `prog '${program}': failed to find kernel BTF type ID of '${name}': -${ESRCH} (ESRCH: the kernel BTF has no ${want.kind === 'TYPEDEF' ? 'typedef' : 'function'} ${want.name})`,
  );
}

/**
 * The attach target of a struct_ops program: member `member` of kernel struct `struct` (a
 * function pointer), as libbpf finds it when it fills a `.struct_ops` map (attach_btf_id = the
 * struct, expected_attach_type = the member's index). Its arguments are the member's prototype.
 */
export function structOpsTarget(btf: Btf, program: string, struct: string, member: string): AttachTarget {
  const t = btf.named(struct).find((x) => x.kind === 'STRUCT');
  if (t === undefined || t.kind !== 'STRUCT') {
    throw new BpfkitError(ErrorCode.BadInput, `prog '${program}': struct_ops init_kern: struct ${struct} is not found in kernel BTF`);
  }
  const memberIndex = t.members.findIndex((m) => m.name === member);
  const m = t.members[memberIndex];
  if (m === undefined) throw new BpfkitError(ErrorCode.BadInput, `prog '${program}': struct_ops init_kern ${struct}: Cannot find member ${member} in kernel BTF`);
  const ptr = resolveType(btf, m.type);
  const proto = ptr.kind === 'PTR' ? resolveType(btf, ptr.type) : undefined;
  if (proto === undefined || proto.kind !== 'FUNC_PROTO') {
    throw new BpfkitError(ErrorCode.BadInput, `prog '${program}': struct_ops ${struct}.${member} is not a function pointer in kernel BTF`);
  }
  return { kind: 'struct_ops', name: `${struct}.${member}`, btfName: struct, typeId: t.id, proto, args: proto.params, structOps: { struct, structId: t.id, member, memberIndex } };
}

/**
 * The struct a struct_ops member's pointer argument points to as the kernel types it: a congestion
 * control's `struct sock *` is its `struct tcp_sock` (bpf_tcp_ca_is_valid_access); others as declared.
 */
export function structOpsArgStruct(btf: Btf, t: AttachTarget, structId: number): number {
  if (t.structOps?.struct !== 'tcp_congestion_ops') return structId;
  const s = resolveType(btf, structId);
  if (s.kind !== 'STRUCT' || s.name !== 'sock') return structId;
  return btf.named('tcp_sock').find((x) => x.kind === 'STRUCT')?.id ?? structId;
}
