import type { AttachTarget } from '../btf/attach.js';
import { findAttachTarget, structOpsArgStruct } from '../btf/attach.js';
import type { Btf } from '../btf/btf.js';
import { resolveType } from '../btf/btf.js';
import type { BtfParam } from '../btf/types.js';
import { BpfkitError, ErrorCode } from '../errors.js';
import type { ProgramContext } from '../helpers/contexts/context.js';
import { ARG_REGS, KprobeContext } from '../helpers/contexts/kprobe.js';
import { rawTracepointArgs, TracepointContext } from '../helpers/contexts/tracepoint.js';
import { TracingContext } from '../helpers/contexts/tracing.js';
import type { ObjectInstance } from '../helpers/kernel.js';
import type { KernelObjects } from '../helpers/kernel-objects/objects.js';
import { KernelObject, type KernelValue } from '../helpers/kernel-objects/values.js';
import { ProgType } from '../loader/kinds.js';
import type { ProgramDef } from '../loader/model.js';

/**
 * A hook's arguments: by position, or by name from its BTF prototype (`{ p: { pid: 42 }, old_pid: 7 }`).
 * Tracepoint arguments have no names in kernel BTF: they are `arg0`, `arg1`... A pointer argument
 * given as fields becomes a kernel object of the pointee's type for this run; a KernelObject or a
 * number is used as the pointer.
 */
export type TracingArgs = readonly KernelValue[] | { readonly [name: string]: KernelValue };

/** Program types whose loads may go through BTF pointers: NULL reads as zero there, as the kernel's probe loads. */
export function readsKernelPointers(type: number): boolean {
  return (
    type === ProgType.TRACING ||
    type === ProgType.LSM ||
    type === ProgType.STRUCT_OPS ||
    type === ProgType.KPROBE ||
    type === ProgType.TRACEPOINT ||
    type === ProgType.RAW_TRACEPOINT ||
    type === ProgType.RAW_TRACEPOINT_WRITABLE ||
    type === ProgType.PERF_EVENT
  );
}

const isBigintArray = (v: unknown): v is readonly bigint[] => Array.isArray(v) && v.every((x) => typeof x === 'bigint');

/** Parameter names as a test uses them: the BTF's, or argN where the BTF has none. */
export function argNames(params: readonly BtfParam[]): string[] {
  return params.map((p, i) => (p.name === '' ? `arg${i}` : p.name));
}

function badArgs(message: string): never {
  throw new BpfkitError(ErrorCode.Usage, message);
}

/** The values of `args` in the prototype's order (extra names are errors naming the parameters). */
function orderArgs(args: TracingArgs, names: readonly string[], extra: readonly string[], what: string): KernelValue[] {
  if (Array.isArray(args)) return [...(args as readonly KernelValue[])];
  const byName = args as { readonly [name: string]: KernelValue };
  const all = [...names, ...extra];
  for (const k of Object.keys(byName)) {
    if (!all.includes(k)) badArgs(`${what}: no argument '${k}' (arguments: ${all.join(', ') || 'none'})`);
  }
  return all.map((n) => byName[n] ?? 0);
}

/** One argument as the u64 the hook passes, placing objects given as fields. */
function argValue(objects: KernelObjects | undefined, btf: Btf | undefined, typeId: number | undefined, v: KernelValue, path: string, target?: AttachTarget): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') return BigInt(Math.trunc(v));
  if (typeof v === 'boolean') return v ? 1n : 0n;
  if (v === null) return 0n;
  if (v instanceof KernelObject) return v.address;
  if (objects === undefined || btf === undefined || typeId === undefined) badArgs(`${path}: objects given as fields need the kernel BTF (--btf FILE)`);
  const t = resolveType(btf, typeId);
  if (typeof v === 'string') {
    if (t.kind !== 'PTR') badArgs(`${path}: a string for a ${t.kind.toLowerCase()} argument`);
    return objects.string(v);
  }
  if (t.kind !== 'PTR') badArgs(`${path}: fields given for an argument that is not a pointer`);
  // a struct_ops member's object is what the kernel types it as (a congestion control's sock is a tcp_sock)
  const pointee = target?.kind === 'struct_ops' ? structOpsArgStruct(btf, target, resolveType(btf, t.type).id) : t.type;
  return objects.build(pointee, v, path).address;
}

/**
 * The context of a run of a BTF-typed tracing program, or of a kprobe/raw tracepoint whose
 * arguments are given by name; undefined when the plain contexts apply.
 */
export function tracingContext(instance: ObjectInstance, def: ProgramDef, input: { args?: readonly bigint[] | TracingArgs }): ProgramContext | undefined {
  const args = input.args;
  const memory = instance.memory;
  const kernel = instance.object.kernelBtf;
  const objects = (): KernelObjects | undefined => (kernel !== undefined || instance.object.btfTypes !== undefined ? instance.runKernelObjects() : undefined);
  const what = `program ${def.name}`;
  if (def.attachError !== undefined) throw new BpfkitError(ErrorCode.Usage, def.attachError);
  if (def.type === ProgType.TRACING || def.type === ProgType.LSM || (def.type === ProgType.STRUCT_OPS && def.attachBtf !== undefined)) {
    const target = def.attachBtf;
    if (target?.kind === 'iter') return iterContext(instance, def, target, args);
    if (target === undefined) {
      if (args === undefined || isBigintArray(args)) return new TracingContext(memory, args ?? []);
      badArgs(`${what}: arguments by name need the hook's prototype from the kernel BTF (--btf FILE)`);
    }
    const names = argNames(target.args);
    const ret = target.kind === 'fexit' || target.kind === 'fmod_ret' ? ['ret'] : [];
    const values = orderArgs(args ?? [], names, ret, what);
    const o = objects();
    const slots = values.map((v, i) => argValue(o, kernel, target.args[i]?.type ?? (i === target.args.length ? target.proto.returnType : undefined), v, `${what}: argument ${names[i] ?? 'ret'}`, target));
    return new TracingContext(memory, slots);
  }
  if (args === undefined || isBigintArray(args)) return undefined;
  if (def.type === ProgType.KPROBE || def.type === ProgType.RAW_TRACEPOINT || def.type === ProgType.RAW_TRACEPOINT_WRITABLE) {
    const kprobe = def.type === ProgType.KPROBE;
    const name = def.attachTo;
    const target = kernel !== undefined && name !== undefined ? findAttachTarget(kernel, kprobe ? 'fentry' : 'raw_tp', name) : undefined;
    if (target === undefined && !Array.isArray(args)) badArgs(`${what}: arguments by name need the prototype of ${name ?? 'the hook'} in the kernel BTF (--btf FILE)`);
    const names = target ? argNames(target.args) : [];
    const values = orderArgs(args, names, [], what);
    if (kprobe && values.length > ARG_REGS.length) badArgs(`${what}: a kprobe sees ${ARG_REGS.length} register arguments, not ${values.length}`);
    const o = objects();
    const slots = values.map((v, i) => argValue(o, kernel, target?.args[i]?.type, v, `${what}: argument ${names[i] ?? i}`));
    return kprobe ? new KprobeContext(memory, {}, slots) : new TracepointContext(memory, 'raw-tracepoint', rawTracepointArgs(slots));
  }
  return undefined;
}

/** `struct bpf_iter__NAME`: meta (a zeroed bpf_iter_meta unless given) and the iterated object(s). */
function iterContext(instance: ObjectInstance, def: ProgramDef, target: AttachTarget, args: readonly bigint[] | TracingArgs | undefined): ProgramContext {
  const kernel = instance.object.kernelBtf!;
  if (target.iterContext === undefined) badArgs(`program ${def.name}: the kernel BTF has no struct bpf_iter__${target.name}`);
  if (args !== undefined && Array.isArray(args)) badArgs(`program ${def.name}: an iterator's context is given by field name (meta, ${argNames(target.args).slice(1).join(', ')})`);
  const fields = { meta: {}, ...(args as { readonly [name: string]: KernelValue } | undefined) };
  const ctx = instance.runKernelObjects(kernel).build(target.iterContext, fields, `program ${def.name}: context`);
  return new TracingContext(instance.memory, { address: Number(ctx.address) });
}
