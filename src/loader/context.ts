import type { Btf } from '../btf/btf.js';
import type { BtfExt } from '../btf/ext.js';
import type { ElfFile, ElfSection, ElfSymbol } from '../elf/index.js';
import type { Endian } from '../isa/decode.js';
import type { Instruction } from '../isa/instruction.js';
import type { ExternDef, LoaderConvention, MapDef } from './model.js';

/**
 * A function found in an executable section: an entry program or a sub-program (what libbpf
 * calls a `bpf_program`, `.text` ones being sub-programs). Instructions are decoded once and
 * patched in place by relocations and CO-RE before programs are linked.
 */
export interface Func {
  name: string;
  section: ElfSection;
  symbol: ElfSymbol;
  /** First slot of the function in its section. */
  secSlot: number;
  /** Length in slots. */
  slots: number;
  insns: Instruction[];
  /** True for functions in `.text`, which are appended to the programs that call them. */
  isSubprog: boolean;
  /** BTF FUNC id from func_info, when present. */
  btfTypeId?: number;
  global: boolean;
  /** The convention the function was found by (see {@link LoaderConvention}). */
  convention: LoaderConvention;
  /** Relocations that linking resolves, by slot inside the function. */
  codeRelocs: Map<number, CodeReloc>;
  /** Why a program that contains this function cannot be linked (a call of an undefined function, an unresolved extern). */
  linkErrors: string[];
}

/** A call or a function address to resolve when linking. */
export interface CodeReloc {
  /** `unresolved`: a call of an undefined function, which linking leaves as it is (the program is not verifiable). */
  kind: 'call' | 'subprog_addr' | 'unresolved';
  /** Value of the relocation's symbol (byte offset of the function or section start). */
  symOff: number;
  /** Section the symbol is defined in. */
  symSection: number;
  symName: string;
}

/** Where a map's definition or data lives, to match relocations against it. */
export interface MapPlace {
  section: number;
  offset: number;
  /** Size of the definition (BTF and legacy maps); data maps cover their whole section. */
  size: number;
  kind: 'btf' | 'legacy' | 'data';
}

/** An extern symbol the loader resolved (or could not). */
export interface ExternPlace {
  def: ExternDef;
  /** BTF type id of the extern's VAR or FUNC in the object's BTF. */
  localId: number;
  /** Set when a program using it cannot be linked: why. */
  unresolved?: string;
  /** ksym: the variable has a type (typed ksyms load as BTF ids; typeless ones as addresses). */
  typed?: boolean;
}

/** Everything the loading stages share. */
export interface LoadContext {
  elf: ElfFile;
  endian: Endian;
  btf?: Btf;
  ext?: BtfExt;
  funcs: Func[];
  maps: MapDef[];
  places: MapPlace[];
  /** Externs by symbol name. */
  externs: Map<string, ExternPlace>;
  /** Index of the `.kconfig` map in {@link maps}, when the object has kconfig externs. */
  kconfigMap?: number;
  notes: string[];
}

/** Slot offset of each instruction of a function, relative to its first slot. */
export function funcSlots(f: Func): number[] {
  const out: number[] = [];
  let s = 0;
  for (const ins of f.insns) {
    out.push(s);
    s += ins.opcode === 0x18 ? 2 : 1;
  }
  return out;
}

/**
 * Index of the instruction starting at `slot` of the function, or -1. The slot → index table is
 * built once per function and rebuilt when CO-RE patching changes the instruction count.
 */
export function insnAtSlot(f: Func, slot: number): number {
  const cached = slotIndex.get(f);
  let table = cached !== undefined && cached.length === f.insns.length ? cached.table : undefined;
  if (table === undefined) {
    table = new Int32Array(f.slots + 1).fill(-1);
    let s = 0;
    for (let i = 0; i < f.insns.length && s < table.length; i++) {
      table[s] = i;
      s += f.insns[i]!.opcode === 0x18 ? 2 : 1;
    }
    slotIndex.set(f, { length: f.insns.length, table });
  }
  return slot >= 0 && slot < table.length ? table[slot]! : -1;
}
const slotIndex = new WeakMap<Func, { length: number; table: Int32Array }>();

/** The function of section `section` whose slots include `slot`. */
export function funcAt(funcs: readonly Func[], section: number, slot: number): Func | undefined {
  // objects with thousands of functions ask this for every relocation: keep each section's sorted
  let bySection = funcIndex.get(funcs);
  if (bySection === undefined || bySection.count !== funcs.length) {
    const map = new Map<number, Func[]>();
    for (const f of funcs) {
      const list = map.get(f.section.index);
      if (list) list.push(f);
      else map.set(f.section.index, [f]);
    }
    for (const list of map.values()) list.sort((a, b) => a.secSlot - b.secSlot);
    bySection = { count: funcs.length, map };
    funcIndex.set(funcs, bySection);
  }
  const list = bySection.map.get(section);
  if (list === undefined) return undefined;
  let lo = 0;
  let hi = list.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const f = list[mid]!;
    if (slot < f.secSlot) hi = mid - 1;
    else if (slot >= f.secSlot + f.slots) lo = mid + 1;
    else return f;
  }
  return undefined;
}
const funcIndex = new WeakMap<readonly Func[], { count: number; map: Map<number, Func[]> }>();

/** Name to show for a symbol: section symbols have no name of their own. */
export function symbolName(elf: ElfFile, sym: ElfSymbol): string {
  if (sym.name !== '') return sym.name;
  return elf.sections[sym.shndx]?.name ?? `symbol ${sym.index}`;
}
