/**
 * What every emitter needs: the binaryen module, the program's slots, and a few typed shorthands
 * (registers live in i64 locals 0..10; see ./runtime.ts for the layout).
 */
import type { Slots } from '../isa/slots.js';
import { binaryen, type Expr, type Module } from './binaryen.js';
import type { StaticFault } from './runtime.js';

export const I32 = binaryen.i32;
export const I64 = binaryen.i64;
export const F64 = binaryen.f64;
export const NONE = binaryen.none;

export interface EmitCtx {
  readonly m: Module;
  readonly slots: Slots;
  /** Address one past frame 0 of the stack (r10 of depth 0). */
  readonly stackTop: number;
  /**
   * True when no instruction writes r10, so r10 is always its frame's pointer and an access at
   * r10 + off inside [r10 - 512, r10) needs no check.
   */
  readonly staticStack: boolean;
  /** Registers a fault known at compile time; returns the code the `fault` import takes. */
  staticFault(fault: StaticFault): number;
}

export const reg = (c: EmitCtx, r: number): Expr => c.m.local.get(r, I64);
export const setReg = (c: EmitCtx, r: number, v: Expr): Expr => c.m.local.set(r, v);
/** A 64-bit constant from a signed 32-bit immediate (sign-extended, as the ISA says). */
export const k64 = (c: EmitCtx, imm: number): Expr => c.m.i64.const(BigInt(imm | 0));
export const k32 = (c: EmitCtx, imm: number): Expr => c.m.i32.const(imm | 0);
/** The low 32 bits of a register. */
export const lo32 = (c: EmitCtx, r: number): Expr => c.m.i32.wrap(reg(c, r));
/** Zero-extends a 32-bit result into a 64-bit register value (what every ALU32 op does). */
export const zext = (c: EmitCtx, v: Expr): Expr => c.m.i64.extend_u(v);
