import type { MapDef } from '../../loader/model.js';
import { MapFlag, MapType } from '../../loader/kinds.js';
import { Errno } from '../errno.js';
import { gatherPerCpu, scatterPerCpu } from './array.js';
import { KernelLru } from './lru.js';
import { BpfMap, UpdateFlags, badUpdateFlags, type MapEnv, type MapStatus } from './map.js';
import { SlotStore } from './slot-store.js';

/**
 * A key as the table holds it: keys of up to 6 bytes as the number they spell (exact in a double),
 * longer ones as a string of 16-bit units (half the characters of hex, built without a lookup).
 * All keys of one map have one size, so the two forms never meet. Every map update, lookup and
 * delete makes one: it is the hash map's hot path.
 */
type TableKey = number | string;

function keyOf(key: Uint8Array, size: number): TableKey {
  if (size <= 6) {
    let v = 0;
    for (let i = size - 1; i >= 0; i--) v = v * 256 + key[i]!;
    return v;
  }
  let s = '';
  let i = 0;
  for (; i + 1 < size; i += 2) s += String.fromCharCode(key[i]! | (key[i + 1]! << 8));
  if (i < size) s += String.fromCharCode(key[i]!);
  return s;
}

/**
 * The hash family: `HASH`, `PERCPU_HASH`, `LRU_HASH`, `LRU_PERCPU_HASH`, with the kernel's
 * update rules (`BPF_NOEXIST` on a present key is `-EEXIST`, `BPF_EXIST` on an absent one
 * `-ENOENT`, a new key in a full map `-E2BIG` — LRU maps evict instead) and its element life cycle:
 * updating a key of a (non-per-CPU) hash or LRU map installs a *new* element and frees the old one,
 * so a value pointer taken before the update keeps seeing the old element; per-CPU maps update in
 * place. Keys and values live in the shared memory (keys read-only to programs) so
 * `bpf_for_each_map_elem` callbacks get real pointers.
 *
 * Iteration order (`get_next_key`, `for_each_map_elem`) is insertion order: the kernel's follows
 * its hash buckets under a random seed, which no test can rely on.
 */
export class HashMap extends BpfMap {
  private readonly keys: SlotStore;
  private readonly values: SlotStore;
  private readonly table = new Map<TableKey, number>();
  private readonly keyOfSlot: Array<TableKey | undefined>;
  private readonly percpu: boolean;
  private readonly lru: KernelLru | undefined;
  /** The CPU user-space operations run on (the kernel's current CPU during the syscall). */
  sysCpu = 0;
  /**
   * A plain hash's spare element per CPU (the kernel's extra_elems): a replacing update takes the
   * spare of its CPU and leaves the replaced element as the new spare, so the old element stays
   * untouched until the next replacement on that CPU.
   */
  private readonly spare: number[] = [];

  constructor(def: MapDef, index: number, env: MapEnv) {
    super(def, index, env);
    this.percpu = def.type === MapType.PERCPU_HASH || def.type === MapType.LRU_PERCPU_HASH;
    const isLru = def.type === MapType.LRU_HASH || def.type === MapType.LRU_PERCPU_HASH;
    // A plain hash keeps one spare element per CPU for replacing updates (the kernel's extra_elems).
    const slots = def.maxEntries + (isLru || this.percpu ? 0 : env.cpus);
    this.keys = new SlotStore(env.memory, `${def.name}:keys`, 'map-value', slots, def.keySize, 1, false);
    this.values = new SlotStore(env.memory, def.name, 'map-value', slots, def.valueSize, this.percpu ? env.cpus : 1, true);
    this.keyOfSlot = new Array<TableKey | undefined>(slots).fill(undefined);
    if (!isLru && !this.percpu) for (let c = 0; c < env.cpus; c++) this.spare.push(this.values.take());
    if (isLru) {
      this.lru = new KernelLru({
        nodes: slots,
        cpus: env.cpus,
        perCpuLists: (def.flags & MapFlag.NO_COMMON_LRU) !== 0,
        evict: (node) => this.unlink(node),
      });
    }
  }

  override get perCpu(): boolean {
    return this.percpu;
  }

  get size(): number {
    return this.table.size;
  }

  /** Removes the element in `slot` from the table (the LRU's del_from_htab); false when it is not there. */
  private unlink(slot: number): boolean {
    const k = this.keyOfSlot[slot];
    if (k === undefined || this.table.get(k) !== slot) return false;
    this.table.delete(k);
    this.keyOfSlot[slot] = undefined;
    return true;
  }

  private slotOf(key: Uint8Array): number | undefined {
    return this.table.get(keyOf(key, this.keySize));
  }

  override lookup(key: Uint8Array, cpu: number): number {
    const slot = this.slotOf(key);
    if (slot === undefined) return 0;
    this.lru?.setRef(slot);
    return this.values.addr(slot, this.percpu ? cpu : 0);
  }

  /** A lookup that leaves the LRU's reference bits alone, as the syscall's does. */
  private peekAddr(key: Uint8Array, cpu: number): number {
    const slot = this.slotOf(key);
    return slot === undefined ? 0 : this.values.addr(slot, this.percpu ? cpu : 0);
  }

  private install(slot: number, k: TableKey, key: Uint8Array): void {
    this.keys.write(slot, 0, key.subarray(0, this.keySize));
    this.keyOfSlot[slot] = k;
    this.table.set(k, slot);
  }

  /** Writes a new element's value: one CPU's copy (the others zeroed) or, from user space, all. */
  private initValue(slot: number, value: Uint8Array, cpu: number, allCpus: boolean): void {
    if (!this.percpu) {
      this.values.write(slot, 0, value);
      return;
    }
    if (allCpus) {
      scatterPerCpu(this.env.cpus, this.valueSize, value, (c, v) => this.values.write(slot, c, v));
      return;
    }
    this.values.zero(slot);
    this.values.write(slot, cpu, value);
  }

  private copyValue(slot: number, value: Uint8Array, cpu: number, allCpus: boolean): void {
    if (allCpus && this.percpu) scatterPerCpu(this.env.cpus, this.valueSize, value, (c, v) => this.values.write(slot, c, v));
    else this.values.write(slot, this.percpu ? cpu : 0, value);
  }

  override update(key: Uint8Array, value: Uint8Array, flags: number, cpu: number): MapStatus {
    return this.doUpdate(key, value, flags, cpu, false);
  }

  private checkFlags(exists: boolean, flags: number): MapStatus {
    if (exists && flags === UpdateFlags.NOEXIST) return -Errno.EEXIST;
    if (!exists && flags === UpdateFlags.EXIST) return -Errno.ENOENT;
    return 0;
  }

  private doUpdate(key: Uint8Array, value: Uint8Array, flags: number, cpu: number, allCpus: boolean): MapStatus {
    if (badUpdateFlags(flags)) return -Errno.EINVAL;
    const k = keyOf(key, this.keySize);
    if (this.lru !== undefined) return this.percpu ? this.lruPercpuUpdate(k, key, value, flags, cpu, allCpus) : this.lruUpdate(k, key, value, flags, cpu);
    const old = this.table.get(k);
    const err = this.checkFlags(old !== undefined, flags);
    if (err) return err;
    if (this.percpu && old !== undefined) {
      this.copyValue(old, value, cpu, allCpus);
      return 0;
    }
    if (old === undefined && this.table.size >= this.maxEntries) return -Errno.E2BIG;
    let slot: number;
    if (old !== undefined && !this.percpu) {
      slot = this.spare[cpu]!;
      this.spare[cpu] = old;
      this.keyOfSlot[old] = undefined;
    } else {
      slot = this.values.take();
      if (slot < 0) return -Errno.E2BIG;
    }
    this.initValue(slot, value, cpu, allCpus);
    this.install(slot, k, key);
    return 0;
  }

  /** htab_lru_map_update_elem: the new node is taken (possibly evicting) before the flags are checked. */
  private lruUpdate(k: TableKey, key: Uint8Array, value: Uint8Array, flags: number, cpu: number): MapStatus {
    const lru = this.lru!;
    const slot = lru.pop(cpu);
    if (slot < 0) return -Errno.ENOMEM;
    this.values.write(slot, 0, value);
    const old = this.table.get(k);
    const err = this.checkFlags(old !== undefined, flags);
    if (err) {
      lru.pushFree(slot);
      return err;
    }
    if (old !== undefined) {
      lru.setRef(slot);
      this.keyOfSlot[old] = undefined;
    }
    this.install(slot, k, key);
    if (old !== undefined) lru.pushFree(old);
    return 0;
  }

  /** __htab_lru_percpu_map_update_elem: updates in place; takes a node only when the key may be new. */
  private lruPercpuUpdate(k: TableKey, key: Uint8Array, value: Uint8Array, flags: number, cpu: number, allCpus: boolean): MapStatus {
    const lru = this.lru!;
    let fresh = -1;
    if (flags !== UpdateFlags.EXIST) {
      fresh = lru.pop(cpu);
      if (fresh < 0) return -Errno.ENOMEM;
    }
    const old = this.table.get(k);
    let err = this.checkFlags(old !== undefined, flags);
    if (!err) {
      if (old !== undefined) {
        lru.setRef(old);
        this.copyValue(old, value, cpu, allCpus);
      } else {
        this.initValue(fresh, value, cpu, allCpus);
        this.install(fresh, k, key);
        fresh = -1;
      }
      err = 0;
    }
    if (fresh >= 0) lru.pushFree(fresh);
    return err;
  }

  override delete(key: Uint8Array): MapStatus {
    const k = keyOf(key, this.keySize);
    const slot = this.table.get(k);
    if (slot === undefined) return -Errno.ENOENT;
    this.table.delete(k);
    this.keyOfSlot[slot] = undefined;
    if (this.lru !== undefined) this.lru.pushFree(slot);
    else this.values.give(slot);
    return 0;
  }

  override sysLookup(key: Uint8Array): Uint8Array | MapStatus {
    const slot = this.slotOf(key);
    if (slot === undefined) return -Errno.ENOENT;
    if (!this.percpu) return this.values.read(slot, 0);
    return gatherPerCpu(this.env.cpus, this.valueSize, (c) => this.values.read(slot, c));
  }

  override sysUpdate(key: Uint8Array, value: Uint8Array, flags: number): MapStatus {
    return this.doUpdate(key, value, flags, this.sysCpu, true);
  }

  override sysNextKey(key: Uint8Array | undefined): Uint8Array | undefined {
    const order = [...this.table.keys()];
    let i = 0;
    if (key !== undefined) {
      const at = order.indexOf(keyOf(key, this.keySize));
      i = at < 0 ? 0 : at + 1;
    }
    const k = order[i];
    return k === undefined ? undefined : this.keys.read(this.table.get(k)!, 0);
  }

  override entries(cpu = 0): Array<{ key: Uint8Array; value: Uint8Array }> {
    return [...this.table.values()].map((slot) => ({ key: this.keys.read(slot, 0), value: this.values.read(slot, this.percpu ? cpu : 0) }));
  }

  override forEach(cpu: number, visit: (keyAddr: number, valueAddr: number) => boolean): number {
    let n = 0;
    for (const slot of [...this.table.values()]) {
      n++;
      if (visit(this.keys.addr(slot), this.values.addr(slot, this.percpu ? cpu : 0))) break;
    }
    return n;
  }

  /** Value address without touching LRU state (for tools). */
  addressOf(key: Uint8Array, cpu = 0): number {
    return this.peekAddr(key, cpu);
  }
}
