/**
 * What every emitter needs: the code builder (./wasm-builder.ts, or binaryen's module), the
 * program's slots, and a few typed shorthands (registers live in i64 locals 0..10; see ./runtime.ts
 * for the layout).
 */
import type { Slots } from '../isa/slots.js';
import { Local, type StaticFault } from './runtime.js';
import type { Expr } from './types.js';
import type { CodeBuilder } from './wasm-builder.js';
import type { UseDefTable } from './liveness.js';

export { F64, I32, I64, NONE } from './types.js';
import { I32, I64 } from './types.js';

export interface EmitCtx {
  readonly m: CodeBuilder;
  readonly slots: Slots;
  /** Address one past frame 0 of the stack (r10 of depth 0). */
  readonly stackTop: number;
  /**
   * True when no instruction writes r10, so r10 is always its frame's pointer and an access at
   * r10 + off inside [r10 - 512, r10) needs no check.
   */
  readonly staticStack: boolean;
  /** Coverage build: count block entries and conditional jump outcomes (compile.ts). */
  readonly coverage: boolean;
  /** Registers a fault known at compile time; returns the code the `fault` import takes. */
  staticFault(fault: StaticFault): number;
  /** Registers `exit` hands back: r0..r5 when some caller can read r1..r5 (a local call, callx), else r0. */
  readonly exitUse: number;
  /** Each instruction's used and defined registers (./liveness.ts), with `exitUse` for exits. */
  readonly useDef: UseDefTable;
  /** Registers live on entry to each block (./liveness.ts). */
  readonly blockLive: ReadonlyMap<number, number>;
  /** Registers live across the slow path of the instruction being emitted (bit r = register r). */
  live: number;
  /** Counter for unique block labels within the module. */
  labels: number;
  /** Whether any checked (cached) read, or write, exists: only then are that cache's locals live. */
  readonly usesReadCache: boolean;
  readonly usesWriteCache: boolean;
}

/** Extra locals a slow path keeps (besides the live registers and the budget). */
export interface Keep {
  /** The budget local (not needed by code that ends in a fault). */
  rem?: boolean;
  /** The effective address of the access in progress. */
  ea?: boolean;
  /** Cache locals to keep (the pair the slow path does not refresh). */
  cache?: readonly number[];
}

/**
 * Wraps a call into JS so that no local is live across it: the live registers, the budget and
 * whatever `keep` names go to save globals before the call and come back after. V8 gives
 * WebAssembly no callee-saved registers, so a value live across even a cold call would otherwise
 * be spilled on every trip around the loop that contains it (see ./liveness.ts).
 */
export function spillAround(c: EmitCtx, call: Expr[], keep: Keep = {}): Expr[] {
  const m = c.m;
  const locals: Array<[number, string, number]> = [];
  for (let r = 0; r <= 10; r++) if (c.live & (1 << r)) locals.push([r, saveGlobal(r), I64]);
  if (keep.rem) locals.push([Local.REM, 'sREM', I64]);
  if (keep.ea) locals.push([Local.EA, 'sEA', I64]);
  (keep.cache ?? []).forEach((l, i) => locals.push([l, `sC${i}`, I64]));
  if (c.staticStack && c.live & (1 << 10)) locals.push([Local.FPB, 'sFPB', I32]);
  return [
    ...locals.map(([l, g, t]) => m.global.set(g, m.local.get(l, t))),
    ...call,
    ...locals.map(([l, g, t]) => m.local.set(l, m.global.get(g, t))),
  ];
}

/** Save global of register `r`. */
export const saveGlobal = (r: number): string => `s${r}`;
/** Every save global with its type, for the module's declarations. */
export const SAVE_GLOBALS: ReadonlyArray<[string, number]> = [
  ...Array.from({ length: 11 }, (_, r): [string, number] => [saveGlobal(r), I64]),
  ['sREM', I64],
  ['sEA', I64],
  ['sC0', I64],
  ['sC1', I64],
  ['sFPB', I32],
];

export const reg = (c: EmitCtx, r: number): Expr => c.m.local.get(r, I64);
export const setReg = (c: EmitCtx, r: number, v: Expr): Expr => c.m.local.set(r, v);
/** A 64-bit constant from a signed 32-bit immediate (sign-extended, as the ISA says). */
export const k64 = (c: EmitCtx, imm: number): Expr => {
  const v = imm | 0;
  return c.m.i64.const(v >= -SMALL_MIN && v < SMALL_END ? SMALL[v + SMALL_MIN]! : BigInt(v));
};
/** BigInts of the small constants most immediates are, made once (a BigInt is an allocation). */
const SMALL_MIN = 128;
const SMALL_END = 1024;
const SMALL: readonly bigint[] = Array.from({ length: SMALL_MIN + SMALL_END }, (_, i) => BigInt(i - SMALL_MIN));
export const k32 = (c: EmitCtx, imm: number): Expr => c.m.i32.const(imm | 0);
/** The low 32 bits of a register. */
export const lo32 = (c: EmitCtx, r: number): Expr => c.m.i32.wrap(reg(c, r));
/** Zero-extends a 32-bit result into a 64-bit register value (what every ALU32 op does). */
export const zext = (c: EmitCtx, v: Expr): Expr => c.m.i64.extend_u(v);
