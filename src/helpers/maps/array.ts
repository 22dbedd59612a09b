import type { MapDef } from '../../loader/model.js';
import { MapType } from '../../loader/kinds.js';
import { Errno } from '../errno.js';
import { BpfMap, UpdateFlags, badUpdateFlags, round8, u32Bytes, u32le, type MapEnv, type MapStatus } from './map.js';
import { SlotStore } from './slot-store.js';

/**
 * `BPF_MAP_TYPE_ARRAY` and `BPF_MAP_TYPE_PERCPU_ARRAY` (and the global-data maps `.data`, `.bss`,
 * `.rodata`, which libbpf makes single-element arrays): every index exists from creation, zeroed;
 * delete is `-EINVAL`; an index past the end is `-E2BIG` on update and NULL on lookup.
 */
export class ArrayMap extends BpfMap {
  readonly values: SlotStore;
  /** Scratch u32 keys handed to `bpf_for_each_map_elem` callbacks (the kernel passes a stack copy). */
  private keyScratch: number;
  private readonly percpu: boolean;

  constructor(def: MapDef, index: number, env: MapEnv, options: { readOnlyForPrograms?: boolean } = {}) {
    super(def, index, env);
    this.percpu = def.type === MapType.PERCPU_ARRAY;
    this.values = new SlotStore(
      env.memory,
      def.name,
      def.origin === 'btf' || def.origin === 'legacy' ? 'map-value' : 'global',
      def.maxEntries,
      def.valueSize,
      this.percpu ? env.cpus : 1,
      !options.readOnlyForPrograms,
    );
    for (let i = 0; i < def.maxEntries; i++) this.values.take();
    this.keyScratch = env.memory.alloc(`${def.name}:key`, 'scratch', 8, { writable: false }).start;
    if (def.initialValue !== undefined) this.values.write(0, 0, def.initialValue);
  }

  override get perCpu(): boolean {
    return this.percpu;
  }

  /** Address of element `index` (CPU `cpu`'s copy): where global data lives for `lddw` of a map value. */
  valueAddress(index: number, cpu = 0): number {
    return this.values.addr(index, this.percpu ? cpu : 0);
  }

  private indexOf(key: Uint8Array): number {
    return key.length >= 4 ? u32le(key) : Number.MAX_SAFE_INTEGER;
  }

  override lookup(key: Uint8Array, cpu: number): number {
    const i = this.indexOf(key);
    if (i >= this.maxEntries) return 0;
    return this.valueAddress(i, cpu);
  }

  override lookupAt(keyAddr: number, cpu: number): number {
    const i = this.keySize >= 4 ? this.env.memory.dv.getUint32(keyAddr, true) : Number.MAX_SAFE_INTEGER;
    if (i >= this.maxEntries) return 0;
    return this.valueAddress(i, cpu);
  }

  override updateAt(keyAddr: number, valueAddr: number, flags: number, cpu: number): MapStatus {
    if (badUpdateFlags(flags)) return -Errno.EINVAL;
    const i = this.keySize >= 4 ? this.env.memory.dv.getUint32(keyAddr, true) : Number.MAX_SAFE_INTEGER;
    if (i >= this.maxEntries) return -Errno.E2BIG;
    if (flags === UpdateFlags.NOEXIST) return -Errno.EEXIST;
    this.values.writeFrom(i, this.percpu ? cpu : 0, this.env.memory.u8, valueAddr, this.valueSize);
    return 0;
  }

  override update(key: Uint8Array, value: Uint8Array, flags: number, cpu: number): MapStatus {
    if (badUpdateFlags(flags)) return -Errno.EINVAL;
    const i = this.indexOf(key);
    if (i >= this.maxEntries) return -Errno.E2BIG;
    if (flags === UpdateFlags.NOEXIST) return -Errno.EEXIST;
    this.values.write(i, this.percpu ? cpu : 0, value);
    return 0;
  }

  override delete(_key: Uint8Array): MapStatus {
    return -Errno.EINVAL;
  }

  /** As delete: no key copy made (bpf_map_delete_elem on an array, each call). */
  override deleteAt(_keyAddr: number): MapStatus {
    return -Errno.EINVAL;
  }

  override sysLookup(key: Uint8Array): Uint8Array | MapStatus {
    const i = this.indexOf(key);
    if (i >= this.maxEntries) return -Errno.ENOENT;
    if (!this.percpu) return this.values.read(i, 0);
    return gatherPerCpu(this.env.cpus, this.valueSize, (c) => this.values.read(i, c));
  }

  override sysUpdate(key: Uint8Array, value: Uint8Array, flags: number): MapStatus {
    if (!this.percpu) return this.update(key, value, flags, 0);
    if (badUpdateFlags(flags)) return -Errno.EINVAL;
    const i = this.indexOf(key);
    if (i >= this.maxEntries) return -Errno.E2BIG;
    if (flags === UpdateFlags.NOEXIST) return -Errno.EEXIST;
    scatterPerCpu(this.env.cpus, this.valueSize, value, (c, v) => this.values.write(i, c, v));
    return 0;
  }

  override sysNextKey(key: Uint8Array | undefined): Uint8Array | undefined {
    const i = key === undefined ? -1 : this.indexOf(key);
    const next = i >= this.maxEntries ? 0 : i + 1;
    return next < this.maxEntries ? u32Bytes(next) : undefined;
  }

  override forEach(cpu: number, visit: (keyAddr: number, valueAddr: number) => boolean): number {
    let n = 0;
    for (let i = 0; i < this.maxEntries; i++) {
      this.env.memory.dv.setUint32(this.keyScratch, i, true);
      n++;
      if (visit(this.keyScratch, this.valueAddress(i, cpu))) break;
    }
    return n;
  }
}

/** The user-space layout of a per-CPU value: each CPU's copy rounded up to 8 bytes, CPU 0 first. */
export function gatherPerCpu(cpus: number, size: number, read: (cpu: number) => Uint8Array): Uint8Array {
  const stride = round8(size);
  const out = new Uint8Array(stride * cpus);
  for (let c = 0; c < cpus; c++) out.set(read(c), c * stride);
  return out;
}

/**
 * Splits a user-space per-CPU value. A value of exactly `size` bytes is taken as the same value for
 * every CPU (a convenience of the TypeScript API; the syscall needs all copies).
 */
export function scatterPerCpu(cpus: number, size: number, value: Uint8Array, write: (cpu: number, v: Uint8Array) => void): void {
  const stride = round8(size);
  for (let c = 0; c < cpus; c++) {
    const v = value.length >= stride * cpus ? value.subarray(c * stride, c * stride + size) : value.subarray(0, size);
    write(c, v);
  }
}
