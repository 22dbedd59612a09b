import type { Btf } from '../btf/index.js';
import { findBtfType } from '../btf/find.js';
import { decodeValue, type BtfValue } from '../helpers/btf-value.js';
export { findBtfType };

/** Where the records' prototype keeps the BTF they decode with. */
const BTF = Symbol('btf');
import type { PerfRecord } from '../helpers/maps/perf-event.js';

/** Decodes `bytes` as the BTF type `spec` names (see {@link findBtfType}). */
export function decodeAs<T = BtfValue>(btf: Btf | undefined, spec: string, bytes: Uint8Array): T {
  return decodeValue(btf!, findBtfType(btf, spec), bytes) as T;
}

/** Ring-buffer records of a run: the bytes, plus `decode('struct event')` through the object's BTF. */
export type RingbufRecords = Uint8Array[] & {
  /** Every record decoded as the type `spec` names (`'struct event'`, a typedef name...). */
  decode<T = BtfValue>(spec: string): T[];
};

/** Perf-event records of a run, plus `decode('struct event')` of each record's data. */
export type PerfRecords = PerfRecord[] & {
  decode<T = BtfValue>(spec: string): Array<{ map: string; cpu: number; value: T }>;
};

/**
 * The arrays behind {@link RingbufRecords} and {@link PerfRecords}: `decode` lives on the
 * prototype and the BTF on a prototype of its own below it, so the arrays still compare and serialise as plain
 * arrays (their `constructor` is Array) and cost no property definition per run (this is on every `run()`).
 */
class RingbufArray extends Array<Uint8Array> {
  declare readonly [BTF]: Btf | undefined;
  decode<T = BtfValue>(spec: string): T[] {
    const btf = this[BTF];
    const id = findBtfType(btf, spec);
    return Array.from(this, (r) => decodeValue(btf!, id, r) as T);
  }
}

class PerfArray extends Array<PerfRecord> {
  declare readonly [BTF]: Btf | undefined;
  decode<T = BtfValue>(spec: string): Array<{ map: string; cpu: number; value: T }> {
    const btf = this[BTF];
    const id = findBtfType(btf, spec);
    return Array.from(this, (r) => ({ map: r.map, cpu: r.cpu, value: decodeValue(btf!, id, r.data) as T }));
  }
}

// `constructor` is Array's: strict equality with a plain array holds (vitest's toStrictEqual compares
// constructors), and map/filter/slice of the records give plain arrays.
for (const c of [RingbufArray, PerfArray]) Object.defineProperty(c.prototype, 'constructor', { value: Array, writable: true, configurable: true });

/**
 * A prototype per BTF below `base`, holding the BTF (not an own property, so the records still
 * compare and serialise as plain arrays). A run's array gets it with one prototype change, which
 * V8 caches: cheaper than constructing an Array subclass, which goes through the runtime.
 */
function protoFor(cache: WeakMap<object, object>, base: object, btf: Btf | undefined): object {
  const key = btf ?? NO_BTF;
  let proto = cache.get(key);
  if (proto === undefined) {
    proto = Object.create(base, { [BTF]: { value: btf } }) as object;
    cache.set(key, proto);
  }
  return proto;
}

const NO_BTF = {};
const ringbufProtos = new WeakMap<object, object>();
const perfProtos = new WeakMap<object, object>();

/** A run's ring-buffer records with `decode` (the array compares and serialises as before). */
export function decodableRingbuf(records: Uint8Array[], btf: Btf | undefined): RingbufRecords {
  // The array is the run's own (a fresh one per result), so it takes the prototype in place.
  return Object.setPrototypeOf(records, protoFor(ringbufProtos, RingbufArray.prototype, btf)) as RingbufRecords;
}

/** A run's perf-event records with `decode`. */
export function decodablePerf(records: PerfRecord[], btf: Btf | undefined): PerfRecords {
  return Object.setPrototypeOf(records, protoFor(perfProtos, PerfArray.prototype, btf)) as PerfRecords;
}
