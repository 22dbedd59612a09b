/**
 * Loads, stores, atomics, lddw and the legacy packet loads.
 *
 * Every access is checked the way the interpreter checks it: a fast inline test against the bounds
 * of the last region a read (or a write) hit, kept in locals; on a miss, the `access` import runs
 * the interpreter's slow path in JS (full 64-bit address, `Memory.check`, the same fault text) and
 * hands back the new bounds. The cache is only a shortcut: an access that passes it would pass the
 * slow path too, so which accesses take which path is never observable.
 *
 * Accesses at r10 + off inside the current frame need no check at all when nothing writes r10 (the
 * frame is always mapped and writable).
 */
import type { Expr } from './types.js';
import { type EmitCtx, F64, I32, I64, NONE, k32, k64, lo32, reg, setReg, spillAround, zext } from './emit-context.js';
import { Global, Import, Local, LOOKUP, TAIL_FLAG } from './runtime.js';

const LOAD_SIZE: Record<number, 1 | 2 | 4 | 8> = { 0x61: 4, 0x69: 2, 0x71: 1, 0x79: 8, 0x81: 4, 0x89: 2, 0x91: 1 };
const STORE_SIZE: Record<number, 1 | 2 | 4 | 8> = {
  0x62: 4, 0x6a: 2, 0x72: 1, 0x7a: 8, 0x63: 4, 0x6b: 2, 0x73: 1, 0x7b: 8, 0xc3: 4, 0xdb: 8,
};

/** Per opcode: the bytes a load, store or atomic moves (0 for anything else); writes (atomics too) get bit 4. */
const ACCESS = new Uint8Array(256);
for (const [op, size] of Object.entries(LOAD_SIZE)) ACCESS[Number(op)] = size;
for (const [op, size] of Object.entries(STORE_SIZE)) ACCESS[Number(op)] = size | 16;
/** Shared answers of {@link accessOf}: it is asked for every instruction, several times a compile. */
const ACCESS_INFO = Array.from({ length: 32 }, (_, a) => ({ size: (a & 15) as 1 | 2 | 4 | 8, write: a >= 16 }));

/** True when the opcode is a load, store or atomic (see {@link accessOf}). */
export const isAccess = (op: number): boolean => ACCESS[op] !== 0;

/** Size in bytes and direction of the access the instruction at `op` makes (atomics count as writes). */
export function accessOf(op: number): { readonly size: 1 | 2 | 4 | 8; readonly write: boolean } | undefined {
  const a = ACCESS[op]!;
  return a === 0 ? undefined : ACCESS_INFO[a];
}

/** Saves the budget local to its global (before anything in JS may read or spend it). */
export const spillBudget = (c: EmitCtx): Expr =>
  c.m.global.set(Global.rem, c.m.f64.convert_s.i64(c.m.local.get(Local.REM, I64)));
/** Reloads the budget local after JS may have spent some of it (a callback). */
export const reloadBudget = (c: EmitCtx): Expr =>
  c.m.local.set(Local.REM, c.m.i64.trunc_s.f64(c.m.global.get(Global.rem, F64)));

/** Forgets both cached regions (after calls and helpers: regions may have moved). */
export function invalidateCache(c: EmitCtx): Expr[] {
  const z = (): Expr => c.m.i64.const(0n);
  return [Local.RS, Local.RE, Local.WS, Local.WE].map((l) => c.m.local.set(l, z()));
}

interface Guarded {
  /** Statements that check the access (and fault, or refresh the cache). */
  readonly pre: Expr[];
  /** The i32 pointer to access, with the memarg offset to add to it. */
  readonly ptr: () => Expr;
  readonly offset: number;
}

/**
 * How an access is checked: `checked` (the cache, then the slow path); `short`, every access
 * through JS (a block the budget stops part-way, replayed: see compile.ts `compileReplay`);
 * `unchecked`, no check at all (a counted loop's fast trips, whose every address was checked
 * before the loop: see ./emit-loop.ts).
 */
export type AccessMode = 'checked' | 'short' | 'unchecked';

/** The check for an access of `size` bytes at `base + off` made by the instruction at `pc`. */
function guard(c: EmitCtx, pc: number, base: number, off: number, size: number, write: boolean, mode: AccessMode): Guarded {
  const m = c.m;
  const ea = (): Expr => m.local.get(Local.EA, I64);
  const setEa = m.local.set(Local.EA, off === 0 ? reg(c, base) : m.i64.add(reg(c, base), k64(c, off)));
  // JS checks the access; it answers 1 for a probe load of unmapped memory, which then reads the
  // zero bytes at PROBE_ZERO (address 0) instead (see Memory.probeNullReads)
  const access = (): Expr =>
    m.if(
      m.call(Import.access, [m.i32.const(pc), m.i32.wrap(ea()), m.i32.wrap(m.i64.shr_u(ea(), m.i64.const(32n)))], I32),
      // the local, and its save slot when the call is spilled around (which restores EA from it)
      m.block(null, [m.local.set(Local.EA, m.i64.const(0n)), m.global.set('sEA', m.i64.const(0n))]),
    );
  if (mode === 'short') return { pre: [setEa, access()], ptr: () => m.i32.wrap(ea()), offset: 0 };
  if (c.staticStack && base === 10 && off >= -512 && off + size <= 0) {
    // FPB holds r10 - 512 (never below the stack region), so the offset is a non-negative memarg.
    return { pre: [], ptr: () => m.local.get(Local.FPB, I32), offset: off + 512 };
  }
  if (mode === 'unchecked') return { pre: [setEa], ptr: () => m.i32.wrap(ea()), offset: 0 };
  const [S, E] = write ? [Local.WS, Local.WE] : [Local.RS, Local.RE];
  const other = write ? [Local.RS, Local.RE] : [Local.WS, Local.WE];
  const slow = spillAround(
    c,
    [
      // The region table first (no call out of WebAssembly); JS when it does not hold the access.
      m.if(m.i32.eqz(m.call(LOOKUP, [ea(), m.i32.const(size), m.i32.const(write ? 1 : 0)], I32)), access()),
      m.local.set(S, m.i64.extend_u(m.global.get(Global.bS, I32))),
      m.local.set(E, m.i64.extend_u(m.global.get(Global.bE, I32))),
    ],
    { ea: true, rem: true, cache: (write ? c.usesReadCache : c.usesWriteCache) ? other : [] },
  );
  // Two branches rather than one on an `or` of two compares: V8 then needs no flag-to-register
  // moves nor an extra register on the hot path. Signed compares: S >= 0 and E - size >= -8, so a
  // "negative" (huge) address always misses, and an empty cache (0, 0) misses everything.
  const id = c.labels++;
  const pre: Expr[] = [
    setEa,
    m.block(`ok${id}`, [
      m.block(`miss${id}`, [
        m.br(`miss${id}`, m.i64.lt_s(ea(), m.local.get(S, I64))),
        m.br(`ok${id}`, m.i64.le_s(ea(), m.i64.sub(m.local.get(E, I64), m.i64.const(BigInt(size))))),
      ]),
      ...slow,
    ]),
  ];
  return { pre, ptr: () => m.i32.wrap(ea()), offset: 0 };
}

/** Statements for a load, store, atomic, lddw or legacy load at `pc`. */
export function emitMem(c: EmitCtx, pc: number, mode: AccessMode = 'checked'): Expr[] {
  const { op: ops, dst, src, off, imm } = c.slots;
  const m = c.m;
  const op = ops[pc]!;
  const d = dst[pc]!;
  const s = src[pc]!;
  const o = off[pc]!;
  const k = imm[pc]!;
  if (op === 0x18) {
    const v = (BigInt(imm[pc + 1]!) << 32n) | BigInt(k >>> 0);
    return [setReg(c, d, m.i64.const(BigInt.asIntN(64, v)))];
  }
  const cls = op & 7;
  if (cls === 1) {
    const size = LOAD_SIZE[op]!;
    const g = guard(c, pc, s, o, size, false, mode);
    const p = g.ptr();
    const at = g.offset;
    const value =
      op === 0x61 ? m.i64.load32_u(at, 1, p)
      : op === 0x69 ? m.i64.load16_u(at, 1, p)
      : op === 0x71 ? m.i64.load8_u(at, 1, p)
      : op === 0x79 ? m.i64.load(at, 1, p)
      : op === 0x81 ? m.i64.load32_s(at, 1, p)
      : op === 0x89 ? m.i64.load16_s(at, 1, p)
      : m.i64.load8_s(at, 1, p);
    return [...g.pre, setReg(c, d, value)];
  }
  if (cls === 2 || (cls === 3 && (op & 0xe0) === 0x60)) {
    const size = STORE_SIZE[op]!;
    const g = guard(c, pc, d, o, size, true, mode);
    const value = cls === 2 ? k64(c, k) : reg(c, s);
    const p = g.ptr();
    const at = g.offset;
    const store =
      size === 4 ? m.i64.store32(at, 1, p, value)
      : size === 2 ? m.i64.store16(at, 1, p, value)
      : size === 1 ? m.i64.store8(at, 1, p, value)
      : m.i64.store(at, 1, p, value);
    return [...g.pre, store];
  }
  if (op === 0xc3 || op === 0xdb) return atomic(c, pc, op === 0xdb, d, s, o, k, mode);
  // LD_ABS / LD_IND: the import applies the context's legacy loader, or ends the program by
  // setting TAIL_FLAG and returning (as ./emit-call.ts unwindReturn) or, in a callback, by an exception.
  const offset = (op & 0xe0) === 0x40 ? m.i32.add(lo32(c, s), k32(c, k)) : k32(c, k);
  return [
    spillBudget(c),
    setReg(c, 0, zext(c, m.call(Import.legacy, [m.i32.const(pc), offset], I32))),
    m.if(m.i32.load(0, 1, m.i32.const(TAIL_FLAG)), m.return(m.i64.const(0n))),
  ];
}

/**
 * An atomic read-modify-write. Single-threaded, so plain loads and stores are atomic enough; every
 * register is read before any is written, as in the interpreter.
 */
function atomic(c: EmitCtx, pc: number, wide: boolean, d: number, s: number, o: number, kind: number, mode: AccessMode): Expr[] {
  const m = c.m;
  const g = guard(c, pc, d, o, wide ? 8 : 4, true, mode);
  const at = g.offset;
  const old = (): Expr => m.local.get(Local.T1, I64);
  const store = (v: Expr): Expr => (wide ? m.i64.store(at, 1, g.ptr(), v) : m.i64.store32(at, 1, g.ptr(), v));
  const out: Expr[] = [...g.pre, m.local.set(Local.T1, wide ? m.i64.load(at, 1, g.ptr()) : m.i64.load32_u(at, 1, g.ptr()))];
  if (kind === 0xf1) {
    // cmpxchg: store src when the old value equals r0; r0 receives the old value either way.
    const equal = wide ? m.i64.eq(old(), reg(c, 0)) : m.i32.eq(m.i32.wrap(old()), lo32(c, 0));
    out.push(m.if(equal, store(reg(c, s))), setReg(c, 0, old()));
    return out;
  }
  if (kind === 0xe1) {
    out.push(store(reg(c, s)), setReg(c, s, old()));
    return out;
  }
  const fn = kind & 0xf0;
  const v =
    fn === 0x00 ? m.i64.add(old(), reg(c, s))
    : fn === 0x40 ? m.i64.or(old(), reg(c, s))
    : fn === 0x50 ? m.i64.and(old(), reg(c, s))
    : m.i64.xor(old(), reg(c, s));
  out.push(store(v));
  if (kind & 0x01) out.push(setReg(c, s, old()));
  return out;
}
