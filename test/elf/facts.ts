/**
 * Readers for the facts fixtures/build.sh recorded from llvm-readelf, llvm-objdump and bpftool,
 * shared by the elf, btf and loader tests.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const FIXTURES = fileURLToPath(new URL('../../fixtures', import.meta.url));

/** Every committed object, as stems (`maps`, `maps.eb`, ...). */
export const objectStems = (): string[] =>
  readdirSync(join(FIXTURES, 'build'))
    .filter((f) => f.endsWith('.o'))
    .map((f) => f.slice(0, -2))
    .sort();

/** The program fixtures (every source except the CO-RE target descriptions). */
export const programFixtures = (): string[] =>
  readdirSync(join(FIXTURES, 'src'))
    .filter((f) => f.endsWith('.c') && !f.startsWith('core_target'))
    .map((f) => f.slice(0, -2))
    .sort();

export const readObject = (stem: string): Uint8Array => new Uint8Array(readFileSync(join(FIXTURES, 'build', `${stem}.o`)));
export const readBuild = (file: string): Uint8Array => new Uint8Array(readFileSync(join(FIXTURES, 'build', file)));
export const readFact = (stem: string, kind: string): string => readFileSync(join(FIXTURES, 'facts', `${stem}.${kind}.txt`), 'utf8');

export interface SectionFact {
  index: number;
  name: string;
  type: string;
  offset: number;
  size: number;
  entsize: number;
  flags: string;
  link: number;
  info: number;
  align: number;
}

/** `llvm-readelf -S --wide`. */
export function sectionFacts(stem: string): SectionFact[] {
  const out: SectionFact[] = [];
  const re = /^\s*\[\s*(\d+)\]\s(\S*)\s+(\S+)\s+[0-9a-f]{16}\s+([0-9a-f]+)\s+([0-9a-f]+)\s+([0-9a-f]+)\s+(\S*?)\s*(\d+)\s+(\d+)\s+(\d+)\s*$/;
  for (const line of readFact(stem, 'sections').split('\n')) {
    const m = re.exec(line);
    if (!m) continue;
    out.push({
      index: Number(m[1]),
      name: m[2]!,
      type: m[3]!,
      offset: parseInt(m[4]!, 16),
      size: parseInt(m[5]!, 16),
      entsize: parseInt(m[6]!, 16),
      flags: m[7]!,
      link: Number(m[8]),
      info: Number(m[9]),
      align: Number(m[10]),
    });
  }
  return out;
}

export interface SymbolFact {
  index: number;
  value: number;
  size: number;
  type: string;
  bind: string;
  vis: string;
  ndx: string;
  name: string;
}

/** `llvm-readelf -s --wide`. */
export function symbolFacts(stem: string): SymbolFact[] {
  const out: SymbolFact[] = [];
  const re = /^\s*(\d+):\s+([0-9a-f]{16})\s+(\d+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s?(.*)$/;
  for (const line of readFact(stem, 'symbols').split('\n')) {
    const m = re.exec(line);
    if (!m) continue;
    out.push({
      index: Number(m[1]),
      value: parseInt(m[2]!, 16),
      size: Number(m[3]),
      type: m[4]!,
      bind: m[5]!,
      vis: m[6]!,
      ndx: m[7]!,
      name: m[8]!,
    });
  }
  return out;
}

export interface RelocFact {
  offset: number;
  type: string;
  symbolValue: number;
  symbol: string;
}

/** `llvm-readelf -r --wide`: relocation section name → entries. */
export function relocFacts(stem: string): Map<string, RelocFact[]> {
  const out = new Map<string, RelocFact[]>();
  let current: RelocFact[] | undefined;
  for (const line of readFact(stem, 'relocs').split('\n')) {
    const head = /^Relocation section '([^']+)' at offset 0x[0-9a-f]+ contains (\d+) entries:/.exec(line);
    if (head) {
      current = [];
      out.set(head[1]!, current);
      continue;
    }
    const m = /^([0-9a-f]{16})\s+[0-9a-f]{16}\s+(\S+)\s+([0-9a-f]{16})\s+(.*)$/.exec(line);
    if (m && current) current.push({ offset: parseInt(m[1]!, 16), type: m[2]!, symbolValue: parseInt(m[3]!, 16), symbol: m[4]!.trim() });
  }
  return out;
}

export interface ObjdumpInsn {
  section: string;
  /** Function (symbol) the instruction belongs to. */
  func: string;
  /** Slot index in the section. */
  pc: number;
  bytes: number[];
  text: string;
  /** DWARF line info llvm-objdump -l printed before this instruction (file:line), if any. */
  line?: string;
  relocations: string[];
}

/** `llvm-objdump -d -l -r`: every instruction with its section, function and bytes. */
export function objdumpFacts(stem: string): ObjdumpInsn[] {
  const out: ObjdumpInsn[] = [];
  let section = '';
  let func = '';
  let line: string | undefined;
  for (const raw of readFact(stem, 'objdump').split('\n')) {
    const sec = /^Disassembly of section (.*):$/.exec(raw);
    if (sec) {
      section = sec[1]!;
      continue;
    }
    const fn = /^[0-9a-f]{16} <(.*)>:$/.exec(raw);
    if (fn) {
      func = fn[1]!;
      continue;
    }
    const ln = /^; (\.\/\S+:\d+)$/.exec(raw);
    if (ln) {
      line = ln[1];
      continue;
    }
    const ins = /^\s+(\d+):\t((?:[0-9a-f]{2} ?)+)\t(.*)$/.exec(raw);
    if (ins) {
      const i: ObjdumpInsn = {
        section,
        func,
        pc: Number(ins[1]),
        bytes: ins[2]!.trim().split(' ').map((b) => parseInt(b, 16)),
        text: ins[3]!,
        relocations: [],
      };
      if (line !== undefined) i.line = line;
      line = undefined;
      out.push(i);
      continue;
    }
    const rel = /^\t\t[0-9a-f]{16}:\s+(\S+)\t(.*)$/.exec(raw);
    if (rel && out.length > 0) out[out.length - 1]!.relocations.push(`${rel[1]} ${rel[2]}`);
  }
  return out;
}
