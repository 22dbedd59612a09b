import { BpfkitError, ErrorCode } from '../errors.js';
import {
  EM_BPF,
  EM_NONE,
  ELF_HEADER_SIZE,
  ELFCLASS64,
  ELFDATA2LSB,
  ELFDATA2MSB,
  REL_SIZE,
  RELA_SIZE,
  SECTION_HEADER_SIZE,
  SHN,
  SHT,
  SYMBOL_SIZE,
} from './constants.js';
import { badInput, ByteReader, cString, hex } from './reader.js';
import type { ElfHeader, ElfRelocation, ElfRelocationSection, ElfSection, ElfSymbol } from './types.js';

/** Limits that keep a hostile header from making us allocate or loop without bound. */
const MAX_SECTIONS = 0xff00 * 4;

/**
 * A parsed ELF64 eBPF object: header, every section with its bytes and name, and the symbol
 * table. Relocation sections are decoded on request (`relocations`), since most of them
 * (`.rel.debug_*`) are of no interest to the loader.
 */
export class ElfFile {
  readonly bytes: Uint8Array;
  readonly header: ElfHeader;
  readonly sections: readonly ElfSection[];
  /** Symbols of `.symtab` (index 0 is the null symbol); empty when there is no symbol table. */
  readonly symbols: readonly ElfSymbol[];
  private readonly reader: ByteReader;
  private readonly relocationCache = new Map<number, ElfRelocationSection>();

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    const ident = readIdent(bytes);
    this.reader = new ByteReader(bytes, ident.little);
    this.header = readHeader(this.reader);
    this.sections = readSections(this.reader, this.header);
    this.symbols = readSymbols(this.reader, this.sections);
  }

  get endian(): ElfHeader['endian'] {
    return this.header.endian;
  }

  /** The first section with this name. */
  section(name: string): ElfSection | undefined {
    return this.sections.find((s) => s.name === name);
  }

  /** Checked access by index, naming who asked. */
  sectionAt(index: number, what: string): ElfSection {
    const s = this.sections[index];
    if (s === undefined || index === 0) badInput(`${what}: section index ${index} out of range (${this.sections.length} sections)`);
    return s;
  }

  /** Every SHT_REL/SHT_RELA section, decoded. */
  relocationSections(): ElfRelocationSection[] {
    return this.sections.filter((s) => s.type === SHT.REL || s.type === SHT.RELA).map((s) => this.relocations(s));
  }

  /** The relocation section that patches section `target`, if any. */
  relocationsFor(target: number): ElfRelocationSection | undefined {
    const s = this.sections.find((r) => (r.type === SHT.REL || r.type === SHT.RELA) && r.info === target);
    return s === undefined ? undefined : this.relocations(s);
  }

  /** Decodes one REL/RELA section, checking entry size and symbol indexes. */
  relocations(section: ElfSection): ElfRelocationSection {
    const cached = this.relocationCache.get(section.index);
    if (cached !== undefined) return cached;
    const rela = section.type === SHT.RELA;
    const entSize = rela ? RELA_SIZE : REL_SIZE;
    const where = `relocation section ${section.index} (${section.name})`;
    if (section.size % entSize !== 0) {
      badInput(`${where}: size ${hex(section.size)} is not a multiple of the entry size ${entSize}`);
    }
    if (section.info === 0 || section.info >= this.sections.length) {
      badInput(`${where}: sh_info ${section.info} names no section (${this.sections.length} sections)`);
    }
    const r = new ByteReader(section.data, this.reader.little);
    const entries: ElfRelocation[] = [];
    for (let at = 0; at < section.size; at += entSize) {
      const n = at / entSize;
      const offset = r.u64(at, `${where} entry ${n}: r_offset`);
      const infoLo = r.u32(at + (r.little ? 8 : 12), `${where} entry ${n}: r_info`);
      const infoHi = r.u32(at + (r.little ? 12 : 8), `${where} entry ${n}: r_info`);
      if (infoHi >= this.symbols.length) {
        badInput(`${where} entry ${n}: symbol index ${infoHi} out of range (${this.symbols.length} symbols)`);
      }
      const e: ElfRelocation = { offset, type: infoLo, symbol: infoHi };
      if (rela) e.addend = r.i64(at + 16, `${where} entry ${n}: r_addend`);
      entries.push(e);
    }
    const out: ElfRelocationSection = { section, target: section.info, entries };
    this.relocationCache.set(section.index, out);
    return out;
  }
}

/** Parses an ELF64 eBPF object; throws BpfkitError(BAD_INPUT) naming the field when malformed. */
export function parseElf(bytes: Uint8Array): ElfFile {
  try {
    return new ElfFile(bytes);
  } catch (e) {
    if (e instanceof BpfkitError) throw e;
    // A bug of ours, not a property of the input: still report it as bad input with context.
    throw new BpfkitError(ErrorCode.BadInput, `malformed ELF: ${(e as Error).message}`, { cause: e });
  }
}

function readIdent(bytes: Uint8Array): { little: boolean } {
  if (bytes.length < 16) badInput(`not an ELF file: ${bytes.length} bytes, too short for the ELF identification`);
  if (bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) {
    badInput('not an ELF file: bad magic (expected 7f 45 4c 46)');
  }
  if (bytes[4] !== ELFCLASS64) badInput(`ELF header: EI_CLASS ${bytes[4]} is not ELFCLASS64 (2); eBPF objects are 64-bit`);
  if (bytes[5] !== ELFDATA2LSB && bytes[5] !== ELFDATA2MSB) {
    badInput(`ELF header: EI_DATA ${bytes[5]} is neither little-endian (1) nor big-endian (2)`);
  }
  return { little: bytes[5] === ELFDATA2LSB };
}

function readHeader(r: ByteReader): ElfHeader {
  r.need(0, ELF_HEADER_SIZE, 'ELF header');
  const machine = r.u16(18, 'ELF header: e_machine');
  // EM_NONE: some old toolchains wrote 0; the loader accepts such an object when its relocations are BPF's
  if (machine !== EM_BPF && machine !== EM_NONE) badInput(`ELF header: e_machine ${machine} is not EM_BPF (247)`);
  const shentsize = r.u16(58, 'ELF header: e_shentsize');
  const shoff = r.u64(40, 'ELF header: e_shoff');
  let shnum = r.u16(60, 'ELF header: e_shnum');
  let shstrndx = r.u16(62, 'ELF header: e_shstrndx');
  if (shoff === 0) badInput('ELF header: e_shoff is 0, the object has no section headers');
  if (shentsize !== SECTION_HEADER_SIZE) badInput(`ELF header: e_shentsize ${shentsize} is not ${SECTION_HEADER_SIZE}`);
  // Extended numbering: counts too large for 16 bits live in section header 0.
  if (shnum === 0 || shstrndx === SHN.XINDEX) {
    r.need(shoff, SECTION_HEADER_SIZE, 'section header 0');
    if (shnum === 0) shnum = r.u64(shoff + 32, 'section header 0: sh_size (extended e_shnum)');
    if (shstrndx === SHN.XINDEX) shstrndx = r.u32(shoff + 40, 'section header 0: sh_link (extended e_shstrndx)');
  }
  if (shnum > MAX_SECTIONS) badInput(`ELF header: e_shnum ${shnum} is implausibly large`);
  if (shoff + shnum * SECTION_HEADER_SIZE > r.length) {
    badInput(
      `ELF header: section header table at ${hex(shoff)} with ${shnum} entries (${hex(shnum * SECTION_HEADER_SIZE)} bytes) past end of file (${hex(r.length)} bytes)`,
    );
  }
  if (shstrndx === 0 || shstrndx >= shnum) badInput(`ELF header: e_shstrndx ${shstrndx} out of range (${shnum} sections)`);
  return {
    endian: r.little ? 'little' : 'big',
    type: r.u16(16, 'ELF header: e_type'),
    machine,
    flags: r.u32(48, 'ELF header: e_flags'),
    shoff,
    shnum,
    shstrndx,
  };
}

function readSections(r: ByteReader, h: ElfHeader): ElfSection[] {
  const sections: ElfSection[] = [];
  const nameOffsets: number[] = [];
  for (let i = 0; i < h.shnum; i++) {
    const at = h.shoff + i * SECTION_HEADER_SIZE;
    const what = `section header ${i}`;
    const type = r.u32(at + 4, `${what}: sh_type`);
    const offset = r.u64(at + 24, `${what}: sh_offset`);
    const size = r.u64(at + 32, `${what}: sh_size`);
    const hasBytes = type !== SHT.NOBITS && type !== SHT.NULL;
    if (hasBytes && offset + size > r.length) {
      badInput(`${what}: sh_offset ${hex(offset)} + size ${hex(size)} past end of file (${hex(r.length)} bytes)`);
    }
    nameOffsets.push(r.u32(at, `${what}: sh_name`));
    sections.push({
      index: i,
      name: '',
      type,
      flags: r.u64(at + 8, `${what}: sh_flags`),
      offset,
      size,
      link: r.u32(at + 40, `${what}: sh_link`),
      info: r.u32(at + 44, `${what}: sh_info`),
      addralign: r.u64(at + 48, `${what}: sh_addralign`),
      entsize: r.u64(at + 56, `${what}: sh_entsize`),
      data: hasBytes ? r.bytes.subarray(offset, offset + size) : new Uint8Array(0),
    });
  }
  const names = sections[h.shstrndx]!;
  if (names.type !== SHT.STRTAB) {
    badInput(`ELF header: e_shstrndx ${h.shstrndx} names a section of type ${names.type}, not a string table`);
  }
  for (const s of sections) {
    const off = nameOffsets[s.index]!;
    if (s.index !== 0 || off !== 0) s.name = cString(names.data, off, `section header ${s.index}: sh_name`, 'the section name table');
  }
  return sections;
}

function readSymbols(r: ByteReader, sections: readonly ElfSection[]): ElfSymbol[] {
  const symtabs = sections.filter((s) => s.type === SHT.SYMTAB);
  if (symtabs.length === 0) return [];
  if (symtabs.length > 1) badInput(`${symtabs.length} symbol tables (sections ${symtabs.map((s) => s.index).join(', ')}); expected one`);
  const symtab = symtabs[0]!;
  const where = `symbol table (section ${symtab.index})`;
  if (symtab.size % SYMBOL_SIZE !== 0) badInput(`${where}: size ${hex(symtab.size)} is not a multiple of ${SYMBOL_SIZE}`);
  const strtab = sections[symtab.link];
  if (strtab === undefined || strtab.type !== SHT.STRTAB) {
    badInput(`${where}: sh_link ${symtab.link} does not name a string table`);
  }
  const sr = new ByteReader(symtab.data, r.little);
  const out: ElfSymbol[] = [];
  for (let at = 0, i = 0; at < symtab.size; at += SYMBOL_SIZE, i++) {
    const what = `symbol ${i}`;
    const nameOffset = sr.u32(at, `${what}: st_name`);
    const info = sr.u8(at + 4, `${what}: st_info`);
    const other = sr.u8(at + 5, `${what}: st_other`);
    out.push({
      index: i,
      name: cString(strtab.data, nameOffset, `${what}: st_name`, `string table ${strtab.name || strtab.index}`),
      type: info & 0xf,
      bind: info >> 4,
      visibility: other & 3,
      shndx: sr.u16(at + 6, `${what}: st_shndx`),
      value: sr.u64(at + 8, `${what}: st_value`),
      size: sr.u64(at + 16, `${what}: st_size`),
    });
  }
  return out;
}
