import type { Btf } from '../../btf/btf.js';
import { describe, findMemberPath, resolveType, sizeof } from '../../btf/btf.js';
import type { BtfAnyType } from '../../btf/types.js';
import { BpfkitError, ErrorCode } from '../../errors.js';
import type { KernelState } from '../kernel/state.js';
import type { Memory, Region } from '../memory.js';
import { KernelObject, writeValue, type KernelFields, type KernelValue, type ObjectPlacer } from './values.js';

/** Allocates `size` bytes of kernel memory named `name`. */
export type KernelAllocator = (name: string, size: number) => Region;

/** The type a test names: `task_struct`, `struct sock`, `union bpf_attr`, `u64`. */
export function kernelType(btf: Btf, name: string): BtfAnyType {
  const m = /^(struct|union|enum)\s+(.+)$/.exec(name.trim());
  const bare = m ? m[2]! : name.trim();
  const wanted = m ? [m[1]!.toUpperCase()] : ['STRUCT', 'UNION', 'TYPEDEF', 'INT', 'ENUM', 'ENUM64'];
  const found = btf.named(bare).filter((t) => wanted.includes(t.kind));
  // A struct with members beats a forward declaration or an empty copy.
  const best = found.find((t) => (t.kind === 'STRUCT' || t.kind === 'UNION') && t.size > 0) ?? found[0];
  if (best === undefined) throw new BpfkitError(ErrorCode.Usage, `kernel object: the BTF has no type '${name}'`);
  return best;
}

/**
 * Kernel objects built from BTF in the simulated kernel's memory, for unit tests of tracing
 * programs: `objects.object('task_struct', { pid: 42, comm: 'bash', real_parent: { pid: 1 } })`
 * places a zeroed `task_struct` with those fields set (and a second one for its parent) and
 * returns its address. Programs read them through BTF pointers and `bpf_probe_read_kernel`.
 */
export class KernelObjects {
  constructor(
    /** The kernel BTF the layouts come from. */
    readonly btf: Btf,
    private readonly memory: Memory,
    private readonly kernel: KernelState,
    private readonly alloc: KernelAllocator,
  ) {}

  /** Places an object of type `type` with `fields` set (the rest zero) and returns it. */
  object(type: string, fields: KernelFields = {}): KernelObject {
    const t = kernelType(this.btf, type);
    return this.build(t.id, fields, describe(this.btf, t.id));
  }

  /**
   * The user registers of `task` as bpf_task_pt_regs returns them: a `struct pt_regs` with `fields`
   * set (`{ ip: 0x401000n, sp: ... }`, the rest zero).
   */
  taskRegs(task: KernelObject | bigint, fields: KernelFields = {}): KernelObject {
    const regs = this.object('pt_regs', fields);
    this.kernel.taskRegs.set(typeof task === 'bigint' ? task : task.address, regs.address);
    return regs;
  }

  /** Places a NUL-terminated string in kernel memory and returns its address. */
  string(text: string): bigint {
    const bytes = new TextEncoder().encode(text);
    const r = this.alloc('kernel string', bytes.length + 1);
    this.memory.u8.set(bytes, r.start);
    return BigInt(r.start);
  }

  /** Builds an object of type id `typeId` (fields, or a value for a scalar type). */
  build(typeId: number, value: KernelValue, path: string): KernelObject {
    const fwd = resolveType(this.btf, typeId);
    // A pointer to a forward declaration: the definition elsewhere in the BTF has the layout.
    if (fwd.kind === 'FWD') typeId = kernelType(this.btf, `${fwd.union ? 'union' : 'struct'} ${fwd.name}`).id;
    const size = sizeof(this.btf, typeId);
    const name = describe(this.btf, typeId);
    const region = this.alloc(`kernel ${name}`, Math.max(size, 1));
    const placer: ObjectPlacer = {
      place: (id, v, p) => this.build(id, v, p).address,
      string: (s) => this.string(s),
    };
    // The region's bytes are zero; a grow by a nested allocation detaches old views, so each
    // write takes the current buffer.
    writeValue(this.btf, typeId, value, new LiveView(this.memory) as unknown as DataView, region.start, placer, path);
    return new KernelObject(typeId, name, BigInt(region.start), size);
  }

  /** Reads an integer field of an object (`pid`, `real_parent`, `cred.uid.val` ...). */
  read(object: KernelObject, path: string): bigint {
    let typeId = object.typeId;
    let at = Number(object.address);
    for (const part of path.split('.')) {
      const t = resolveType(this.btf, typeId);
      if (t.kind === 'PTR') {
        at = Number(this.memory.dv.getBigUint64(at, this.btf.endian === 'little'));
        typeId = t.type;
      }
      const found = findMemberPath(this.btf, typeId, part);
      if (found === undefined) throw new BpfkitError(ErrorCode.Usage, `kernel object: ${describe(this.btf, typeId)} has no field '${part}'`);
      at += Math.floor(found.bitsOffset / 8);
      typeId = found.member.type;
    }
    const t = resolveType(this.btf, typeId);
    const size = t.kind === 'PTR' ? 8 : t.kind === 'INT' || t.kind === 'ENUM' || t.kind === 'ENUM64' ? t.size : 0;
    if (size === 0) throw new BpfkitError(ErrorCode.Usage, `kernel object: ${path} is a ${describe(this.btf, typeId)}, not an integer`);
    const little = this.btf.endian === 'little';
    let v = 0n;
    for (let i = 0; i < size; i++) v |= BigInt(this.memory.u8[at + (little ? i : size - 1 - i)]!) << BigInt(8 * i);
    return v;
  }

  /** Reads a char-array field as a string (`comm`). */
  readString(object: KernelObject, field: string): string {
    const found = findMemberPath(this.btf, object.typeId, field);
    if (found === undefined) throw new BpfkitError(ErrorCode.Usage, `kernel object: ${object.typeName} has no field '${field}'`);
    const at = Number(object.address) + found.bitsOffset / 8;
    const n = sizeof(this.btf, found.member.type);
    const bytes = this.memory.u8.subarray(at, at + n);
    const end = bytes.indexOf(0);
    return new TextDecoder().decode(bytes.subarray(0, end < 0 ? n : end));
  }

  /**
   * Makes `task` (a `task_struct`, or its fields) the current task: `bpf_get_current_task(_btf)`
   * return it, and `bpf_get_current_pid_tgid`, `_comm` and `_uid_gid` read its pid, tgid, comm and
   * cred->uid/gid.
   */
  setCurrentTask(task: KernelObject | KernelFields): KernelObject {
    const obj = task instanceof KernelObject ? task : this.object('task_struct', task);
    this.kernel.currentTask = obj.address;
    const has = (f: string): boolean => findMemberPath(this.btf, obj.typeId, f) !== undefined;
    const k = this.kernel.task;
    if (has('pid')) k.pid = Number(this.read(obj, 'pid'));
    if (has('tgid')) k.tgid = Number(this.read(obj, 'tgid'));
    if (has('comm')) k.comm = this.readString(obj, 'comm');
    if (has('cred') && this.read(obj, 'cred') !== 0n) {
      try {
        k.uid = Number(this.read(obj, 'cred.uid.val'));
        k.gid = Number(this.read(obj, 'cred.gid.val'));
      } catch {
        // A cred without uid/gid leaves the task's ids as they were.
      }
    }
    return obj;
  }
}

/** DataView-like writes that always go to the memory's current buffer (nested placement may grow it). */
class LiveView {
  constructor(private readonly memory: Memory) {}
  setUint8(at: number, v: number): void {
    this.memory.dv.setUint8(at, v);
  }
  getUint8(at: number): number {
    return this.memory.dv.getUint8(at);
  }
  setFloat64(at: number, v: number, little: boolean): void {
    this.memory.dv.setFloat64(at, v, little);
  }
  setFloat32(at: number, v: number, little: boolean): void {
    this.memory.dv.setFloat32(at, v, little);
  }
}
