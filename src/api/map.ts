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
 *
 * `K` and `V` type the BTF-typed side: `obj.map<FlowKey, FlowStats>('flows').lookup(key)` is a
 * `FlowStats | undefined` (the types `bpfkit gen types` writes fit here). They are the caller's
 * promise about the object's BTF; the defaults are the untyped {@link BtfValue}. Keys may always be
 * given as bytes too.
 */
export class BpfkitMap<K = BtfValue, V = BtfValue> {
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
  /** max_entries as the map was created (after the loader's sizing, see LoadObjectOptions.maxEntries). */
  get maxEntries(): number {
    return this.view.map.def.maxEntries;
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
  /** True for per-CPU maps (`percpu_array`, `percpu_hash`, `lru_percpu_hash`): one value per CPU. */
  get perCpu(): boolean {
    return this.type.includes('percpu');
  }
  /** The value at `key` decoded through BTF, e.g. `{ packets: 3n, bytes: 180n }` (per-CPU maps: CPU `cpu`'s). */
  lookup(key: K | Uint8Array, cpu = 0): V | undefined {
    return this.view.getTyped(key as MapKey, cpu) as V | undefined;
  }
  /** Per-CPU maps: every CPU's value at `key`, decoded through BTF (index = CPU); other maps: the one value. */
  lookupAll(key: K | Uint8Array): V[] | undefined {
    if (!this.perCpu) {
      const v = this.lookup(key);
      return v === undefined ? undefined : [v];
    }
    const all = this.view.get(key as MapKey);
    if (all === undefined) return undefined;
    // The syscall view holds every CPU's value, each padded to 8 bytes.
    const cpus = all.length / (Math.ceil(this.valueSize / 8) * 8);
    return Array.from({ length: cpus }, (_, cpu) => this.lookup(key, cpu)!);
  }
  /** Stores a BTF-typed value (fields not named are zero). */
  update(key: K | Uint8Array, value: V, flags = 0): void {
    this.view.set(key as MapKey, value as BtfValue, flags);
  }
  /** Every entry decoded through BTF (per-CPU maps: CPU `cpu`'s values). */
  entriesTyped(cpu = 0): Array<{ key: K; value: V }> {
    return this.view.entriesTyped(cpu) as Array<{ key: K; value: V }>;
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
