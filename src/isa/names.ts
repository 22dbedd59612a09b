import { Alu, Class, Jmp, Mode, Size } from './opcodes.js';

const ALU_NAMES: Record<number, string> = {
  [Alu.ADD]: 'add', [Alu.SUB]: 'sub', [Alu.MUL]: 'mul', [Alu.DIV]: 'div', [Alu.OR]: 'or',
  [Alu.AND]: 'and', [Alu.LSH]: 'lsh', [Alu.RSH]: 'rsh', [Alu.NEG]: 'neg', [Alu.MOD]: 'mod',
  [Alu.XOR]: 'xor', [Alu.MOV]: 'mov', [Alu.ARSH]: 'arsh', [Alu.END]: 'end',
};

const JMP_NAMES: Record<number, string> = {
  [Jmp.JA]: 'ja', [Jmp.JEQ]: 'jeq', [Jmp.JGT]: 'jgt', [Jmp.JGE]: 'jge', [Jmp.JSET]: 'jset',
  [Jmp.JNE]: 'jne', [Jmp.JSGT]: 'jsgt', [Jmp.JSGE]: 'jsge', [Jmp.CALL]: 'call', [Jmp.EXIT]: 'exit',
  [Jmp.JLT]: 'jlt', [Jmp.JLE]: 'jle', [Jmp.JSLT]: 'jslt', [Jmp.JSLE]: 'jsle',
};

const SIZE_NAMES: Record<number, string> = { [Size.B]: 'b', [Size.H]: 'h', [Size.W]: 'w', [Size.DW]: 'dw' };

/** uBPF-style mnemonic of an ALU operation code, or undefined for an undefined one. */
export const aluName = (aluOp: number): string | undefined => ALU_NAMES[aluOp];
/** uBPF-style mnemonic of a jump operation code, or undefined for an undefined one. */
export const jmpName = (jmpOp: number): string | undefined => JMP_NAMES[jmpOp];
/** Suffix of a load/store size (`b`, `h`, `w`, `dw`). */
export const sizeName = (size: number): string => SIZE_NAMES[size] ?? '?';

/**
 * A short name for an opcode byte, used in error messages (not the disassembler, which also needs
 * the other fields). Unknown combinations still get a readable class-based name.
 */
export function opcodeName(op: number): string {
  const cls = op & 7;
  switch (cls) {
    case Class.ALU:
    case Class.ALU64: {
      const n = ALU_NAMES[op & 0xf0] ?? 'alu?';
      return cls === Class.ALU ? `${n}32` : n;
    }
    case Class.JMP:
    case Class.JMP32: {
      const n = JMP_NAMES[op & 0xf0] ?? 'jmp?';
      return cls === Class.JMP32 ? `${n}32` : n;
    }
    case Class.LD:
      if (op === 0x18) return 'lddw';
      if ((op & 0xe0) === Mode.ABS) return `ldabs${sizeName(op & 0x18)}`;
      if ((op & 0xe0) === Mode.IND) return `ldind${sizeName(op & 0x18)}`;
      return 'ld?';
    case Class.LDX:
      return ((op & 0xe0) === Mode.MEMSX ? 'ldxs' : 'ldx') + sizeName(op & 0x18);
    case Class.ST:
      return `st${sizeName(op & 0x18)}`;
    default:
      return ((op & 0xe0) === Mode.ATOMIC ? 'atomic' : 'stx') + sizeName(op & 0x18);
  }
}
