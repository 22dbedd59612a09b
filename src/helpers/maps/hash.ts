import type { MapDef } from '../../loader/model.js';
import { MapFlag, MapType } from '../../loader/kinds.js';
import { Errno } from '../errno.js';
import { gatherPerCpu, scatterPerCpu } from './array.js';
import { KernelLru } from './lru.js';
import { BpfMap, UpdateFlags, badUpdateFlags, type MapEnv, type MapStatus } from './map.js';
import { SlotStore } from './slot-store.js';

/** No slot in a bucket (buckets hold slot numbers). */
const EMPTY = -1;

/**
 * Hash of the `size` key bytes at `src[off..]`: 32-bit words mixed as murmur3's body and
 * finalizer. Bytes past the end of a short user-space key count as zeros, as the zero-padded
 * copy the table keeps of it.
 */
function hashKey(src: Uint8Array, off: number, size: number, dv: DataView | undefined): number {
  let h = size;
  let i = 0;
  for (; i + 4 <= size; i += 4) {
    // `dv`: the memory's view when `src` is the memory (a helper's key), whose word reads are faster.
    const w = dv !== undefined ? dv.getInt32(off + i, true) : src[off + i]! | (src[off + i + 1]! << 8) | (src[off + i + 2]! << 16) | (src[off + i + 3]! << 24);
    h = Math.imul(h ^ Math.imul(w, 0xcc9e2d51), 0x1b873593);
    h = (h << 13) | (h >>> 19);
  }
  for (; i < size; i++) h = Math.imul(h ^ (src[off + i]! | 0), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** {@link hashKey} of a 4-byte key whose bytes, read little-endian, are `w`. */
function hash4(w: number): number {
  let h = Math.imul(4 ^ Math.imul(w, 0xcc9e2d51), 0x1b873593);
  h = (h << 13) | (h >>> 19);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

const pow2AtLeast = (n: number): number => 2 ** Math.ceil(Math.log2(Math.max(n, 8)));

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
  /**
   * The table: open addressing with linear probing over `buckets` (slot numbers, EMPTY when
   * free; deletion shifts back, so there are no tombstones). Keys are compared in the keys store
   * itself, so a lookup, update or delete hashes the program's key bytes where they lie and
   * allocates nothing. It grows (doubling) to keep at most half of its buckets used.
   */
  private buckets: Int32Array;
  private mask: number;
  /** Per slot: the hash of its key, whether it is in the table, and its neighbours in insertion order. */
  private readonly hashOf: Int32Array;
  private readonly live: Uint8Array;
  private readonly next: Int32Array;
  private readonly prev: Int32Array;
  private head = EMPTY;
  private tail = EMPTY;
  private count = 0;
  private readonly percpu: boolean;
  private readonly lru: KernelLru | undefined;
  /** def.keySize and def.valueSize, read on every operation (the getters go through `def`). */
  private readonly ks: number;
  private readonly vs: number;
  /** The bucket where {@link find} or {@link findAt} last found a key (swap and drop start there). */
  private at = 0;
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
    this.ks = def.keySize;
    this.vs = def.valueSize;
    this.percpu = def.type === MapType.PERCPU_HASH || def.type === MapType.LRU_PERCPU_HASH;
    const isLru = def.type === MapType.LRU_HASH || def.type === MapType.LRU_PERCPU_HASH;
    // A plain hash keeps one spare element per CPU for replacing updates (the kernel's extra_elems).
    const slots = def.maxEntries + (isLru || this.percpu ? 0 : env.cpus);
    this.keys = new SlotStore(env.memory, `${def.name}:keys`, 'map-value', slots, def.keySize, 1, false);
    this.values = new SlotStore(env.memory, def.name, 'map-value', slots, def.valueSize, this.percpu ? env.cpus : 1, true);
    const cap = Math.min(pow2AtLeast(2 * slots), 1024);
    this.buckets = new Int32Array(cap).fill(EMPTY);
    this.mask = cap - 1;
    this.hashOf = new Int32Array(slots);
    this.live = new Uint8Array(slots);
    this.next = new Int32Array(slots).fill(EMPTY);
    this.prev = new Int32Array(slots).fill(EMPTY);
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
    return this.count;
  }

  // ---- the table ---------------------------------------------------------------------------

  /** Whether the key of `slot` is the `keySize` bytes at `src[off..]`. */
  private keyIs(slot: number, src: Uint8Array, off: number): boolean {
    const memory = this.env.memory;
    const a = this.keys.addr(slot);
    const n = this.keySize;
    let i = 0;
    if (src === memory.u8) {
      // A helper's key, in the memory itself: word by word.
      const dv = memory.dv;
      for (; i + 4 <= n; i += 4) if (dv.getInt32(a + i, true) !== dv.getInt32(off + i, true)) return false;
    }
    const u8 = memory.u8;
    for (; i < n; i++) if (u8[a + i] !== (src[off + i]! | 0)) return false;
    return true;
  }

  /** The slot holding the key at `src[off..]` whose hash is `h`, or EMPTY; its bucket goes to {@link at}. */
  private find(src: Uint8Array, off: number, h: number): number {
    const buckets = this.buckets;
    const mask = this.mask;
    for (let b = h & mask; ; b = (b + 1) & mask) {
      const s = buckets[b]!;
      if (s === EMPTY) return EMPTY;
      if (this.hashOf[s] === h && this.keyIs(s, src, off)) {
        this.at = b;
        return s;
      }
    }
  }

  /**
   * {@link find} of the key at `keyAddr` in the memory (a helper's key), hashed here: the helpers'
   * path, with the key compared word by word and a 4-byte key (the commonest) in one compare.
   */
  private findAt(keyAddr: number): number {
    const dv = this.env.memory.dv;
    const n = this.ks;
    const h = n === 4 ? hash4(dv.getInt32(keyAddr, true)) : hashKey(this.env.memory.u8, keyAddr, n, dv);
    this.lastHash = h;
    const buckets = this.buckets;
    const mask = this.mask;
    const hashOf = this.hashOf;
    const base = this.keys.region.start;
    const stride = this.keys.stride;
    for (let b = h & mask; ; b = (b + 1) & mask) {
      const s = buckets[b]!;
      if (s === EMPTY) return EMPTY;
      if (hashOf[s] !== h) continue;
      const a = base + s * stride;
      let same: boolean;
      if (n === 4) same = dv.getInt32(a, true) === dv.getInt32(keyAddr, true);
      else same = this.keyIs(s, this.env.memory.u8, keyAddr);
      if (same) {
        this.at = b;
        return s;
      }
    }
  }

  /** The hash {@link findAt} computed last (or {@link findKey} was given). */
  private lastHash = 0;

  /**
   * {@link find} of the key at `k[ko..]`, whose hash is `h` unless `k` is the memory (a helper's
   * key, then found in place by {@link findAt}); the key's hash goes to {@link lastHash} either way.
   */
  private findKey(k: Uint8Array, ko: number, h: number): number {
    if (k === this.env.memory.u8) return this.findAt(ko);
    this.lastHash = h;
    return this.find(k, ko, h);
  }

  private bucketOf(slot: number): number {
    const buckets = this.buckets;
    const mask = this.mask;
    let b = this.hashOf[slot]! & mask;
    while (buckets[b] !== slot) b = (b + 1) & mask;
    return b;
  }

  private place(slot: number): void {
    const buckets = this.buckets;
    const mask = this.mask;
    let b = this.hashOf[slot]! & mask;
    while (buckets[b] !== EMPTY) b = (b + 1) & mask;
    buckets[b] = slot;
  }

  /** Adds `slot` (its key already written, its hash `h`) at the end of the insertion order. */
  private link(slot: number, h: number): void {
    if ((this.count + 1) * 2 > this.buckets.length) this.grow();
    this.hashOf[slot] = h;
    this.place(slot);
    this.live[slot] = 1;
    this.prev[slot] = this.tail;
    this.next[slot] = EMPTY;
    if (this.tail === EMPTY) this.head = slot;
    else this.next[this.tail] = slot;
    this.tail = slot;
    this.count++;
  }

  /**
   * Puts `slot` where `old` was, in the buckets and in the insertion order (a key's replacement).
   * `bucket`: where `old` lies, when the caller just found it there (-1: look).
   */
  private swap(old: number, slot: number, bucket = -1): void {
    this.buckets[bucket >= 0 ? bucket : this.bucketOf(old)] = slot;
    this.hashOf[slot] = this.hashOf[old]!;
    const p = this.prev[old]!;
    const n = this.next[old]!;
    this.prev[slot] = p;
    this.next[slot] = n;
    if (p === EMPTY) this.head = slot;
    else this.next[p] = slot;
    if (n === EMPTY) this.tail = slot;
    else this.prev[n] = slot;
    this.live[old] = 0;
    this.live[slot] = 1;
  }

  /** Takes `slot` out of the table (backward-shift deletion) and out of the insertion order; `bucket` as for {@link swap}. */
  private drop(slot: number, bucket = -1): void {
    const buckets = this.buckets;
    const mask = this.mask;
    let i = bucket >= 0 ? bucket : this.bucketOf(slot);
    for (let j = i; ; ) {
      buckets[i] = EMPTY;
      for (;;) {
        j = (j + 1) & mask;
        const s = buckets[j]!;
        if (s === EMPTY) {
          i = -1;
          break;
        }
        const home = this.hashOf[s]! & mask;
        // `s` may move to the hole at i unless its home lies cyclically in (i, j].
        const stays = i <= j ? i < home && home <= j : i < home || home <= j;
        if (!stays) {
          buckets[i] = s;
          i = j;
          break;
        }
      }
      if (i < 0) break;
    }
    const p = this.prev[slot]!;
    const n = this.next[slot]!;
    if (p === EMPTY) this.head = n;
    else this.next[p] = n;
    if (n === EMPTY) this.tail = p;
    else this.prev[n] = p;
    this.live[slot] = 0;
    this.count--;
  }

  private grow(): void {
    this.buckets = new Int32Array(this.buckets.length * 2).fill(EMPTY);
    this.mask = this.buckets.length - 1;
    for (let s = this.head; s !== EMPTY; s = this.next[s]!) this.place(s);
  }

  /** Removes the element in `slot` from the table (the LRU's del_from_htab); false when it is not there. */
  private unlink(slot: number): boolean {
    if (this.live[slot] === 0) return false;
    this.drop(slot);
    return true;
  }

  private slotOf(src: Uint8Array, off: number): number {
    return this.find(src, off, this.hash(src, off));
  }

  private hash(src: Uint8Array, off: number): number {
    const memory = this.env.memory;
    return hashKey(src, off, this.keySize, src === memory.u8 ? memory.dv : undefined);
  }

  /** Slots in insertion order (a snapshot: callbacks may change the table while it is walked). */
  private order(): number[] {
    const out: number[] = [];
    for (let s = this.head; s !== EMPTY; s = this.next[s]!) out.push(s);
    return out;
  }

  // ---- program side ------------------------------------------------------------------------

  override lookup(key: Uint8Array, cpu: number): number {
    return this.lookupIn(key, 0, cpu);
  }

  override lookupAt(keyAddr: number, cpu: number): number {
    const slot = this.findAt(keyAddr);
    if (slot === EMPTY) return 0;
    this.lru?.setRef(slot);
    const v = this.values;
    return v.region.start + (this.percpu ? slot * v.copies + cpu : slot) * v.stride;
  }

  private lookupIn(src: Uint8Array, off: number, cpu: number): number {
    const slot = this.slotOf(src, off);
    if (slot === EMPTY) return 0;
    this.lru?.setRef(slot);
    return this.values.addr(slot, this.percpu ? cpu : 0);
  }

  /** A lookup that leaves the LRU's reference bits alone, as the syscall's does. */
  private peekAddr(key: Uint8Array, cpu: number): number {
    const slot = this.slotOf(key, 0);
    return slot === EMPTY ? 0 : this.values.addr(slot, this.percpu ? cpu : 0);
  }

  /** Writes the key of a new element (before its value, as alloc_htab_elem copies them). */
  private writeKey(slot: number, src: Uint8Array, off: number): void {
    this.keys.writeFrom(slot, 0, src, off, src.length - off);
  }

  /** Writes a new element's value: one CPU's copy (the others zeroed) or, from user space, all. */
  private initValue(slot: number, v: Uint8Array, off: number, len: number, cpu: number, allCpus: boolean): void {
    if (!this.percpu) {
      this.values.writeFrom(slot, 0, v, off, len);
      return;
    }
    if (allCpus) {
      scatterPerCpu(this.env.cpus, this.valueSize, v.subarray(off, off + len), (c, b) => this.values.write(slot, c, b));
      return;
    }
    this.values.zero(slot);
    this.values.writeFrom(slot, cpu, v, off, len);
  }

  private copyValue(slot: number, v: Uint8Array, off: number, len: number, cpu: number, allCpus: boolean): void {
    if (allCpus && this.percpu) scatterPerCpu(this.env.cpus, this.valueSize, v.subarray(off, off + len), (c, b) => this.values.write(slot, c, b));
    else this.values.writeFrom(slot, this.percpu ? cpu : 0, v, off, len);
  }

  override update(key: Uint8Array, value: Uint8Array, flags: number, cpu: number): MapStatus {
    return this.doUpdate(key, 0, value, 0, value.length, flags, cpu, false);
  }

  override updateAt(keyAddr: number, valueAddr: number, flags: number, cpu: number): MapStatus {
    const u8 = this.env.memory.u8;
    if (this.lru !== undefined) return this.doUpdate(u8, keyAddr, u8, valueAddr, this.vs, flags, cpu, false);
    // A plain or per-CPU hash: doUpdate's steps with the key found in place.
    if (badUpdateFlags(flags)) return -Errno.EINVAL;
    const old = this.findAt(keyAddr);
    if (old !== EMPTY) {
      if (flags === UpdateFlags.NOEXIST) return -Errno.EEXIST;
      if (this.percpu) {
        this.values.writeFrom(old, cpu, u8, valueAddr, this.vs);
        return 0;
      }
      const slot = this.spare[cpu]!;
      this.spare[cpu] = old;
      this.keys.writeFrom(slot, 0, u8, keyAddr, this.ks);
      this.values.writeFrom(slot, 0, u8, valueAddr, this.vs);
      this.swap(old, slot, this.at);
      return 0;
    }
    if (flags === UpdateFlags.EXIST) return -Errno.ENOENT;
    if (this.count >= this.maxEntries) return -Errno.E2BIG;
    const slot = this.values.take();
    if (slot < 0) return -Errno.E2BIG;
    this.keys.writeFrom(slot, 0, u8, keyAddr, this.ks);
    this.initValue(slot, u8, valueAddr, this.vs, cpu, false);
    this.link(slot, this.lastHash);
    return 0;
  }

  private checkFlags(exists: boolean, flags: number): MapStatus {
    if (exists && flags === UpdateFlags.NOEXIST) return -Errno.EEXIST;
    if (!exists && flags === UpdateFlags.EXIST) return -Errno.ENOENT;
    return 0;
  }

  /** An update with the key at `k[ko..]` and `vlen` value bytes at `v[vo..]` (both possibly the memory itself). */
  private doUpdate(k: Uint8Array, ko: number, v: Uint8Array, vo: number, vlen: number, flags: number, cpu: number, allCpus: boolean): MapStatus {
    if (badUpdateFlags(flags)) return -Errno.EINVAL;
    // An LRU update from a helper hashes the key in place (findKey): no hash here.
    const h = this.lru !== undefined && k === this.env.memory.u8 ? 0 : this.hash(k, ko);
    if (this.lru !== undefined) {
      return this.percpu ? this.lruPercpuUpdate(h, k, ko, v, vo, vlen, flags, cpu, allCpus) : this.lruUpdate(h, k, ko, v, vo, vlen, flags, cpu);
    }
    const old = this.find(k, ko, h);
    const err = this.checkFlags(old !== EMPTY, flags);
    if (err) return err;
    if (this.percpu && old !== EMPTY) {
      this.copyValue(old, v, vo, vlen, cpu, allCpus);
      return 0;
    }
    if (old === EMPTY && this.count >= this.maxEntries) return -Errno.E2BIG;
    if (old !== EMPTY && !this.percpu) {
      const slot = this.spare[cpu]!;
      this.spare[cpu] = old;
      this.writeKey(slot, k, ko);
      const bucket = this.at;
      this.initValue(slot, v, vo, vlen, cpu, allCpus);
      this.swap(old, slot, bucket);
      return 0;
    }
    const slot = this.values.take();
    if (slot < 0) return -Errno.E2BIG;
    this.writeKey(slot, k, ko);
    this.initValue(slot, v, vo, vlen, cpu, allCpus);
    this.link(slot, h);
    return 0;
  }

  /** htab_lru_map_update_elem: the new node is taken (possibly evicting) before the flags are checked. */
  private lruUpdate(h: number, k: Uint8Array, ko: number, v: Uint8Array, vo: number, vlen: number, flags: number, cpu: number): MapStatus {
    const lru = this.lru!;
    const slot = lru.pop(cpu);
    if (slot < 0) return -Errno.ENOMEM;
    // prealloc_lru_pop copies the key, then the value is copied, then the flags are checked.
    this.writeKey(slot, k, ko);
    this.values.writeFrom(slot, 0, v, vo, vlen);
    const old = this.findKey(k, ko, h);
    const err = this.checkFlags(old !== EMPTY, flags);
    if (err) {
      lru.pushFree(slot);
      return err;
    }
    if (old !== EMPTY) {
      lru.setRef(slot);
      this.swap(old, slot, this.at);
      lru.pushFree(old);
    } else {
      this.link(slot, this.lastHash);
    }
    return 0;
  }

  /** __htab_lru_percpu_map_update_elem: updates in place; takes a node only when the key may be new. */
  private lruPercpuUpdate(
    h: number,
    k: Uint8Array,
    ko: number,
    v: Uint8Array,
    vo: number,
    vlen: number,
    flags: number,
    cpu: number,
    allCpus: boolean,
  ): MapStatus {
    const lru = this.lru!;
    let fresh = -1;
    if (flags !== UpdateFlags.EXIST) {
      fresh = lru.pop(cpu);
      if (fresh < 0) return -Errno.ENOMEM;
    }
    const old = this.findKey(k, ko, h);
    let err = this.checkFlags(old !== EMPTY, flags);
    if (!err) {
      if (old !== EMPTY) {
        lru.setRef(old);
        this.copyValue(old, v, vo, vlen, cpu, allCpus);
      } else {
        this.writeKey(fresh, k, ko);
        this.initValue(fresh, v, vo, vlen, cpu, allCpus);
        this.link(fresh, this.lastHash);
        fresh = -1;
      }
      err = 0;
    }
    if (fresh >= 0) lru.pushFree(fresh);
    return err;
  }

  override delete(key: Uint8Array): MapStatus {
    return this.deleteIn(key, 0);
  }

  override deleteAt(keyAddr: number): MapStatus {
    const slot = this.findAt(keyAddr);
    if (slot === EMPTY) return -Errno.ENOENT;
    this.drop(slot, this.at);
    if (this.lru !== undefined) this.lru.pushFree(slot);
    else this.values.give(slot);
    return 0;
  }

  private deleteIn(src: Uint8Array, off: number): MapStatus {
    const slot = this.slotOf(src, off);
    if (slot === EMPTY) return -Errno.ENOENT;
    this.drop(slot, this.at);
    if (this.lru !== undefined) this.lru.pushFree(slot);
    else this.values.give(slot);
    return 0;
  }

  // ---- user space --------------------------------------------------------------------------

  override sysLookup(key: Uint8Array): Uint8Array | MapStatus {
    const slot = this.slotOf(key, 0);
    if (slot === EMPTY) return -Errno.ENOENT;
    if (!this.percpu) return this.values.read(slot, 0);
    return gatherPerCpu(this.env.cpus, this.valueSize, (c) => this.values.read(slot, c));
  }

  override sysUpdate(key: Uint8Array, value: Uint8Array, flags: number): MapStatus {
    return this.doUpdate(key, 0, value, 0, value.length, flags, this.sysCpu, true);
  }

  override sysNextKey(key: Uint8Array | undefined): Uint8Array | undefined {
    let s = this.head;
    if (key !== undefined) {
      const at = this.slotOf(key, 0);
      if (at !== EMPTY) s = this.next[at]!;
    }
    return s === EMPTY ? undefined : this.keys.read(s, 0);
  }

  override entries(cpu = 0): Array<{ key: Uint8Array; value: Uint8Array }> {
    return this.order().map((slot) => ({ key: this.keys.read(slot, 0), value: this.values.read(slot, this.percpu ? cpu : 0) }));
  }

  override forEach(cpu: number, visit: (keyAddr: number, valueAddr: number) => boolean): number {
    let n = 0;
    for (const slot of this.order()) {
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
