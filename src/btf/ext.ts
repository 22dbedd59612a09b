import { BpfkitError, ErrorCode } from '../errors.js';
import { badInput, ByteReader, cString, hex } from '../elf/reader.js';
import type { Btf } from './btf.js';
import { BTF_EXT_HEADER_SIZE_CORE, BTF_EXT_HEADER_SIZE_V1 } from './kinds.js';
import { btfByteOrder } from './parse.js';

/** `bpf_func_info`: a function starts at `insnOff` (bytes into its ELF section) with FUNC `typeId`. */
export interface FuncInfo {
  insnOff: number;
  typeId: number;
}

/** `bpf_line_info`: the instruction at `insnOff` (bytes) comes from this place in the source. */
export interface LineInfo {
  insnOff: number;
  file: string;
  /** The source line's text, as clang stored it. */
  text: string;
  line: number;
  column: number;
}

/** `bpf_core_relo`: patch the instruction at `insnOff` with `kind` of the access `accessStr` on `typeId`. */
export interface CoreRelo {
  insnOff: number;
  typeId: number;
  /** Colon-separated indexes, e.g. `0:3` (member 3 of element 0). */
  accessStr: string;
  kind: number;
}

/** Records of one kind, grouped by the ELF section they describe. */
export type ExtRecords<T> = Map<string, T[]>;

/** A parsed `.BTF.ext` section. */
export interface BtfExt {
  funcInfo: ExtRecords<FuncInfo>;
  lineInfo: ExtRecords<LineInfo>;
  coreRelos: ExtRecords<CoreRelo>;
}

const count = <T>(m: ExtRecords<T>): number => {
  let n = 0;
  for (const v of m.values()) n += v.length;
  return n;
};
export const extCounts = (ext: BtfExt): { funcInfos: number; lineInfos: number; coreRelocations: number } => ({
  funcInfos: count(ext.funcInfo),
  lineInfos: count(ext.lineInfo),
  coreRelocations: count(ext.coreRelos),
});

/**
 * Parses `.BTF.ext`. Its strings (section names, file names, source lines, access strings)
 * live in the `.BTF` string section, hence `btf`. Offsets stay in bytes, as in the object file.
 */
export function parseBtfExt(bytes: Uint8Array, btf: Btf): BtfExt {
  try {
    return parseChecked(bytes, btf);
  } catch (e) {
    if (e instanceof BpfkitError) throw e;
    throw new BpfkitError(ErrorCode.BadInput, `malformed BTF.ext: ${(e as Error).message}`, { cause: e });
  }
}

function parseChecked(bytes: Uint8Array, btf: Btf): BtfExt {
  const little = btfByteOrder(bytes, 'BTF.ext header');
  const r = new ByteReader(bytes, little);
  const version = r.u8(2, 'BTF.ext header: version');
  if (version !== 1) badInput(`BTF.ext header: version ${version} is not 1`);
  const hdrLen = r.u32(4, 'BTF.ext header: hdr_len');
  if (hdrLen < BTF_EXT_HEADER_SIZE_V1 || hdrLen > bytes.length) {
    badInput(`BTF.ext header: hdr_len ${hdrLen} is not between ${BTF_EXT_HEADER_SIZE_V1} and the data size ${bytes.length}`);
  }
  // Line info repeats file names and source lines thousands of times: read each string once.
  const cache = new Map<number, string>();
  const str = (off: number, what: string): string => {
    let v = cache.get(off);
    if (v === undefined) {
      v = cString(btf.strings, off, what, 'the BTF string section');
      cache.set(off, v);
    }
    return v;
  };
  const body = bytes.subarray(hdrLen);
  const sub = (offField: number, name: string): Uint8Array => {
    const off = r.u32(offField, `BTF.ext header: ${name}_off`);
    const len = r.u32(offField + 4, `BTF.ext header: ${name}_len`);
    if (off + len > body.length) badInput(`BTF.ext header: ${name} ${hex(off)} + ${hex(len)} past end of data (${hex(body.length)} bytes after the header)`);
    return body.subarray(off, off + len);
  };

  const funcInfo = readInfoSections(sub(8, 'func_info'), little, 'func_info', 8, str, (v, at) => ({
    insnOff: v.getUint32(at, little),
    typeId: v.getUint32(at + 4, little),
  }));
  const lineInfo = readInfoSections(sub(16, 'line_info'), little, 'line_info', 16, str, (v, at) => {
    const lineCol = v.getUint32(at + 12, little);
    return {
      insnOff: v.getUint32(at, little),
      file: str(v.getUint32(at + 4, little), 'file name'),
      text: str(v.getUint32(at + 8, little), 'line text'),
      line: lineCol >>> 10,
      column: lineCol & 0x3ff,
    };
  });
  const coreRelos =
    hdrLen >= BTF_EXT_HEADER_SIZE_CORE
      ? readInfoSections(sub(24, 'core_relo'), little, 'core_relo', 16, str, (v, at) => ({
          insnOff: v.getUint32(at, little),
          typeId: v.getUint32(at + 4, little),
          accessStr: str(v.getUint32(at + 8, little), 'access string'),
          kind: v.getUint32(at + 12, little),
        }))
      : new Map<string, CoreRelo[]>();
  return { funcInfo, lineInfo, coreRelos };
}

/**
 * One info block: a record size, then per ELF section `{sec_name_off, num_info, records...}`.
 * Records may be longer than we know (newer producers); shorter is malformed.
 */
function readInfoSections<T>(
  data: Uint8Array,
  little: boolean,
  name: string,
  minRecord: number,
  str: (off: number, what: string) => string,
  read: (v: DataView, at: number) => T,
): ExtRecords<T> {
  const out: ExtRecords<T> = new Map();
  if (data.length === 0) return out;
  const r = new ByteReader(data, little);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const recSize = r.u32(0, `BTF.ext ${name}: record size`);
  if (recSize < minRecord || recSize > 1024) badInput(`BTF.ext ${name}: record size ${recSize} is not between ${minRecord} and 1024`);
  let at = 4;
  while (at < data.length) {
    const where = `BTF.ext ${name} at offset ${hex(at)}`;
    const section = str(r.u32(at, `${where}: section name`), `${where}: section name`);
    const n = r.u32(at + 4, `${where}: record count`);
    at += 8;
    // one bounds check for the whole block; records are then read without one each
    r.need(at, n * recSize, `BTF.ext ${name} for section ${section}: ${n} records of ${recSize} bytes`);
    const list = out.get(section) ?? [];
    let i = 0;
    try {
      for (; i < n; i++, at += recSize) list.push(read(view, at));
    } catch (e) {
      // the record's place is added only when a record is bad, not built for every record
      if (e instanceof BpfkitError) throw new BpfkitError(e.code, `BTF.ext ${name} for section ${section}, record ${i}: ${e.message}`, { cause: e });
      throw e;
    }
    out.set(section, list);
  }
  return out;
}
