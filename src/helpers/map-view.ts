import type { Btf } from '../btf/index.js';
import { BpfkitError, ErrorCode } from '../errors.js';
import { MapType } from '../loader/kinds.js';
import { decodeValue, encodeValue, type BtfValue } from './btf-value.js';
import { errnoName } from './errno.js';
import { ArrayMap } from './maps/array.js';
import { HashMap } from './maps/hash.js';
import { hexOf, u32Bytes, type BpfMap, type MapEntry } from './maps/map.js';
import { MapInMap } from './maps/map-in-map.js';
import { PerfEventArray, type PerfRecord } from './maps/perf-event.js';
import { ProgArrayMap } from './maps/prog-array.js';
import { QueueStackMap } from './maps/queue-stack.js';
import { RingbufMap } from './maps/ringbuf.js';
import { SockMapBase } from './maps/sockmap.js';
import { CgroupArrayMap } from './maps/cgroup-array.js';
import { CgroupStorageMap } from './maps/cgroup-storage.js';
import { UserRingbufMap } from './maps/user-ringbuf.js';
import type { SimSocket, SimSocketSpec } from './kernel/sockets.js';

/** A failed map operation from TypeScript: the kernel's errno, named. */
export class MapOpError extends BpfkitError {
  readonly errno: number;
  constructor(map: string, op: string, errno: number) {
    super(ErrorCode.Usage, `map '${map}': ${op} failed with ${errnoName(errno)}`);
    this.errno = errno;
  }
}

/** A key as the TypeScript API takes it: bytes, an array index, or a BTF-typed value. */
export type MapKey = Uint8Array | number | BtfValue;

/**
 * A map of an object instance as user space sees it (the syscall side, like libbpf's
 * `bpf_map__lookup_elem`): keys and values as bytes, or typed through BTF when the object
 * describes them (`getTyped`, `setTyped`). Per-CPU maps read as every CPU's copy, each padded to
 * 8 bytes (`get`) or one CPU's (`getCpu`). Failures throw {@link MapOpError} with the kernel's errno.
 */
export class MapView {
  readonly map: BpfMap;
  private readonly btf: Btf | undefined;
  private readonly resolveProgram: (name: string) => number;
  private readonly resolveMap: (name: string) => number;

  constructor(map: BpfMap, btf: Btf | undefined, resolveProgram: (name: string) => number, resolveMap: (name: string) => number) {
    this.map = map;
    this.btf = btf;
    this.resolveProgram = resolveProgram;
    this.resolveMap = resolveMap;
  }

  get name(): string {
    return this.map.name;
  }

  private check(op: string, r: number): void {
    if (r < 0) throw new MapOpError(this.name, op, r);
  }

  /** Key bytes: as given, an index for u32-keyed maps, or BTF-encoded. */
  keyBytes(key: MapKey): Uint8Array {
    if (key instanceof Uint8Array) return key;
    if (typeof key === 'number' && this.map.keySize === 4) return u32Bytes(key);
    const id = this.map.def.btfKeyTypeId;
    if (this.btf === undefined || id === 0) {
      throw new BpfkitError(ErrorCode.Usage, `map '${this.name}': the object has no BTF for its key; pass the key as bytes`);
    }
    return encodeValue(this.btf, id, key);
  }

  private valueBytes(value: Uint8Array | BtfValue): Uint8Array {
    if (value instanceof Uint8Array) return value;
    const id = this.map.def.btfValueTypeId;
    if (this.btf === undefined || id === 0) {
      throw new BpfkitError(ErrorCode.Usage, `map '${this.name}': the object has no BTF for its value; pass the value as bytes`);
    }
    return encodeValue(this.btf, id, value);
  }

  /** The value bytes at `key` (per-CPU maps: all CPUs), or undefined when absent. */
  get(key: MapKey): Uint8Array | undefined {
    const r = this.map.sysLookup(this.keyBytes(key));
    if (typeof r === 'number') {
      if (r === -2) return undefined;
      throw new MapOpError(this.name, 'lookup', r);
    }
    return r;
  }

  /** CPU `cpu`'s value bytes of a per-CPU map (the value itself for other maps). */
  getCpu(key: MapKey, cpu: number): Uint8Array | undefined {
    const all = this.get(key);
    if (all === undefined || !this.map.perCpu) return all;
    const stride = Math.ceil(this.map.valueSize / 8) * 8;
    return all.slice(cpu * stride, cpu * stride + this.map.valueSize);
  }

  /** Stores `value` (bytes, or a BTF-typed value; per-CPU maps: all CPUs, or one value for every CPU). */
  set(key: MapKey, value: Uint8Array | BtfValue, flags = 0): void {
    this.check('update', this.map.sysUpdate(this.keyBytes(key), this.valueBytes(value), flags));
  }

  delete(key: MapKey): void {
    this.check('delete', this.map.sysDelete(this.keyBytes(key)));
  }

  /** The value at `key` decoded through BTF (per-CPU maps: CPU `cpu`'s). */
  getTyped(key: MapKey, cpu = 0): BtfValue | undefined {
    const id = this.map.def.btfValueTypeId;
    if (this.btf === undefined || id === 0) throw new BpfkitError(ErrorCode.Usage, `map '${this.name}': the object has no BTF for its value`);
    const v = this.getCpu(key, cpu);
    return v === undefined ? undefined : decodeValue(this.btf, id, v);
  }

  /** Every entry (keys and CPU `cpu`'s values as bytes), sorted by key bytes. */
  entries(cpu = 0): MapEntry[] {
    return this.map.entries(cpu).sort((a, b) => (hexOf(a.key) < hexOf(b.key) ? -1 : hexOf(a.key) > hexOf(b.key) ? 1 : 0));
  }

  /** Every entry decoded through BTF. */
  entriesTyped(cpu = 0): Array<{ key: BtfValue; value: BtfValue }> {
    const { btfKeyTypeId: k, btfValueTypeId: v } = this.map.def;
    if (this.btf === undefined || k === 0 || v === 0) throw new BpfkitError(ErrorCode.Usage, `map '${this.name}': the object has no BTF for its key and value`);
    const btf = this.btf;
    return this.entries(cpu).map((e) => ({ key: decodeValue(btf, k, e.key), value: decodeValue(btf, v, e.value) }));
  }

  /** Queue/stack: push a value. */
  push(value: Uint8Array | BtfValue, flags = 0): void {
    this.check('push', this.map.push(this.valueBytes(value), flags));
  }

  /** Queue/stack: pop (or peek) a value; undefined when empty. */
  pop(peek = false): Uint8Array | undefined {
    const r = this.map.pop(peek);
    if (typeof r === 'number') {
      if (r === -2) return undefined;
      throw new MapOpError(this.name, peek ? 'peek' : 'pop', r);
    }
    return r;
  }

  /** Queue/stack: the values, oldest first. */
  values(): Uint8Array[] {
    if (!(this.map instanceof QueueStackMap)) throw new BpfkitError(ErrorCode.Usage, `map '${this.name}' is not a queue or stack`);
    return this.map.values();
  }

  /** Prog array: puts program `name` in slot `index` (undefined clears it). */
  setProgram(index: number, name: string | undefined): void {
    if (!(this.map instanceof ProgArrayMap)) throw new BpfkitError(ErrorCode.Usage, `map '${this.name}' is not a prog_array`);
    this.check('update', this.map.setProgram(index, name === undefined ? undefined : this.resolveProgram(name)));
  }

  /** Map of maps: stores map `inner` at `key`. */
  setInner(key: MapKey, inner: string): void {
    if (!(this.map instanceof MapInMap)) throw new BpfkitError(ErrorCode.Usage, `map '${this.name}' is not a map of maps`);
    this.check('update', this.map.setInner(this.keyBytes(key), this.resolveMap(inner)));
  }

  /** Perf event array: opens readers (every CPU index by default) so outputs are captured. */
  openPerfBuffer(indexes?: number[]): void {
    if (!(this.map instanceof PerfEventArray)) throw new BpfkitError(ErrorCode.Usage, `map '${this.name}' is not a perf_event_array`);
    this.map.open(indexes);
  }

  /** Perf event array: takes the captured records. */
  perfRecords(): PerfRecord[] {
    return this.map instanceof PerfEventArray ? this.map.drain() : [];
  }

  /** Ring buffer: takes the submitted records not yet consumed. */
  consume(): Uint8Array[] {
    return this.map instanceof RingbufMap ? this.map.consume() : [];
  }

  /**
   * Sockmap, sockhash, reuseport sockarray: places a simulated socket at `key` (what user space
   * does with a socket fd), under the kernel's rules for the map type; returns the socket (its
   * `cookie` is what lookups from user space give). Refusals throw a MapOpError with the errno.
   */
  placeSocket(key: MapKey, socket: SimSocketSpec | SimSocket, flags = 0): SimSocket {
    if (!(this.map instanceof SockMapBase)) throw new BpfkitError(ErrorCode.Usage, `map '${this.name}' is not a sockmap, sockhash or reuseport sockarray`);
    const r = this.map.placeSocket(this.keyBytes(key), socket, flags);
    this.check('update', r.status);
    return r.socket;
  }

  /** Cgroup array: places the cgroup of id `id` in slot `index` (the kernel takes a cgroup fd). */
  setCgroup(index: number, id: bigint): void {
    if (!(this.map instanceof CgroupArrayMap)) throw new BpfkitError(ErrorCode.Usage, `map '${this.name}' is not a cgroup_array`);
    this.check('update', this.map.setCgroup(index, id));
  }

  /**
   * Cgroup storage: links a storage for programs of `attachType` attached to cgroup `cgroupId`
   * (runs while the task is in that cgroup use it); returns its key.
   */
  attachCgroup(cgroupId: bigint, attachType: number): Uint8Array {
    if (!(this.map instanceof CgroupStorageMap)) throw new BpfkitError(ErrorCode.Usage, `map '${this.name}' is not a cgroup storage map`);
    return this.map.attach(cgroupId, attachType);
  }

  /** User ring buffer: submits a record (or reserves and discards it) for bpf_user_ringbuf_drain. */
  submit(record: Uint8Array, options: { discard?: boolean } = {}): void {
    if (!(this.map instanceof UserRingbufMap)) throw new BpfkitError(ErrorCode.Usage, `map '${this.name}' is not a user_ringbuf`);
    this.check('update', this.map.submit(record, options));
  }

  /** Global data (.data, .bss, .rodata...): the section's bytes. */
  data(): Uint8Array {
    if (!(this.map instanceof ArrayMap) || this.map.type !== MapType.ARRAY) throw new BpfkitError(ErrorCode.Usage, `map '${this.name}' is not an array`);
    return this.map.values.read(0);
  }

  /** Number of entries of a hash map. */
  get size(): number {
    return this.map instanceof HashMap ? this.map.size : this.map.entries().length;
  }
}
