import type { Endian } from '../isa/decode.js';
import { badInput } from '../elf/reader.js';
import type { BtfAnyType, BtfMember, BtfStruct, BtfType } from './types.js';

/** How many typedef/modifier/array links a resolution follows before calling it a cycle (libbpf uses 32). */
export const MAX_RESOLVE_DEPTH = 32;
/** Pointer size on BPF. */
export const POINTER_SIZE = 8;

const MODIFIERS = new Set(['CONST', 'VOLATILE', 'RESTRICT', 'TYPE_TAG']);

/**
 * A parsed BTF blob: the type graph (index = type id, 0 is void) and its string section.
 * Built by {@link parseBtf}; every reference inside it has been checked to be in range.
 */
export class Btf {
  readonly endian: Endian;
  readonly types: readonly BtfAnyType[];
  /** The raw string section. */
  readonly strings: Uint8Array;
  private byName: Map<string, BtfType[]> | undefined;

  constructor(endian: Endian, types: readonly BtfAnyType[], strings: Uint8Array) {
    this.endian = endian;
    this.types = types;
    this.strings = strings;
  }

  /** Number of type ids including void. */
  get length(): number {
    return this.types.length;
  }

  /** Number of strings in the string section. */
  get stringCount(): number {
    let n = 0;
    for (const b of this.strings) if (b === 0) n++;
    return n;
  }

  /** The type with this id; a bad id is a malformed-input error naming `what` asked. */
  type(id: number, what = 'type reference'): BtfAnyType {
    const t = Number.isInteger(id) ? this.types[id] : undefined;
    if (t === undefined) badInput(`${what}: BTF type id ${id} out of range (${this.types.length - 1} types)`);
    return t;
  }

  /** Every named type with this name (any kind). */
  named(name: string): readonly BtfType[] {
    if (this.byName === undefined) {
      this.byName = new Map();
      for (const t of this.types) {
        if (t.kind === 'VOID' || t.name === '') continue;
        const list = this.byName.get(t.name);
        if (list) list.push(t);
        else this.byName.set(t.name, [t]);
      }
    }
    return this.byName.get(name) ?? [];
  }

  /** Every named type as [name, id], in id order (without decoding what a lazy BTF has not decoded). */
  *namedIds(): Iterable<[string, number]> {
    for (const t of this.types) if (t.kind !== 'VOID' && t.name !== '') yield [t.name, t.id];
  }

  /** The first type with this name and kind. */
  find<K extends BtfType['kind']>(name: string, kind: K): Extract<BtfType, { kind: K }> | undefined {
    return this.named(name).find((t) => t.kind === kind) as Extract<BtfType, { kind: K }> | undefined;
  }
}

/** Follows CONST/VOLATILE/RESTRICT/TYPE_TAG links (not typedefs). */
export function skipModifiers(btf: Btf, id: number): BtfAnyType {
  let t = btf.type(id);
  for (let depth = 0; MODIFIERS.has(t.kind); depth++) {
    if (depth >= MAX_RESOLVE_DEPTH) badInput(`BTF type [${id}]: modifier chain longer than ${MAX_RESOLVE_DEPTH} (a cycle?)`);
    t = btf.type((t as { type: number }).type, `BTF type [${t.id}] ${t.kind}`);
  }
  return t;
}

/** Follows typedefs and modifiers to the type that says what the value is (libbpf's skip_mods_and_typedefs). */
export function resolveType(btf: Btf, id: number): BtfAnyType {
  let t = btf.type(id);
  for (let depth = 0; t.kind === 'TYPEDEF' || MODIFIERS.has(t.kind); depth++) {
    if (depth >= MAX_RESOLVE_DEPTH) badInput(`BTF type [${id}]: typedef/modifier chain longer than ${MAX_RESOLVE_DEPTH} (a cycle?)`);
    t = btf.type((t as { type: number }).type, `BTF type [${t.id}] ${t.kind}`);
  }
  return t;
}

/** Byte size of a value of this type (libbpf's btf__resolve_size); throws for types without a size. */
export function sizeof(btf: Btf, id: number): number {
  let t = btf.type(id);
  let mult = 1;
  for (let depth = 0; ; depth++) {
    if (depth > MAX_RESOLVE_DEPTH) badInput(`BTF type [${id}]: size depends on a chain longer than ${MAX_RESOLVE_DEPTH} (a cycle?)`);
    switch (t.kind) {
      case 'INT':
      case 'STRUCT':
      case 'UNION':
      case 'ENUM':
      case 'ENUM64':
      case 'DATASEC':
      case 'FLOAT':
        return checkedSize(id, mult * t.size);
      case 'PTR':
        return checkedSize(id, mult * POINTER_SIZE);
      case 'TYPEDEF':
      case 'VOLATILE':
      case 'CONST':
      case 'RESTRICT':
      case 'TYPE_TAG':
      case 'VAR':
      case 'DECL_TAG':
        t = btf.type(t.type, `BTF type [${t.id}] ${t.kind}`);
        break;
      case 'ARRAY':
        mult *= t.nelems;
        t = btf.type(t.type, `BTF type [${t.id}] ARRAY`);
        break;
      default:
        badInput(`BTF type [${id}]: ${describe(btf, id)} has no size`);
    }
  }
}

function checkedSize(id: number, n: number): number {
  if (n > 0xffffffff) badInput(`BTF type [${id}]: size ${n} does not fit 32 bits`);
  return n;
}

/** A member of a struct or union by name (direct members only; see {@link findMemberPath} for anonymous ones). */
export function memberOffset(btf: Btf, structId: number, name: string): BtfMember | undefined {
  const t = resolveType(btf, structId);
  if (t.kind !== 'STRUCT' && t.kind !== 'UNION') return undefined;
  return t.members.find((m) => m.name === name);
}

/**
 * Finds a member by name, looking through anonymous struct/union members the way C does.
 * Returns the path of member indexes and the member's bit offset from the outer type.
 */
export function findMemberPath(btf: Btf, structId: number, name: string, depth = 0): { path: number[]; bitsOffset: number; member: BtfMember } | undefined {
  if (depth > MAX_RESOLVE_DEPTH) return undefined;
  const t = resolveType(btf, structId);
  if (t.kind !== 'STRUCT' && t.kind !== 'UNION') return undefined;
  for (let i = 0; i < t.members.length; i++) {
    const m = t.members[i]!;
    if (m.name === name) return { path: [i], bitsOffset: m.bitsOffset, member: m };
    if (m.name === '') {
      const inner = findMemberPath(btf, m.type, name, depth + 1);
      if (inner) return { path: [i, ...inner.path], bitsOffset: m.bitsOffset + inner.bitsOffset, member: inner.member };
    }
  }
  return undefined;
}

/** True for struct and union types. */
export const isComposite = (t: BtfAnyType): t is BtfStruct => t.kind === 'STRUCT' || t.kind === 'UNION';

/** `struct foo`, `int`, `enum e`, `(anon)` and so on, for messages. */
export function describe(btf: Btf, id: number): string {
  const t = btf.types[id];
  if (t === undefined) return `[${id}]`;
  if (t.kind === 'VOID') return 'void';
  const name = t.name === '' ? '(anon)' : t.name;
  switch (t.kind) {
    case 'STRUCT':
      return `struct ${name}`;
    case 'UNION':
      return `union ${name}`;
    case 'ENUM':
    case 'ENUM64':
      return `enum ${name}`;
    case 'FWD':
      return `${t.union ? 'union' : 'struct'} ${name}`;
    default:
      return t.name === '' ? t.kind.toLowerCase() : name;
  }
}

/** The value of an enumerator as a BigInt, honouring the enum's signedness. */
export function enumValue(signed: boolean, kind: 'ENUM' | 'ENUM64', v: { lo: number; hi: number }): bigint {
  const u = (BigInt(v.hi >>> 0) << 32n) | BigInt(v.lo >>> 0);
  if (kind === 'ENUM') return signed ? BigInt(v.lo | 0) : BigInt(v.lo >>> 0);
  return signed ? BigInt.asIntN(64, u) : u;
}
