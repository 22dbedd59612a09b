/**
 * The verifier's view of instructions: a discriminated union on `kind`, one member per kind of
 * semantics (not per opcode), plus synthetic statements the CFG builder inserts: `assume` for
 * each side of a conditional jump, `enter`/`leave` around inlined sub-program calls, callback
 * entry/return for helpers such as bpf_loop, and loop-counter bookkeeping.
 */
import type { Endian } from '../isa/decode.js';
import type { Instruction } from '../isa/instruction.js';
import { Alu, Atomic, Class, Jmp, Mode, PseudoCall, PseudoLd, Source, sizeBytes } from '../isa/opcodes.js';
import type { AluOp, CmpOp } from './domains/scalar.js';

export type Operand = { readonly kind: 'reg'; readonly reg: number } | { readonly kind: 'imm'; readonly value: bigint };

export type AtomicOp = 'add' | 'or' | 'and' | 'xor' | 'xchg' | 'cmpxchg';

export type Stmt =
  | { readonly kind: 'alu'; readonly op: AluOp; readonly dst: number; readonly src: Operand; readonly is64: boolean }
  | { readonly kind: 'mov'; readonly dst: number; readonly src: Operand; readonly is64: boolean; readonly signExtend?: 8 | 16 | 32 }
  | { readonly kind: 'neg'; readonly dst: number; readonly is64: boolean }
  /**
   * Synthetic: the pair `r <<= 32; r >>= 32` (or `s>>= 32`), clang's zero/sign extension of a
   * 32-bit value for cpu v1. As one statement it keeps r's relations when r already fits.
   */
  | { readonly kind: 'extend32'; readonly dst: number; readonly signed: boolean }
  | { readonly kind: 'end'; readonly dst: number; readonly bits: 16 | 32 | 64; readonly swap: boolean }
  | { readonly kind: 'ldimm'; readonly dst: number; readonly value: bigint }
  | { readonly kind: 'ldmap'; readonly dst: number; readonly map: number }
  | { readonly kind: 'ldmapvalue'; readonly dst: number; readonly map: number; readonly offset: number }
  | { readonly kind: 'ldfunc'; readonly dst: number; readonly target: number }
  | { readonly kind: 'load'; readonly dst: number; readonly base: number; readonly off: number; readonly size: 1 | 2 | 4 | 8; readonly signed: boolean }
  | { readonly kind: 'store'; readonly base: number; readonly off: number; readonly size: 1 | 2 | 4 | 8; readonly value: Operand }
  | {
      readonly kind: 'atomic';
      readonly op: AtomicOp;
      readonly fetch: boolean;
      readonly base: number;
      readonly off: number;
      readonly size: 4 | 8;
      readonly src: number;
    }
  | { readonly kind: 'ldpkt'; readonly indirect: boolean; readonly src: number; readonly imm: number; readonly size: 1 | 2 | 4 }
  /**
   * A helper call. A helper with a callback is split around the callback loop: `args` checks the
   * arguments, `result` (after the loop) clobbers r1-r5 and sets r0; without `phase`, both.
   */
  | { readonly kind: 'call'; readonly helper: number; readonly phase?: 'args' | 'result' }
  | { readonly kind: 'callLocal'; readonly target: number }
  /** A kfunc: its BTF id (the kernel's when the object was loaded with kernel BTF) and name. */
  | { readonly kind: 'kfunc'; readonly btfId: number; readonly callee?: string }
  /** A call of a global function: verified on its own, so here only its arguments are checked. */
  | { readonly kind: 'callGlobal'; readonly target: number }
  /** `callback`: the helper whose callback this exit returns from (its return value is checked). */
  | { readonly kind: 'exit'; readonly callback?: number; readonly global?: boolean }
  | { readonly kind: 'ja' }
  /** Synthetic: the condition of a branch edge holds. */
  | { readonly kind: 'assume'; readonly op: CmpOp; readonly left: number; readonly right: Operand; readonly is64: boolean }
  /** Synthetic: start of an inlined sub-program: a new frame with r1-r5 from the caller. */
  | { readonly kind: 'enter'; readonly fn: number; readonly callSite: number }
  /** Synthetic: return to the caller: r0 comes back, r1-r5 are clobbered, the frame goes. */
  | { readonly kind: 'leave' }
  /** Synthetic: a helper calls back into the program (bpf_loop and friends): a new frame with the callback's arguments. */
  | { readonly kind: 'callbackEnter'; readonly fn: number; readonly helper: number; readonly callSite: number }
  /** Synthetic: the callback returns to the helper. */
  | { readonly kind: 'callbackLeave'; readonly helper: number }
  /** Synthetic: the head of a loop: one more iteration. */
  | { readonly kind: 'loopHead'; readonly counter: number; readonly strides: readonly number[] }
  /** Synthetic: entering a loop from outside: its iteration counter starts at zero. */
  | { readonly kind: 'loopEntry'; readonly counter: number; readonly strides: readonly number[] }
  /** An instruction that cannot run (poisoned by CO-RE, or malformed). */
  | { readonly kind: 'invalid'; readonly reason: string };

export type StmtKind = Stmt['kind'];

const ALU_OPS: Record<number, AluOp> = {
  [Alu.ADD]: 'add',
  [Alu.SUB]: 'sub',
  [Alu.MUL]: 'mul',
  [Alu.DIV]: 'div',
  [Alu.OR]: 'or',
  [Alu.AND]: 'and',
  [Alu.LSH]: 'lsh',
  [Alu.RSH]: 'rsh',
  [Alu.MOD]: 'mod',
  [Alu.XOR]: 'xor',
  [Alu.ARSH]: 'arsh',
};

export const JMP_OPS: Record<number, CmpOp> = {
  [Jmp.JEQ]: 'eq',
  [Jmp.JGT]: 'gt',
  [Jmp.JGE]: 'ge',
  [Jmp.JSET]: 'set',
  [Jmp.JNE]: 'ne',
  [Jmp.JSGT]: 'sgt',
  [Jmp.JSGE]: 'sge',
  [Jmp.JLT]: 'lt',
  [Jmp.JLE]: 'le',
  [Jmp.JSLT]: 'slt',
  [Jmp.JSLE]: 'sle',
};

const reg = (r: number): Operand => ({ kind: 'reg', reg: r });
const imm = (v: bigint): Operand => ({ kind: 'imm', value: v });

/** What the CFG needs to know about control flow at an instruction. */
export type Flow =
  | { readonly kind: 'next' }
  | { readonly kind: 'goto'; readonly target: number }
  | { readonly kind: 'branch'; readonly target: number; readonly op: CmpOp; readonly left: number; readonly right: Operand; readonly is64: boolean }
  /** `callback`: the helper whose callback this exit returns from (its return value is checked). */
  | { readonly kind: 'exit'; readonly callback?: number; readonly global?: boolean };

/** Control flow of the instruction at slot pc. */
export function flowOf(ins: Instruction, pc: number): Flow {
  const cls = ins.opcode & 7;
  if (cls !== Class.JMP && cls !== Class.JMP32) return { kind: 'next' };
  const op = ins.opcode & 0xf0;
  if (op === Jmp.EXIT) return { kind: 'exit' };
  if (op === Jmp.CALL) return { kind: 'next' };
  if (op === Jmp.JA) return { kind: 'goto', target: pc + 1 + (cls === Class.JMP32 ? ins.imm : ins.off) };
  const cmp = JMP_OPS[op];
  if (!cmp) return { kind: 'next' };
  const is64 = cls === Class.JMP;
  const right = (ins.opcode & Source.X) !== 0 ? reg(ins.src) : imm(is64 ? BigInt(ins.imm) : BigInt(ins.imm >>> 0));
  return { kind: 'branch', target: pc + 1 + ins.off, op: cmp, left: ins.dst, right, is64 };
}

/**
 * The statement of one instruction. Map references are lddw pseudo-sources with map indexes (see
 * the object model); local-call targets and function pointers are absolute slots.
 */
export function toStmt(ins: Instruction, pc: number, endian: Endian): Stmt {
  if (ins.meta?.poisoned) return { kind: 'invalid', reason: `CO-RE relocation could not be applied: ${ins.meta.poisoned}` };
  const op = ins.opcode;
  const cls = op & 7;
  switch (cls) {
    case Class.ALU:
    case Class.ALU64: {
      const is64 = cls === Class.ALU64;
      const aop = op & 0xf0;
      const useReg = (op & Source.X) !== 0;
      const src = useReg ? reg(ins.src) : imm(is64 ? BigInt(ins.imm) : BigInt(ins.imm >>> 0));
      if (aop === Alu.MOV) {
        if (ins.off === 8 || ins.off === 16 || ins.off === 32) return { kind: 'mov', dst: ins.dst, src, is64, signExtend: ins.off };
        return { kind: 'mov', dst: ins.dst, src, is64 };
      }
      if (aop === Alu.NEG) return { kind: 'neg', dst: ins.dst, is64 };
      if (aop === Alu.END) {
        const bits = ins.imm === 16 || ins.imm === 32 || ins.imm === 64 ? ins.imm : 64;
        // BPF_TO_LE / BPF_TO_BE (ALU) convert to that byte order: a swap only if it differs from
        // the program's; ALU64 END is an unconditional bswap.
        const toBig = (op & Source.X) !== 0;
        const swap = is64 ? true : toBig !== (endian === 'big');
        return { kind: 'end', dst: ins.dst, bits, swap };
      }
      let a = ALU_OPS[aop];
      if (!a) return { kind: 'invalid', reason: `unknown ALU operation 0x${aop.toString(16)}` };
      if (ins.off === 1 && (a === 'div' || a === 'mod')) a = a === 'div' ? 'sdiv' : 'smod';
      return { kind: 'alu', op: a, dst: ins.dst, src, is64 };
    }
    case Class.LD: {
      if (op === 0x18) {
        switch (ins.src) {
          case PseudoLd.IMM64:
            return { kind: 'ldimm', dst: ins.dst, value: BigInt.asUintN(64, (BigInt(ins.immHi ?? 0) << 32n) | BigInt(ins.imm >>> 0)) };
          case PseudoLd.MAP_FD:
          case PseudoLd.MAP_IDX:
            return { kind: 'ldmap', dst: ins.dst, map: ins.imm };
          case PseudoLd.MAP_VALUE:
          case PseudoLd.MAP_IDX_VALUE:
            return { kind: 'ldmapvalue', dst: ins.dst, map: ins.imm, offset: ins.immHi ?? 0 };
          case PseudoLd.FUNC:
            return { kind: 'ldfunc', dst: ins.dst, target: pc + 1 + ins.imm };
          default:
            return { kind: 'invalid', reason: `lddw with pseudo source ${ins.src} (kernel BTF objects) is not supported` };
        }
      }
      const mode = op & 0xe0;
      if (mode === Mode.ABS || mode === Mode.IND) {
        const size = sizeBytes(op & 0x18);
        if (size === 8) return { kind: 'invalid', reason: 'legacy packet load of 8 bytes' };
        return { kind: 'ldpkt', indirect: mode === Mode.IND, src: ins.src, imm: ins.imm, size };
      }
      return { kind: 'invalid', reason: 'unknown load instruction' };
    }
    case Class.LDX: {
      const mode = op & 0xe0;
      const size = sizeBytes(op & 0x18);
      if (mode !== Mode.MEM && mode !== Mode.MEMSX) return { kind: 'invalid', reason: 'unknown load mode' };
      return { kind: 'load', dst: ins.dst, base: ins.src, off: ins.off, size, signed: mode === Mode.MEMSX };
    }
    case Class.ST:
      return { kind: 'store', base: ins.dst, off: ins.off, size: sizeBytes(op & 0x18), value: imm(BigInt(ins.imm)) };
    case Class.STX: {
      const mode = op & 0xe0;
      const size = sizeBytes(op & 0x18);
      if (mode === Mode.MEM) return { kind: 'store', base: ins.dst, off: ins.off, size, value: reg(ins.src) };
      if (mode === Mode.ATOMIC) {
        if (size !== 4 && size !== 8) return { kind: 'invalid', reason: 'atomic operation of 1 or 2 bytes' };
        const fetch = (ins.imm & Atomic.FETCH) !== 0;
        const aop = ins.imm & ~Atomic.FETCH;
        const names: Record<number, AtomicOp> = { [Atomic.ADD]: 'add', [Atomic.OR]: 'or', [Atomic.AND]: 'and', [Atomic.XOR]: 'xor', [0xe0]: 'xchg', [0xf0]: 'cmpxchg' };
        const a = names[aop];
        if (!a) return { kind: 'invalid', reason: `unknown atomic operation 0x${ins.imm.toString(16)}` };
        return { kind: 'atomic', op: a, fetch: fetch || a === 'xchg' || a === 'cmpxchg', base: ins.dst, off: ins.off, size, src: ins.src };
      }
      return { kind: 'invalid', reason: 'unknown store mode' };
    }
    default: {
      const jop = op & 0xf0;
      if (jop === Jmp.CALL) {
        if ((op & Source.X) !== 0) return { kind: 'invalid', reason: 'indirect call (callx) is not supported by the kernel' };
        if (ins.src === PseudoCall.LOCAL) return { kind: 'callLocal', target: pc + 1 + ins.imm };
        if (ins.src === PseudoCall.KFUNC) return ins.meta?.callee !== undefined ? { kind: 'kfunc', btfId: ins.imm, callee: ins.meta.callee } : { kind: 'kfunc', btfId: ins.imm };
        return { kind: 'call', helper: ins.imm };
      }
      if (jop === Jmp.EXIT) return { kind: 'exit' };
      return { kind: 'ja' };
    }
  }
}
