/**
 * The instruction value every stage passes around. An instruction is its encoded fields plus
 * metadata (source line, symbol, relocation) that rides along through loading and linking, the way
 * cilium/ebpf's `asm` package carries it.
 */

/** A place in the C source, from BTF line info. */
export interface SourceLocation {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** The text of the source line, as clang recorded it (may be empty). */
  readonly text: string;
}

/** What a relocation or the loader learned about an instruction. */
export interface InstructionMeta {
  /** Source location from `.BTF.ext` line info. */
  source?: SourceLocation;
  /** Name of the function that starts at this instruction (programs and sub-programs). */
  func?: string;
  /** For `lddw` of a map (fd, value or index pseudo-source): the map's name. */
  map?: string;
  /** For a local call or `lddw` of a function: the callee's name. */
  callee?: string;
  /** Set when a CO-RE relocation could not be satisfied: executing this instruction must fail. */
  poisoned?: string;
  /** Free-form relocation note kept for the disassembler (symbol name + kind). */
  reloc?: string;
}

/** One decoded instruction. `lddw` is one instruction that occupies two slots. */
export interface Instruction {
  opcode: number;
  dst: number;
  src: number;
  /** Signed 16-bit offset. */
  off: number;
  /** Signed 32-bit immediate (low half for `lddw`). */
  imm: number;
  /** High 32 bits of the immediate; only for `lddw` (which takes two slots). */
  immHi?: number;
  meta?: InstructionMeta;
}

/** True when the instruction is the two-slot `lddw`. */
export const isWide = (ins: Instruction): boolean => ins.opcode === 0x18;

/** Number of 8-byte slots the instruction occupies. */
export const slotCount = (ins: Instruction): 1 | 2 => (ins.opcode === 0x18 ? 2 : 1);

/** Slot index (the pc used by jumps, the kernel and llvm-objdump) of each instruction. */
export function slotOffsets(program: readonly Instruction[]): number[] {
  const out = new Array<number>(program.length);
  let pc = 0;
  for (let i = 0; i < program.length; i++) {
    out[i] = pc;
    pc += slotCount(program[i]!);
  }
  return out;
}

/** Total slots of a program. */
export function slotLength(program: readonly Instruction[]): number {
  let n = 0;
  for (const ins of program) n += slotCount(ins);
  return n;
}

/** The 64-bit immediate of an `lddw` as a BigInt (unsigned). */
export function wideImmediate(ins: Instruction): bigint {
  return (BigInt((ins.immHi ?? 0) >>> 0) << 32n) | BigInt(ins.imm >>> 0);
}

/** Builds an instruction, normalising field widths. */
export function insn(opcode: number, dst = 0, src = 0, off = 0, imm = 0, immHi?: number): Instruction {
  const i: Instruction = { opcode: opcode & 0xff, dst: dst & 0xf, src: src & 0xf, off: (off << 16) >> 16, imm: imm | 0 };
  if (immHi !== undefined) i.immHi = immHi | 0;
  return i;
}
