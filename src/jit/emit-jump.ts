/**
 * Conditions of the conditional jumps, as native WebAssembly comparisons: 64-bit ones on whole
 * registers (the immediate sign-extended), 32-bit ones (JMP32) on the low halves. Where control
 * goes is the Relooper's business (compile.ts); this only says when a jump is taken.
 */
import type { Expr } from './types.js';
import { type EmitCtx, k32, k64, lo32, reg } from './emit-context.js';

/** The i32 condition under which the conditional jump at `pc` is taken. */
export function jumpCondition(c: EmitCtx, pc: number): Expr {
  const { op: ops, dst, src, imm } = c.slots;
  const m = c.m;
  const op = ops[pc]!;
  const x = (op & 0x08) !== 0;
  const d = dst[pc]!;
  if ((op & 7) === 6) {
    const a = lo32(c, d);
    const b = x ? lo32(c, src[pc]!) : k32(c, imm[pc]!);
    const t = m.i32;
    switch (op & 0xf0) {
      case 0x10: return t.eq(a, b);
      case 0x20: return t.gt_u(a, b);
      case 0x30: return t.ge_u(a, b);
      case 0x40: return t.ne(t.and(a, b), t.const(0));
      case 0x50: return t.ne(a, b);
      case 0x60: return t.gt_s(a, b);
      case 0x70: return t.ge_s(a, b);
      case 0xa0: return t.lt_u(a, b);
      case 0xb0: return t.le_u(a, b);
      case 0xc0: return t.lt_s(a, b);
      default: return t.le_s(a, b);
    }
  }
  const a = reg(c, d);
  const b = x ? reg(c, src[pc]!) : k64(c, imm[pc]!);
  const t = m.i64;
  switch (op & 0xf0) {
    case 0x10: return t.eq(a, b);
    case 0x20: return t.gt_u(a, b);
    case 0x30: return t.ge_u(a, b);
    case 0x40: return t.ne(t.and(a, b), t.const(0n));
    case 0x50: return t.ne(a, b);
    case 0x60: return t.gt_s(a, b);
    case 0x70: return t.ge_s(a, b);
    case 0xa0: return t.lt_u(a, b);
    case 0xb0: return t.le_u(a, b);
    case 0xc0: return t.lt_s(a, b);
    default: return t.le_s(a, b);
  }
}
