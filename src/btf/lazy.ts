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
  private hashIndex: Map<number, number[]> | undefined;

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
    return this.essentialIds(essentialOf(name))
      .map((id) => this.types[id] as BtfType)
      .filter((t) => t.name === name);
  }

  /**
   * Ids of the types whose essential name (libbpf's: without a `___flavor` suffix) is `essential`:
   * CO-RE's candidates. The index hashes each name's bytes in the string section, so building it
   * makes no strings (~20 ms for vmlinux) and a look-up decodes only the types it finds.
   */
  essentialIds(essential: string): number[] {
    this.hashIndex ??= this.buildHashIndex();
    const bytes = new TextEncoder().encode(essential);
    let h = FNV_OFFSET;
    for (const c of bytes) h = Math.imul(h ^ c, FNV_PRIME);
    const out: number[] = [];
    for (const id of this.hashIndex.get(h >>> 0) ?? []) {
      const t = this.types[id]!;
      if (t.kind !== 'VOID' && t.name !== '' && essentialOf(t.name) === essential) out.push(id);
    }
    return out;
  }

  private buildHashIndex(): Map<number, number[]> {
    const index = new Map<number, number[]>();
    const s = this.strings;
    const offs = this.nameOffs;
    for (let id = 1; id < offs.length; id++) {
      const off = offs[id]!;
      if (off === 0) continue;
      const end = s.indexOf(0, off);
      let len = end - off;
      // libbpf's bpf_core_essential_name_len: cut at the last "___" between non-underscores
      for (let i = end - 5; i >= off; i--) {
        if (s[i] !== 0x5f && s[i + 1] === 0x5f && s[i + 2] === 0x5f && s[i + 3] === 0x5f && s[i + 4] !== 0x5f) {
          len = i + 1 - off;
          break;
        }
      }
      let h = FNV_OFFSET;
      for (let i = off; i < off + len; i++) h = Math.imul(h ^ s[i]!, FNV_PRIME);
      const key = h >>> 0;
      const list = index.get(key);
      if (list) list.push(id);
      else index.set(key, [id]);
    }
    return index;
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

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** libbpf's essential name: without the last `___flavor` suffix. */
function essentialOf(name: string): string {
  for (let i = name.length - 5; i >= 0; i--) {
    if (name[i] !== '_' && name[i + 1] === '_' && name[i + 2] === '_' && name[i + 3] === '_' && name[i + 4] !== '_') return name.slice(0, i + 1);
  }
  return name;
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
