import { resolveType, type Btf } from '../btf/index.js';
import type { BtfType } from '../btf/types.js';
import { decodeValue, type BtfValue } from '../helpers/btf-value.js';
import { BpfkitError, ErrorCode } from '../errors.js';
import type { PerfRecord } from '../helpers/maps/perf-event.js';

const KINDS: Record<string, ReadonlyArray<BtfType['kind']>> = {
  struct: ['STRUCT'],
  union: ['UNION'],
  enum: ['ENUM', 'ENUM64'],
};

/**
 * The BTF type id a C-like name names: `struct event`, `union u`, `enum verdict`, or a bare name
 * (a typedef, struct, union, enum or integer type of that name, in that order of preference).
 * Throws a BpfkitError (USAGE) naming what the object has when nothing matches.
 */
export function findBtfType(btf: Btf | undefined, spec: string): number {
  if (btf === undefined) throw new BpfkitError(ErrorCode.Usage, `cannot decode as '${spec}': the object has no BTF`);
  const m = /^\s*(?:(struct|union|enum)\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*$/.exec(spec);
  if (m === null) throw new BpfkitError(ErrorCode.Usage, `'${spec}' is not a type name (say 'struct NAME', 'union NAME', 'enum NAME' or a typedef name)`);
  const [, keyword, name] = m;
  const candidates = btf.named(name!);
  const order: ReadonlyArray<BtfType['kind']> = keyword !== undefined ? KINDS[keyword]! : ['TYPEDEF', 'STRUCT', 'UNION', 'ENUM', 'ENUM64', 'INT', 'FLOAT'];
  for (const kind of order) {
    const t = candidates.find((c) => c.kind === kind && !(('members' in c) && c.members.length === 0 && resolveType(btf, c.id).kind !== 'STRUCT'));
    if (t !== undefined) return t.id;
  }
  const structs = btf.types.filter((t) => t.kind === 'STRUCT' && t.name !== '').map((t) => `struct ${t.name}`);
  throw new BpfkitError(ErrorCode.Usage, `the object's BTF has no type '${spec.trim()}'${structs.length ? ` (structs: ${structs.slice(0, 12).join(', ')}${structs.length > 12 ? ', ...' : ''})` : ''}`);
}

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
