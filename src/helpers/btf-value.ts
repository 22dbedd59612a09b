import { resolveType, sizeof, type Btf } from '../btf/index.js';
import { BpfkitError, ErrorCode } from '../errors.js';

/**
 * Map keys and values typed through BTF, for TypeScript code that reads and writes maps:
 * integers of up to 4 bytes are numbers, wider ones bigints; `bool` is a boolean; enums are their
 * numbers; pointers are bigints; `char` arrays are strings (up to the first NUL); other arrays,
 * `unsigned char`/`__u8` ones included, are arrays; structs and unions are objects by member name
 * (anonymous members' fields merged in); a DATASEC (global data) is an object by variable name.
 * Encoding starts from zeroes, so a partial object sets only the fields it names.
 */
export type BtfValue = number | bigint | boolean | string | BtfValue[] | { [field: string]: BtfValue };

const bad = (msg: string): never => {
  throw new BpfkitError(ErrorCode.Usage, msg);
};

/** Plain `char` arrays hold text; `__u8`/`unsigned char` arrays (MAC addresses...) stay arrays of numbers. */
function isChar(btf: Btf, id: number): boolean {
  const t = resolveType(btf, id);
  return t.kind === 'INT' && t.size === 1 && t.name === 'char';
}

function readInt(dv: DataView, off: number, size: number, signed: boolean): number | bigint {
  switch (size) {
    case 1:
      return signed ? dv.getInt8(off) : dv.getUint8(off);
    case 2:
      return signed ? dv.getInt16(off, true) : dv.getUint16(off, true);
    case 4:
      return signed ? dv.getInt32(off, true) : dv.getUint32(off, true);
    case 8:
      return signed ? dv.getBigInt64(off, true) : dv.getBigUint64(off, true);
    default: {
      let v = 0n;
      for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(dv.getUint8(off + i));
      return signed ? BigInt.asIntN(size * 8, v) : v;
    }
  }
}

function writeInt(dv: DataView, off: number, size: number, v: bigint): void {
  for (let i = 0; i < size; i++) dv.setUint8(off + i, Number((v >> BigInt(8 * i)) & 0xffn));
}

function toBig(v: BtfValue, what: string): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  if (typeof v === 'boolean') return v ? 1n : 0n;
  return bad(`${what}: expected an integer, got ${JSON.stringify(typeof v === 'object' ? 'an object' : v)}`);
}

/** Decodes a value of BTF type `id` from `bytes` (at `off`). */
export function decodeValue(btf: Btf, id: number, bytes: Uint8Array, off = 0): BtfValue {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return decode(btf, id, dv, off, 0, 0);
}

function decode(btf: Btf, id: number, dv: DataView, off: number, bitOff: number, bitSize: number): BtfValue {
  const t = resolveType(btf, id);
  switch (t.kind) {
    case 'INT':
    case 'ENUM':
    case 'ENUM64': {
      const signed = t.kind === 'INT' ? (t.encoding & 1) !== 0 : t.signed;
      if (bitSize > 0) {
        const raw = readInt(dv, off, t.size, false);
        const big = BigInt(raw);
        let v = (big >> BigInt(bitOff)) & ((1n << BigInt(bitSize)) - 1n);
        if (signed) v = BigInt.asIntN(bitSize, v);
        return t.size <= 4 ? Number(v) : v;
      }
      if (t.kind === 'INT' && t.encoding & 4) return dv.getUint8(off) !== 0;
      return readInt(dv, off, t.size, signed);
    }
    case 'PTR':
      return dv.getBigUint64(off, true);
    case 'FLOAT':
      return t.size === 4 ? dv.getFloat32(off, true) : dv.getFloat64(off, true);
    case 'ARRAY': {
      const elem = sizeof(btf, t.type);
      if (isChar(btf, t.type)) {
        let s = '';
        for (let i = 0; i < t.nelems; i++) {
          const c = dv.getUint8(off + i);
          if (c === 0) break;
          s += String.fromCharCode(c);
        }
        return s;
      }
      return Array.from({ length: t.nelems }, (_, i) => decode(btf, t.type, dv, off + i * elem, 0, 0));
    }
    case 'STRUCT':
    case 'UNION': {
      const out: { [k: string]: BtfValue } = {};
      for (const m of t.members) {
        let v: BtfValue;
        if (m.bitfieldSize > 0) {
          // A bitfield is read from the aligned unit of its type that holds it.
          const size = sizeof(btf, m.type);
          const unit = Math.floor(m.bitsOffset / (8 * size)) * size;
          v = decode(btf, m.type, dv, off + unit, m.bitsOffset - unit * 8, m.bitfieldSize);
        } else {
          v = decode(btf, m.type, dv, off + Math.floor(m.bitsOffset / 8), 0, 0);
        }
        if (m.name === '' && typeof v === 'object' && !Array.isArray(v)) Object.assign(out, v);
        else out[m.name] = v;
      }
      return out;
    }
    case 'DATASEC': {
      const out: { [k: string]: BtfValue } = {};
      for (const v of t.vars) {
        const vt = btf.type(v.type);
        if (vt.kind !== 'VAR') continue;
        out[vt.name] = decode(btf, vt.type, dv, off + v.offset, 0, 0);
      }
      return out;
    }
    default:
      return bad(`cannot decode a BTF ${t.kind} value`);
  }
}

/** Encodes `value` as BTF type `id` into a new zeroed buffer of the type's size (or into `into`). */
export function encodeValue(btf: Btf, id: number, value: BtfValue, into?: Uint8Array): Uint8Array {
  const out = into ?? new Uint8Array(sizeof(btf, id));
  encode(btf, id, value, new DataView(out.buffer, out.byteOffset, out.byteLength), 0, 0, 0, 'value');
  return out;
}

function encode(btf: Btf, id: number, value: BtfValue, dv: DataView, off: number, bitOff: number, bitSize: number, what: string): void {
  const t = resolveType(btf, id);
  switch (t.kind) {
    case 'INT':
    case 'ENUM':
    case 'ENUM64': {
      const v = toBig(value, what);
      if (bitSize > 0) {
        const mask = ((1n << BigInt(bitSize)) - 1n) << BigInt(bitOff);
        const cur = BigInt(readInt(dv, off, t.size, false));
        writeInt(dv, off, t.size, (cur & ~mask) | ((v << BigInt(bitOff)) & mask));
        return;
      }
      writeInt(dv, off, t.size, BigInt.asUintN(t.size * 8, v));
      return;
    }
    case 'PTR':
      dv.setBigUint64(off, BigInt.asUintN(64, toBig(value, what)), true);
      return;
    case 'FLOAT':
      if (typeof value !== 'number') bad(`${what}: expected a number`);
      if (t.size === 4) dv.setFloat32(off, value as number, true);
      else dv.setFloat64(off, value as number, true);
      return;
    case 'ARRAY': {
      const elem = sizeof(btf, t.type);
      if (typeof value === 'string') {
        if (!isChar(btf, t.type)) bad(`${what}: a string only fits a char array`);
        for (let i = 0; i < t.nelems; i++) dv.setUint8(off + i, i < value.length ? value.charCodeAt(i) & 0xff : 0);
        return;
      }
      if (!Array.isArray(value)) return void bad(`${what}: expected an array`);
      value.slice(0, t.nelems).forEach((v, i) => encode(btf, t.type, v, dv, off + i * elem, 0, 0, `${what}[${i}]`));
      return;
    }
    case 'STRUCT':
    case 'UNION': {
      if (typeof value !== 'object' || Array.isArray(value)) return void bad(`${what}: expected an object`);
      const obj = value as { [k: string]: BtfValue };
      for (const m of t.members) {
        if (m.name === '') {
          encode(btf, m.type, obj, dv, off + Math.floor(m.bitsOffset / 8), 0, 0, what);
          continue;
        }
        const v = obj[m.name];
        if (v === undefined) continue;
        if (m.bitfieldSize > 0) {
          const size = sizeof(btf, m.type);
          const unit = Math.floor(m.bitsOffset / (8 * size)) * size;
          encode(btf, m.type, v, dv, off + unit, m.bitsOffset - unit * 8, m.bitfieldSize, `${what}.${m.name}`);
        } else {
          encode(btf, m.type, v, dv, off + Math.floor(m.bitsOffset / 8), 0, 0, `${what}.${m.name}`);
        }
      }
      return;
    }
    case 'DATASEC': {
      if (typeof value !== 'object' || Array.isArray(value)) return void bad(`${what}: expected an object of variables`);
      const obj = value as { [k: string]: BtfValue };
      for (const v of t.vars) {
        const vt = btf.type(v.type);
        if (vt.kind !== 'VAR' || obj[vt.name] === undefined) continue;
        encode(btf, vt.type, obj[vt.name]!, dv, off + v.offset, 0, 0, vt.name);
      }
      return;
    }
    default:
      bad(`${what}: cannot encode a BTF ${t.kind} value`);
  }
}
