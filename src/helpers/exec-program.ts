import { BpfkitError, ErrorCode } from '../errors.js';
import type { Instruction, SourceLocation } from '../isa/instruction.js';
import { PseudoLd } from '../isa/opcodes.js';
import { toSlots, type Slots } from '../isa/slots.js';
import { FUNC_POINTER_BASE, mapHandle } from './abi.js';

/** Resolves what only the simulated kernel knows at load time: where map values live. */
export interface LoadResolver {
  /** Address of byte `offset` of the (single) value of map `index` (global data). */
  mapValueAddress(index: number, offset: number): number;
}

/**
 * A program ready for either engine: `lddw` pseudo-sources replaced by their 64-bit values (the
 * kernel's load-time fix-up), plus per-pc source lines and poison marks for error messages.
 */
export interface ExecProgram {
  readonly name: string;
  readonly instructions: readonly Instruction[];
  readonly slots: Slots;
  /** Source location of each slot (undefined where BTF has none). */
  readonly source: ReadonlyArray<SourceLocation | undefined>;
  /** Reason an instruction was poisoned by a failed CO-RE relocation, by pc. */
  readonly poisoned: ReadonlyMap<number, string>;
  /** Slot of each function start (the entry at 0). */
  readonly functions: ReadonlyArray<{ name: string; slot: number }>;
}

export function prepareProgram(
  name: string,
  instructions: readonly Instruction[],
  resolver?: LoadResolver,
  functions: ReadonlyArray<{ name: string; slot: number }> = [{ name, slot: 0 }],
): ExecProgram {
  const slots = toSlots(instructions);
  const source: Array<SourceLocation | undefined> = new Array(slots.length).fill(undefined);
  const poisoned = new Map<number, string>();
  let pc = 0;
  let last: SourceLocation | undefined;
  for (const ins of instructions) {
    // Line info marks only the first instruction of a line; the ones after it inherit it.
    if (ins.meta?.source) last = ins.meta.source;
    source[pc] = last;
    if (ins.meta?.poisoned) poisoned.set(pc, ins.meta.poisoned);
    if (ins.opcode === 0x18) {
      source[pc + 1] = last;
      const value = resolveWide(ins, pc, resolver);
      if (value !== undefined) {
        slots.imm[pc] = Number(value & 0xffffffffn) | 0;
        slots.imm[pc + 1] = Number((value >> 32n) & 0xffffffffn) | 0;
        slots.src[pc] = 0;
      }
      pc += 2;
    } else {
      pc += 1;
    }
  }
  checkTargets(slots);
  return { name, instructions, slots, source, poisoned, functions };
}

/**
 * Refuses a program whose jumps or local calls leave it or land inside an `lddw`, as the kernel
 * does at load. Engines can then run without a pc bounds check.
 */
function checkTargets(slots: Slots): void {
  const { op, src, off, imm, length } = slots;
  const wideSecond = new Uint8Array(length);
  for (let pc = 0; pc < length; pc++) if (op[pc] === 0x18) wideSecond[++pc] = 1;
  for (let pc = 0; pc < length; pc++) {
    if (wideSecond[pc]) continue;
    const o = op[pc]!;
    const cls = o & 7;
    if (cls !== 5 && cls !== 6) continue;
    const code = o & 0xf0;
    let target: number;
    if (code === 0x80) {
      if (cls !== 5 || o !== 0x85 || src[pc] !== 1) continue;
      target = pc + 1 + imm[pc]!;
    } else if (code === 0x90) {
      continue;
    } else {
      target = pc + 1 + (o === 0x06 ? imm[pc]! : off[pc]!);
    }
    if (target < 0 || target >= length) {
      throw new BpfkitError(ErrorCode.BadInstruction, `instruction ${pc}: jump to ${target} is outside the program (${length} slots)`);
    }
    if (wideSecond[target]) {
      throw new BpfkitError(ErrorCode.BadInstruction, `instruction ${pc}: jump to ${target} lands inside an lddw`);
    }
  }
}

function resolveWide(ins: Instruction, pc: number, resolver?: LoadResolver): bigint | undefined {
  switch (ins.src) {
    case PseudoLd.IMM64:
      return undefined;
    case PseudoLd.MAP_FD:
    case PseudoLd.MAP_IDX:
      return BigInt(mapHandle(ins.imm));
    case PseudoLd.MAP_VALUE:
    case PseudoLd.MAP_IDX_VALUE: {
      if (!resolver) {
        throw new BpfkitError(ErrorCode.Unsupported, `pc ${pc}: lddw of a map value needs the simulated kernel's maps`);
      }
      return BigInt(resolver.mapValueAddress(ins.imm, ins.immHi ?? 0));
    }
    case PseudoLd.FUNC:
      return BigInt(FUNC_POINTER_BASE + pc + 1 + ins.imm);
    default:
      throw new BpfkitError(ErrorCode.Unsupported, `pc ${pc}: lddw with pseudo source ${ins.src} (BTF id) is not supported`);
  }
}
