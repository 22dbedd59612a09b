/**
 * Disassembler with two syntaxes:
 * - `llvm` (default): the text `llvm-objdump -d` (LLVM 19) prints for BPF, character for character,
 *   so output can be diffed against LLVM's. `mcpu` picks the decoding llvm-objdump uses: plain
 *   `llvm-objdump -d` decodes as cpu v1 (r registers for 32-bit memory access; of the 32-bit atomics
 *   only add is known, printed without its fetch flag as LLVM does); `--mcpu=v3`/`v4` prints w
 *   registers and every 32-bit atomic. The recorded facts in test/isa/llvm-objdump-facts.txt pin it.
 * - `ubpf`: the assembler syntax of ./asm.ts, with relative jump targets, so that
 *   `assemble(disassemble(p, { syntax: 'ubpf' }).join('\n'))` encodes to the same bytes.
 *
 * Neither ever throws: an instruction the ISA does not define (per ./validate.ts) prints as
 * `<unknown>` (what llvm-objdump prints) or, in ubpf syntax, as a raw `.insn` line the assembler
 * accepts back.
 */
import { LDDW_PSEUDO_NAMES } from './asm.js';
import type { Instruction } from './instruction.js';
import { slotOffsets, wideImmediate } from './instruction.js';
import { Alu, Atomic, Class, Jmp, Mode, Op, PseudoCall, Size, Source } from './opcodes.js';
import { encodingError } from './validate.js';

export type DisasmSyntax = 'llvm' | 'ubpf';

export interface DisasmOptions {
  syntax?: DisasmSyntax;
  /** Slot index (pc) of the instruction; jump destinations are computed from it. Default 0. */
  pc?: number;
  /**
   * Names a jump destination (a slot index, possibly out of the program). In llvm syntax a name is
   * printed after the offset as ` <name>`, as llvm-objdump prints `<LBB0_2>` or `<.text+0x40>`.
   * Ignored in ubpf syntax, which keeps relative offsets so the text re-assembles.
   */
  target?: (pc: number) => string | undefined;
  /**
   * Names a helper by id. llvm-objdump prints the number (the default); a name given here is
   * printed instead (`call bpf_map_lookup_elem`) in llvm syntax and as a comment in ubpf syntax.
   */
  helperName?: (id: number) => string | undefined;
  /** The `--mcpu` llvm-objdump decodes with (llvm syntax only). Default `v1`, plain llvm-objdump. */
  mcpu?: 'v1' | 'v2' | 'v3' | 'v4';
}

/** Formats one instruction; never throws. */
export function formatInstruction(ins: Instruction, options: DisasmOptions = {}): string {
  try {
    return formatChecked(ins, options);
  } catch {
    // Only a malformed Instruction value (not an encoding) can get here; still never throw.
    return '<unknown>';
  }
}

function formatChecked(ins: Instruction, options: DisasmOptions): string {
  const why = encodingError(ins);
  if ((options.syntax ?? 'llvm') === 'ubpf') {
    return why === undefined ? formatUbpf(ins, options) : rawInsn(ins, why);
  }
  return why === undefined ? formatLlvm(ins, options) : '<unknown>';
}

/** One line per instruction (`lddw` is one line), pcs computed from slot offsets. */
export function disassemble(program: readonly Instruction[], options: DisasmOptions = {}): string[] {
  const pcs = slotOffsets(program);
  return program.map((ins, i) => formatInstruction(ins, { ...options, pc: pcs[i]! }));
}

// ---------------------------------------------------------------------------------------------
// LLVM syntax

const LLVM_ALU: Record<number, string> = {
  [Alu.ADD]: '+=', [Alu.SUB]: '-=', [Alu.MUL]: '*=', [Alu.DIV]: '/=', [Alu.OR]: '|=', [Alu.AND]: '&=',
  [Alu.LSH]: '<<=', [Alu.RSH]: '>>=', [Alu.MOD]: '%=', [Alu.XOR]: '^=', [Alu.MOV]: '=', [Alu.ARSH]: 's>>=',
};

const LLVM_JMP: Record<number, string> = {
  [Jmp.JEQ]: '==', [Jmp.JGT]: '>', [Jmp.JGE]: '>=', [Jmp.JSET]: '&', [Jmp.JNE]: '!=', [Jmp.JSGT]: 's>',
  [Jmp.JSGE]: 's>=', [Jmp.JLT]: '<', [Jmp.JLE]: '<=', [Jmp.JSLT]: 's<', [Jmp.JSLE]: 's<=',
};

const LLVM_ATOMIC_OP: Record<number, { assign: string; fetch: string }> = {
  [Atomic.ADD]: { assign: '+=', fetch: 'atomic_fetch_add' },
  [Atomic.OR]: { assign: '|=', fetch: 'atomic_fetch_or' },
  [Atomic.AND]: { assign: '&=', fetch: 'atomic_fetch_and' },
  [Atomic.XOR]: { assign: '^=', fetch: 'atomic_fetch_xor' },
};

const MEM_WIDTH: Record<number, string> = { [Size.B]: '8', [Size.H]: '16', [Size.W]: '32', [Size.DW]: '64' };

/** Signed hex the way llvm-objdump prints immediates: `0x5`, `-0x1`. */
function shex(v: number | bigint): string {
  const b = BigInt(v);
  return b < 0n ? `-0x${(-b).toString(16)}` : `0x${b.toString(16)}`;
}

/** `+0x3` / `-0x2`: jump offsets always carry a sign. */
const rel = (v: number): string => (v < 0 ? `-0x${(-v).toString(16)}` : `+0x${v.toString(16)}`);

/** `(r10 - 0x8)` / `(r1 + 0x0)`: a base register and displacement. */
const addr = (reg: number, off: number): string => `r${reg} ${off < 0 ? '-' : '+'} 0x${Math.abs(off).toString(16)}`;

function formatLlvm(ins: Instruction, o: DisasmOptions): string {
  const { opcode: op, dst, src, off, imm } = ins;
  const cls = op & 7;
  const alu32 = o.mcpu === 'v3' || o.mcpu === 'v4';
  switch (cls) {
    case Class.ALU:
    case Class.ALU64: {
      const p = cls === Class.ALU64 ? 'r' : 'w';
      const aop = op & 0xf0;
      if (aop === Alu.END) {
        const name = cls === Class.ALU64 ? 'bswap' : (op & Source.X) !== 0 ? 'be' : 'le';
        return `r${dst} = ${name}${imm} r${dst}`;
      }
      if (aop === Alu.NEG) return `${p}${dst} = -${p}${dst}`;
      if (aop === Alu.MOV && off !== 0) return `${p}${dst} = (s${off})${p}${src}`;
      const signed = off === 1 ? 's' : '';
      const rhs = (op & Source.X) !== 0 ? `${p}${src}` : shex(imm);
      return `${p}${dst} ${signed}${LLVM_ALU[aop]!} ${rhs}`;
    }
    case Class.JMP:
    case Class.JMP32: {
      const jop = op & 0xf0;
      const pc = o.pc ?? 0;
      const dest = (d: number): string => {
        const name = o.target?.(pc + 1 + d);
        return name === undefined ? '' : ` <${name}>`;
      };
      if (jop === Jmp.JA) return cls === Class.JMP ? `goto ${rel(off)}${dest(off)}` : `gotol ${rel(imm)}${dest(imm)}`;
      if (jop === Jmp.EXIT) return 'exit';
      if (jop === Jmp.CALL) {
        if ((op & Source.X) !== 0) return `callx r${dst}`;
        const name = src === PseudoCall.HELPER ? o.helperName?.(imm) : undefined;
        return `call ${name ?? shex(imm)}`;
      }
      const p = cls === Class.JMP ? 'r' : 'w';
      const rhs = (op & Source.X) !== 0 ? `${p}${src}` : shex(imm);
      return `if ${p}${dst} ${LLVM_JMP[jop]!} ${rhs} goto ${rel(off)}${dest(off)}`;
    }
    case Class.LD: {
      if (op === Op.LDDW) {
        if (src !== 0) return `ld_pseudo\tr${dst}, ${shex(src)}, ${shex(imm >>> 0)}`;
        return `r${dst} = ${shex(BigInt.asIntN(64, wideImmediate(ins)))} ll`;
      }
      const width = `u${MEM_WIDTH[op & 0x18]!}`;
      // LLVM prints only the register of an indirect packet load (its imm is always 0 from clang).
      if ((op & 0xe0) === Mode.ABS) return `r0 = *(${width} *)skb[${shex(imm)}]`;
      return `r0 = *(${width} *)skb[r${src}]`;
    }
    case Class.LDX: {
      const size = op & 0x18;
      if ((op & 0xe0) === Mode.MEMSX) return `r${dst} = *(s${MEM_WIDTH[size]!} *)(${addr(src, off)})`;
      const p = alu32 && size !== Size.DW ? 'w' : 'r';
      return `${p}${dst} = *(u${MEM_WIDTH[size]!} *)(${addr(src, off)})`;
    }
    case Class.ST:
      return `*(u${MEM_WIDTH[op & 0x18]!} *)(${addr(dst, off)}) = ${shex(imm)}`;
    default: {
      const size = op & 0x18;
      const width = MEM_WIDTH[size]!;
      if ((op & 0xe0) === Mode.MEM) {
        const p = alu32 && size !== Size.DW ? 'w' : 'r';
        return `*(u${width} *)(${addr(dst, off)}) = ${p}${src}`;
      }
      return formatLlvmAtomic(ins, size === Size.DW, alu32);
    }
  }
}

function formatLlvmAtomic(ins: Instruction, wide: boolean, alu32: boolean): string {
  const { dst, src, off, imm } = ins;
  const width = wide ? '64' : '32';
  if (!wide && !alu32) {
    // Without alu32, LLVM 19 knows only the legacy 32-bit XADD and decodes both add and fetch-add
    // as it, dropping the fetch flag; the other 32-bit atomics are unknown to it.
    if (imm !== Atomic.ADD && imm !== (Atomic.ADD | Atomic.FETCH)) return '<unknown>';
    return `lock *(u32 *)(${addr(dst, off)}) += r${src}`;
  }
  const p = wide ? 'r' : 'w';
  if (imm === Atomic.XCHG) return `${p}${src} = xchg${wide ? '' : '32'}_${width}(${addr(dst, off)}, ${p}${src})`;
  if (imm === Atomic.CMPXCHG) {
    return `${p}0 = cmpxchg${wide ? '' : '32'}_${width}(${addr(dst, off)}, ${p}0, ${p}${src})`;
  }
  const names = LLVM_ATOMIC_OP[imm & ~Atomic.FETCH]!;
  if ((imm & Atomic.FETCH) !== 0) return `${p}${src} = ${names.fetch}((u${width} *)(${addr(dst, off)}), ${p}${src})`;
  return `lock *(u${width} *)(${addr(dst, off)}) ${names.assign} ${p}${src}`;
}

// ---------------------------------------------------------------------------------------------
// ubpf syntax

const UBPF_ALU: Record<number, string> = {
  [Alu.ADD]: 'add', [Alu.SUB]: 'sub', [Alu.MUL]: 'mul', [Alu.DIV]: 'div', [Alu.OR]: 'or', [Alu.AND]: 'and',
  [Alu.LSH]: 'lsh', [Alu.RSH]: 'rsh', [Alu.MOD]: 'mod', [Alu.XOR]: 'xor', [Alu.MOV]: 'mov', [Alu.ARSH]: 'arsh',
};

const UBPF_JMP: Record<number, string> = {
  [Jmp.JEQ]: 'jeq', [Jmp.JGT]: 'jgt', [Jmp.JGE]: 'jge', [Jmp.JSET]: 'jset', [Jmp.JNE]: 'jne', [Jmp.JSGT]: 'jsgt',
  [Jmp.JSGE]: 'jsge', [Jmp.JLT]: 'jlt', [Jmp.JLE]: 'jle', [Jmp.JSLT]: 'jslt', [Jmp.JSLE]: 'jsle',
};

const UBPF_ATOMIC: Record<number, string> = {
  [Atomic.ADD]: 'add', [Atomic.OR]: 'or', [Atomic.AND]: 'and', [Atomic.XOR]: 'xor',
};

const UBPF_SIZE: Record<number, string> = { [Size.B]: 'b', [Size.H]: 'h', [Size.W]: 'w', [Size.DW]: 'dw' };

/**
 * A 32-bit immediate: small values in signed decimal, others as the hex bit pattern (`0xffff0000`),
 * both of which the assembler reads back to the same field.
 */
function imm32(v: number): string {
  return v > -0x10000 && v < 0x10000 ? String(v) : `0x${(v >>> 0).toString(16)}`;
}

const urel = (v: number): string => (v < 0 ? String(v) : `+${v}`);
const mem = (reg: number, off: number): string => `[%r${reg}${off < 0 ? '-' : '+'}${Math.abs(off)}]`;

function formatUbpf(ins: Instruction, o: DisasmOptions): string {
  const { opcode: op, dst, src, off, imm } = ins;
  const cls = op & 7;
  switch (cls) {
    case Class.ALU:
    case Class.ALU64: {
      const aop = op & 0xf0;
      if (aop === Alu.END) {
        const name = cls === Class.ALU64 ? 'bswap' : (op & Source.X) !== 0 ? 'be' : 'le';
        return `${name}${imm} %r${dst}`;
      }
      const suffix = cls === Class.ALU ? '32' : '';
      if (aop === Alu.NEG) return `neg${suffix} %r${dst}`;
      if (aop === Alu.MOV && off !== 0) return `movsx${off}${cls === Class.ALU ? '32' : '64'} %r${dst}, %r${src}`;
      const name = (off === 1 ? 's' : '') + UBPF_ALU[aop]! + suffix;
      return `${name} %r${dst}, ${(op & Source.X) !== 0 ? `%r${src}` : imm32(imm)}`;
    }
    case Class.JMP:
    case Class.JMP32: {
      const jop = op & 0xf0;
      if (jop === Jmp.JA) return cls === Class.JMP ? `ja ${urel(off)}` : `ja32 ${urel(imm)}`;
      if (jop === Jmp.EXIT) return 'exit';
      if (jop === Jmp.CALL) {
        if ((op & Source.X) !== 0) return `call %r${dst}`;
        if (src === PseudoCall.LOCAL) {
          const callee = ins.meta?.callee;
          return `call local ${urel(imm)}${callee ? ` # ${callee}` : ''}`;
        }
        if (src === PseudoCall.KFUNC) {
          // The offset (a module BTF fd index) has no assembler spelling: keep it as a raw line.
          if (off !== 0) return `${rawFields(ins)} # call runtime ${imm}, module BTF index ${off}`;
          return `call runtime ${imm}`;
        }
        const name = o.helperName?.(imm);
        return `call ${imm}${name ? ` # ${name}` : ''}`;
      }
      const suffix = cls === Class.JMP32 ? '32' : '';
      const rhs = (op & Source.X) !== 0 ? `%r${src}` : imm32(imm);
      return `${UBPF_JMP[jop]!}${suffix} %r${dst}, ${rhs}, ${urel(off)}`;
    }
    case Class.LD: {
      if (op === Op.LDDW) {
        const kind = src === 0 ? '' : `${LDDW_PSEUDO_NAMES[src]!} `;
        return `lddw %r${dst}, ${kind}0x${wideImmediate(ins).toString(16)}`;
      }
      const size = UBPF_SIZE[op & 0x18]!;
      if ((op & 0xe0) === Mode.ABS) return `ldabs${size} ${imm32(imm)}`;
      return `ldind${size} %r${src}, ${imm32(imm)}`;
    }
    case Class.LDX: {
      const sx = (op & 0xe0) === Mode.MEMSX ? 's' : '';
      return `ldx${sx}${UBPF_SIZE[op & 0x18]!} %r${dst}, ${mem(src, off)}`;
    }
    case Class.ST:
      return `st${UBPF_SIZE[op & 0x18]!} ${mem(dst, off)}, ${imm32(imm)}`;
    default: {
      const size = op & 0x18;
      if ((op & 0xe0) === Mode.MEM) return `stx${UBPF_SIZE[size]!} ${mem(dst, off)}, %r${src}`;
      const suffix = size === Size.W ? '32' : '';
      let name: string;
      if (imm === Atomic.XCHG) name = 'xchg';
      else if (imm === Atomic.CMPXCHG) name = 'cmpxchg';
      else name = ((imm & Atomic.FETCH) !== 0 ? 'fetch ' : '') + UBPF_ATOMIC[imm & ~Atomic.FETCH]!;
      return `lock ${name}${suffix} ${mem(dst, off)}, %r${src}`;
    }
  }
}

/** An undefined encoding as the assembler's raw `.insn` directive, with the reason as a comment. */
function rawInsn(ins: Instruction, why: string): string {
  return `${rawFields(ins)} # invalid: ${why.replace(/[\r\n]+/g, ' ')}`;
}

/** `.insn OPCODE, DST, SRC, OFF, IMM[, IMM_HI]`, which the assembler reads back field by field. */
function rawFields(ins: Instruction): string {
  const fields = [`0x${ins.opcode.toString(16).padStart(2, '0')}`, ins.dst, ins.src, ins.off, ins.imm];
  if (ins.opcode === Op.LDDW) fields.push(ins.immHi ?? 0);
  return `.insn ${fields.join(', ')}`;
}
