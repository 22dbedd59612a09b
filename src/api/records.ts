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

/** Adds `decode` to a run's ring-buffer records (not enumerable: the array still compares and serialises as before). */
export function decodableRingbuf(records: Uint8Array[], btf: Btf | undefined): RingbufRecords {
  const decode = <T>(spec: string): T[] => {
    const id = findBtfType(btf, spec);
    return records.map((r) => decodeValue(btf!, id, r) as T);
  };
  return Object.defineProperty(records, 'decode', { value: decode, enumerable: false }) as RingbufRecords;
}

/** Adds `decode` to a run's perf-event records. */
export function decodablePerf(records: PerfRecord[], btf: Btf | undefined): PerfRecords {
  const decode = <T>(spec: string): Array<{ map: string; cpu: number; value: T }> => {
    const id = findBtfType(btf, spec);
    return records.map((r) => ({ map: r.map, cpu: r.cpu, value: decodeValue(btf!, id, r.data) as T }));
  };
  return Object.defineProperty(records, 'decode', { value: decode, enumerable: false }) as PerfRecords;
}
