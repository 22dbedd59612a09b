/**
 * The fast path of a counted loop (./loops.ts), run on entry to the loop from outside it: when the
 * trip count T is known, the budget covers T - 1 trips and every access of those trips stays in
 * one region (or in the current stack frame), those trips run in a copy of the block with no
 * budget charge and no access check, no call into JS and so no spill (V8 then unrolls it; a
 * small block is copied four times a turn first). The budget is charged for them at once. The last trip, and every trip when any test fails, runs in
 * the loop itself with its usual checks, so a budget that runs out inside the loop and an access
 * that faults stop at the same pc, with the same state, as in the interpreter.
 *
 * Every test is made on values, never assumed: a trip count that would wrap a register around,
 * a range that leaves 32 bits or crosses regions, all send the loop down its usual path.
 */
import type { Expr } from './types.js';
import { emitAlu, isAlu } from './emit-alu.js';
import { type EmitCtx, I32, I64, reg } from './emit-context.js';
import { emitMem } from './emit-mem.js';
import type { CountedLoop } from './loops.js';
import { Local, LOOKUP } from './runtime.js';

/** Most trips the fast path takes (keeps every product below in 64 bits). */
const MAX_TRIPS = 1n << 30n;
/** Operands of ordered tests stay within +-2^61: the trip arithmetic never wraps. */
const RANGE = 1n << 61n;
/** Trips a turn of the fast loop when the block has at most UNROLL_BODY instructions besides its jump. */
const UNROLL = 4;
const UNROLL_BODY = 8;
/** Widest range of addresses one access may sweep (regions lie below 2^32). */
const MAX_SPAN = 1n << 31n;

/** Statements to place before the loop of `loop`'s block (see the module comment). */
export function fastLoop(c: EmitCtx, loop: CountedLoop): Expr[] {
  const m = c.m;
  const b = loop.block;
  const skip = `fs${b.start}`;
  const again = `fl${b.start}`;
  const k = (v: bigint): Expr => m.i64.const(BigInt.asIntN(64, v));
  const get = (l: number): Expr => m.local.get(l, I64);
  const skipIf = (cond: Expr): Expr => m.br(skip, cond);
  const iv = (): Expr => reg(c, loop.iv);
  const bound = (): Expr => ('reg' in loop.bound ? reg(c, loop.bound.reg) : k(loop.bound.imm));
  const up = loop.step > 0n;
  const mag = up ? loop.step : -loop.step;
  // Fast trips N = T - 1 go to T1; D (the distance the exit test measures) to EA first.
  const N = Local.T1;
  const D = Local.EA;
  const out: Expr[] = [];
  if (loop.test === 'ne') {
    // Continue while iv != bound: T = D / |step| when that divides D (mod 2^64), else the
    // register wraps around first.
    out.push(m.local.set(D, up ? m.i64.sub(bound(), iv()) : m.i64.sub(iv(), bound())));
    if (mag > 1n) out.push(skipIf(m.i64.ne(m.i64.rem_u(get(D), k(mag)), k(0n))));
    out.push(m.local.set(N, m.i64.sub(mag > 1n ? m.i64.div_u(get(D), k(mag)) : get(D), k(1n))));
  } else {
    // Continue while iv < X' (up) or iv > X' (down), X' the bound made strict; T = ceil(D / |step|).
    const strict = loop.test === 'le' ? 1n : loop.test === 'ge' ? -1n : 0n;
    const x = (): Expr => (strict === 0n ? bound() : m.i64.add(bound(), k(strict)));
    if (loop.signed) {
      // Both operands within +-2^61: no step of the trip count overflows.
      out.push(skipIf(m.i64.gt_s(bound(), k(RANGE))), skipIf(m.i64.lt_s(bound(), k(-RANGE))));
      out.push(skipIf(m.i64.gt_s(iv(), k(RANGE))), skipIf(m.i64.lt_s(iv(), k(-RANGE))));
      out.push(skipIf(up ? m.i64.ge_s(iv(), x()) : m.i64.le_s(iv(), x())));
    } else if (up) {
      // The last value iv takes stays below X' + |step| <= 2^61 + 2^31: no wrap past 2^64.
      out.push(skipIf(m.i64.gt_u(bound(), k(RANGE))), skipIf(m.i64.ge_u(iv(), x())));
    } else {
      // The last value stays above X' - |step| >= 0: no wrap below 0.
      out.push(skipIf(m.i64.lt_u(bound(), k(mag - strict))), skipIf(m.i64.le_u(iv(), x())));
    }
    out.push(m.local.set(D, up ? m.i64.sub(x(), iv()) : m.i64.sub(iv(), x())));
    // ceil(D / |step|) - 1 = floor((D - 1) / |step|), D >= 1 here.
    const dm1 = m.i64.sub(get(D), k(1n));
    out.push(m.local.set(N, mag > 1n ? m.i64.div_u(dm1, k(mag)) : dm1));
  }
  // 1 <= N <= MAX_TRIPS, and the budget covers N whole trips.
  const n = BigInt(b.pcs.length);
  out.push(skipIf(m.i64.ge_u(m.i64.sub(get(N), k(1n)), k(MAX_TRIPS))));
  out.push(skipIf(m.i64.lt_s(get(Local.REM), m.i64.mul(get(N), k(n)))));
  for (const a of loop.accesses) out.push(...rangeCheck(c, loop, a, skip));
  out.push(m.local.set(Local.REM, m.i64.sub(get(Local.REM), m.i64.mul(get(N), k(n)))));
  const trip = (): Expr[] => {
    const body: Expr[] = [];
    for (const pc of b.pcs.slice(0, -1)) body.push(...(isAlu(c.slots.op[pc]!) ? emitAlu(c, pc) : emitMem(c, pc, 'unchecked')));
    return body;
  };
  /** `trips` copies of the block per turn while the stepped register has not reached `end`. */
  const loopTo = (end: number, trips: number, name: string): Expr => {
    const body: Expr[] = [];
    for (let t = 0; t < trips; t++) body.push(...trip());
    body.push(m.br(name, m.i64.ne(iv(), get(end))));
    return m.block(`${name}s`, [m.br(`${name}s`, m.i64.eq(iv(), get(end))), m.loop(name, m.block(null, body))]);
  };
  if (b.pcs.length - 1 > UNROLL_BODY) {
    out.push(m.local.set(Local.LEND, m.i64.add(iv(), m.i64.mul(get(N), k(loop.step)))), loopTo(Local.LEND, 1, again));
  } else {
    // Small bodies: N mod UNROLL single trips, then UNROLL trips a turn (a stack check and a
    // branch per turn, not per trip; V8 unrolls no further than twice).
    out.push(
      m.local.set(Local.LEND, m.i64.add(iv(), m.i64.mul(get(N), k(loop.step)))),
      m.local.set(Local.LMID, m.i64.add(iv(), m.i64.mul(m.i64.and(get(N), k(BigInt(UNROLL - 1))), k(loop.step)))),
      loopTo(Local.LMID, 1, again),
      loopTo(Local.LEND, UNROLL, `${again}u`),
    );
  }
  return [m.block(skip, out)];
}

/**
 * Skips the fast path unless every address access `a` makes in the N fast trips lies in one
 * region that allows it (the region table's lookup) or in the current stack frame. The first and
 * last addresses must both be below 2^32; in between they move by a fixed step, so they stay
 * between those two.
 */
function rangeCheck(c: EmitCtx, loop: CountedLoop, a: CountedLoop['accesses'][number], skip: string): Expr[] {
  const m = c.m;
  const k = (v: bigint): Expr => m.i64.const(BigInt.asIntN(64, v));
  const get = (l: number): Expr => m.local.get(l, I64);
  const step = loop.steps[a.base]!;
  const first = Local.EA;
  const last = step === 0n ? Local.EA : Local.T2;
  const out: Expr[] = [m.local.set(first, m.i64.add(reg(c, a.base), k(a.before + BigInt(a.off))))];
  if (step !== 0n) out.push(m.local.set(last, m.i64.add(get(first), m.i64.mul(m.i64.sub(get(Local.T1), k(1n)), k(step)))));
  out.push(m.br(skip, m.i64.gt_u(get(first), k(0xffffffffn))));
  if (step !== 0n) out.push(m.br(skip, m.i64.gt_u(get(last), k(0xffffffffn))));
  const [lo, hi] = step >= 0n ? [first, last] : [last, first];
  if (step !== 0n) out.push(m.br(skip, m.i64.ge_u(m.i64.sub(get(hi), get(lo)), k(MAX_SPAN))));
  const fpb = (): Expr => m.i64.extend_u(m.local.get(Local.FPB, I32));
  const inFrame = m.i32.and(m.i64.ge_u(get(lo), fpb()), m.i64.le_u(m.i64.add(get(hi), k(BigInt(a.size))), m.i64.add(fpb(), k(512n))));
  const span = m.i32.add(m.i32.wrap(m.i64.sub(get(hi), get(lo))), m.i32.const(a.size));
  const found = m.call(LOOKUP, [get(lo), span, m.i32.const(a.write ? 1 : 0)], I32);
  const ok = `fo${a.pc}`;
  out.push(m.block(ok, [m.br(ok, inFrame), m.br(skip, m.i32.eqz(found))]));
  return out;
}
