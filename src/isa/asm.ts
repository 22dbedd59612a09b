/**
 * Assembler for the uBPF / bpf_conformance assembler syntax (the `-- asm` sections of the
 * conformance suite): one instruction a line, `#` comments, `NAME:` labels, `%rN` registers.
 *
 * Besides the suite's own spellings it accepts what `disassemble(..., { syntax: 'ubpf' })` prints,
 * so every valid instruction round-trips through text: `ldabs*`/`ldind*`, `call runtime N`,
 * `callx %rN`, and `lddw %rN, KIND IMM` for the pseudo sources of `lddw` (`map_fd`, `map_value`,
 * `btf_id`, `func`, `map_idx`, `map_idx_value`).
 */
import { BpfkitError, ErrorCode } from '../errors.js';
import { encodeProgram } from './encode.js';
import type { Endian } from './decode.js';
import { insn, type Instruction } from './instruction.js';
import { Alu, Atomic, Class, Jmp, Mode, Op, PseudoCall, Size, Source } from './opcodes.js';
import {
  type AsmFail,
  isIdentifier,
  looksLikeRegister,
  parseInteger,
  parseImm32,
  parseJumpTarget,
  parseMemory,
  parseRegister,
  parseSigned,
  type JumpTarget,
} from './asm-operands.js';

export interface AssembleOptions {
  /**
   * Accept a source with no instruction and return `[]`. Off by default: an empty program is not a
   * program (the kernel refuses one too), and it usually means a mis-named section.
   */
  allowEmpty?: boolean;
}

/** Names of the pseudo sources of `lddw` (the `src` field), as the ubpf syntax writes them. */
export const LDDW_PSEUDO_NAMES: readonly string[] = ['', 'map_fd', 'map_value', 'btf_id', 'func', 'map_idx', 'map_idx_value'];

/** A jump or call whose target is a label, patched once every label is known. */
interface Fixup {
  index: number;
  slot: number;
  label: string;
  line: number;
  /** `off` for jumps (16 bits), `imm` for `ja32` and local calls (32 bits). */
  field: 'off' | 'imm';
}

/** What an encoder sees: the operand texts and the helpers to parse them in line context. */
interface Ctx {
  mnemonic: string;
  ops: string[];
  fail: AsmFail;
  /** Resolves a jump target now (relative) or records a fixup (label); returns the field value. */
  target: (text: string, field: 'off' | 'imm') => number;
}

type Encoder = (ctx: Ctx) => Instruction;

interface Form {
  /** Accepted operand counts. */
  arity: number;
  encode: Encoder;
}

const ALU_OPS: Record<string, { op: number; off?: number }> = {
  add: { op: Alu.ADD }, sub: { op: Alu.SUB }, mul: { op: Alu.MUL }, div: { op: Alu.DIV },
  sdiv: { op: Alu.DIV, off: 1 }, mod: { op: Alu.MOD }, smod: { op: Alu.MOD, off: 1 }, or: { op: Alu.OR },
  and: { op: Alu.AND }, lsh: { op: Alu.LSH }, rsh: { op: Alu.RSH }, arsh: { op: Alu.ARSH },
  xor: { op: Alu.XOR }, mov: { op: Alu.MOV },
};

const JMP_OPS: Record<string, number> = {
  jeq: Jmp.JEQ, jgt: Jmp.JGT, jge: Jmp.JGE, jset: Jmp.JSET, jne: Jmp.JNE, jsgt: Jmp.JSGT,
  jsge: Jmp.JSGE, jlt: Jmp.JLT, jle: Jmp.JLE, jslt: Jmp.JSLT, jsle: Jmp.JSLE,
};

const SIZES: Record<string, number> = { b: Size.B, h: Size.H, w: Size.W, dw: Size.DW };

const ATOMIC_OPS: Record<string, number> = {
  add: Atomic.ADD, or: Atomic.OR, and: Atomic.AND, xor: Atomic.XOR, xchg: Atomic.XCHG, cmpxchg: Atomic.CMPXCHG,
};

/** The mnemonic table, built once from the opcode tables. */
const FORMS: ReadonlyMap<string, Form> = buildForms();

function buildForms(): Map<string, Form> {
  const forms = new Map<string, Form>();
  const add = (name: string, arity: number, encode: Encoder): void => {
    forms.set(name, { arity, encode });
  };

  // ALU: no suffix or `64` is ALU64, `32` is ALU.
  for (const [suffix, cls] of [['', Class.ALU64], ['64', Class.ALU64], ['32', Class.ALU]] as const) {
    for (const [name, { op, off = 0 }] of Object.entries(ALU_OPS)) {
      add(name + suffix, 2, ({ ops, fail }) => {
        const dst = parseRegister(ops[0]!, fail);
        if (looksLikeRegister(ops[1]!)) return insn(cls | op | Source.X, dst, parseRegister(ops[1]!, fail), off, 0);
        return insn(cls | op | Source.K, dst, 0, off, parseImm32(ops[1]!, fail));
      });
    }
    add(`neg${suffix}`, 1, ({ ops, fail }) => insn(cls | Alu.NEG | Source.K, parseRegister(ops[0]!, fail)));
  }

  // movsx<from><to>: sign-extending register moves (offset = source width).
  for (const [name, cls, off] of [
    ['movsx864', Class.ALU64, 8], ['movsx1664', Class.ALU64, 16], ['movsx3264', Class.ALU64, 32],
    ['movsx832', Class.ALU, 8], ['movsx1632', Class.ALU, 16],
  ] as const) {
    add(name, 2, ({ ops, fail }) => {
      if (!looksLikeRegister(ops[1]!)) return fail(`${name} needs a register source, found ${ops[1]}`);
      return insn(cls | Alu.MOV | Source.X, parseRegister(ops[0]!, fail), parseRegister(ops[1]!, fail), off, 0);
    });
  }

  // Byte swaps: le/be are ALU-class END (source K = to little, X = to big); bswap is ALU64 END.
  for (const bits of [16, 32, 64]) {
    const swap = (opcode: number): Encoder => ({ ops, fail }) => insn(opcode, parseRegister(ops[0]!, fail), 0, 0, bits);
    add(`le${bits}`, 1, swap(Class.ALU | Alu.END | Source.K));
    add(`be${bits}`, 1, swap(Class.ALU | Alu.END | Source.X));
    add(`bswap${bits}`, 1, swap(Class.ALU64 | Alu.END | Source.K));
    add(`swap${bits}`, 1, swap(Class.ALU64 | Alu.END | Source.K));
  }

  // Jumps.
  add('ja', 1, ({ ops, target }) => insn(Op.JA, 0, 0, target(ops[0]!, 'off'), 0));
  add('ja32', 1, ({ ops, target }) => insn(Op.JA32, 0, 0, 0, target(ops[0]!, 'imm')));
  for (const [suffix, cls] of [['', Class.JMP], ['32', Class.JMP32]] as const) {
    for (const [name, op] of Object.entries(JMP_OPS)) {
      add(name + suffix, 3, ({ ops, fail, target }) => {
        const dst = parseRegister(ops[0]!, fail);
        if (looksLikeRegister(ops[1]!)) {
          const src = parseRegister(ops[1]!, fail);
          return insn(cls | op | Source.X, dst, src, target(ops[2]!, 'off'), 0);
        }
        const imm = parseImm32(ops[1]!, fail);
        return insn(cls | op | Source.K, dst, 0, target(ops[2]!, 'off'), imm);
      });
    }
  }
  add('call', 1, encodeCall);
  add('callx', 1, ({ ops, fail }) => insn(Op.CALLX, parseRegister(ops[0]!, fail)));
  add('exit', 0, () => insn(Op.EXIT));

  // Loads and stores.
  for (const [s, size] of Object.entries(SIZES)) {
    add(`ldx${s}`, 2, ({ ops, fail }) => {
      const m = parseMemory(ops[1]!, fail);
      return insn(Class.LDX | Mode.MEM | size, parseRegister(ops[0]!, fail), m.reg, m.off, 0);
    });
    add(`st${s}`, 2, ({ ops, fail }) => {
      const m = parseMemory(ops[0]!, fail);
      return insn(Class.ST | Mode.MEM | size, m.reg, 0, m.off, parseImm32(ops[1]!, fail));
    });
    add(`stx${s}`, 2, ({ ops, fail }) => {
      const m = parseMemory(ops[0]!, fail);
      return insn(Class.STX | Mode.MEM | size, m.reg, parseRegister(ops[1]!, fail), m.off, 0);
    });
    if (size === Size.DW) continue;
    add(`ldxs${s}`, 2, ({ ops, fail }) => {
      const m = parseMemory(ops[1]!, fail);
      return insn(Class.LDX | Mode.MEMSX | size, parseRegister(ops[0]!, fail), m.reg, m.off, 0);
    });
    add(`ldabs${s}`, 1, ({ ops, fail }) => insn(Class.LD | Mode.ABS | size, 0, 0, 0, parseImm32(ops[0]!, fail)));
    add(`ldind${s}`, 2, ({ ops, fail }) =>
      insn(Class.LD | Mode.IND | size, 0, parseRegister(ops[0]!, fail), 0, parseImm32(ops[1]!, fail)),
    );
  }
  add('lddw', 2, encodeLddw);
  return forms;
}

/**
 * `.insn OPCODE, DST, SRC, OFF, IMM[, IMM_HI]`: an instruction given field by field, unchecked, so
 * the disassembler can print undefined encodings in a form that re-assembles (and tests can write
 * deliberately invalid programs). IMM_HI, the second slot's immediate, is only for opcode 0x18.
 */
function encodeRaw(ops: string[], fail: AsmFail): Instruction {
  if (ops.length !== 5 && ops.length !== 6) return fail(`Invalid number of operands for .insn: expected 5 or 6, found ${ops.length}`);
  const field = (i: number, name: string, min: bigint, max: bigint): number => {
    const n = parseInteger(ops[i]!);
    if (!n) return fail(`Invalid ${name}: ${ops[i]}`);
    if (n.value < min || n.value > max) return fail(`.insn ${name} out of range: ${ops[i]}`);
    return Number(n.value);
  };
  const opcode = field(0, 'opcode', 0n, 255n);
  const dst = field(1, 'dst', 0n, 15n);
  const src = field(2, 'src', 0n, 15n);
  const off = field(3, 'offset', -32768n, 32767n);
  const imm = Number(parseSigned(ops[4]!, 32, 'immediate', fail));
  if (ops.length === 6 && opcode !== Op.LDDW) return fail('.insn takes a sixth operand (IMM_HI) only for opcode 0x18');
  const hi = ops.length === 6 ? Number(parseSigned(ops[5]!, 32, 'immediate', fail)) : opcode === Op.LDDW ? 0 : undefined;
  return insn(opcode, dst, src, off, imm, hi);
}

/** `call N`, `call helper N`, `call local TARGET`, `call runtime N`, `call %rN` (callx). */
function encodeCall({ ops, fail, target }: Ctx): Instruction {
  const words = ops[0]!.split(/\s+/);
  if (words.length === 1) words.unshift('helper');
  if (words.length !== 2) return fail('Invalid number of operands for call');
  const [mode, what] = words as [string, string];
  switch (mode) {
    case 'helper':
      // A register target is an indirect call; the register goes in dst, as LLVM and the kernel do.
      if (looksLikeRegister(what)) return insn(Op.CALLX, parseRegister(what, fail));
      return insn(Op.CALL, 0, PseudoCall.HELPER, 0, parseImm32(what, fail));
    case 'local':
      return insn(Op.CALL, 0, PseudoCall.LOCAL, 0, target(what, 'imm'));
    case 'runtime':
      return insn(Op.CALL, 0, PseudoCall.KFUNC, 0, parseImm32(what, fail));
    default:
      return fail(`Invalid call mode: ${mode} (expected helper, local or runtime)`);
  }
}

/** `lddw %rN, IMM64` or `lddw %rN, KIND IMM64` with KIND one of {@link LDDW_PSEUDO_NAMES}. */
function encodeLddw({ ops, fail }: Ctx): Instruction {
  const dst = parseRegister(ops[0]!, fail);
  const words = ops[1]!.split(/\s+/);
  let src = 0;
  if (words.length === 2) {
    src = LDDW_PSEUDO_NAMES.indexOf(words[0]!);
    if (src <= 0) return fail(`Invalid lddw source kind: ${words[0]} (expected one of ${LDDW_PSEUDO_NAMES.slice(1).join(', ')})`);
  } else if (words.length !== 1) {
    return fail('Invalid number of operands for lddw');
  }
  const v = parseSigned(words[words.length - 1]!, 64, 'immediate', fail);
  return insn(Op.LDDW, dst, src, 0, Number(BigInt.asIntN(32, v)), Number(BigInt.asIntN(32, v >> 32n)));
}

/** `lock [fetch] OP[32] [%rN+OFF], %rM`. */
function encodeLock(ops: string[], fail: AsmFail): Instruction {
  const bad = (): never => fail('Invalid number of operands for lock');
  if (ops.length !== 2) return bad();
  const head = ops[0]!;
  const bracket = head.indexOf('[');
  if (bracket < 0) return bad();
  const words = head.slice(0, bracket).trim().split(/\s+/).filter((w) => w !== '');
  let fetch = false;
  if (words[0] === 'fetch') {
    fetch = true;
    words.shift();
  }
  if (words.length !== 1) return bad();
  let name = words[0]!;
  let size: number = Size.DW;
  if (name.endsWith('32')) {
    size = Size.W;
    name = name.slice(0, -2);
  } else if (name.endsWith('64')) {
    name = name.slice(0, -2);
  }
  const op = ATOMIC_OPS[name];
  if (op === undefined) return fail(`Invalid atomic operation: ${words[0]}`);
  const m = parseMemory(head.slice(bracket).trim(), fail);
  const src = parseRegister(ops[1]!, fail);
  // xchg and cmpxchg always fetch: their encodings include the fetch bit.
  return insn(Class.STX | Mode.ATOMIC | size, m.reg, src, m.off, fetch ? op | Atomic.FETCH : op);
}

/** Splits the operand text on commas; an empty piece (`add %r1,`) is an error. */
function splitOperands(rest: string, fail: AsmFail): string[] {
  if (rest === '') return [];
  const ops = rest.split(',').map((s) => s.trim());
  if (ops.some((o) => o === '')) return fail('Empty operand');
  return ops;
}

const LABEL = /^([A-Za-z_.$][\w.$]*)\s*:/;

/**
 * Assembles uBPF-syntax source into instructions (`lddw` is one instruction of two slots).
 * Throws `BpfkitError(ErrorCode.AsmSyntax, 'line N: reason')` with the 1-based source line.
 */
export function assemble(source: string, options: AssembleOptions = {}): Instruction[] {
  const out: Instruction[] = [];
  const labels = new Map<string, { slot: number; line: number }>();
  const fixups: Fixup[] = [];
  /** Slot of the first `exit`: the target `exit` names when no label of that name exists. */
  let firstExit: number | undefined;
  let slot = 0;
  const lines = source.split(/\r?\n/);

  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const fail: AsmFail = (reason) => {
      throw new BpfkitError(ErrorCode.AsmSyntax, `line ${lineNo}: ${reason}`);
    };
    let text = lines[i]!.replace(/#.*$/, '').trim();
    for (let m = LABEL.exec(text); m; m = LABEL.exec(text)) {
      const name = m[1]!;
      const prev = labels.get(name);
      if (prev) fail(`Duplicate label: ${name} (first defined on line ${prev.line})`);
      labels.set(name, { slot, line: lineNo });
      text = text.slice(m[0].length).trim();
    }
    if (text === '') continue;

    const space = text.search(/\s/);
    const mnemonic = space < 0 ? text : text.slice(0, space);
    const rest = space < 0 ? '' : text.slice(space).trim();
    const ops = splitOperands(rest, fail);
    let ins: Instruction;
    if (mnemonic === 'lock') {
      ins = encodeLock(ops, fail);
    } else if (mnemonic === '.insn') {
      ins = encodeRaw(ops, fail);
    } else {
      const form = FORMS.get(mnemonic);
      if (!form) {
        if (mnemonic.endsWith(':')) fail(`Invalid label: ${mnemonic.slice(0, -1)}`);
        fail(`Invalid mnemonic: ${mnemonic}`);
      }
      if (ops.length !== form.arity) {
        fail(`Invalid number of operands for ${mnemonic}: expected ${form.arity}, found ${ops.length}`);
      }
      const index = out.length;
      const at = slot;
      const target = (t: string, field: 'off' | 'imm'): number => resolveNow(parseJumpTarget(t, fail), field, fail, () => {
        fixups.push({ index, slot: at, label: t, line: lineNo, field });
      });
      ins = form.encode({ mnemonic, ops, fail, target });
    }
    if (ins.opcode === Op.EXIT && firstExit === undefined) firstExit = slot;
    out.push(ins);
    slot += ins.opcode === Op.LDDW ? 2 : 1;
  }

  for (const f of fixups) {
    const dest = labels.get(f.label)?.slot ?? (f.label === 'exit' ? firstExit : undefined);
    const fail: AsmFail = (reason) => {
      throw new BpfkitError(ErrorCode.AsmSyntax, `line ${f.line}: ${reason}`);
    };
    if (dest === undefined) fail(`Invalid label: ${f.label} (not defined)`);
    const rel = dest - (f.slot + 1);
    const ins = out[f.index]!;
    if (f.field === 'off') {
      if (rel < -32768 || rel > 32767) fail(`Jump to ${f.label} is out of 16-bit offset range (${rel})`);
      ins.off = rel;
    } else {
      ins.imm = rel;
    }
  }
  if (out.length === 0 && !options.allowEmpty) {
    throw new BpfkitError(ErrorCode.AsmSyntax, `line ${Math.max(1, lines.length)}: program has no instructions`);
  }
  return out;
}

/** A numeric target is encoded at once; a label is deferred to the fixup pass (value 0 for now). */
function resolveNow(t: JumpTarget, field: 'off' | 'imm', fail: AsmFail, defer: () => void): number {
  if (t.kind === 'label') {
    if (!isIdentifier(t.name)) return fail(`Invalid label: ${t.name}`);
    defer();
    return 0;
  }
  const [min, max] = field === 'off' ? [-32768n, 32767n] : [-(1n << 31n), (1n << 31n) - 1n];
  if (t.offset < min || t.offset > max) {
    return fail(`Jump offset out of ${field === 'off' ? 16 : 32}-bit range: ${t.offset}`);
  }
  return Number(t.offset);
}

/** Assembles to bytes (8 per slot). */
export function assembleBytes(source: string, endian: Endian = 'little', options: AssembleOptions = {}): Uint8Array {
  return encodeProgram(assemble(source, options), endian);
}
