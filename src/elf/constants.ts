/** ELF numbers bpfkit reads (System V gABI and the BPF processor supplement). */

export const ELFCLASS64 = 2;
export const ELFDATA2LSB = 1;
export const ELFDATA2MSB = 2;
export const EV_CURRENT = 1;
/** `e_machine` of eBPF objects. */
export const EM_BPF = 247;
/** `e_machine` 0: no machine, written by some old toolchains for BPF objects. */
export const EM_NONE = 0;
/** `e_type` of a relocatable object, what `clang -c` writes. */
export const ET_REL = 1;

export const ELF_HEADER_SIZE = 64;
export const SECTION_HEADER_SIZE = 64;
export const SYMBOL_SIZE = 24;
export const REL_SIZE = 16;
export const RELA_SIZE = 24;

/** Section types. */
export const SHT = {
  NULL: 0,
  PROGBITS: 1,
  SYMTAB: 2,
  STRTAB: 3,
  RELA: 4,
  HASH: 5,
  DYNAMIC: 6,
  NOTE: 7,
  NOBITS: 8,
  REL: 9,
  DYNSYM: 11,
  SYMTAB_SHNDX: 18,
  LLVM_ADDRSIG: 0x6fff4c03,
} as const;

/** Section flags. */
export const SHF = {
  WRITE: 0x1,
  ALLOC: 0x2,
  EXECINSTR: 0x4,
  MERGE: 0x10,
  STRINGS: 0x20,
} as const;

/** Special section indexes in symbols and the header. */
export const SHN = {
  UNDEF: 0,
  LORESERVE: 0xff00,
  ABS: 0xfff1,
  COMMON: 0xfff2,
  XINDEX: 0xffff,
} as const;

/** Symbol types (low nibble of st_info). */
export const STT = { NOTYPE: 0, OBJECT: 1, FUNC: 2, SECTION: 3, FILE: 4 } as const;
/** Symbol bindings (high nibble of st_info). */
export const STB = { LOCAL: 0, GLOBAL: 1, WEAK: 2 } as const;
/** Symbol visibility (low bits of st_other). */
export const STV = { DEFAULT: 0, INTERNAL: 1, HIDDEN: 2, PROTECTED: 3 } as const;

/** BPF relocation types (llvm/BinaryFormat/ELFRelocs/BPF.def). */
export const R_BPF = {
  NONE: 0,
  /** `lddw` of a map, global or function address: 64-bit immediate split over two slots. */
  R_BPF_64_64: 1,
  R_BPF_64_ABS64: 2,
  R_BPF_64_ABS32: 3,
  R_BPF_64_NODYLD32: 4,
  /** `call` of a BPF-to-BPF function. */
  R_BPF_64_32: 10,
} as const;

const R_BPF_NAMES = new Map<number, string>(Object.entries(R_BPF).map(([k, v]) => [v, k === 'NONE' ? 'R_BPF_NONE' : k]));
/** The name llvm-readelf prints for a BPF relocation type. */
export const relocationTypeName = (t: number): string => R_BPF_NAMES.get(t) ?? `unknown(${t})`;

const SHT_NAMES = new Map<number, string>(Object.entries(SHT).map(([k, v]) => [v, k]));
/** The name llvm-readelf prints for a section type. */
export const sectionTypeName = (t: number): string => SHT_NAMES.get(t) ?? `0x${t.toString(16)}`;
