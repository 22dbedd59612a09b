import type { Btf } from '../../btf/btf.js';
import { describe, enumValue, findMemberPath, resolveType, sizeof } from '../../btf/btf.js';
import type { BtfAnyType, BtfMember } from '../../btf/types.js';
import { BpfkitError, ErrorCode } from '../../errors.js';

/**
 * What a test may give for a field of a kernel object built from BTF: a number/bigint/boolean for
 * integers (an enumerator's name for enums), a string for a char array or a `char *`, an array for
 * arrays, a plain object for an embedded struct or union (fields by name) or for a pointer to one
 * (a new object of the pointee's type is placed in kernel memory), an existing {@link KernelObject}
 * or an address for a pointer, `null` for a NULL pointer.
 */
export type KernelValue = number | bigint | boolean | string | null | KernelObject | readonly KernelValue[] | KernelFields;

/** Fields of a struct or union, by name (members of anonymous structs and unions by their own names). */
export interface KernelFields {
  readonly [field: string]: KernelValue;
}

/** An object placed in the simulated kernel's memory: its type and address. */
export class KernelObject {
  constructor(
    /** The BTF type id. */
    readonly typeId: number,
    /** `struct task_struct`, for messages. */
    readonly typeName: string,
    /** The address programs see (as a pointer argument or a field of another object). */
    readonly address: bigint,
    readonly size: number,
  ) {}
}

/** Places a nested object (a pointer field given as fields, a string behind a `char *`). */
export interface ObjectPlacer {
  place(typeId: number, fields: KernelValue, path: string): bigint;
  string(text: string): bigint;
}

function bad(path: string, message: string): never {
  throw new BpfkitError(ErrorCode.Usage, `kernel object ${path}: ${message}`);
}

const isPlainObject = (v: unknown): v is KernelFields =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof KernelObject);

function toBigInt(v: KernelValue, path: string): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'boolean') return v ? 1n : 0n;
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) bad(path, `${v} is not an integer`);
    return BigInt(v);
  }
  if (v === null) return 0n;
  if (v instanceof KernelObject) return v.address;
  return bad(path, `expected a number, not ${JSON.stringify(v)}`);
}

function writeInt(dv: DataView, at: number, size: number, value: bigint, little: boolean): void {
  const v = BigInt.asUintN(size * 8, value);
  for (let i = 0; i < size; i++) {
    const byte = Number((v >> BigInt(8 * i)) & 0xffn);
    dv.setUint8(little ? at + i : at + size - 1 - i, byte);
  }
}

/** Writes `value` as a value of type `typeId` at byte `at` of `dv` (zero-filled beforehand). */
export function writeValue(btf: Btf, typeId: number, value: KernelValue, dv: DataView, at: number, placer: ObjectPlacer, path: string): void {
  const t = resolveType(btf, typeId);
  const little = btf.endian === 'little';
  switch (t.kind) {
    case 'INT':
      writeInt(dv, at, t.size, toBigInt(value, path), little);
      return;
    case 'ENUM':
    case 'ENUM64': {
      if (typeof value === 'string') {
        const e = t.values.find((x) => x.name === value);
        if (e === undefined) bad(path, `'${value}' is not an enumerator of ${describe(btf, t.id)} (${t.values.map((x) => x.name).join(', ')})`);
        writeInt(dv, at, t.size, enumValue(t.signed, t.kind, e), little);
      } else writeInt(dv, at, t.size, toBigInt(value, path), little);
      return;
    }
    case 'PTR': {
      if (typeof value === 'string') {
        const target = resolveType(btf, t.type);
        if (target.kind !== 'INT' || target.size !== 1) bad(path, `a string for a pointer to ${describe(btf, t.type)}`);
        writeInt(dv, at, 8, placer.string(value), little);
      } else if (isPlainObject(value)) {
        writeInt(dv, at, 8, placer.place(t.type, value, path), little);
      } else writeInt(dv, at, 8, toBigInt(value, path), little);
      return;
    }
    case 'ARRAY': {
      const elemSize = sizeof(btf, t.type);
      const elem = resolveType(btf, t.type);
      if (typeof value === 'string') {
        if (elem.kind !== 'INT' || elem.size !== 1) bad(path, `a string for an array of ${describe(btf, t.type)}`);
        const bytes = new TextEncoder().encode(value);
        // As the kernel keeps names: NUL-terminated, truncated to fit.
        const n = Math.min(bytes.length, t.nelems - 1);
        for (let i = 0; i < n; i++) dv.setUint8(at + i, bytes[i]!);
        return;
      }
      if (!Array.isArray(value)) bad(path, `expected an array of ${t.nelems} ${describe(btf, t.type)}`);
      const list = value as readonly KernelValue[];
      if (list.length > t.nelems) bad(path, `${list.length} elements for an array of ${t.nelems}`);
      list.forEach((v, i) => writeValue(btf, t.type, v, dv, at + i * elemSize, placer, `${path}[${i}]`));
      return;
    }
    case 'STRUCT':
    case 'UNION': {
      if (!isPlainObject(value)) bad(path, `expected the fields of ${describe(btf, t.id)} as an object`);
      for (const [name, v] of Object.entries(value)) writeField(btf, t, name, v, dv, at, placer, path);
      return;
    }
    case 'FLOAT':
      if (typeof value !== 'number') bad(path, 'expected a number');
      if (t.size === 8) dv.setFloat64(at, value, little);
      else if (t.size === 4) dv.setFloat32(at, value, little);
      else bad(path, `a ${t.size}-byte float`);
      return;
    default:
      bad(path, `cannot set a value of ${describe(btf, typeId)} (${t.kind})`);
  }
}

function writeField(btf: Btf, t: BtfAnyType, name: string, v: KernelValue, dv: DataView, at: number, placer: ObjectPlacer, path: string): void {
  const found = findMemberPath(btf, t.id, name);
  if (found === undefined) {
    const names = t.kind === 'STRUCT' || t.kind === 'UNION' ? t.members.map((m) => m.name || '(anon)').slice(0, 40).join(', ') : '';
    bad(`${path}.${name}`, `${describe(btf, t.id)} has no field '${name}' (fields: ${names})`);
  }
  const m: BtfMember = found.member;
  const fieldPath = `${path}.${name}`;
  if (m.bitfieldSize > 0) {
    writeBitfield(btf, dv, at, found.bitsOffset, m.bitfieldSize, toBigInt(v, fieldPath));
    return;
  }
  if (found.bitsOffset % 8 !== 0) bad(fieldPath, 'a field that is not byte-aligned');
  writeValue(btf, m.type, v, dv, at + found.bitsOffset / 8, placer, fieldPath);
}

function writeBitfield(btf: Btf, dv: DataView, at: number, bitOffset: number, bits: number, value: bigint): void {
  const v = BigInt.asUintN(bits, value);
  const little = btf.endian === 'little';
  for (let i = 0; i < bits; i++) {
    const bit = bitOffset + i;
    const byte = at + Math.floor(bit / 8);
    // Little-endian bitfields fill from the low bit of the first byte and take the value's low bit
    // first; big-endian ones from the high bit, the value's high bit first.
    const shift = little ? bit % 8 : 7 - (bit % 8);
    const from = little ? i : bits - 1 - i;
    const set = ((v >> BigInt(from)) & 1n) === 1n;
    const old = dv.getUint8(byte);
    dv.setUint8(byte, set ? old | (1 << shift) : old & ~(1 << shift));
  }
}
