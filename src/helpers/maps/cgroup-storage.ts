import type { MapDef } from '../../loader/model.js';
import { MapType } from '../../loader/kinds.js';
import { Errno } from '../errno.js';
import { BpfMap, hexOf, round8, UpdateFlags, type MapEntry, type MapEnv, type MapStatus } from './map.js';
import { SlotStore } from './slot-store.js';

/** One linked storage: its key and slot. */
interface Storage {
  key: Uint8Array;
  slot: number;
}

/** How many cgroup attachments one storage map holds in bpfkit (the kernel allocates per attachment). */
export const CGROUP_STORAGE_LINKS = 64;

/** Where a storage's CPU copies are: a linked slot, or a test run's own storage. */
export type StorageRef = { slot: number } | { base: number };

/**
 * `BPF_MAP_TYPE_CGROUP_STORAGE` and `BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE` (kernel/bpf/local_storage.c):
 * one value per (cgroup, attach type) a program is attached to, which the program reaches with
 * bpf_get_local_storage (never NULL). A test run (BPF_PROG_TEST_RUN) gives the program fresh,
 * zeroed storage that lives for that call (all its repeats) and is never linked into the map, so
 * user space sees the map empty afterwards, as kernel-run shows. bpfkit models an attachment with
 * {@link attach}: a storage linked into the map under `{ cgroup_inode_id, attach_type }` (or the
 * u64 id for 8-byte keys), which runs then use while the simulated current cgroup is that cgroup.
 * User space: lookup/update of a linked storage only (-ENOENT otherwise; flags BPF_ANY/BPF_EXIST),
 * delete is -EINVAL.
 */
export class CgroupStorageMap extends BpfMap {
  private readonly linked = new Map<string, Storage>();
  private readonly order: Storage[] = [];
  private readonly slots: SlotStore;

  constructor(def: MapDef, index: number, env: MapEnv) {
    super(def, index, env);
    this.slots = new SlotStore(env.memory, `map:${def.name}`, 'map-value', CGROUP_STORAGE_LINKS, def.valueSize, this.perCpu ? env.cpus : 1, true);
  }

  override get perCpu(): boolean {
    return this.type === MapType.PERCPU_CGROUP_STORAGE;
  }

  private get stride(): number {
    return this.perCpu ? round8(this.valueSize) : 0;
  }

  /** The key of (cgroup, attach type) in this map's key format. */
  keyOf(cgroupId: bigint, attachType: number): Uint8Array {
    const key = new Uint8Array(this.keySize);
    const dv = new DataView(key.buffer);
    dv.setBigUint64(0, BigInt.asUintN(64, cgroupId), true);
    if (this.keySize === 16) dv.setUint32(8, attachType, true);
    return key;
  }

  /**
   * Links a (zeroed) storage for a program of `attachType` attached to cgroup `cgroupId`, as
   * attaching it does; linking the same key again keeps the storage. Throws past
   * {@link CGROUP_STORAGE_LINKS} attachments.
   */
  attach(cgroupId: bigint, attachType: number): Uint8Array {
    const key = this.keyOf(cgroupId, attachType);
    const k = hexOf(key);
    if (!this.linked.has(k)) {
      const slot = this.slots.take();
      if (slot < 0) throw new RangeError(`map '${this.name}': more than ${CGROUP_STORAGE_LINKS} cgroup attachments`);
      this.slots.zero(slot);
      const s = { key, slot };
      this.linked.set(k, s);
      this.order.push(s);
    }
    return key;
  }

  /** The linked storage of (cgroup, attach type) a run uses, or undefined (the run then gets its own). */
  linkedFor(cgroupId: bigint, attachType: number | undefined): StorageRef | undefined {
    // Nothing attached (a test run's usual case): no key built per bpf_get_local_storage call.
    if (this.linked.size === 0) return undefined;
    const s = attachType !== undefined ? this.linked.get(hexOf(this.keyOf(cgroupId, attachType))) : this.order.find((x) => new DataView(x.key.buffer).getBigUint64(0, true) === cgroupId);
    return s === undefined ? undefined : { slot: s.slot };
  }

  /** A test run's own storage: zeroed, in the run's memory (released with the run). */
  runStorage(): StorageRef {
    const copies = this.perCpu ? this.env.cpus : 1;
    const size = Math.max(8, (this.perCpu ? this.stride : this.valueSize) * copies);
    const r = this.env.memory.alloc(`map:${this.name} test run storage`, 'map-value', size, { writable: true, align: 8 });
    this.env.memory.u8.fill(0, r.start, r.start + size);
    return { base: r.start };
  }

  /** CPU `cpu`'s copy of a storage. */
  copyOf(ref: StorageRef, cpu: number): number {
    const c = this.perCpu ? cpu : 0;
    return 'slot' in ref ? this.slots.addr(ref.slot, c) : ref.base + c * this.stride;
  }

  private copyAt(s: Storage, cpu: number): number {
    return this.copyOf({ slot: s.slot }, cpu);
  }

  override lookup(key: Uint8Array, cpu: number): number {
    const s = this.linked.get(hexOf(key.subarray(0, this.keySize)));
    return s === undefined ? 0 : this.copyAt(s, cpu);
  }

  override update(key: Uint8Array, value: Uint8Array, flags: number, cpu: number): MapStatus {
    if (flags < 0 || (flags & ~(UpdateFlags.F_LOCK | UpdateFlags.EXIST)) !== 0) return -Errno.EINVAL;
    // BPF_F_LOCK needs a bpf_spin_lock in the value, which bpfkit does not track for this map.
    if (flags & UpdateFlags.F_LOCK) return -Errno.EINVAL;
    const s = this.linked.get(hexOf(key.subarray(0, this.keySize)));
    if (s === undefined) return -Errno.ENOENT;
    this.env.memory.u8.set(value.subarray(0, this.valueSize), this.copyAt(s, cpu));
    return 0;
  }

  override delete(_key: Uint8Array): MapStatus {
    return -Errno.EINVAL;
  }

  override sysLookup(key: Uint8Array): Uint8Array | MapStatus {
    const s = this.linked.get(hexOf(key.subarray(0, this.keySize)));
    if (s === undefined) return -Errno.ENOENT;
    if (!this.perCpu) return this.env.memory.u8.slice(this.copyAt(s, 0), this.copyAt(s, 0) + this.valueSize);
    const out = new Uint8Array(this.stride * this.env.cpus);
    for (let c = 0; c < this.env.cpus; c++) out.set(this.env.memory.u8.subarray(this.copyAt(s, c), this.copyAt(s, c) + this.valueSize), c * this.stride);
    return out;
  }

  override sysUpdate(key: Uint8Array, value: Uint8Array, flags: number): MapStatus {
    if (!this.perCpu) return this.update(key, value, flags, 0);
    if (flags < 0 || (flags & ~UpdateFlags.EXIST) !== 0) return -Errno.EINVAL;
    const s = this.linked.get(hexOf(key.subarray(0, this.keySize)));
    if (s === undefined) return -Errno.ENOENT;
    for (let c = 0; c < this.env.cpus; c++) this.env.memory.u8.set(value.subarray(c * this.stride, c * this.stride + this.valueSize), this.copyAt(s, c));
    return 0;
  }

  override sysNextKey(key: Uint8Array | undefined): Uint8Array | undefined {
    if (key === undefined) return this.order[0]?.key.slice();
    const at = this.order.findIndex((s) => hexOf(s.key) === hexOf(key.subarray(0, this.keySize)));
    return at < 0 ? undefined : this.order[at + 1]?.key.slice();
  }

  override entries(cpu = 0): MapEntry[] {
    return this.order.map((s) => ({ key: s.key.slice(), value: this.env.memory.u8.slice(this.copyAt(s, cpu), this.copyAt(s, cpu) + this.valueSize) }));
  }
}
