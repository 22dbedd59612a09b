import { BpfkitError, ErrorCode } from '../errors.js';
import { badInput, ByteReader, cString, hex } from '../elf/reader.js';
import { Btf } from './btf.js';
import { BTF_HEADER_SIZE, BTF_MAGIC, BTF_TYPE_SIZE, BTF_VERSION, kindName } from './kinds.js';
import type { BtfAnyType, BtfEnumValue, BtfType } from './types.js';

/** The `struct btf_header` fields. */
export interface BtfHeader {
  little: boolean;
  version: number;
  flags: number;
  hdrLen: number;
  typeOff: number;
  typeLen: number;
  strOff: number;
  strLen: number;
}

/** Reads the magic to learn the byte order: BTF is written in the producer's order. */
export function btfByteOrder(bytes: Uint8Array, what: string): boolean {
  if (bytes.length < 2) badInput(`${what}: ${bytes.length} bytes, too short for a header`);
  const le = bytes[0]! | (bytes[1]! << 8);
  if (le === BTF_MAGIC) return true;
  if (((bytes[0]! << 8) | bytes[1]!) === BTF_MAGIC) return false;
  badInput(`${what}: bad magic 0x${le.toString(16).padStart(4, '0')} (expected 0xeb9f in either byte order)`);
}

export function readBtfHeader(bytes: Uint8Array): BtfHeader {
  const little = btfByteOrder(bytes, 'BTF header');
  const r = new ByteReader(bytes, little);
  const version = r.u8(2, 'BTF header: version');
  if (version !== BTF_VERSION) badInput(`BTF header: version ${version} is not ${BTF_VERSION}`);
  const hdrLen = r.u32(4, 'BTF header: hdr_len');
  if (hdrLen < BTF_HEADER_SIZE || hdrLen > bytes.length) {
    badInput(`BTF header: hdr_len ${hdrLen} is not between ${BTF_HEADER_SIZE} and the data size ${bytes.length}`);
  }
  const h: BtfHeader = {
    little,
    version,
    flags: r.u8(3, 'BTF header: flags'),
    hdrLen,
    typeOff: r.u32(8, 'BTF header: type_off'),
    typeLen: r.u32(12, 'BTF header: type_len'),
    strOff: r.u32(16, 'BTF header: str_off'),
    strLen: r.u32(20, 'BTF header: str_len'),
  };
  const body = bytes.length - hdrLen;
  if (h.typeOff + h.typeLen > body) {
    badInput(`BTF header: type section ${hex(h.typeOff)} + ${hex(h.typeLen)} past end of data (${hex(body)} bytes after the header)`);
  }
  if (h.strOff + h.strLen > body) {
    badInput(`BTF header: string section ${hex(h.strOff)} + ${hex(h.strLen)} past end of data (${hex(body)} bytes after the header)`);
  }
  if (h.typeOff % 4 !== 0) badInput(`BTF header: type_off ${hex(h.typeOff)} is not 4-byte aligned`);
  if (h.typeOff < h.strOff + h.strLen && h.strOff < h.typeOff + h.typeLen) badInput('BTF header: type and string sections overlap');
  return h;
}

/**
 * Parses a `.BTF` section or a raw BTF file such as `/sys/kernel/btf/vmlinux`, in either byte
 * order. Every type id and string offset is checked, so the returned graph can be walked
 * without further range checks.
 */
export function parseBtf(bytes: Uint8Array): Btf {
  try {
    return parseChecked(bytes);
  } catch (e) {
    if (e instanceof BpfkitError) throw e;
    throw new BpfkitError(ErrorCode.BadInput, `malformed BTF: ${(e as Error).message}`, { cause: e });
  }
}

function parseChecked(bytes: Uint8Array): Btf {
  const h = readBtfHeader(bytes);
  const strings = bytes.subarray(h.hdrLen + h.strOff, h.hdrLen + h.strOff + h.strLen);
  if (strings.length === 0 || strings[0] !== 0) badInput('BTF string section: must start with an empty string');
  if (strings[strings.length - 1] !== 0) badInput('BTF string section: last string is not NUL-terminated');
  const r = new ByteReader(bytes.subarray(h.hdrLen + h.typeOff, h.hdrLen + h.typeOff + h.typeLen), h.little);
  const str = (off: number, what: string): string => cString(strings, off, what, 'the BTF string section');

  const types: BtfAnyType[] = [{ id: 0, kind: 'VOID', name: '' }];
  let at = 0;
  while (at < r.length) {
    const { type, next } = decodeType(r, at, types.length, str);
    types.push(type);
    at = next;
  }
  checkReferences(types);
  return new Btf(h.little ? 'little' : 'big', types, strings);
}

/** Reads a string of the string section at an offset, naming what asked in errors. */
export type BtfStringReader = (off: number, what: string) => string;

/** Bytes a type's record takes after its 12-byte common header (from its kind and vlen). */
export function typeRecordExtra(kindNo: number, vlen: number): number {
  switch (kindNo) {
    case 1: // INT
    case 14: // VAR
    case 17: // DECL_TAG
      return 4;
    case 3: // ARRAY
      return 12;
    case 4: // STRUCT
    case 5: // UNION
    case 15: // DATASEC
    case 19: // ENUM64
      return vlen * 12;
    case 6: // ENUM
    case 13: // FUNC_PROTO
      return vlen * 8;
    default:
      return 0;
  }
}

/** Decodes the type record at `at` of the type section as type `id`; returns it and where the next starts. */
export function decodeType(r: ByteReader, at: number, id: number, str: BtfStringReader): { type: BtfType; next: number } {
  const where = `BTF type [${id}] at type-section offset ${hex(at)}`;
  r.need(at, BTF_TYPE_SIZE, where);
  const nameOff = r.u32(at, where);
  const info = r.u32(at + 4, where);
  const sizeOrType = r.u32(at + 8, where);
  const vlen = info & 0xffff;
  const kindNo = (info >>> 24) & 0x1f;
  const kflag = info >>> 31 === 1;
  const kind = kindName(kindNo);
  if (kind === undefined) badInput(`${where}: unknown kind ${kindNo}`);
  const what = `BTF type [${id}] ${kind}`;
  const name = str(nameOff, `${what}: name`);
  let p = at + BTF_TYPE_SIZE;
  let t: BtfType;
  switch (kind) {
    case 'INT': {
      const v = r.u32(p, `${what}: encoding`);
      p += 4;
      t = { id, kind, name, size: sizeOrType, encoding: (v >>> 24) & 0xf, bitsOffset: (v >>> 16) & 0xff, bits: v & 0xff };
      break;
    }
    case 'PTR':
    case 'TYPEDEF':
    case 'VOLATILE':
    case 'CONST':
    case 'RESTRICT':
    case 'TYPE_TAG':
      t = { id, kind, name, type: sizeOrType };
      break;
    case 'ARRAY':
      t = { id, kind, name, type: r.u32(p, `${what}: type`), indexType: r.u32(p + 4, `${what}: index_type`), nelems: r.u32(p + 8, `${what}: nelems`) };
      p += 12;
      break;
    case 'STRUCT':
    case 'UNION': {
      r.need(p, vlen * 12, `${what}: ${vlen} members`);
      const members = [];
      for (let i = 0; i < vlen; i++, p += 12) {
        const off = r.u32(p + 8, `${what}: member ${i}`);
        members.push({
          name: str(r.u32(p, `${what}: member ${i}`), `${what}: member ${i} name`),
          type: r.u32(p + 4, `${what}: member ${i}`),
          bitsOffset: kflag ? off & 0xffffff : off,
          bitfieldSize: kflag ? off >>> 24 : 0,
        });
      }
      t = { id, kind, name, size: sizeOrType, kindFlag: kflag, members };
      break;
    }
    case 'ENUM':
    case 'ENUM64': {
      const rec = kind === 'ENUM' ? 8 : 12;
      r.need(p, vlen * rec, `${what}: ${vlen} values`);
      const values: BtfEnumValue[] = [];
      for (let i = 0; i < vlen; i++, p += rec) {
        const lo = r.u32(p + 4, `${what}: value ${i}`);
        const hi = kind === 'ENUM64' ? r.u32(p + 8, `${what}: value ${i}`) : kflag && lo & 0x80000000 ? 0xffffffff : 0;
        values.push({ name: str(r.u32(p, `${what}: value ${i}`), `${what}: value ${i} name`), lo, hi });
      }
      t = { id, kind, name, size: sizeOrType, signed: kflag, values } as BtfType;
      break;
    }
    case 'FWD':
      t = { id, kind, name, union: kflag };
      break;
    case 'FUNC':
      t = { id, kind, name, type: sizeOrType, linkage: vlen };
      break;
    case 'FUNC_PROTO': {
      r.need(p, vlen * 8, `${what}: ${vlen} parameters`);
      const params = [];
      for (let i = 0; i < vlen; i++, p += 8) {
        params.push({ name: str(r.u32(p, `${what}: parameter ${i}`), `${what}: parameter ${i} name`), type: r.u32(p + 4, `${what}: parameter ${i}`) });
      }
      t = { id, kind, name, returnType: sizeOrType, params };
      break;
    }
    case 'VAR':
      t = { id, kind, name, type: sizeOrType, linkage: r.u32(p, `${what}: linkage`) };
      p += 4;
      break;
    case 'DATASEC': {
      r.need(p, vlen * 12, `${what}: ${vlen} variables`);
      const vars = [];
      for (let i = 0; i < vlen; i++, p += 12) {
        vars.push({ type: r.u32(p, `${what}: variable ${i}`), offset: r.u32(p + 4, `${what}: variable ${i}`), size: r.u32(p + 8, `${what}: variable ${i}`) });
      }
      t = { id, kind, name, size: sizeOrType, vars };
      break;
    }
    case 'FLOAT':
      t = { id, kind, name, size: sizeOrType };
      break;
    case 'DECL_TAG':
      t = { id, kind, name, type: sizeOrType, componentIdx: r.i32(p, `${what}: component_idx`) };
      p += 4;
      break;
  }
  return { type: t, next: p };
}

/** Every type id a type mentions must exist, so later walks never meet a dangling id. */
function checkReferences(types: readonly BtfAnyType[]): void {
  const n = types.length;
  for (const t of types) checkTypeReferences(t, n);
}

/** The type ids `t` mentions are below `n`. */
export function checkTypeReferences(t: BtfAnyType, n: number): void {
  const check = (from: BtfAnyType, ref: number, field: string): void => {
    if (ref >= n) badInput(`BTF type [${from.id}] ${from.kind} '${from.name}': ${field} type id ${ref} out of range (${n - 1} types)`);
  };
  {
    switch (t.kind) {
      case 'PTR':
      case 'TYPEDEF':
      case 'VOLATILE':
      case 'CONST':
      case 'RESTRICT':
      case 'TYPE_TAG':
      case 'FUNC':
      case 'VAR':
      case 'DECL_TAG':
        check(t, t.type, 'referenced');
        break;
      case 'ARRAY':
        check(t, t.type, 'element');
        check(t, t.indexType, 'index');
        break;
      case 'STRUCT':
      case 'UNION':
        t.members.forEach((m, i) => check(t, m.type, `member ${i} '${m.name}'`));
        break;
      case 'FUNC_PROTO':
        check(t, t.returnType, 'return');
        t.params.forEach((p, i) => check(t, p.type, `parameter ${i}`));
        break;
      case 'DATASEC':
        t.vars.forEach((v, i) => check(t, v.type, `variable ${i}`));
        break;
      default:
        break;
    }
  }
}
