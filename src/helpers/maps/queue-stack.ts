import type { MapDef } from '../../loader/model.js';
import { MapType } from '../../loader/kinds.js';
import { Errno } from '../errno.js';
import { BpfMap, UpdateFlags, type MapEnv, type MapStatus } from './map.js';

/**
 * `BPF_MAP_TYPE_QUEUE` (FIFO) and `BPF_MAP_TYPE_STACK` (LIFO): keyless maps of `max_entries`
 * values. `bpf_map_push_elem` into a full map is `-E2BIG`, unless the flag is `BPF_EXIST`, which
 * drops the oldest value to make room; pop/peek of an empty map is `-ENOENT`. From user space,
 * lookup is peek, update is push and lookup-and-delete is pop.
 */
export class QueueStackMap extends BpfMap {
  /**
   * The values in a ring of `capacity` slots, the oldest at `head`: pushes and pops copy bytes in
   * and out of it in place (each call of bpf_map_push/pop/peek_elem), with no array per value.
   * It grows by doubling up to max_entries, so a large map costs only what it holds.
   */
  private ring: Uint8Array;
  private capacity: number;
  private head = 0;
  private count = 0;
  private readonly lifo: boolean;

  constructor(def: MapDef, index: number, env: MapEnv) {
    super(def, index, env);
    this.lifo = def.type === MapType.STACK;
    this.capacity = Math.max(1, Math.min(this.maxEntries, 16));
    this.ring = new Uint8Array(this.capacity * this.valueSize);
  }

  get length(): number {
    return this.count;
  }

  override push(value: Uint8Array, flags: number): MapStatus {
    const slot = this.reserve(flags);
    if (slot < 0) return slot;
    const vs = this.valueSize;
    const at = slot * vs;
    const n = Math.min(vs, value.length);
    for (let i = 0; i < n; i++) this.ring[at + i] = value[i]!;
    this.ring.fill(0, at + n, at + vs);
    return 0;
  }

  override pushAt(addr: number, flags: number): MapStatus {
    const slot = this.reserve(flags);
    if (slot < 0) return slot;
    copyBytes(this.env.memory.u8, addr, this.ring, slot * this.valueSize, this.valueSize);
    return 0;
  }

  override pop(peek: boolean): Uint8Array | MapStatus {
    if (this.count === 0) return -Errno.ENOENT;
    const at = this.take(peek) * this.valueSize;
    return this.ring.slice(at, at + this.valueSize);
  }

  /**
   * Pops (or peeks) the next value into the `valueSize` bytes at `dst` of the memory (checked by
   * the caller); false, with nothing taken, when the map is empty.
   */
  popAt(dst: number, peek: boolean): boolean {
    if (this.count === 0) return false;
    copyBytes(this.ring, this.take(peek) * this.valueSize, this.env.memory.u8, dst, this.valueSize);
    return true;
  }

  /** The slot a push with `flags` fills (dropping the oldest value when BPF_EXIST asks), or a negative errno. */
  private reserve(flags: number): number {
    if (flags & UpdateFlags.NOEXIST || flags > UpdateFlags.EXIST || flags < 0) return -Errno.EINVAL;
    if (this.count >= this.maxEntries) {
      if (flags !== UpdateFlags.EXIST) return -Errno.E2BIG;
      if (this.count > 0) {
        this.head = (this.head + 1) % this.capacity;
        this.count--;
      }
    }
    if (this.count === this.capacity) this.grow();
    const slot = (this.head + this.count) % this.capacity;
    this.count++;
    return slot;
  }

  /** The slot of the value a pop takes (the newest of a stack, the oldest of a queue); removed unless `peek`. */
  private take(peek: boolean): number {
    if (this.lifo) {
      const slot = (this.head + this.count - 1) % this.capacity;
      if (!peek) this.count--;
      return slot;
    }
    const slot = this.head;
    if (!peek) {
      this.head = (this.head + 1) % this.capacity;
      this.count--;
    }
    return slot;
  }

  private grow(): void {
    const vs = this.valueSize;
    const capacity = Math.max(this.capacity + 1, Math.min(this.maxEntries, this.capacity * 2));
    const ring = new Uint8Array(capacity * vs);
    for (let i = 0; i < this.count; i++) {
      const from = ((this.head + i) % this.capacity) * vs;
      ring.set(this.ring.subarray(from, from + vs), i * vs);
    }
    this.ring = ring;
    this.capacity = capacity;
    this.head = 0;
  }

  override lookup(_key: Uint8Array, _cpu: number): number {
    return 0;
  }

  override update(_key: Uint8Array, _value: Uint8Array, _flags: number, _cpu: number): MapStatus {
    return -Errno.EINVAL;
  }

  override sysLookup(_key: Uint8Array): Uint8Array | MapStatus {
    return this.pop(true);
  }

  override sysUpdate(_key: Uint8Array, value: Uint8Array, flags: number): MapStatus {
    return this.push(value, flags);
  }

  override sysDelete(_key: Uint8Array): MapStatus {
    return -Errno.EINVAL;
  }

  /** The values, oldest first. */
  values(): Uint8Array[] {
    const vs = this.valueSize;
    return Array.from({ length: this.count }, (_, i) => {
      const at = ((this.head + i) % this.capacity) * vs;
      return this.ring.slice(at, at + vs);
    });
  }

  override entries(): Array<{ key: Uint8Array; value: Uint8Array }> {
    return [];
  }
}

/** Copies `n` bytes: a loop for the small values maps hold (no subarray view made), `set` past that. */
function copyBytes(from: Uint8Array, fromAt: number, to: Uint8Array, toAt: number, n: number): void {
  if (n <= 64) {
    for (let i = 0; i < n; i++) to[toAt + i] = from[fromAt + i]!;
  } else {
    to.set(from.subarray(fromAt, fromAt + n), toAt);
  }
}
