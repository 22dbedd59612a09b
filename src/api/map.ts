import type { BtfValue } from '../helpers/btf-value.js';
import type { MapKey, MapView } from '../helpers/map-view.js';
import type { MapEntry } from '../helpers/maps/map.js';
import type { PerfRecord } from '../helpers/maps/perf-event.js';
import { mapTypeName } from '../loader/kinds.js';
import type { MapDef } from '../loader/model.js';

/**
 * A map of a loaded object, as user space sees it. Keys and values are bytes (`get`, `set`,
 * `entries`), or typed through the object's BTF (`lookup`, `update`, `entriesTyped`): integers of
 * up to 4 bytes are numbers, wider ones bigints, structs are objects by member name. Failed
 * operations throw a BpfkitError naming the kernel's errno (`-EEXIST`, `-E2BIG`, ...).
 */
export class BpfkitMap {
  /** The underlying view (every operation the simulated kernel offers). */
  readonly view: MapView;
  readonly def: MapDef;

  constructor(view: MapView, def: MapDef) {
    this.view = view;
    this.def = def;
  }

  get name(): string {
    return this.def.name;
  }
  /** bpftool's name of the map type (`hash`, `percpu_array`, `ringbuf`, ...). */
  get type(): string {
    return mapTypeName(this.def.type);
  }
  get keySize(): number {
    return this.def.keySize;
  }
  get valueSize(): number {
    return this.def.valueSize;
  }
  get maxEntries(): number {
    return this.def.maxEntries;
  }

  /** The value bytes at `key` (per-CPU maps: every CPU's, each padded to 8 bytes), or undefined. */
  get(key: MapKey): Uint8Array | undefined {
    return this.view.get(key);
  }
  /** Stores `value` at `key`; `flags` is BPF_ANY (0), BPF_NOEXIST (1) or BPF_EXIST (2). */
  set(key: MapKey, value: Uint8Array | BtfValue, flags = 0): void {
    this.view.set(key, value, flags);
  }
  delete(key: MapKey): void {
    this.view.delete(key);
  }
  /** Every entry as bytes, sorted by key (per-CPU maps: CPU `cpu`'s value). */
  entries(cpu = 0): MapEntry[] {
    return this.view.entries(cpu);
  }
  /** The value at `key` decoded through BTF, e.g. `{ packets: 3n, bytes: 180n }`. */
  lookup(key: MapKey, cpu = 0): BtfValue | undefined {
    return this.view.getTyped(key, cpu);
  }
  /** Stores a BTF-typed value (fields not named are zero). */
  update(key: MapKey, value: BtfValue, flags = 0): void {
    this.view.set(key, value, flags);
  }
  /** Every entry decoded through BTF. */
  entriesTyped(cpu = 0): Array<{ key: BtfValue; value: BtfValue }> {
    return this.view.entriesTyped(cpu);
  }
  /** Queue / stack: pushes a value. */
  push(value: Uint8Array | BtfValue, flags = 0): void {
    this.view.push(value, flags);
  }
  /** Queue / stack: pops (or peeks) a value; undefined when empty. */
  pop(peek = false): Uint8Array | undefined {
    return this.view.pop(peek);
  }
  /** Perf event array: captured records (open readers first with `view.openPerfBuffer()`). */
  perfRecords(): PerfRecord[] {
    return this.view.perfRecords();
  }
}
