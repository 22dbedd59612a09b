import { badInput } from '../elf/reader.js';
import type { Instruction } from '../isa/instruction.js';
import { PseudoCall, PseudoLd } from '../isa/opcodes.js';
import type { Func, LoadContext } from './context.js';
import { funcSlots } from './context.js';
import type { ProgramFunction } from './model.js';

const CALL = 0x85;
const LDDW = 0x18;

/** A copy of an instruction with its own metadata object, so programs never share state. */
const copy = (ins: Instruction): Instruction => {
  const c: Instruction = { ...ins };
  if (ins.meta !== undefined) c.meta = { ...ins.meta };
  return c;
};

export interface LinkedProgram {
  instructions: Instruction[];
  functions: ProgramFunction[];
  subprograms: string[];
  /** Why the program cannot be linked, when it cannot (from every function it contains). */
  linkErrors: string[];
}

/**
 * Builds the self-contained instruction array of one entry program the way libbpf's reloc_code
 * does: walk the program; at the first call (or callback address) of a sub-program not yet in
 * this program, append the sub-program's code and walk it at once (depth first); then point the
 * call at the sub-program's place: imm = its first slot - (this slot + 1).
 */
export function linkProgram(ctx: LoadContext, entry: Func): LinkedProgram {
  const out: Instruction[] = [];
  let slots = 0;
  const placed = new Map<Func, number>();
  const functions: ProgramFunction[] = [];
  const subprograms: string[] = [];
  const linkErrors: string[] = [];

  const append = (f: Func): number => {
    const start = slots;
    placed.set(f, start);
    const fn: ProgramFunction = { name: f.name, slot: start, global: f.global };
    if (f.btfTypeId !== undefined) fn.btfTypeId = f.btfTypeId;
    functions.push(fn);
    if (f !== entry) subprograms.push(f.name);
    const first = out.length;
    for (const ins of f.insns) {
      out.push(copy(ins));
      slots += ins.opcode === LDDW ? 2 : 1;
    }
    const head = out[first];
    if (head !== undefined) head.meta = { ...head.meta, func: f.name };
    return first;
  };

  const visit = (f: Func, firstIndex: number, depth: number): void => {
    if (depth > 1000) badInput(`program '${entry.name}': sub-program calls nest deeper than 1000 levels`);
    const rel = funcSlots(f);
    const base = placed.get(f)!;
    for (let i = 0; i < f.insns.length; i++) {
      const ins = f.insns[i]!;
      const isCall = ins.opcode === CALL && ins.src === PseudoCall.LOCAL;
      const isFuncAddr = ins.opcode === LDDW && ins.src === PseudoLd.FUNC;
      if (!isCall && !isFuncAddr) continue;
      const slot = rel[i]!;
      const where = `program '${entry.name}', function '${f.name}', instruction ${slot}`;
      const reloc = f.codeRelocs.get(slot);
      if (reloc?.kind === 'unresolved') continue;
      let targetSection = f.section.index;
      let targetSlot: number;
      if (reloc !== undefined) {
        targetSection = reloc.symSection;
        targetSlot = reloc.kind === 'call' ? reloc.symOff / 8 + ins.imm + 1 : (reloc.symOff + ins.imm) / 8;
      } else if (isFuncAddr) {
        badInput(`${where}: function address without a relocation`);
      } else {
        targetSlot = f.secSlot + slot + ins.imm + 1;
      }
      const callee = ctx.funcs.find((g) => g.section.index === targetSection && g.secSlot === targetSlot);
      if (callee === undefined) {
        // this program cannot be linked; the others of the object still can
        const sec = ctx.elf.sections[targetSection]?.name ?? String(targetSection);
        linkErrors.push(`${where}: ${isCall ? 'call' : 'function address'} target slot ${targetSlot} of section ${sec} is not the start of a function`);
        continue;
      }
      if (!placed.has(callee)) {
        const at = append(callee);
        visit(callee, at, depth + 1);
      }
      const linked = out[firstIndex + i]!;
      linked.imm = placed.get(callee)! - (base + slot) - 1;
      linked.meta = { ...linked.meta, callee: callee.name };
    }
  };

  const at = append(entry);
  visit(entry, at, 0);
  for (const f of placed.keys()) for (const e of f.linkErrors) linkErrors.push(f === entry ? e : `${e} (in '${f.name}')`);
  return { instructions: out, functions, subprograms, linkErrors: [...new Set(linkErrors)] };
}
