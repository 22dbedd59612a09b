import { BpfkitError } from '../errors.js';
/**
 * CO-RE ("compile once, run everywhere") relocation resolution, following the algorithm libbpf
 * applies before loading (tools/lib/bpf/relo_core.c), in our own words:
 *
 * 1. the relocation's access string is turned into a *spec* against the object's own BTF: the
 *    root type, then one accessor per named member or array index, and the bit offset reached;
 * 2. *candidates* are the target-BTF types of the same kind whose name matches once any
 *    `___flavor` suffix is dropped;
 * 3. each candidate is matched by walking the same member names (looking through anonymous
 *    members) and array indexes; every matching candidate must give the same answer;
 * 4. the instruction is patched with the target's value, or *poisoned* (turned into a call of the
 *    non-existent helper 0xbad2310) when nothing matches and the relocation is not a mere
 *    existence check, so the program fails only if it reaches that instruction.
 *
 * Descriptions and log lines use libbpf's wording, so results can be compared with libbpf's log.
 */
import { badInput } from '../elf/reader.js';
import type { Endian } from '../isa/decode.js';
import type { Instruction } from '../isa/instruction.js';
import { Class, Size, Source } from '../isa/opcodes.js';
import type { Btf } from './btf.js';
import { MAX_RESOLVE_DEPTH, resolveType, sizeof } from './btf.js';
import type { CoreRelo } from './ext.js';
import { BtfIntEncoding, CoreReloKind, coreReloKindName } from './kinds.js';
import type { BtfAnyType, BtfType } from './types.js';

/** The helper id libbpf writes into poisoned instructions ("bad relo"). */
export const CORE_POISON_HELPER = 0xbad2310;
/** Longest access string libbpf accepts. */
const SPEC_MAX_LEN = 64;

const K = CoreReloKind;
export const isFieldBased = (k: number): boolean => k <= K.FIELD_RSHIFT_U64;
export const isTypeBased = (k: number): boolean => k === K.TYPE_ID_LOCAL || k === K.TYPE_ID_TARGET || k === K.TYPE_EXISTS || k === K.TYPE_SIZE || k === K.TYPE_MATCHES;
export const isEnumValueBased = (k: number): boolean => k === K.ENUMVAL_EXISTS || k === K.ENUMVAL_VALUE;

/** One step of a spec: a named member (`name` set) or an array index. */
export interface CoreAccessor {
  /** The struct/union (member accessors) or array element type (index accessors). */
  typeId: number;
  idx: number;
  name?: string;
}

/** A relocation's access path resolved against one BTF. */
export interface CoreSpec {
  btf: Btf;
  rootTypeId: number;
  kind: number;
  /** The raw access indexes (member indexes include anonymous members). */
  raw: number[];
  accessors: CoreAccessor[];
  bitOffset: number;
}

/** What a relocation resolves to. */
export interface CoreResult {
  kind: number;
  /** The value the compiler assumed (from the object's own BTF) and the value for the target. */
  origValue: bigint;
  newValue: bigint;
  /** Sizes of the accessed field (loads and stores change their width when these differ). */
  origSize: number;
  newSize: number;
  /** Whether the instruction must hold `origValue` before patching (off for bitfields). */
  validate: boolean;
  /** The field changed size in a way a load cannot follow (signed or non-integer): poison. */
  failMemSizeAdjust: boolean;
  /** The instruction must be replaced by a call of the non-existent helper 0xbad2310. */
  poison: boolean;
  /** libbpf-style description of the local spec, e.g. `<byte_off> [8] struct pkt_hdr.seq (0:3 @ offset 4)`. */
  local: string;
  /** Each candidate tried, described as libbpf does, and whether it matched. */
  candidates: { spec: string; matched: boolean }[];
  /** Why the relocation was not satisfied, when no candidate matched. */
  unsatisfied?: string;
}

// ---------------------------------------------------------------------------------------------
// names

const isFlavorSep = (s: string, i: number): boolean => s[i] !== '_' && s[i + 1] === '_' && s[i + 2] === '_' && s[i + 3] === '_' && s[i + 4] !== '_';

/** `task_struct___v2` → `task_struct`: the name without its last `___flavor` suffix. */
export function essentialName(name: string): string {
  for (let i = name.length - 5; i >= 0; i--) if (isFlavorSep(name, i)) return name.slice(0, i + 1);
  return name;
}

const namesMatch = (a: string, b: string): boolean => (a === '' || b === '' ? a === b : essentialName(a) === essentialName(b));

const isAnyEnum = (t: BtfAnyType): boolean => t.kind === 'ENUM' || t.kind === 'ENUM64';
const kindsCompatible = (a: BtfAnyType, b: BtfAnyType): boolean => a.kind === b.kind || (isAnyEnum(a) && isAnyEnum(b));

/** libbpf's lower-case kind words used in spec descriptions. */
const kindWord = (t: BtfAnyType): string => (t.kind === 'VOID' ? 'unknown' : t.kind.toLowerCase());

// ---------------------------------------------------------------------------------------------
// spec parsing

function parseAccessString(s: string, what: string): number[] {
  if (!/^\d+(:\d+)*$/.test(s)) badInput(`${what}: access string '${s}' is not a list of indexes`);
  const raw = s.split(':').map(Number);
  if (raw.length > SPEC_MAX_LEN) badInput(`${what}: access string '${s}' is longer than ${SPEC_MAX_LEN} steps`);
  return raw;
}

/** True when `arr` is a zero-length array that is the last member of the struct the previous accessor named. */
function isFlexArray(btf: Btf, prev: CoreAccessor | undefined, nelems: number): boolean {
  if (prev === undefined || prev.name === undefined || nelems > 0) return false;
  const t = btf.type(prev.typeId);
  return (t.kind === 'STRUCT' || t.kind === 'UNION') && prev.idx === t.members.length - 1;
}

/** Resolves typedefs/modifiers and reports the id reached. */
function skipToId(btf: Btf, id: number): { t: BtfAnyType; id: number } {
  const t = resolveType(btf, id);
  return { t, id: t.id };
}

/** Builds the local spec of a relocation (libbpf's bpf_core_parse_spec). */
export function parseCoreSpec(btf: Btf, relo: CoreRelo, what: string): CoreSpec {
  const raw = parseAccessString(relo.accessStr, what);
  const spec: CoreSpec = { btf, rootTypeId: relo.typeId, kind: relo.kind, raw, accessors: [], bitOffset: 0 };
  btf.type(relo.typeId, what);
  if (isTypeBased(relo.kind)) {
    if (relo.accessStr !== '0') badInput(`${what}: type-based relocation with access string '${relo.accessStr}' (expected '0')`);
    return spec;
  }
  let { t, id } = skipToId(btf, relo.typeId);
  const first = raw[0]!;
  if (isEnumValueBased(relo.kind)) {
    if ((t.kind !== 'ENUM' && t.kind !== 'ENUM64') || raw.length > 1 || first >= t.values.length) {
      badInput(`${what}: enum value relocation does not name an enumerator of an enum type`);
    }
    spec.accessors.push({ typeId: id, idx: first, name: t.values[first]!.name });
    return spec;
  }
  if (!isFieldBased(relo.kind)) badInput(`${what}: unknown CO-RE relocation kind ${relo.kind}`);
  spec.accessors.push({ typeId: id, idx: first });
  spec.bitOffset = first * sizeof(btf, id) * 8;
  for (let i = 1; i < raw.length; i++) {
    ({ t, id } = skipToId(btf, id));
    const idx = raw[i]!;
    if (t.kind === 'STRUCT' || t.kind === 'UNION') {
      const m = t.members[idx];
      if (m === undefined) badInput(`${what}: member index ${idx} out of range for [${id}] ${kindWord(t)} ${t.name || '<anon>'} (${t.members.length} members)`);
      spec.bitOffset += m.bitsOffset;
      if (m.name !== '') spec.accessors.push({ typeId: id, idx, name: m.name });
      id = m.type;
    } else if (t.kind === 'ARRAY') {
      const elem = skipToId(btf, t.type);
      const flex = isFlexArray(btf, spec.accessors[spec.accessors.length - 1], t.nelems);
      if (!flex && idx >= t.nelems) badInput(`${what}: array index ${idx} out of range (${t.nelems} elements)`);
      spec.accessors.push({ typeId: elem.id, idx });
      spec.bitOffset += idx * sizeof(btf, elem.id) * 8;
      id = elem.id;
    } else {
      badInput(`${what}: access step ${i} (index ${idx}) reaches [${id}] ${kindWord(t)}, neither struct, union nor array`);
    }
  }
  return spec;
}

/** libbpf's bpf_core_format_spec. */
export function formatCoreSpec(spec: CoreSpec): string {
  const btf = spec.btf;
  const root = btf.types[spec.rootTypeId];
  const rootName = root === undefined || root.kind === 'VOID' || root.name === '' ? '<anon>' : root.name;
  let s = `<${coreReloKindName(spec.kind)}> [${spec.rootTypeId}] ${root === undefined ? 'unknown' : kindWord(root)} ${rootName}`;
  if (isTypeBased(spec.kind)) return s;
  if (isEnumValueBased(spec.kind)) {
    const t = resolveType(btf, spec.rootTypeId);
    if (t.kind === 'ENUM' || t.kind === 'ENUM64') {
      const v = t.values[spec.raw.length > 0 ? spec.raw[0]! : 0];
      if (v !== undefined) s += `::${v.name} = ${enumValueOf(t, v)}`;
    }
    return s;
  }
  spec.accessors.forEach((a, i) => {
    if (a.name !== undefined) s += `.${a.name}`;
    else if (i > 0 || a.idx > 0) s += `[${a.idx}]`;
  });
  s += ` (${spec.raw.join(':')}`;
  s += spec.bitOffset % 8 ? ` @ offset ${Math.floor(spec.bitOffset / 8)}.${spec.bitOffset % 8})` : ` @ offset ${spec.bitOffset / 8})`;
  return s;
}

function enumValueOf(t: Extract<BtfType, { kind: 'ENUM' | 'ENUM64' }>, v: { lo: number; hi: number }): string {
  if (t.kind === 'ENUM') return String(t.signed ? v.lo | 0 : v.lo >>> 0);
  const u = (BigInt(v.hi >>> 0) << 32n) | BigInt(v.lo >>> 0);
  return String(t.signed ? BigInt.asIntN(64, u) : u);
}

// ---------------------------------------------------------------------------------------------
// compatibility checks

/** libbpf's bpf_core_fields_are_compat: can a field of local type be read as the target's? */
function fieldsCompatible(local: Btf, localId: number, target: Btf, targetId: number): boolean {
  for (let depth = 0; depth <= MAX_RESOLVE_DEPTH; depth++) {
    const lt = resolveType(local, localId);
    const tt = resolveType(target, targetId);
    if ((lt.kind === 'STRUCT' || lt.kind === 'UNION') && (tt.kind === 'STRUCT' || tt.kind === 'UNION')) return true;
    if (!kindsCompatible(lt, tt)) return false;
    switch (lt.kind) {
      case 'PTR':
      case 'FLOAT':
        return true;
      case 'FWD':
      case 'ENUM':
      case 'ENUM64': {
        const a = essentialName(lt.name);
        const b = essentialName((tt as BtfType).name);
        return a === '' || b === '' || a === b;
      }
      case 'INT':
        return lt.bitsOffset === 0 && (tt as Extract<BtfType, { kind: 'INT' }>).bitsOffset === 0;
      case 'ARRAY':
        localId = lt.type;
        targetId = (tt as Extract<BtfType, { kind: 'ARRAY' }>).type;
        continue;
      default:
        return false;
    }
  }
  badInput(`CO-RE: field types nest deeper than ${MAX_RESOLVE_DEPTH} levels`);
}

/** libbpf's bpf_core_types_are_compat (TYPE_ID_TARGET, TYPE_EXISTS, TYPE_SIZE). */
function typesCompatible(local: Btf, localId: number, target: Btf, targetId: number, level = MAX_RESOLVE_DEPTH): boolean {
  if (level <= 0) badInput(`CO-RE: types nest deeper than ${MAX_RESOLVE_DEPTH} levels`);
  if (!kindsCompatible(local.type(localId), target.type(targetId))) return false;
  for (let depth = 0; depth <= MAX_RESOLVE_DEPTH; depth++) {
    const lt = resolveType(local, localId);
    const tt = resolveType(target, targetId);
    if (!kindsCompatible(lt, tt)) return false;
    switch (lt.kind) {
      case 'VOID':
      case 'STRUCT':
      case 'UNION':
      case 'ENUM':
      case 'ENUM64':
      case 'FWD':
        return true;
      case 'INT':
        return lt.bitsOffset === 0 && (tt as Extract<BtfType, { kind: 'INT' }>).bitsOffset === 0;
      case 'PTR':
        localId = lt.type;
        targetId = (tt as Extract<BtfType, { kind: 'PTR' }>).type;
        continue;
      case 'ARRAY':
        localId = lt.type;
        targetId = (tt as Extract<BtfType, { kind: 'ARRAY' }>).type;
        continue;
      case 'FUNC_PROTO': {
        const tp = tt as Extract<BtfType, { kind: 'FUNC_PROTO' }>;
        if (lt.params.length !== tp.params.length) return false;
        for (let i = 0; i < lt.params.length; i++) {
          const a = resolveType(local, lt.params[i]!.type).id;
          const b = resolveType(target, tp.params[i]!.type).id;
          if (!typesCompatible(local, a, target, b, level - 1)) return false;
        }
        localId = resolveType(local, lt.returnType).id;
        targetId = resolveType(target, tp.returnType).id;
        continue;
      }
      default:
        return false;
    }
  }
  badInput(`CO-RE: types nest deeper than ${MAX_RESOLVE_DEPTH} levels`);
}

/** libbpf's bpf_core_types_match (TYPE_MATCHES): a stricter, structural comparison. */
function typesMatch(local: Btf, localId: number, target: Btf, targetId: number, behindPtr = false, level = MAX_RESOLVE_DEPTH): boolean {
  for (let depth = 0; depth <= MAX_RESOLVE_DEPTH; depth++) {
    if (level <= 0) badInput(`CO-RE: types nest deeper than ${MAX_RESOLVE_DEPTH} levels`);
    const lt = resolveType(local, localId);
    const tt = resolveType(target, targetId);
    if (!namesMatch(lt.name, tt.name)) return false;
    switch (lt.kind) {
      case 'VOID':
        return tt.kind === 'VOID';
      case 'FWD':
        if (behindPtr) {
          if (tt.kind === 'FWD') return lt.union === tt.union;
          return (tt.kind === 'STRUCT' && !lt.union) || (tt.kind === 'UNION' && lt.union);
        }
        return tt.kind === 'FWD' && lt.union === tt.union;
      case 'ENUM':
      case 'ENUM64': {
        if (tt.kind !== 'ENUM' && tt.kind !== 'ENUM64') return false;
        if (lt.size !== tt.size || lt.values.length > tt.values.length) return false;
        return lt.values.every((v) => tt.values.some((w) => namesMatch(v.name, w.name) && v.name !== '' && w.name !== ''));
      }
      case 'STRUCT':
      case 'UNION': {
        if (behindPtr) {
          if (lt.kind === tt.kind) return true;
          return tt.kind === 'FWD' && (lt.kind === 'UNION') === tt.union;
        }
        if (lt.kind !== tt.kind) return false;
        const tm = (tt as Extract<BtfType, { kind: 'STRUCT' | 'UNION' }>).members;
        if (lt.members.length > tm.length) return false;
        return lt.members.every((m) => tm.some((n) => namesMatch(m.name, n.name) && typesMatch(local, m.type, target, n.type, behindPtr, level - 1)));
      }
      case 'INT':
        return (
          tt.kind === 'INT' && lt.size === tt.size && (lt.encoding & BtfIntEncoding.SIGNED) === (tt.encoding & BtfIntEncoding.SIGNED)
        );
      case 'PTR':
        if (tt.kind !== 'PTR') return false;
        behindPtr = true;
        localId = lt.type;
        targetId = tt.type;
        continue;
      case 'ARRAY':
        if (tt.kind !== 'ARRAY' || lt.nelems !== tt.nelems) return false;
        localId = lt.type;
        targetId = tt.type;
        continue;
      case 'FUNC_PROTO': {
        if (tt.kind !== 'FUNC_PROTO' || lt.params.length !== tt.params.length) return false;
        for (let i = 0; i < lt.params.length; i++) {
          if (!typesMatch(local, lt.params[i]!.type, target, tt.params[i]!.type, behindPtr, level - 1)) return false;
        }
        localId = lt.returnType;
        targetId = tt.returnType;
        continue;
      }
      default:
        return false;
    }
  }
  badInput(`CO-RE: types nest deeper than ${MAX_RESOLVE_DEPTH} levels`);
}

// ---------------------------------------------------------------------------------------------
// matching a candidate

/** Finds the member named like the local accessor in target type `targetId`, through anonymous members. */
function matchMember(
  local: Btf,
  acc: CoreAccessor,
  target: Btf,
  targetId: number,
  spec: CoreSpec,
  depth: number,
): { found: boolean; next: number } {
  if (depth > MAX_RESOLVE_DEPTH) badInput(`CO-RE: anonymous members nest deeper than ${MAX_RESOLVE_DEPTH} levels`);
  const lt = local.type(acc.typeId) as Extract<BtfType, { kind: 'STRUCT' | 'UNION' }>;
  const lm = lt.members[acc.idx]!;
  const { t: tt, id: tid } = skipToId(target, targetId);
  if (tt.kind !== 'STRUCT' && tt.kind !== 'UNION') return { found: false, next: 0 };
  for (let i = 0; i < tt.members.length; i++) {
    const m = tt.members[i]!;
    if (spec.raw.length >= SPEC_MAX_LEN) badInput(`CO-RE: access path longer than ${SPEC_MAX_LEN} steps`);
    spec.bitOffset += m.bitsOffset;
    spec.raw.push(i);
    if (m.name === '') {
      const inner = matchMember(local, acc, target, m.type, spec, depth + 1);
      if (inner.found) return inner;
    } else if (m.name === lm.name) {
      spec.accessors.push({ typeId: tid, idx: i, name: m.name });
      const found = fieldsCompatible(local, lm.type, target, m.type);
      if (!found) spec.accessors.pop();
      return { found, next: m.type };
    }
    spec.bitOffset -= m.bitsOffset;
    spec.raw.pop();
  }
  return { found: false, next: 0 };
}

/** libbpf's bpf_core_spec_match: fills `out` with the candidate's spec; true when it matches. */
function matchSpec(localSpec: CoreSpec, target: Btf, targetId: number): { matched: boolean; spec: CoreSpec } {
  const spec: CoreSpec = { btf: target, rootTypeId: targetId, kind: localSpec.kind, raw: [], accessors: [], bitOffset: 0 };
  const local = localSpec.btf;
  if (isTypeBased(localSpec.kind)) {
    const matched =
      localSpec.kind === K.TYPE_MATCHES
        ? typesMatch(local, localSpec.rootTypeId, target, targetId)
        : typesCompatible(local, localSpec.rootTypeId, target, targetId);
    return { matched, spec };
  }
  const first = localSpec.accessors[0]!;
  if (isEnumValueBased(localSpec.kind)) {
    const { t, id } = skipToId(target, targetId);
    if (t.kind !== 'ENUM' && t.kind !== 'ENUM64') return { matched: false, spec };
    const want = essentialName(first.name ?? '');
    const i = t.values.findIndex((v) => essentialName(v.name) === want);
    if (i < 0) return { matched: false, spec };
    spec.accessors.push({ typeId: id, idx: i, name: t.values[i]!.name });
    spec.raw.push(i);
    return { matched: true, spec };
  }
  let tid = targetId;
  for (let i = 0; i < localSpec.accessors.length; i++) {
    const acc = localSpec.accessors[i]!;
    if (acc.name !== undefined) {
      const r = matchMember(local, acc, target, tid, spec, 0);
      if (!r.found) return { matched: false, spec };
      tid = r.next;
      continue;
    }
    if (i > 0) {
      const { t } = skipToId(target, tid);
      if (t.kind !== 'ARRAY') return { matched: false, spec };
      const flex = isFlexArray(target, spec.accessors[spec.accessors.length - 1], t.nelems);
      if (!flex && acc.idx >= t.nelems) return { matched: false, spec };
      tid = skipToId(target, t.type).id;
    }
    if (spec.raw.length >= SPEC_MAX_LEN) badInput(`CO-RE: access path longer than ${SPEC_MAX_LEN} steps`);
    spec.accessors.push({ typeId: tid, idx: acc.idx });
    spec.raw.push(acc.idx);
    spec.bitOffset += acc.idx * sizeof(target, tid) * 8;
  }
  return { matched: true, spec };
}

// ---------------------------------------------------------------------------------------------
// values

interface FieldValue {
  value: bigint;
  size: number;
  typeId: number;
  validate: boolean;
}

/** libbpf's bpf_core_calc_field_relo; `undefined` spec means "no target": poison (or 0 for exists). */
function fieldValue(kind: number, spec: CoreSpec | undefined, endian: Endian): FieldValue | 'poison' {
  if (kind === K.FIELD_EXISTS) return { value: spec ? 1n : 0n, size: 0, typeId: 0, validate: true };
  if (spec === undefined) return 'poison';
  const btf = spec.btf;
  const acc = spec.accessors[spec.accessors.length - 1]!;
  if (acc.name === undefined) {
    const sz = sizeof(btf, acc.typeId);
    if (kind === K.FIELD_BYTE_OFFSET) return { value: BigInt(spec.bitOffset / 8), size: sz, typeId: acc.typeId, validate: true };
    if (kind === K.FIELD_BYTE_SIZE) return { value: BigInt(sz), size: 0, typeId: 0, validate: true };
    badInput(`CO-RE: ${coreReloKindName(kind)} relocation cannot be applied to an array element access`);
  }
  const t = btf.type(acc.typeId) as Extract<BtfType, { kind: 'STRUCT' | 'UNION' }>;
  const m = t.members[acc.idx]!;
  const mt = resolveType(btf, m.type);
  const bitOff = spec.bitOffset;
  let bitSize = m.bitfieldSize;
  const bitfield = bitSize > 0;
  let byteSize: number;
  let byteOff: number;
  if (bitfield) {
    byteSize = 'size' in mt ? mt.size : 0;
    if (byteSize <= 0) badInput(`CO-RE: bitfield ${m.name} has a type without a size`);
    byteOff = Math.floor(bitOff / 8 / byteSize) * byteSize;
    // the smallest power-of-two load that covers the whole bitfield
    while (bitOff + bitSize - byteOff * 8 > byteSize * 8) {
      if (byteSize >= 8) badInput(`CO-RE: bitfield ${m.name} cannot be read with one 64-bit load`);
      byteSize *= 2;
      byteOff = Math.floor(bitOff / 8 / byteSize) * byteSize;
    }
  } else {
    byteSize = sizeof(btf, mt.id);
    byteOff = Math.floor(bitOff / 8);
    bitSize = byteSize * 8;
  }
  // bitfield layouts are the compiler's choice, so only signedness and shifts are checked
  let validate = !bitfield;
  let value: bigint;
  let size = 0;
  let typeId = 0;
  switch (kind) {
    case K.FIELD_BYTE_OFFSET:
      value = BigInt(byteOff);
      if (!bitfield) {
        size = byteSize;
        typeId = mt.id;
      }
      break;
    case K.FIELD_BYTE_SIZE:
      value = BigInt(byteSize);
      break;
    case K.FIELD_SIGNED:
      value = (mt.kind === 'ENUM' || mt.kind === 'ENUM64') && mt.signed ? 1n : mt.kind === 'INT' && mt.encoding & BtfIntEncoding.SIGNED ? 1n : 0n;
      validate = true;
      break;
    case K.FIELD_LSHIFT_U64:
      // the shift that moves the field to the top of a 64-bit register depends on the byte order
      value = BigInt(endian === 'little' ? 64 - (bitOff + bitSize - byteOff * 8) : (8 - byteSize) * 8 + (bitOff - byteOff * 8));
      break;
    case K.FIELD_RSHIFT_U64:
      value = BigInt(64 - bitSize);
      validate = true;
      break;
    default:
      badInput(`CO-RE: unknown field relocation kind ${kind}`);
  }
  return { value, size, typeId, validate };
}

function typeValue(kind: number, spec: CoreSpec | undefined): bigint {
  if (spec === undefined) return 0n;
  switch (kind) {
    case K.TYPE_ID_LOCAL:
    case K.TYPE_ID_TARGET:
      return BigInt(spec.rootTypeId);
    case K.TYPE_EXISTS:
    case K.TYPE_MATCHES:
      return 1n;
    default:
      return BigInt(sizeof(spec.btf, spec.rootTypeId));
  }
}

function enumValue(kind: number, spec: CoreSpec | undefined): bigint | 'poison' {
  if (kind === K.ENUMVAL_EXISTS) return spec ? 1n : 0n;
  if (spec === undefined) return 'poison';
  const acc = spec.accessors[0]!;
  const t = spec.btf.type(acc.typeId) as Extract<BtfType, { kind: 'ENUM' | 'ENUM64' }>;
  const v = t.values[acc.idx]!;
  // libbpf reads a 32-bit enumerator as signed and widens it, whatever the enum's signedness
  if (t.kind === 'ENUM') return BigInt.asUintN(64, BigInt(v.lo | 0));
  return (BigInt(v.hi >>> 0) << 32n) | BigInt(v.lo >>> 0);
}

/** libbpf's bpf_core_calc_relo for one target spec (or none). */
function calcRelo(local: CoreSpec, target: CoreSpec | undefined, endian: Endian): Omit<CoreResult, 'local' | 'candidates' | 'kind'> {
  const base = { origValue: 0n, newValue: 0n, origSize: 0, newSize: 0, validate: true, failMemSizeAdjust: false, poison: false };
  const kind = local.kind;
  if (isFieldBased(kind)) {
    const o = fieldValue(kind, local, endian);
    const n = fieldValue(kind, target, endian);
    if (o === 'poison') badInput('CO-RE: local spec cannot be evaluated');
    if (n === 'poison') return { ...base, origValue: o.value, origSize: o.size, validate: o.validate, poison: true };
    const r = { ...base, origValue: o.value, newValue: n.value, origSize: o.size, newSize: n.size, validate: o.validate };
    if (o.size !== n.size) {
      const ot = local.btf.type(o.typeId);
      const nt = target!.btf.type(n.typeId);
      const unsignedInt = (t: BtfAnyType): boolean => t.kind === 'INT' && t.encoding !== BtfIntEncoding.SIGNED;
      // pointers and unsigned integers read correctly with a narrower or wider zero-extending load
      const safe = (ot.kind === 'PTR' && nt.kind === 'PTR') || (unsignedInt(ot) && unsignedInt(nt));
      if (!safe) r.failMemSizeAdjust = true;
    }
    return r;
  }
  if (isTypeBased(kind)) return { ...base, origValue: typeValue(kind, local), newValue: typeValue(kind, target) };
  const o = enumValue(kind, local);
  const n = enumValue(kind, target);
  if (o === 'poison') badInput('CO-RE: local spec cannot be evaluated');
  if (n === 'poison') return { ...base, origValue: o, poison: true };
  return { ...base, origValue: o, newValue: n };
}

// ---------------------------------------------------------------------------------------------
// the resolver

/**
 * Resolves CO-RE relocations of one object against one target BTF. Like libbpf it keeps a
 * candidate list per local type for the whole object and narrows it to the candidates that
 * matched, so later relocations of the same type see only those.
 */
export class CoreResolver {
  readonly local: Btf;
  readonly target: Btf;
  readonly endian: Endian;
  private readonly candidates = new Map<number, number[]>();
  private targetIndex: Map<string, number[]> | undefined;

  constructor(local: Btf, target: Btf, endian: Endian) {
    this.local = local;
    this.target = target;
    this.endian = endian;
  }

  /**
   * Against the object's own BTF (no kernel BTF given), the flavors of a type (`task___old`,
   * `task___new`) are candidates of each other and often ambiguous. Where libbpf would stop on
   * that ambiguity, the local type alone is taken as the candidate: the access resolves as
   * compiled. Where libbpf resolves, nothing changes.
   */
  private get ownTarget(): boolean {
    return this.target === this.local;
  }

  resolve(relo: CoreRelo, what: string): CoreResult {
    try {
      return this.resolveAmong(relo, what);
    } catch (e) {
      if (!this.ownTarget || !(e instanceof BpfkitError) || !/ambiguity/.test(e.message)) throw e;
      this.candidates.set(relo.typeId, [relo.typeId]);
      return this.resolveAmong(relo, what);
    }
  }

  private resolveAmong(relo: CoreRelo, what: string): CoreResult {
    const localType = this.local.type(relo.typeId, what);
    const spec = parseCoreSpec(this.local, relo, what);
    const described = formatCoreSpec(spec);
    const result = (r: Omit<CoreResult, 'local' | 'candidates' | 'kind'>, candidates: CoreResult['candidates'], unsatisfied?: string): CoreResult => {
      const out: CoreResult = { kind: relo.kind, ...r, local: described, candidates };
      if (unsatisfied !== undefined) out.unsatisfied = unsatisfied;
      return out;
    };
    if (relo.kind === K.TYPE_ID_LOCAL) {
      const id = BigInt(relo.typeId);
      return result({ origValue: id, newValue: id, origSize: 0, newSize: 0, validate: false, failMemSizeAdjust: false, poison: false }, []);
    }
    if (localType.kind === 'VOID' || localType.name === '') {
      badInput(`${what}: ${described}: relocation doesn't support anonymous types`);
    }
    const cands = this.candidatesFor(localType);
    const tried: CoreResult['candidates'] = [];
    const kept: number[] = [];
    let chosen: { spec: CoreSpec; res: ReturnType<typeof calcRelo> } | undefined;
    for (const cid of cands) {
      const m = matchSpec(spec, this.target, cid);
      tried.push({ spec: formatCoreSpec(m.spec), matched: m.matched });
      if (!m.matched) continue;
      const res = calcRelo(spec, m.spec, this.endian);
      if (chosen === undefined) chosen = { spec: m.spec, res };
      else if (m.spec.bitOffset !== chosen.spec.bitOffset) {
        badInput(`${what}: ${described}: field offset ambiguity: ${chosen.spec.bitOffset} != ${m.spec.bitOffset}`);
      } else if (res.poison !== chosen.res.poison || res.newValue !== chosen.res.newValue) {
        badInput(`${what}: ${described}: relocation decision ambiguity: ${chosen.res.newValue} != ${res.newValue}`);
      }
      kept.push(cid);
    }
    if (kept.length > 0) {
      this.candidates.set(relo.typeId, kept);
      return result(chosen!.res, tried);
    }
    return result(calcRelo(spec, undefined, this.endian), tried, 'no matching targets found');
  }

  /** Target types of a compatible kind whose essential names equal the local type's. */
  private candidatesFor(localType: BtfType): number[] {
    const cached = this.candidates.get(localType.id);
    if (cached !== undefined) return cached;
    const lazy = this.target as Btf & { essentialIds?: (name: string) => number[] };
    if (lazy.essentialIds !== undefined) {
      // kernel BTF: look the name up rather than index every name of the kernel
      const found = lazy.essentialIds(essentialName(localType.name)).filter((id) => kindsCompatible(localType, this.target.type(id)));
      this.candidates.set(localType.id, found);
      return found;
    }
    if (this.targetIndex === undefined) {
      this.targetIndex = new Map();
      // One index per target BTF and process: kernel BTF is shared by every object of a batch.
      const shared = essentialIndexes.get(this.target);
      if (shared !== undefined) this.targetIndex = shared;
      else {
        for (const [name, id] of this.target.namedIds()) {
          const key = essentialName(name);
          const list = this.targetIndex.get(key);
          if (list) list.push(id);
          else this.targetIndex.set(key, [id]);
        }
        essentialIndexes.set(this.target, this.targetIndex);
      }
    }
    const ids = (this.targetIndex.get(essentialName(localType.name)) ?? []).filter((id) => kindsCompatible(localType, this.target.type(id)));
    this.candidates.set(localType.id, ids);
    return ids;
  }
}

/** Target type ids by essential name, per target BTF. */
const essentialIndexes = new WeakMap<Btf, Map<string, number[]>>();

// ---------------------------------------------------------------------------------------------
// patching

/** The instruction libbpf writes over an unsatisfiable relocation: a call of helper 0xbad2310. */
export function poisonInstruction(meta: Instruction['meta'], reason: string): Instruction {
  return { opcode: Class.JMP | 0x80, dst: 0, src: 0, off: 0, imm: CORE_POISON_HELPER, meta: { ...meta, poisoned: reason } };
}

const SIZE_BYTES: Record<number, number> = { [Size.B]: 1, [Size.H]: 2, [Size.W]: 4, [Size.DW]: 8 };
const BYTES_SIZE: Record<number, number> = { 1: Size.B, 2: Size.H, 4: Size.W, 8: Size.DW };

/**
 * Applies a resolved relocation to the instruction at `insnIdx` (a slot index, used in messages
 * and log lines the way libbpf numbers them). Returns the replacement (two poisoned calls for a
 * poisoned `lddw`, which occupies two slots) and libbpf-style log lines.
 */
export function patchCoreInstruction(ins: Instruction, res: CoreResult, insnIdx: number, what: string): { out: Instruction[]; log: string[] } {
  const reason = `CO-RE relocation ${res.local} could not be applied: ${res.unsatisfied ?? 'the field changed size or signedness'}`;
  const poison = (): { out: Instruction[]; log: string[] } => {
    if (ins.opcode === 0x18) {
      return {
        out: [poisonInstruction(ins.meta, reason), poisonInstruction(undefined, reason)],
        log: [`substituting insn #${insnIdx + 1} w/ invalid insn`, `substituting insn #${insnIdx} w/ invalid insn`],
      };
    }
    return { out: [poisonInstruction(ins.meta, reason)], log: [`substituting insn #${insnIdx} w/ invalid insn`] };
  };
  if (res.poison) return poison();
  const cls = ins.opcode & 7;
  const orig = res.origValue;
  const next = res.newValue;
  switch (cls) {
    case Class.ALU:
    case Class.ALU64: {
      if ((ins.opcode & Source.X) !== 0) badInput(`${what}: insn #${insnIdx} (ALU/ALU64) uses a register operand, not an immediate`);
      const have = BigInt.asUintN(64, BigInt(ins.imm));
      if (res.validate && have !== orig) badInput(`${what}: unexpected insn #${insnIdx} (ALU/ALU64) value: got ${ins.imm >>> 0}, exp ${orig} -> ${next}`);
      const out = { ...ins, imm: Number(BigInt.asIntN(32, next)) };
      return { out: [out], log: [`patched insn #${insnIdx} (ALU/ALU64) imm ${have} -> ${next}`] };
    }
    case Class.LDX:
    case Class.ST:
    case Class.STX: {
      if (res.validate && BigInt(ins.off) !== orig) badInput(`${what}: unexpected insn #${insnIdx} (LDX/ST/STX) value: got ${ins.off}, exp ${orig} -> ${next}`);
      if (next > 0x7fffn) badInput(`${what}: insn #${insnIdx} (LDX/ST/STX) value too big: ${next}`);
      if (res.failMemSizeAdjust) return poison();
      const out: Instruction = { ...ins, off: Number(next) };
      // libbpf prints the old offset widened to an unsigned 64-bit number
      const log = [`patched insn #${insnIdx} (LDX/ST/STX) off ${BigInt.asUintN(64, BigInt(ins.off))} -> ${next}`];
      if (res.newSize !== res.origSize) {
        const have = SIZE_BYTES[ins.opcode & 0x18]!;
        if (have !== res.origSize) badInput(`${what}: insn #${insnIdx} (LDX/ST/STX) unexpected mem size: got ${have}, exp ${res.origSize}`);
        const size = BYTES_SIZE[res.newSize];
        if (size === undefined) badInput(`${what}: insn #${insnIdx} (LDX/ST/STX) invalid new mem size: ${res.newSize}`);
        out.opcode = (ins.opcode & ~0x18) | size;
        log.push(`patched insn #${insnIdx} (LDX/ST/STX) mem_sz ${res.origSize} -> ${res.newSize}`);
      }
      return { out: [out], log };
    }
    case Class.LD: {
      if (ins.opcode !== 0x18 || ins.src !== 0 || ins.off !== 0) badInput(`${what}: insn #${insnIdx} (LDIMM64) has unexpected form`);
      const have = (BigInt((ins.immHi ?? 0) >>> 0) << 32n) | BigInt(ins.imm >>> 0);
      if (res.validate && have !== orig) badInput(`${what}: insn #${insnIdx} (LDIMM64) unexpected imm: got ${have}, exp ${orig} -> ${next}`);
      const out = { ...ins, imm: Number(BigInt.asIntN(32, next)), immHi: Number(BigInt.asIntN(32, next >> 32n)) };
      return { out: [out], log: [`patched insn #${insnIdx} (LDIMM64) imm64 ${have} -> ${next}`] };
    }
    default:
      badInput(`${what}: trying to relocate unrecognized insn #${insnIdx}, code:0x${ins.opcode.toString(16)}`);
  }
}
