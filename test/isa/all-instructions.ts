/**
 * One instruction for every defined opcode and variant of the ISA (RFC 9669 plus the pseudo forms
 * the kernel and libbpf use), generated from the opcode tables rather than listed by hand.
 */
import { insn, type Instruction } from '../../src/isa/instruction.js';
import { Alu, Atomic, Class, Jmp, Mode, Op, PseudoCall, PseudoLd, Size, Source } from '../../src/isa/opcodes.js';

const ALU_BINARY = [Alu.ADD, Alu.SUB, Alu.MUL, Alu.DIV, Alu.OR, Alu.AND, Alu.LSH, Alu.RSH, Alu.MOD, Alu.XOR, Alu.MOV, Alu.ARSH];
const JMP_COND = [Jmp.JEQ, Jmp.JGT, Jmp.JGE, Jmp.JSET, Jmp.JNE, Jmp.JSGT, Jmp.JSGE, Jmp.JLT, Jmp.JLE, Jmp.JSLT, Jmp.JSLE];
const SIZES = [Size.B, Size.H, Size.W, Size.DW];
const ATOMIC_OPS = [
  Atomic.ADD, Atomic.ADD | Atomic.FETCH, Atomic.OR, Atomic.OR | Atomic.FETCH, Atomic.AND, Atomic.AND | Atomic.FETCH,
  Atomic.XOR, Atomic.XOR | Atomic.FETCH, Atomic.XCHG, Atomic.CMPXCHG,
];

export function allValidInstructions(): Instruction[] {
  const out: Instruction[] = [];
  for (const cls of [Class.ALU, Class.ALU64]) {
    for (const op of ALU_BINARY) {
      out.push(insn(cls | op | Source.K, 1, 0, 0, 7));
      out.push(insn(cls | op | Source.X, 1, 2, 0, 0));
    }
    out.push(insn(cls | Alu.NEG | Source.K, 3));
    for (const op of [Alu.DIV, Alu.MOD]) {
      out.push(insn(cls | op | Source.K, 4, 0, 1, -3));
      out.push(insn(cls | op | Source.X, 4, 5, 1, 0));
    }
    for (const bits of cls === Class.ALU64 ? [8, 16, 32] : [8, 16]) out.push(insn(cls | Alu.MOV | Source.X, 6, 7, bits, 0));
    for (const bits of [16, 32, 64]) {
      out.push(insn(cls | Alu.END | Source.K, 8, 0, 0, bits));
      if (cls === Class.ALU) out.push(insn(cls | Alu.END | Source.X, 9, 0, 0, bits));
    }
  }
  for (const cls of [Class.JMP, Class.JMP32]) {
    for (const op of JMP_COND) {
      out.push(insn(cls | op | Source.K, 1, 0, -3, -100000));
      out.push(insn(cls | op | Source.X, 1, 10, 4, 0));
    }
  }
  out.push(insn(Op.JA, 0, 0, 5, 0));
  out.push(insn(Op.JA32, 0, 0, 0, -7));
  out.push(insn(Op.CALL, 0, PseudoCall.HELPER, 0, 5));
  out.push(insn(Op.CALL, 0, PseudoCall.LOCAL, 0, -2));
  out.push(insn(Op.CALL, 0, PseudoCall.KFUNC, 0, 9));
  out.push(insn(Op.CALL, 0, PseudoCall.KFUNC, 3, 9)); // kfunc in a module: offset = BTF fd index
  out.push(insn(Op.CALLX, 3));
  out.push(insn(Op.EXIT));
  for (const size of SIZES) {
    out.push(insn(Class.LDX | Mode.MEM | size, 0, 1, -8, 0));
    out.push(insn(Class.ST | Mode.MEM | size, 10, 0, 16, 0x12345678));
    out.push(insn(Class.STX | Mode.MEM | size, 10, 2, -32768, 0));
    if (size !== Size.DW) {
      out.push(insn(Class.LDX | Mode.MEMSX | size, 2, 3, 32767, 0));
      out.push(insn(Class.LD | Mode.ABS | size, 0, 0, 0, 12));
      out.push(insn(Class.LD | Mode.IND | size, 0, 4, 0, 2));
    }
  }
  for (const size of [Size.W, Size.DW]) {
    for (const op of ATOMIC_OPS) out.push(insn(Class.STX | Mode.ATOMIC | size, 10, 1, -8, op));
  }
  for (const src of Object.values(PseudoLd)) out.push(insn(Op.LDDW, 1, src, 0, 0x55667788, -0x12345678));
  return out;
}
