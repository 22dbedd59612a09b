import { Alu, Atomic, Class, Jmp, Mode, Size } from './opcodes.js';
import { opcodeName } from './names.js';
import type { Instruction } from './instruction.js';

const ATOMIC_OPS = new Set<number>([
  Atomic.ADD, Atomic.ADD | Atomic.FETCH, Atomic.OR, Atomic.OR | Atomic.FETCH, Atomic.AND,
  Atomic.AND | Atomic.FETCH, Atomic.XOR, Atomic.XOR | Atomic.FETCH, Atomic.XCHG, Atomic.CMPXCHG,
]);

const hex = (n: number): string => `0x${(n >>> 0).toString(16).padStart(2, '0')}`;

/**
 * Checks one instruction against the encoding rules of RFC 9669: defined opcodes only, reserved
 * fields zero, registers in range. Returns the reason it is invalid, or undefined when it is valid.
 * The reason names the field so an error can point at it.
 */
export function encodingError(ins: Instruction): string | undefined {
  const { opcode: op, dst, src, off, imm } = ins;
  // built only for a message: decoding a large object validates every instruction
  const name = (): string => `${opcodeName(op)} (opcode ${hex(op)})`;
  const mustBeZero = (field: string, v: number): string | undefined =>
    v !== 0 ? `field ${field} must be 0 in ${name()}, found ${v}` : undefined;
  if (dst > 10) return `invalid destination register r${dst} in ${name()}`;
  if (src > 10 && !(op === 0x18)) return `invalid source register r${src} in ${name()}`;
  const cls = op & 7;
  const source = op & 0x08;
  switch (cls) {
    case Class.ALU:
    case Class.ALU64: {
      const aop = op & 0xf0;
      if (aop > Alu.END) return `unknown opcode ${hex(op)}`;
      if (aop === Alu.END) {
        if (cls === Class.ALU64 && source) return `unknown opcode ${hex(op)}`;
        if (imm !== 16 && imm !== 32 && imm !== 64) return `field imm must be 16, 32 or 64 in ${name()}, found ${imm}`;
        return mustBeZero('src', src) ?? mustBeZero('offset', off);
      }
      if (aop === Alu.NEG) {
        if (source) return `unknown opcode ${hex(op)}`;
        return mustBeZero('src', src) ?? mustBeZero('offset', off) ?? mustBeZero('imm', imm);
      }
      const signedOk = (aop === Alu.DIV || aop === Alu.MOD) && off === 1;
      if (source === 0) {
        if (src !== 0) return mustBeZero('src', src);
        if (off !== 0 && !signedOk) return mustBeZero('offset', off);
        return undefined;
      }
      if (imm !== 0) return mustBeZero('imm', imm);
      if (off !== 0 && !signedOk) {
        const movsxOk = aop === Alu.MOV && (off === 8 || off === 16 || (off === 32 && cls === Class.ALU64));
        if (!movsxOk) return mustBeZero('offset', off);
      }
      return undefined;
    }
    case Class.JMP:
    case Class.JMP32: {
      const jop = op & 0xf0;
      if (jop > Jmp.JSLE) return `unknown opcode ${hex(op)}`;
      if (jop === Jmp.JA) {
        if (source) return `unknown opcode ${hex(op)}`;
        if (cls === Class.JMP) return mustBeZero('dst', dst) ?? mustBeZero('src', src) ?? mustBeZero('imm', imm);
        return mustBeZero('dst', dst) ?? mustBeZero('src', src) ?? mustBeZero('offset', off);
      }
      if (jop === Jmp.CALL) {
        if (cls === Class.JMP32) return `unknown opcode ${hex(op)}`;
        if (source) return mustBeZero('src', src) ?? mustBeZero('offset', off) ?? mustBeZero('imm', imm);
        if (src > 2) return `field src must be 0, 1 or 2 in ${name()}, found ${src}`;
        return mustBeZero('dst', dst) ?? (src === 2 ? undefined : mustBeZero('offset', off));
      }
      if (jop === Jmp.EXIT) {
        if (cls === Class.JMP32 || source) return `unknown opcode ${hex(op)}`;
        return mustBeZero('dst', dst) ?? mustBeZero('src', src) ?? mustBeZero('offset', off) ?? mustBeZero('imm', imm);
      }
      return source === 0 ? mustBeZero('src', src) : mustBeZero('imm', imm);
    }
    case Class.LD: {
      if (op === 0x18) {
        if (src > 6) return `field src must be a pseudo source 0..6 in ${name()}, found ${src}`;
        return mustBeZero('offset', off);
      }
      const mode = op & 0xe0;
      if ((mode === Mode.ABS || mode === Mode.IND) && (op & 0x18) !== Size.DW) {
        if (mode === Mode.ABS && src !== 0) return mustBeZero('src', src);
        return mustBeZero('dst', dst) ?? mustBeZero('offset', off);
      }
      return `unknown opcode ${hex(op)}`;
    }
    case Class.LDX: {
      const mode = op & 0xe0;
      if (mode === Mode.MEM || (mode === Mode.MEMSX && (op & 0x18) !== Size.DW)) return mustBeZero('imm', imm);
      return `unknown opcode ${hex(op)}`;
    }
    case Class.ST: {
      if ((op & 0xe0) !== Mode.MEM) return `unknown opcode ${hex(op)}`;
      return mustBeZero('src', src);
    }
    default: {
      const mode = op & 0xe0;
      if (mode === Mode.MEM) return mustBeZero('imm', imm);
      if (mode === Mode.ATOMIC && ((op & 0x18) === Size.W || (op & 0x18) === Size.DW)) {
        if (!ATOMIC_OPS.has(imm)) return `field imm ${hex(imm)} is not an atomic operation in ${name()}`;
        return undefined;
      }
      return `unknown opcode ${hex(op)}`;
    }
  }
}
