import type { Btf } from '../btf/index.js';
import { findBtfType } from '../btf/find.js';
import { decodeValue, type BtfValue } from '../helpers/btf-value.js';
export { findBtfType };
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
 * prototype and the BTF in a private field, so the arrays still compare and serialise as plain
 * arrays (their `constructor` is Array) and cost no property definition per run (this is on every `run()`).
 */
class RingbufArray extends Array<Uint8Array> {
  #btf: Btf | undefined;
  static wrap(btf: Btf | undefined, records: readonly Uint8Array[]): RingbufArray {
    const a = new RingbufArray();
    a.#btf = btf;
    for (const r of records) a.push(r);
    return a;
  }
  decode<T = BtfValue>(spec: string): T[] {
    const btf = this.#btf;
    const id = findBtfType(btf, spec);
    return Array.from(this, (r) => decodeValue(btf!, id, r) as T);
  }
}

class PerfArray extends Array<PerfRecord> {
  #btf: Btf | undefined;
  static wrap(btf: Btf | undefined, records: readonly PerfRecord[]): PerfArray {
    const a = new PerfArray();
    a.#btf = btf;
    for (const r of records) a.push(r);
    return a;
  }
  decode<T = BtfValue>(spec: string): Array<{ map: string; cpu: number; value: T }> {
    const btf = this.#btf;
    const id = findBtfType(btf, spec);
    return Array.from(this, (r) => ({ map: r.map, cpu: r.cpu, value: decodeValue(btf!, id, r.data) as T }));
  }
}

// `constructor` is Array's: strict equality with a plain array holds (vitest's toStrictEqual compares
// constructors), and map/filter/slice of the records give plain arrays.
for (const c of [RingbufArray, PerfArray]) Object.defineProperty(c.prototype, 'constructor', { value: Array, writable: true, configurable: true });

/** A run's ring-buffer records with `decode` (the array compares and serialises as before). */
export function decodableRingbuf(records: readonly Uint8Array[], btf: Btf | undefined): RingbufRecords {
  return RingbufArray.wrap(btf, records);
}

/** A run's perf-event records with `decode`. */
export function decodablePerf(records: readonly PerfRecord[], btf: Btf | undefined): PerfRecords {
  return PerfArray.wrap(btf, records);
}
