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
  private readonly items: Uint8Array[] = [];
  private readonly lifo: boolean;

  constructor(def: MapDef, index: number, env: MapEnv) {
    super(def, index, env);
    this.lifo = def.type === MapType.STACK;
  }

  get length(): number {
    return this.items.length;
  }

  override push(value: Uint8Array, flags: number): MapStatus {
    if (flags & UpdateFlags.NOEXIST || flags > UpdateFlags.EXIST || flags < 0) return -Errno.EINVAL;
    if (this.items.length >= this.maxEntries) {
      if (flags !== UpdateFlags.EXIST) return -Errno.E2BIG;
      this.items.shift();
    }
    this.items.push(value.slice(0, this.valueSize));
    return 0;
  }

  override pop(peek: boolean): Uint8Array | MapStatus {
    if (this.items.length === 0) return -Errno.ENOENT;
    if (peek) return (this.lifo ? this.items[this.items.length - 1]! : this.items[0]!).slice();
    return (this.lifo ? this.items.pop()! : this.items.shift()!).slice();
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
    return this.items.map((v) => v.slice());
  }

  override entries(): Array<{ key: Uint8Array; value: Uint8Array }> {
    return [];
  }
}
