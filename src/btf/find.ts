import { BpfkitError, ErrorCode } from '../errors.js';
import { resolveType, type Btf } from './btf.js';
import type { BtfType } from './types.js';

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

