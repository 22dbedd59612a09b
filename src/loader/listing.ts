import { BpfkitError, ErrorCode } from '../errors.js';
import { helperName as kernelHelperName } from '../helpers/helper-ids.js';
import { formatInstruction } from '../isa/disasm.js';
import type { Instruction } from '../isa/instruction.js';
import { PseudoCall, PseudoLd } from '../isa/opcodes.js';
import { progTypeName } from './kinds.js';
import type { BpfObject, ProgramDef } from './model.js';

export interface ListingOptions {
  /** Names helpers by id; default: the kernel's names (`bpf_map_lookup_elem`). */
  helperName?: (id: number) => string | undefined;
}

const hex = (n: number): string => `0x${n.toString(16)}`;

/** The program's function that contains slot `pc`, and its start. */
function functionAt(p: ProgramDef, pc: number): { name: string; slot: number } | undefined {
  let best: { name: string; slot: number } | undefined;
  for (const f of p.functions) if (f.slot <= pc && (best === undefined || f.slot > best.slot)) best = f;
  return best;
}

/**
 * The linked program as `bpfkit disasm` prints it: like `llvm-objdump -d -l -S`, each function
 * under a `<name>:` header, the source file:line and source text before the instructions that
 * came from it, jump and call targets as `<function+0xOFFSET>`, helpers by name, map loads as
 * `map[NAME]` (plus the offset for global data) and poisoned CO-RE instructions marked.
 */
export function listProgram(obj: BpfObject, programName: string, options: ListingOptions = {}): string {
  const p = obj.programs.find((q) => q.name === programName);
  if (p === undefined) {
    const names = obj.programs.map((q) => q.name).join(', ') || 'none';
    throw new BpfkitError(ErrorCode.Usage, `no program named '${programName}' (programs: ${names})`);
  }
  const helper = options.helperName ?? ((id: number) => (kernelHelperName(id) === 'unknown' ? undefined : kernelHelperName(id)));
  const target = (pc: number): string | undefined => {
    const f = functionAt(p, pc);
    if (f === undefined) return undefined;
    return pc === f.slot ? f.name : `${f.name}+${hex((pc - f.slot) * 8)}`;
  };
  const lines: string[] = [];
  const subs = p.subprograms.length ? `, sub-programs: ${p.subprograms.join(', ')}` : '';
  lines.push(`${p.name}: section ${p.section}, type ${progTypeName(p.type)}${subs}`);
  let pc = 0;
  let lastLine = '';
  for (const ins of p.instructions) {
    const fn = ins.meta?.func;
    if (fn !== undefined) {
      lines.push('', `${pc.toString(16).padStart(16, '0')} <${fn}>:`);
      lastLine = '';
    }
    const src = ins.meta?.source;
    if (src !== undefined) {
      const where = `${src.file}:${src.line}`;
      if (where !== lastLine) {
        lines.push(`; ${where}`);
        if (src.text !== '') lines.push(`; ${src.text}`);
        lastLine = where;
      }
    }
    lines.push(`${String(pc).padStart(8)}:\t${formatOne(obj, ins, pc, target, helper)}`);
    pc += ins.opcode === 0x18 ? 2 : 1;
  }
  return `${lines.join('\n')}\n`;
}

function formatOne(
  obj: BpfObject,
  ins: Instruction,
  pc: number,
  target: (pc: number) => string | undefined,
  helper: (id: number) => string | undefined,
): string {
  if (ins.meta?.poisoned !== undefined) return `call ${hex(ins.imm >>> 0)}\t; poisoned: ${ins.meta.poisoned}`;
  if (ins.opcode === 0x18 && ins.src !== PseudoLd.IMM64) {
    const dst = `r${ins.dst}`;
    if (ins.src === PseudoLd.MAP_FD || ins.src === PseudoLd.MAP_VALUE) {
      const name = ins.meta?.map ?? obj.maps[ins.imm]?.name ?? `#${ins.imm}`;
      const off = ins.src === PseudoLd.MAP_VALUE ? ` + ${hex(ins.immHi ?? 0)}` : '';
      return `${dst} = map[${name}]${off} ll`;
    }
    if (ins.src === PseudoLd.FUNC) {
      const to = pc + 1 + ins.imm;
      return `${dst} = func ${hex(ins.imm)} <${ins.meta?.callee ?? target(to) ?? '?'}> ll`;
    }
  }
  const text = formatInstruction(ins, { syntax: 'llvm', pc, target, helperName: helper });
  if (ins.opcode === 0x85 && ins.src === PseudoCall.LOCAL) {
    const name = ins.meta?.callee ?? target(pc + 1 + ins.imm);
    return name !== undefined ? `${text} <${name}>` : text;
  }
  return text;
}
