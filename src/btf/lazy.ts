import { BpfkitError, ErrorCode } from '../errors.js';
import { badInput, ByteReader, cString, hex } from '../elf/reader.js';
import { Btf } from './btf.js';
import { BTF_TYPE_SIZE, kindName } from './kinds.js';
import { checkTypeReferences, decodeType, readBtfHeader, typeRecordExtra } from './parse.js';
import type { BtfAnyType, BtfType } from './types.js';

/**
 * A BTF blob decoded on demand, for kernel BTF (`/sys/kernel/btf/vmlinux`: ~125,000 types, 5 MB).
 * Opening it makes one pass over the type section that records where each record starts, its
 * kind and its name offset (three typed arrays, ~1.5 MB); a type is decoded the first time it is
 * asked for, names are indexed the first time one is looked up. A program that touches a few
 * hundred kernel types so pays for those alone, not for the 65 MB object graph a full parse builds.
 */
export class LazyBtf extends Btf {
  private readonly reader: ByteReader;
  private readonly offsets: Uint32Array;
  private readonly nameOffs: Uint32Array;
  private readonly kinds: Uint8Array;
  private readonly decoded: Array<BtfAnyType | undefined>;
  private nameIndex: Map<string, number[]> | undefined;

  constructor(little: boolean, reader: ByteReader, offsets: Uint32Array, nameOffs: Uint32Array, kinds: Uint8Array, strings: Uint8Array) {
    const decoded: Array<BtfAnyType | undefined> = new Array(offsets.length);
    decoded[0] = { id: 0, kind: 'VOID', name: '' };
    // `types[id]` decodes on first use; everything that walks `types` keeps working unchanged.
    const types = new Proxy(decoded, {
      get: (target, prop, receiver) => {
        if (typeof prop === 'string') {
          const c = prop.charCodeAt(0);
          if (c >= 48 && c <= 57) {
            const id = Number(prop);
            if (Number.isInteger(id) && id < target.length) return target[id] ?? this.decode(id);
          }
        }
        return Reflect.get(target, prop, receiver) as unknown;
      },
    }) as readonly BtfAnyType[];
    super(little ? 'little' : 'big', types, strings);
    this.reader = reader;
    this.offsets = offsets;
    this.nameOffs = nameOffs;
    this.kinds = kinds;
    this.decoded = decoded;
  }

  private decode(id: number): BtfAnyType {
    const str = (off: number, what: string): string => cString(this.strings, off, what, 'the BTF string section');
    const { type } = decodeType(this.reader, this.offsets[id]!, id, str);
    checkTypeReferences(type, this.offsets.length);
    this.decoded[id] = type;
    return type;
  }

  /** Number of decoded types (for measurements). */
  get decodedCount(): number {
    let n = 0;
    for (let i = 0; i < this.decoded.length; i++) if (this.decoded[i] !== undefined) n++;
    return n;
  }

  override named(name: string): readonly BtfType[] {
    if (this.nameIndex !== undefined) return (this.nameIndex.get(name) ?? []).map((id) => this.types[id] as BtfType);
    // A few look-ups (attach targets, kfuncs) need no index: find the name's string offsets, then
    // the types whose name offset is one of them.
    const offs = this.stringOffsets(name);
    const out: BtfType[] = [];
    if (offs.length === 0) return out;
    const names = this.nameOffs;
    for (let id = 1; id < names.length; id++) {
      const o = names[id]!;
      if (o !== 0 && offs.includes(o)) out.push(this.types[id] as BtfType);
    }
    return out;
  }

  /** Offsets in the string section where `name` is a whole string (or a string's suffix, which BTF allows). */
  private stringOffsets(name: string): number[] {
    const s = this.strings;
    const needle = new Uint8Array(name.length + 1);
    for (let i = 0; i < name.length; i++) {
      const c = name.charCodeAt(i);
      if (c >= 0x80) return [...(this.buildIndexOnce().get(name) ?? [])].map((id) => this.nameOffs[id]!);
      needle[i] = c;
    }
    const out: number[] = [];
    let at = s.indexOf(needle[0]!, 1);
    while (at >= 0 && at + needle.length <= s.length) {
      let k = 0;
      while (k < needle.length && s[at + k] === needle[k]) k++;
      if (k === needle.length) out.push(at);
      at = s.indexOf(needle[0]!, at + 1);
    }
    return out;
  }

  private buildIndexOnce(): Map<string, number[]> {
    this.nameIndex ??= this.buildNameIndex();
    return this.nameIndex;
  }

  private nameAt(off: number): string {
    const s = this.strings;
    let end = off;
    let ascii = true;
    while (s[end] !== 0) if (s[end++]! >= 0x80) ascii = false;
    if (!ascii) return cString(s, off, 'BTF name', 'the BTF string section');
    // One flat string per name: a Map of 70,000 of them is built from these and hashes them all.
    return String.fromCharCode.apply(null, s.subarray(off, end) as unknown as number[]);
  }

  private buildNameIndex(): Map<string, number[]> {
    const index = new Map<string, number[]>();
    const offs = this.nameOffs;
    for (let id = 1; id < offs.length; id++) {
      const off = offs[id]!;
      if (off === 0) continue;
      const text = this.nameAt(off);
      const list = index.get(text);
      if (list) list.push(id);
      else index.set(text, [id]);
    }
    return index;
  }

  override *namedIds(): Iterable<[string, number]> {
    this.nameIndex ??= this.buildNameIndex();
    for (const [name, ids] of this.nameIndex) for (const id of ids) yield [name, id];
  }
}

/**
 * Opens a raw BTF blob for on-demand decoding (see {@link LazyBtf}). The header, the string
 * section and every record's bounds and kind are checked now; a type's references when it is decoded.
 */
export function parseBtfLazy(bytes: Uint8Array): LazyBtf {
  try {
    const h = readBtfHeader(bytes);
    const strings = bytes.subarray(h.hdrLen + h.strOff, h.hdrLen + h.strOff + h.strLen);
    if (strings.length === 0 || strings[0] !== 0) badInput('BTF string section: must start with an empty string');
    if (strings[strings.length - 1] !== 0) badInput('BTF string section: last string is not NUL-terminated');
    const r = new ByteReader(bytes.subarray(h.hdrLen + h.typeOff, h.hdrLen + h.typeOff + h.typeLen), h.little);
    // At most one type per 12 bytes: size the arrays for that, then trim.
    const max = Math.floor(r.length / BTF_TYPE_SIZE) + 1;
    const offsets = new Uint32Array(max);
    const nameOffs = new Uint32Array(max);
    const kinds = new Uint8Array(max);
    let n = 1;
    let at = 0;
    while (at < r.length) {
      const where = `BTF type [${n}] at type-section offset ${hex(at)}`;
      r.need(at, BTF_TYPE_SIZE, where);
      const nameOff = r.u32(at, where);
      const info = r.u32(at + 4, where);
      const kindNo = (info >>> 24) & 0x1f;
      if (kindName(kindNo) === undefined) badInput(`${where}: unknown kind ${kindNo}`);
      if (nameOff >= strings.length) badInput(`${where}: name offset ${hex(nameOff)} past the end of the BTF string section`);
      offsets[n] = at;
      nameOffs[n] = nameOff;
      kinds[n] = kindNo;
      at += BTF_TYPE_SIZE + typeRecordExtra(kindNo, info & 0xffff);
      if (at > r.length) badInput(`${where}: record runs past the end of the type section`);
      n++;
    }
    return new LazyBtf(h.little, r, offsets.slice(0, n), nameOffs.slice(0, n), kinds.slice(0, n), strings);
  } catch (e) {
    if (e instanceof BpfkitError) throw e;
    throw new BpfkitError(ErrorCode.BadInput, `malformed BTF: ${(e as Error).message}`, { cause: e });
  }
}
