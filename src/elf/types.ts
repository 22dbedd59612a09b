import type { Endian } from '../isa/decode.js';

/** The ELF file header fields bpfkit keeps. */
export interface ElfHeader {
  endian: Endian;
  /** `e_type`: 1 (ET_REL) for `clang -c` output. */
  type: number;
  machine: number;
  flags: number;
  /** Section header table offset, entry count and the index of the section-name table. */
  shoff: number;
  shnum: number;
  shstrndx: number;
}

/** One section, with its bytes (an empty array for SHT_NOBITS such as `.bss`). */
export interface ElfSection {
  index: number;
  name: string;
  type: number;
  flags: number;
  offset: number;
  size: number;
  link: number;
  info: number;
  addralign: number;
  entsize: number;
  data: Uint8Array;
}

/** One symbol-table entry. */
export interface ElfSymbol {
  index: number;
  name: string;
  value: number;
  size: number;
  /** STT_* (low nibble of st_info). */
  type: number;
  /** STB_* (high nibble of st_info). */
  bind: number;
  /** STV_* (low two bits of st_other). */
  visibility: number;
  /** Section index the symbol is defined in (SHN_UNDEF, SHN_ABS, ... for special ones). */
  shndx: number;
}

/** One REL or RELA entry. */
export interface ElfRelocation {
  /** Byte offset inside the section the relocation applies to. */
  offset: number;
  /** R_BPF_* type. */
  type: number;
  /** Index into the symbol table. */
  symbol: number;
  /** RELA only. */
  addend?: number;
}

/** A relocation section and the section it patches. */
export interface ElfRelocationSection {
  section: ElfSection;
  /** Index of the patched section (`sh_info`). */
  target: number;
  entries: ElfRelocation[];
}
