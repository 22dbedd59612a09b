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

type RecordsClass<T> = new () => T[];

/**
 * A subclass per BTF below `base`, its prototype holding the BTF (not an own property, so the
 * records still compare and serialise as plain arrays). A run's records are built in a new instance
 * of it: constructing a known subclass is inlined by the optimizer, where changing a fresh array's
 * prototype goes through the runtime (this is on every `run()`).
 */
function classFor<T>(cache: WeakMap<object, RecordsClass<T>>, base: RecordsClass<T>, btf: Btf | undefined): RecordsClass<T> {
  const key = btf ?? NO_BTF;
  let c = cache.get(key);
  if (c === undefined) {
    c = class extends base {};
    Object.defineProperty(c.prototype, BTF, { value: btf });
    Object.defineProperty(c.prototype, 'constructor', { value: Array, writable: true, configurable: true });
    cache.set(key, c);
  }
  return c;
}

const NO_BTF = {};
const ringbufClasses = new WeakMap<object, RecordsClass<Uint8Array>>();
const perfClasses = new WeakMap<object, RecordsClass<PerfRecord>>();

/** The last BTF asked for and its classes: a program's runs all ask for the same one. */
let lastBtf: object = NO_BTF;
let lastRingbuf: RecordsClass<Uint8Array> | undefined;
let lastPerf: RecordsClass<PerfRecord> | undefined;

function classesFor(btf: Btf | undefined): void {
  const key = btf ?? NO_BTF;
  if (key === lastBtf && lastRingbuf !== undefined) return;
  lastBtf = key;
  lastRingbuf = classFor(ringbufClasses, RingbufArray, btf);
  lastPerf = classFor(perfClasses, PerfArray, btf);
}

/**
 * An empty array for a run's ring-buffer records, with `decode` (it compares and serialises as a
 * plain array); runProgram fills it, so no plain array is built to copy over.
 */
export function newRingbufRecords(btf: Btf | undefined): RingbufRecords {
  classesFor(btf);
  return new lastRingbuf!() as RingbufRecords;
}

/** An empty array for a run's perf-event records, with `decode`. */
export function newPerfRecords(btf: Btf | undefined): PerfRecords {
  classesFor(btf);
  return new lastPerf!() as PerfRecords;
}
