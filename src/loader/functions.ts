import { BpfkitError, ErrorCode } from '../errors.js';
import { SHF, SHT, STB, STT } from '../elf/constants.js';
import { badInput, hex } from '../elf/reader.js';
import type { LineInfo } from '../btf/ext.js';
import { decodeProgram } from '../isa/decode.js';
import type { SourceLocation } from '../isa/instruction.js';
import type { Func, LoadContext } from './context.js';
import type { ElfSection, ElfSymbol } from '../elf/types.js';
import type { LoaderConvention } from './model.js';
import { funcAt } from './context.js';

/** Executable sections with code, in section order. */
export const codeSections = (ctx: LoadContext) =>
  ctx.elf.sections.filter((s) => s.type === SHT.PROGBITS && (s.flags & SHF.EXECINSTR) !== 0 && s.size > 0);

/**
 * Finds every function. Each STT_FUNC symbol of an executable section, in symbol-table order, is
 * one function (the section's bytes between its st_value and st_size), as libbpf finds them;
 * then the older conventions libbpf 1.x refuses:
 * - a static FUNC outside `.text` is an entry program, as cilium/ebpf and iproute2 take it;
 * - a code section without FUNC symbols (old clang wrote NOTYPE ones) is one program covering the
 *   section, named after the global symbol at its offset 0, else after the section;
 * - when `.text` is the only code section, its global functions are the programs (as PREVAIL
 *   loads such objects) and its static ones their sub-programs.
 */
export function collectFunctions(ctx: LoadContext): void {
  const { elf } = ctx;
  const sections = codeSections(ctx);
  const textOnly = sections.every((s) => s.name === '.text');
  for (const sec of sections) {
    if (sec.size % 8 !== 0) badInput(`section ${sec.index} (${sec.name}): size ${hex(sec.size)} is not a multiple of 8 bytes`);
    const isText = sec.name === '.text';
    const funcSyms = elf.symbols.filter((s) => s.shndx === sec.index && s.type === STT.FUNC);
    if (funcSyms.length === 0) {
      const head = elf.symbols.find((s) => s.shndx === sec.index && s.value === 0 && s.bind !== STB.LOCAL && s.type === STT.NOTYPE && s.name !== '');
      const name = head?.name ?? sec.name;
      pushFunc(ctx, sec, head ?? elf.symbols[0]!, name, 0, sec.size, isText && !textOnly, true, 'old-clang');
      continue;
    }
    for (const sym of funcSyms) {
      const where = `section ${sec.name}: function '${sym.name}'`;
      if (sym.value % 8 !== 0 || sym.size % 8 !== 0) {
        badInput(`${where}: offset ${hex(sym.value)} or size ${hex(sym.size)} is not a multiple of 8 bytes`);
      }
      if (sym.value + sym.size > sec.size) {
        badInput(`${where}: offset ${hex(sym.value)} + size ${hex(sym.size)} crosses the section end (${hex(sec.size)} bytes)`);
      }
      if (sym.size === 0) badInput(`${where}: has no instructions (st_size 0)`);
      const overlapping = ctx.funcs.find((f) => f.section.index === sec.index && sym.value / 8 < f.secSlot + f.slots && f.secSlot < (sym.value + sym.size) / 8);
      if (overlapping) badInput(`${where}: overlaps function '${overlapping.name}'`);
      const local = sym.bind === STB.LOCAL;
      const isSubprog = isText && (!textOnly || local);
      const convention = isText ? (textOnly && !local ? 'text' : 'libbpf') : local ? 'cilium' : 'libbpf';
      pushFunc(ctx, sec, sym, sym.name, sym.value, sym.size, isSubprog, !local, convention);
    }
  }
}

function pushFunc(ctx: LoadContext, sec: ElfSection, sym: ElfSymbol, name: string, offset: number, size: number, isSubprog: boolean, global: boolean, convention: LoaderConvention): void {
  const where = `section ${sec.name}: function '${name}'`;
  const code = sec.data.subarray(offset, offset + size);
  let insns;
  try {
    insns = decodeProgram(code, { endian: ctx.endian });
  } catch (e) {
    if (e instanceof BpfkitError) throw new BpfkitError(ErrorCode.BadInput, `${where}: ${e.message}`, { cause: e });
    throw e;
  }
  ctx.funcs.push({
    name,
    section: sec,
    symbol: sym,
    secSlot: offset / 8,
    slots: size / 8,
    insns,
    isSubprog,
    global,
    convention,
    codeRelocs: new Map(),
    linkErrors: [],
  });
}

/**
 * Attaches `.BTF.ext` line info (every instruction gets the location of the nearest record at or
 * before it in its function, as the kernel reads line info) and func info (BTF FUNC ids).
 */
export function attachDebugInfo(ctx: LoadContext): void {
  const { ext, btf } = ctx;
  if (ext === undefined || btf === undefined) return;
  for (const [secName, records] of ext.lineInfo) {
    const sec = ctx.elf.section(secName);
    if (sec === undefined) continue;
    const sorted = [...records].sort((a, b) => a.insnOff - b.insnOff);
    for (const f of ctx.funcs) {
      if (f.section.index !== sec.index) continue;
      applyLines(f, sorted, secName);
    }
  }
  for (const [secName, records] of ext.funcInfo) {
    const sec = ctx.elf.section(secName);
    if (sec === undefined) continue;
    records.forEach((r, i) => {
      if (r.insnOff % 8 !== 0) badInput(`BTF.ext func_info for section ${secName}, record ${i}: instruction offset ${hex(r.insnOff)} is not a multiple of 8`);
      const f = funcAt(ctx.funcs, sec.index, r.insnOff / 8);
      if (f === undefined || f.secSlot !== r.insnOff / 8) return;
      const t = btf.type(r.typeId, `BTF.ext func_info for section ${secName}, record ${i}`);
      if (t.kind !== 'FUNC') badInput(`BTF.ext func_info for section ${secName}, record ${i}: type [${r.typeId}] is a ${t.kind}, not a FUNC`);
      f.btfTypeId = r.typeId;
    });
  }
}

function applyLines(f: Func, sorted: readonly LineInfo[], secName: string): void {
  const start = f.secSlot * 8;
  const end = (f.secSlot + f.slots) * 8;
  let current: SourceLocation | undefined;
  let k = 0;
  let offset = start;
  for (const ins of f.insns) {
    while (k < sorted.length && sorted[k]!.insnOff <= offset) {
      const r = sorted[k]!;
      if (r.insnOff % 8 !== 0) badInput(`BTF.ext line_info for section ${secName}: instruction offset ${hex(r.insnOff)} is not a multiple of 8`);
      if (r.insnOff >= start && r.insnOff < end) current = { file: r.file, line: r.line, column: r.column, text: r.text };
      k++;
    }
    // freshly decoded instructions own their meta: set it in place rather than copy it
    if (current !== undefined) {
      if (ins.meta === undefined) ins.meta = { source: current };
      else ins.meta.source = current;
    }
    offset += ins.opcode === 0x18 ? 16 : 8;
  }
}

/** Marks the first instruction of every function with its name. */
export function markFunctionStarts(ctx: LoadContext): void {
  for (const f of ctx.funcs) {
    const first = f.insns[0];
    if (first !== undefined) first.meta = { ...first.meta, func: f.name };
  }
}

