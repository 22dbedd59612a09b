import { withKfuncs } from './kernel-objects/kfuncs.js';
import { BpfkitError, ErrorCode } from '../errors.js';
import { MapType, progTypeName } from '../loader/kinds.js';
import type { BpfObject, MapDef, ProgramDef } from '../loader/model.js';
import type { HelperTable } from './abi.js';
import { prepareProgram, type ExecProgram } from './exec-program.js';
import { kernelHelperTable } from './impl/registry.js';
import { KernelState, type KernelOptions } from './kernel/state.js';
import { MapView } from './map-view.js';
import { ArrayMap } from './maps/array.js';
import { createMap } from './maps/create.js';
import type { BpfMap } from './maps/map.js';
import { MapInMap } from './maps/map-in-map.js';
import { ProgArrayMap } from './maps/prog-array.js';
import { Memory, type MemoryMark, type Region } from './memory.js';
import { KernelObjects } from './kernel-objects/objects.js';
import type { Btf } from '../btf/btf.js';
import type { ProgramContext } from './contexts/context.js';

export type { KernelOptions } from './kernel/state.js';

const PAGE_SIZE = 4096;
/** Slots a callback program puts in front of the program (see ObjectInstance.callbackProgram). */
export const TRAMPOLINE_SLOTS = 2;

/**
 * What the loader changes in a map definition before it creates the map. libbpf gives a perf
 * event array of 0 entries one per CPU and rounds a ring buffer size up to a power of two pages;
 * it leaves other sizes of 0 for the kernel to refuse (-EINVAL). Maps of the legacy `maps`
 * section are created by the object's own loader (bpf_load.c, falco's scap loader), which sizes
 * those of 0 entries at run time with one slot per CPU (per-CPU scratch arrays indexed by
 * bpf_get_smp_processor_id); libbpf no longer loads that section. An explicit size from the
 * options comes first, as `bpf_map__set_max_entries` before the load does.
 */
function asCreated(def: MapDef, cpus: number, sizes: Readonly<Record<string, number>> = {}): MapDef {
  const set = Object.hasOwn(sizes, def.name) ? sizes[def.name] : undefined;
  if (set !== undefined) {
    if (!Number.isInteger(set) || set < 0 || set > 0xffffffff) {
      throw new BpfkitError(ErrorCode.Usage, `map '${def.name}': max_entries ${set} is not a u32`);
    }
    def = { ...def, maxEntries: set };
  } else if (def.maxEntries === 0 && (def.type === MapType.PERF_EVENT_ARRAY || def.origin === 'legacy')) {
    def = { ...def, maxEntries: cpus };
  }
  // libbpf rounds both ring buffer kinds up to a power-of-two number of pages.
  if ((def.type === MapType.RINGBUF || def.type === MapType.USER_RINGBUF) && def.maxEntries > 0) {
    let n = PAGE_SIZE;
    while (n < def.maxEntries) n *= 2;
    return { ...def, maxEntries: n };
  }
  return def;
}

/**
 * An object loaded into the simulated kernel: its maps created in one memory (global data
 * initialised, prog arrays and maps of maps filled from `.values`), its programs prepared for the
 * engines, and the helper table they call. Maps keep their contents from run to run, as in the
 * kernel; what a run allocates (context, packet) is released after it.
 */
export class ObjectInstance {
  readonly object: BpfObject;
  readonly memory: Memory;
  readonly kernel: KernelState;
  readonly helpers: HelperTable;
  private readonly exec = new Map<number, ExecProgram>();
  private readonly callbacks = new Map<string, ExecProgram>();
  private readonly views = new Map<number, MapView>();
  /** The memory as it stands once the maps (and kernel objects) exist; each run's allocations go above it. */
  baseMark: MemoryMark;
  private objects: KernelObjects | undefined;
  /**
   * The context the last run left for the next run of the same program type (run/program.ts), its
   * regions kept above {@link baseMark}; `mark` is the memory just above them. Undefined during a run.
   */
  runArea: { readonly type: number; readonly ctx: ProgramContext; readonly mark: MemoryMark } | undefined;

  constructor(object: BpfObject, options: KernelOptions = {}) {
    this.object = object;
    this.memory = new Memory();
    this.kernel = new KernelState(this.memory, options);
    const env = { memory: this.memory, cpus: this.kernel.cpus, nextCookie: () => this.kernel.nextCookie() };
    for (const name of Object.keys(options.maxEntries ?? {})) {
      if (!object.maps.some((m) => m.name === name)) {
        throw new BpfkitError(ErrorCode.Usage, `maxEntries: the object has no map '${name}' (maps: ${object.maps.map((m) => m.name).join(', ') || 'none'})`);
      }
    }
    object.maps.forEach((def, i) => this.kernel.maps.push(createMap(asCreated(def, this.kernel.cpus, options.maxEntries), i, env)));
    this.kernel.programTypes = object.programs.map((p) => p.type);
    this.kernel.programAttachTypes = object.programs.map((p) => p.expectedAttachType);
    for (const map of this.kernel.maps) this.fillSlots(map);
    this.helpers = withKfuncs(kernelHelperTable(this.kernel), this.kernel, object.externs, object.btfTypes);
    this.baseMark = this.memory.mark();
  }

  /** libbpf's `.values` initialisation of prog arrays and maps of maps. */
  private fillSlots(map: BpfMap): void {
    for (const slot of map.def.initialSlots ?? []) {
      if (map instanceof ProgArrayMap) map.setProgram(slot.index, this.programIndex(slot.name));
      else if (map instanceof MapInMap) {
        const key = new Uint8Array(map.keySize);
        new DataView(key.buffer).setUint32(0, slot.index, true);
        map.setInner(key, this.mapIndex(slot.name));
      }
    }
  }

  /**
   * Kernel objects built from `btf` (the object's kernel BTF by default) in this instance's memory;
   * they stay from run to run. Throws a usage error when there is no BTF to build them from.
   */
  kernelObjects(btf?: Btf): KernelObjects {
    if (this.objects !== undefined && (btf === undefined || btf === this.objects.btf)) return this.objects;
    this.objects = new KernelObjects(this.kernelBtfOrThrow(btf), this.memory, this.kernel, (name, size) => this.allocKernel(name, size));
    return this.objects;
  }

  /** Kernel objects that belong to the run being set up (a run's arguments given as fields): released with it. */
  runKernelObjects(btf?: Btf): KernelObjects {
    // writable: a struct_ops member writes the fields its struct allows (the verifier decides which)
    return new KernelObjects(this.kernelBtfOrThrow(btf), this.memory, this.kernel, (name, size) => this.memory.alloc(name, 'kernel', size, { writable: true }));
  }

  private kernelBtfOrThrow(btf: Btf | undefined): Btf {
    const from = btf ?? this.object.kernelBtf ?? this.object.btfTypes;
    if (from === undefined) {
      throw new BpfkitError(ErrorCode.Usage, 'kernel objects need BTF: load the object with the kernel BTF ({ btf } or --btf FILE)');
    }
    return from;
  }

  /** Kernel memory that outlives runs: placed at the base of the run area, which then starts above it. */
  private allocKernel(name: string, size: number): Region {
    if (this.runArea !== undefined && this.memory.mark().top === this.runArea.mark.top) this.releaseRuns();
    if (this.memory.mark().top !== this.baseMark.top) {
      throw new BpfkitError(ErrorCode.Usage, 'kernel objects are made between runs (give a run\'s own objects as fields of its args)');
    }
    const r = this.memory.alloc(name, 'kernel', size, { writable: true });
    this.baseMark = this.memory.mark();
    return r;
  }

  /** Drops what runs keep between them (the kept context): the memory goes back to {@link baseMark}. */
  releaseRuns(): void {
    this.runArea = undefined;
    this.memory.release(this.baseMark);
  }

  get maps(): readonly BpfMap[] {
    return this.kernel.maps;
  }

  /** The index of program `name`, or a usage error listing the programs. */
  programIndex(name: string): number {
    const i = this.object.programs.findIndex((p) => p.name === name);
    if (i < 0) {
      const names = this.object.programs.map((p) => p.name).join(', ') || '(none)';
      throw new BpfkitError(ErrorCode.Usage, `no program named '${name}' (programs: ${names})`);
    }
    return i;
  }

  mapIndex(name: string): number {
    const i = this.object.maps.findIndex((m) => m.name === name);
    if (i < 0) {
      const names = this.object.maps.map((m) => m.name).join(', ') || '(none)';
      throw new BpfkitError(ErrorCode.Usage, `no map named '${name}' (maps: ${names})`);
    }
    return i;
  }

  program(nameOrIndex: string | number): ProgramDef {
    const i = typeof nameOrIndex === 'number' ? nameOrIndex : this.programIndex(nameOrIndex);
    const p = this.object.programs[i];
    if (p === undefined) throw new BpfkitError(ErrorCode.Usage, `no program ${i}`);
    return p;
  }

  /** The program prepared for the engines: lddw of maps and global data resolved, line info attached. */
  execProgram(index: number): ExecProgram {
    let e = this.exec.get(index);
    if (e === undefined) {
      const p = this.program(index);
      e = prepareProgram(p.name, p.instructions, { mapValueAddress: (m, off) => this.globalAddress(m, off) }, p.functions);
      this.exec.set(index, e);
    }
    return e;
  }

  /**
   * Program `index` entered at the bpf function at `slot` (a timer callback): two slots in front,
   * `call slot; exit`, so either engine runs it with r1..r5 as given. Slot numbers in it are the
   * program's plus {@link TRAMPOLINE_SLOTS}.
   */
  callbackProgram(index: number, slot: number): ExecProgram {
    const key = `${index}@${slot}`;
    let e = this.callbacks.get(key);
    if (e === undefined) {
      const p = this.program(index);
      const entry = [
        { opcode: 0x85, dst: 0, src: 1, off: 0, imm: slot + 1 },
        { opcode: 0x95, dst: 0, src: 0, off: 0, imm: 0 },
      ];
      const functions = [{ name: `${p.name}@${slot}`, slot: 0 }, ...p.functions.map((f) => ({ name: f.name, slot: f.slot + TRAMPOLINE_SLOTS }))];
      e = prepareProgram(`${p.name}@${slot}`, [...entry, ...p.instructions], { mapValueAddress: (m, off) => this.globalAddress(m, off) }, functions);
      this.callbacks.set(key, e);
    }
    return e;
  }

  private globalAddress(mapIndex: number, offset: number): number {
    const m = this.kernel.maps[mapIndex];
    if (!(m instanceof ArrayMap)) {
      throw new BpfkitError(ErrorCode.Unsupported, `lddw of a value of map ${m?.name ?? mapIndex}, which is not an array`);
    }
    return m.valueAddress(0) + offset;
  }

  /** The TypeScript view of map `name`. */
  map(name: string): MapView {
    const i = this.mapIndex(name);
    let v = this.views.get(i);
    if (v === undefined) {
      v = new MapView(this.kernel.maps[i]!, this.object.btfTypes, (n) => this.programIndex(n), (n) => this.mapIndex(n));
      this.views.set(i, v);
    }
    return v;
  }

  /** A one-line description of program `name`'s type, for messages. */
  describeProgram(index: number): string {
    const p = this.program(index);
    return `${p.name} (${progTypeName(p.type)}, section ${p.section})`;
  }
}
