/**
 * ALU and ALU64 instructions as native WebAssembly integer operations. Registers are i64 locals;
 * 32-bit operations work on the low halves and zero-extend their result, as the ISA says.
 *
 * WebAssembly traps where eBPF does not (division by zero, INT_MIN / -1), so every division whose
 * divisor is not a known-safe constant is guarded, giving the ISA's results instead: x / 0 = 0,
 * x % 0 = x, INT_MIN / -1 = INT_MIN, INT_MIN % -1 = 0. Shift counts are masked by WebAssembly
 * itself exactly as the ISA masks them (63 and 31).
 */
import type { Expr } from './types.js';
import { type EmitCtx, I64, k32, k64, lo32, reg, setReg, zext } from './emit-context.js';
import { Local } from './runtime.js';

/** True when the opcode is an ALU or ALU64 instruction the engines know (see cfg.ts FLOW). */
export const isAlu = (op: number): boolean => (op & 7) === 4 || (op & 7) === 7;

/** Statements for the ALU instruction at `pc`. */
export function emitAlu(c: EmitCtx, pc: number): Expr[] {
  const { op: ops, dst, src, off, imm } = c.slots;
  const op = ops[pc]!;
  const d = dst[pc]!;
  const s = src[pc]!;
  const k = imm[pc]!;
  const o = off[pc]!;
  return (op & 7) === 7 ? alu64(c, op, d, s, k, o) : alu32(c, op, d, s, k, o);
}

// Module-level helpers rather than closures per instruction: a compile emits thousands of these.
const rhs64 = (c: EmitCtx, x: boolean, s: number, k: number): Expr => (x ? reg(c, s) : k64(c, k));
const rhs32 = (c: EmitCtx, x: boolean, s: number, k: number): Expr => (x ? lo32(c, s) : k32(c, k));
const set64 = (c: EmitCtx, d: number, v: Expr): Expr[] => [setReg(c, d, v)];
/** A 32-bit result into `d`, zero-extended. */
const set32 = (c: EmitCtx, d: number, v: Expr): Expr[] => [setReg(c, d, zext(c, v))];

function alu64(c: EmitCtx, op: number, d: number, s: number, k: number, o: number): Expr[] {
  const m = c.m;
  const x = (op & 0x08) !== 0;
  switch (op & 0xf0) {
    case 0x00:
      return set64(c, d, m.i64.add(reg(c, d), rhs64(c, x, s, k)));
    case 0x10:
      return set64(c, d, m.i64.sub(reg(c, d), rhs64(c, x, s, k)));
    case 0x20:
      return set64(c, d, m.i64.mul(reg(c, d), rhs64(c, x, s, k)));
    case 0x30:
      return set64(c, d, o === 1 ? sdiv64(c, x, d, s, k) : udiv64(c, x, d, s, k));
    case 0x40:
      return set64(c, d, m.i64.or(reg(c, d), rhs64(c, x, s, k)));
    case 0x50:
      return set64(c, d, m.i64.and(reg(c, d), rhs64(c, x, s, k)));
    case 0x60:
      return set64(c, d, m.i64.shl(reg(c, d), rhs64(c, x, s, k)));
    case 0x70:
      return set64(c, d, m.i64.shr_u(reg(c, d), rhs64(c, x, s, k)));
    case 0x80:
      return set64(c, d, m.i64.sub(m.i64.const(0n), reg(c, d)));
    case 0x90:
      return o === 1 ? smod64(c, x, d, s, k) : umod64(c, x, d, s, k);
    case 0xa0:
      return set64(c, d, m.i64.xor(reg(c, d), rhs64(c, x, s, k)));
    case 0xb0: {
      if (!x) return set64(c, d, k64(c, k));
      // movsx: off 0 is a plain move, 8 and 16 sign-extend those widths, any other offset 32.
      if (o === 0) return set64(c, d, reg(c, s));
      if (o === 8) return set64(c, d, m.i64.extend8_s(reg(c, s)));
      if (o === 16) return set64(c, d, m.i64.extend16_s(reg(c, s)));
      return set64(c, d, m.i64.extend32_s(reg(c, s)));
    }
    case 0xc0:
      return set64(c, d, m.i64.shr_s(reg(c, d), rhs64(c, x, s, k)));
    default:
      // 0xd7: unconditional byte swap (bswap16/32/64).
      return set64(c, d, swapTo(c, d, k));
  }
}

function alu32(c: EmitCtx, op: number, d: number, s: number, k: number, o: number): Expr[] {
  const m = c.m;
  const x = (op & 0x08) !== 0;
  switch (op & 0xf0) {
    case 0x00:
      return set32(c, d, m.i32.add(lo32(c, d), rhs32(c, x, s, k)));
    case 0x10:
      return set32(c, d, m.i32.sub(lo32(c, d), rhs32(c, x, s, k)));
    case 0x20:
      return set32(c, d, m.i32.mul(lo32(c, d), rhs32(c, x, s, k)));
    case 0x30:
      return set32(c, d, o === 1 ? sdiv32(c, x, d, s, k) : udiv32(c, x, d, s, k));
    case 0x40:
      return set32(c, d, m.i32.or(lo32(c, d), rhs32(c, x, s, k)));
    case 0x50:
      return set32(c, d, m.i32.and(lo32(c, d), rhs32(c, x, s, k)));
    case 0x60:
      return set32(c, d, m.i32.shl(lo32(c, d), rhs32(c, x, s, k)));
    case 0x70:
      return set32(c, d, m.i32.shr_u(lo32(c, d), rhs32(c, x, s, k)));
    case 0x80:
      return set32(c, d, m.i32.sub(m.i32.const(0), lo32(c, d)));
    case 0x90:
      return set32(c, d, o === 1 ? smod32(c, x, d, s, k) : umod32(c, x, d, s, k));
    case 0xa0:
      return set32(c, d, m.i32.xor(lo32(c, d), rhs32(c, x, s, k)));
    case 0xb0: {
      if (!x) return set32(c, d, k32(c, k));
      if (o === 8) return set32(c, d, m.i32.extend8_s(lo32(c, s)));
      if (o === 16) return set32(c, d, m.i32.extend16_s(lo32(c, s)));
      return set32(c, d, lo32(c, s));
    }
    case 0xc0:
      return set32(c, d, m.i32.shr_s(lo32(c, d), rhs32(c, x, s, k)));
    default: {
      if (op === 0xd4) {
        // to-little-endian on a little-endian machine: truncation only; widths other than 16 and
        // 32 leave the register alone.
        if (k === 16) return [setReg(c, d, m.i64.and(reg(c, d), m.i64.const(0xffffn)))];
        if (k === 32) return set32(c, d, lo32(c, d));
        return [];
      }
      // 0xdc: to-big-endian, a swap of the low 16, 32 or (any other width) 64 bits.
      return [setReg(c, d, swapTo(c, d, k))];
    }
  }
}

/** Byte swap of the low `width` bits of register `d`, zero-extended (64 for any width but 16/32). */
function swapTo(c: EmitCtx, d: number, width: number): Expr {
  const m = c.m;
  if (width === 16) {
    const v = lo32(c, d);
    const swapped = m.i32.or(
      m.i32.shl(m.i32.and(v, m.i32.const(0xff)), m.i32.const(8)),
      m.i32.and(m.i32.shr_u(lo32(c, d), m.i32.const(8)), m.i32.const(0xff)),
    );
    return zext(c, swapped);
  }
  if (width === 32) return zext(c, bswap32(c, () => lo32(c, d)));
  // Swap bytes within 16-bit lanes, then 16-bit lanes within 32-bit lanes, then the two halves.
  const t = Local.T1;
  const get = (): Expr => m.local.get(t, I64);
  const step = (mask: bigint, shift: number): Expr =>
    m.local.set(
      t,
      m.i64.or(
        m.i64.shl(m.i64.and(get(), m.i64.const(mask)), m.i64.const(BigInt(shift))),
        m.i64.and(m.i64.shr_u(get(), m.i64.const(BigInt(shift))), m.i64.const(mask)),
      ),
    );
  return m.block(
    null,
    [
      m.local.set(t, reg(c, d)),
      step(0x00ff00ff00ff00ffn, 8),
      step(0x0000ffff0000ffffn, 16),
      m.i64.rotl(get(), m.i64.const(32n)),
    ],
    I64,
  );
}

/** Reverses the bytes of a 32-bit value (`v` is called twice: it must be side-effect free). */
export function bswap32(c: EmitCtx, v: () => Expr): Expr {
  const m = c.m;
  return m.i32.or(
    m.i32.rotr(m.i32.and(v(), m.i32.const(0x00ff00ff)), m.i32.const(8)),
    m.i32.rotl(m.i32.and(v(), m.i32.const(0xff00ff00 | 0)), m.i32.const(8)),
  );
}

// ---- Division and modulo with the ISA's rules ---------------------------------------------------

function udiv64(c: EmitCtx, x: boolean, d: number, s: number, k: number): Expr {
  const m = c.m;
  if (!x) return k === 0 ? m.i64.const(0n) : m.i64.div_u(reg(c, d), k64(c, k));
  return m.if(m.i64.eqz(reg(c, s)), m.i64.const(0n), m.i64.div_u(reg(c, d), reg(c, s)));
}

function umod64(c: EmitCtx, x: boolean, d: number, s: number, k: number): Expr[] {
  const m = c.m;
  if (!x) return k === 0 ? [] : [setReg(c, d, m.i64.rem_u(reg(c, d), k64(c, k)))];
  return [setReg(c, d, m.if(m.i64.eqz(reg(c, s)), reg(c, d), m.i64.rem_u(reg(c, d), reg(c, s))))];
}

function sdiv64(c: EmitCtx, x: boolean, d: number, s: number, k: number): Expr {
  const m = c.m;
  const neg = (): Expr => m.i64.sub(m.i64.const(0n), reg(c, d));
  if (!x) {
    if (k === 0) return m.i64.const(0n);
    if (k === -1) return neg();
    return m.i64.div_s(reg(c, d), k64(c, k));
  }
  // x / -1 is -x, which also wraps INT_MIN to itself where i64.div_s would trap.
  return m.if(
    m.i64.eqz(reg(c, s)),
    m.i64.const(0n),
    m.if(m.i64.eq(reg(c, s), m.i64.const(-1n)), neg(), m.i64.div_s(reg(c, d), reg(c, s))),
  );
}

function smod64(c: EmitCtx, x: boolean, d: number, s: number, k: number): Expr[] {
  const m = c.m;
  if (!x) {
    if (k === 0) return [];
    if (k === -1) return [setReg(c, d, m.i64.const(0n))];
    return [setReg(c, d, m.i64.rem_s(reg(c, d), k64(c, k)))];
  }
  // i64.rem_s gives 0 for INT_MIN % -1 without trapping; only the zero divisor needs a guard.
  return [setReg(c, d, m.if(m.i64.eqz(reg(c, s)), reg(c, d), m.i64.rem_s(reg(c, d), reg(c, s))))];
}

function udiv32(c: EmitCtx, x: boolean, d: number, s: number, k: number): Expr {
  const m = c.m;
  if (!x) return k === 0 ? m.i32.const(0) : m.i32.div_u(lo32(c, d), k32(c, k));
  return m.if(m.i32.eqz(lo32(c, s)), m.i32.const(0), m.i32.div_u(lo32(c, d), lo32(c, s)));
}

function umod32(c: EmitCtx, x: boolean, d: number, s: number, k: number): Expr {
  const m = c.m;
  if (!x) return k === 0 ? lo32(c, d) : m.i32.rem_u(lo32(c, d), k32(c, k));
  return m.if(m.i32.eqz(lo32(c, s)), lo32(c, d), m.i32.rem_u(lo32(c, d), lo32(c, s)));
}

function sdiv32(c: EmitCtx, x: boolean, d: number, s: number, k: number): Expr {
  const m = c.m;
  const neg = (): Expr => m.i32.sub(m.i32.const(0), lo32(c, d));
  if (!x) {
    if (k === 0) return m.i32.const(0);
    if (k === -1) return neg();
    return m.i32.div_s(lo32(c, d), k32(c, k));
  }
  return m.if(
    m.i32.eqz(lo32(c, s)),
    m.i32.const(0),
    m.if(m.i32.eq(lo32(c, s), m.i32.const(-1)), neg(), m.i32.div_s(lo32(c, d), lo32(c, s))),
  );
}

function smod32(c: EmitCtx, x: boolean, d: number, s: number, k: number): Expr {
  const m = c.m;
  if (!x) {
    if (k === 0) return lo32(c, d);
    if (k === -1) return m.i32.const(0);
    return m.i32.rem_s(lo32(c, d), k32(c, k));
  }
  return m.if(m.i32.eqz(lo32(c, s)), lo32(c, d), m.i32.rem_s(lo32(c, d), lo32(c, s)));
}
