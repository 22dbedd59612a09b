/** The abstract domains on their own, without programs. */
import { describe, expect, it } from 'vitest';
import { interval, join as ijoin, narrow as inarrow, widen as iwiden } from '../../src/verifier/domains/interval.js';
import {
  alu,
  assumeCmp,
  byteSwap,
  constValue,
  decideCmp,
  join,
  leq,
  narrow,
  SCALAR_UNKNOWN,
  scalarConst,
  scalarRange,
  scalarSignedRange,
  signExtend,
  sync,
  truncate,
  widen,
} from '../../src/verifier/domains/scalar.js';
import { Cell, StackFrame } from '../../src/verifier/domains/stack.js';
import {
  TNUM_UNKNOWN,
  tnumAdd,
  tnumAnd,
  tnumConst,
  tnumContains,
  tnumHas,
  tnumMul,
  tnumRange,
  tnumSub,
  tnumUnion,
} from '../../src/verifier/domains/tnum.js';
import { constNum, joinValue, Kind, leqValue, NUM_UNKNOWN, numValue, pointer, UNINIT } from '../../src/verifier/domains/types.js';
import * as Dj from '../../src/verifier/domains/disjunctive.js';
import { entryState } from '../../src/verifier/domains/ebpf-domain.js';
import { FAR, STACK_SLOTS } from '../../src/verifier/cfg/liveness.js';
import { Zone } from '../../src/verifier/domains/zone.js';

const M64 = (1n << 64n) - 1n;

describe('tnum (known bits)', () => {
  it('tracks exact values and unknown bits', () => {
    expect(tnumAdd(tnumConst(3n), tnumConst(4n))).toEqual(tnumConst(7n));
    expect(tnumSub(tnumConst(3n), tnumConst(4n))).toEqual(tnumConst(M64));
    const low4 = tnumRange(0n, 15n);
    expect(low4).toEqual({ value: 0n, mask: 15n });
    expect(tnumAnd(TNUM_UNKNOWN, tnumConst(0xf0n))).toEqual({ value: 0n, mask: 0xf0n });
    expect(tnumMul(tnumConst(6n), tnumConst(7n))).toEqual(tnumConst(42n));
  });

  it('is sound on random samples', () => {
    let seed = 7;
    const rnd = (): bigint => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return BigInt(seed & 0xff);
    };
    for (let i = 0; i < 300; i++) {
      const a = rnd();
      const b = rnd();
      const ta = tnumUnion(tnumConst(a), tnumConst(a ^ (rnd() & 3n)));
      const tb = tnumUnion(tnumConst(b), tnumConst(b ^ (rnd() & 5n)));
      expect(tnumHas(tnumAdd(ta, tb), a + b)).toBe(true);
      expect(tnumHas(tnumSub(ta, tb), (a - b) & M64)).toBe(true);
      expect(tnumHas(tnumMul(ta, tb), a * b)).toBe(true);
      expect(tnumHas(tnumAnd(ta, tb), a & b)).toBe(true);
    }
    expect(tnumContains(TNUM_UNKNOWN, tnumConst(5n))).toBe(true);
    expect(tnumContains(tnumConst(5n), TNUM_UNKNOWN)).toBe(false);
  });
});

describe('intervals', () => {
  it('widen to the next threshold, narrow back from the end of the type', () => {
    const t = [0n, 15n, 16n, 17n];
    expect(iwiden(interval(0n, 0n), interval(0n, 1n), 0n, 100n, t)).toEqual(interval(0n, 15n));
    expect(iwiden(interval(0n, 15n), interval(0n, 16n), 0n, 100n, t)).toEqual(interval(0n, 16n));
    expect(iwiden(interval(0n, 17n), interval(0n, 18n), 0n, 100n, t)).toEqual(interval(0n, 100n));
    expect(inarrow(interval(0n, 100n), interval(0n, 40n), 0n, 100n)).toEqual(interval(0n, 40n));
    expect(ijoin(interval(1n, 2n), interval(5n, 6n))).toEqual(interval(1n, 6n));
  });
});

describe('scalars (signed/unsigned intervals, 32-bit views, known bits)', () => {
  it('keeps constants exact with wrap-around', () => {
    expect(constValue(alu('add', scalarConst(M64), scalarConst(2n), true))).toBe(1n);
    expect(constValue(alu('add', scalarConst(0xffffffffn), scalarConst(1n), false))).toBe(0n);
    expect(constValue(alu('sub', scalarConst(0n), scalarConst(1n), false))).toBe(0xffffffffn);
    // like the kernel, division and modulo are not tracked, even of constants
    expect(alu('div', scalarConst(7n), scalarConst(2n), true)).toBe(SCALAR_UNKNOWN);
    expect(alu('mod', scalarConst(7n), scalarConst(0n), false)).toBe(SCALAR_UNKNOWN);
    expect(constValue(alu('arsh', scalarConst(M64 - 7n), scalarConst(1n), true))).toBe(M64 - 3n);
  });

  it('bounds masks, shifts and modulo', () => {
    const x = alu('and', SCALAR_UNKNOWN, scalarConst(7n), true);
    expect([x.umin, x.umax, x.smin, x.smax]).toEqual([0n, 7n, 0n, 7n]);
    const y = alu('rsh', SCALAR_UNKNOWN, scalarConst(60n), true);
    expect(y.umax).toBe(15n);
    const z = byteSwap(scalarRange(0n, 7n), 16, true);
    expect([z.umin, z.umax]).toEqual([0n, 0x700n]);
    const w = alu('lsh', scalarRange(0n, 3n), scalarConst(2n), true);
    expect([w.umin, w.umax]).toEqual([0n, 12n]);
  });

  it('refines both sides of comparisons, signed and unsigned, 64 and 32 bits', () => {
    const [a] = assumeCmp('lt', SCALAR_UNKNOWN, scalarConst(16n), true)!;
    expect([a.umin, a.umax]).toEqual([0n, 15n]);
    const [s] = assumeCmp('slt', SCALAR_UNKNOWN, scalarConst(8n), true)!;
    expect(s.smax).toBe(7n);
    expect(s.smin).toBe(-(1n << 63n));
    const [n] = assumeCmp('sge', s, scalarConst(0n), true)!;
    expect([n.smin, n.smax, n.umax]).toEqual([0n, 7n, 7n]);
    const [w] = assumeCmp('lt', SCALAR_UNKNOWN, scalarConst(10n), false)!;
    expect(w.u32max).toBe(9n);
    expect(w.umax > 1n << 32n).toBe(true); // the upper half is unknown
    expect(assumeCmp('gt', scalarConst(3n), scalarConst(4n), true)).toBeUndefined();
    const [ne] = assumeCmp('ne', scalarRange(0n, 16n), scalarConst(16n), true)!;
    expect(ne.umax).toBe(15n);
    expect(decideCmp('eq', scalarConst(1n), scalarConst(1n), true)).toBe(true);
    expect(decideCmp('lt', scalarRange(0n, 9n), scalarConst(5n), true)).toBeUndefined();
  });

  it('JSET refines known bits', () => {
    const [clear] = assumeCmp('nset', SCALAR_UNKNOWN, scalarConst(1n), true)!;
    expect(clear.t.mask & 1n).toBe(0n);
    expect(assumeCmp('set', scalarConst(4n), scalarConst(1n), true)).toBeUndefined();
  });

  it('sign extension and truncation', () => {
    expect(constValue(signExtend(scalarConst(0x80n), 8, true))).toBe(M64 - 127n);
    const r = signExtend(SCALAR_UNKNOWN, 8, true);
    expect([r.smin, r.smax]).toEqual([-128n, 127n]);
    expect(truncate(SCALAR_UNKNOWN, 2).umax).toBe(0xffffn);
  });

  it('reduces components against each other and detects empty values', () => {
    const s = sync({ ...SCALAR_UNKNOWN, smin: 0n, smax: 100n });
    expect(s?.umax).toBe(100n);
    expect(sync({ ...SCALAR_UNKNOWN, umin: 5n, umax: 4n })).toBeUndefined();
  });

  it('lattice: join, widening with thresholds, narrowing, inclusion', () => {
    const a = scalarRange(0n, 3n);
    const b = scalarRange(2n, 9n);
    const j = join(a, b);
    expect([j.umin, j.umax]).toEqual([0n, 9n]);
    expect(leq(a, j) && leq(b, j)).toBe(true);
    const w = widen(a, j, [15n, 16n]);
    expect(w.umax).toBe(15n);
    const n = narrow(widen(a, j, []), j);
    expect(n.umax).toBe(9n);
    expect(leq(scalarSignedRange(-1n, 1n), SCALAR_UNKNOWN)).toBe(true);
  });
});

describe('zone (difference bounds)', () => {
  const free = (): readonly [number, number] => [-Infinity, Infinity];
  it('closes transitively and detects contradictions', () => {
    const z = Zone.top();
    expect(z.add(1, 2, 3)).toBe(true); // x1 - x2 <= 3
    expect(z.add(2, 3, -5)).toBe(true); // x2 - x3 <= -5
    expect(z.get(1, 3)).toBe(-2);
    expect(z.add(3, 1, 1)).toBe(false); // x3 - x1 <= 1 contradicts x1 - x3 <= -2
  });

  it('copies relations on assignment and shifts them', () => {
    const z = Zone.top();
    z.add(1, 100, -4); // r1 + 4 <= pkt
    z.assignShifted(2, 1, 8); // r2 = r1 + 8
    expect(z.get(2, 100)).toBe(4);
    z.shift(1, 2); // r1 += 2
    expect(z.get(1, 100)).toBe(-2);
    expect(z.get(2, 1)).toBe(6);
    z.forget(1);
    expect(z.get(1, 100)).toBeUndefined();
    expect(z.get(2, 100)).toBe(4);
  });

  it('joins keep what both sides prove, using bounds for implied differences', () => {
    const a = Zone.top();
    a.add(1, 2, 0);
    const b = Zone.top();
    b.add(1, 2, 5);
    const j = Zone.join(a, b, free, free);
    expect(j.get(1, 2)).toBe(5);
    // one side proves it by bounds only: x1 = 0, x2 = 0
    const zero = (): readonly [number, number] => [0, 0];
    const k = Zone.join(a, Zone.top(), free, zero);
    expect(k.get(1, 2)).toBe(0);
    expect(Zone.leq(a, j, free)).toBe(true);
    expect(Zone.leq(j, a, free)).toBe(false);
    const w = Zone.widen(a, j, free, free);
    expect(w.get(1, 2)).toBeUndefined();
  });
});

describe('types and stack', () => {
  it('joins NULL with a map value into a nullable map value', () => {
    const p = pointer(Kind.MAP_VALUE, scalarConst(0n), { map: 0, id: 3 });
    const j = joinValue(constNum(0n), p);
    expect(j.kinds).toBe(Kind.MAP_VALUE | Kind.NULLABLE);
    expect(leqValue(constNum(0n), j)).toBe(true);
    expect(leqValue(j, p)).toBe(false);
  });

  it('joins different regions into a set of kinds', () => {
    const j = joinValue(NUM_UNKNOWN, pointer(Kind.PACKET, scalarConst(4n)));
    expect(j.kinds).toBe(Kind.NUM | Kind.PACKET);
    expect(joinValue(UNINIT, NUM_UNKNOWN).kinds).toBe(Kind.UNINIT | Kind.NUM);
  });

  it('spills and fills registers, scrubs partial overwrites', () => {
    const ptr = pointer(Kind.MAP_VALUE, scalarConst(8n), { map: 1 });
    let st = StackFrame.EMPTY.write(504, 8, ptr);
    expect(st.read(504, 8)).toBe(ptr);
    expect(st.cell(504)).toBe(Cell.SPILL);
    st = st.write(508, 4, constNum(7n));
    expect(st.spills.has(504)).toBe(false); // the pointer is gone, its other bytes are just data
    expect(st.cell(504)).toBe(Cell.MISC);
    // a number in a slot that is not 8-byte aligned is not kept, as in the kernel
    expect(st.read(508, 4).num).toEqual(SCALAR_UNKNOWN);
    expect(st.write(504, 4, constNum(7n)).read(504, 4).num).toEqual(scalarConst(7n));
    const zero = StackFrame.EMPTY.write(496, 8, constNum(0n));
    expect(zero.cell(496)).toBe(Cell.ZERO);
    expect(constValue(zero.read(500, 4).num)).toBe(0n);
  });

  it('joins stacks byte by byte', () => {
    const a = StackFrame.EMPTY.write(504, 8, constNum(1n));
    const b = StackFrame.EMPTY.write(504, 8, constNum(2n));
    const j = StackFrame.join(a, b);
    expect(j.read(504, 8).num.umax).toBe(2n);
    const c = StackFrame.join(a, StackFrame.EMPTY);
    expect(c.initialized(504, 512)).toBe(false);
    expect(StackFrame.leq(a, c)).toBe(true);
  });
});

describe('disjunctions: which paths stay apart at a join', () => {
  // r1 = the context, r10 = the frame; each state sets r0 (a status) and r6, r7 (flags)
  const stateWith = (r0: bigint, r6: bigint, r7: bigint) => {
    const e = entryState(pointer(Kind.CTX, scalarConst(0n)), pointer(Kind.STACK, scalarConst(512n), { frame: 0 })).edit();
    e.setReg(0, numValue(scalarConst(r0)));
    e.setReg(6, numValue(scalarConst(r6)));
    e.setReg(7, numValue(scalarConst(r7)));
    return e.done()!;
  };
  const all = [0n, 1n].flatMap((a) => [0n, 1n].flatMap((b) => [0n, -1n].map((s) => stateWith(s, a, b))));
  const r0Values = (d: Dj.Disj) => d.map((s) => constValue(s.reg(0).num));

  it('keeps every combination while they fit', () => {
    expect(Dj.joinAll([all.slice(0, Dj.MAX_DISJUNCTS)], 0x7ff)).toHaveLength(Dj.MAX_DISJUNCTS);
  });

  it('joins every path when too many differ and nothing says which matters', () => {
    const d = Dj.joinAll([all], 0x7ff)!;
    expect(d).toHaveLength(1);
    expect(r0Values(d)).toEqual([undefined]);
  });

  it('gives up more distinctions when one is not enough', () => {
    const next = new Int32Array(11 + STACK_SLOTS).fill(FAR);
    next[0] = 1;
    next[6] = 40;
    next[7] = 50;
    next[8] = 60;
    const many = [0n, 1n].flatMap((a) =>
      [0n, 1n].flatMap((b) =>
        [0n, 1n].flatMap((c) =>
          [0n, -1n, 1n].map((st) => {
            const e = stateWith(st, a, b).edit();
            e.setReg(8, numValue(scalarConst(c)));
            return e.done()!;
          }),
        ),
      ),
    );
    const d = Dj.joinAll([many], 0x7ff, next)!;
    expect(d.length).toBeLessThanOrEqual(Dj.MAX_DISJUNCTS);
    // r8 and r7 (read last) go; the status and r6 stay exact
    expect(d.every((s) => constValue(s.reg(8).num) === undefined && constValue(s.reg(7).num) === undefined)).toBe(true);
    expect(d.every((s) => constValue(s.reg(0).num) !== undefined && constValue(s.reg(6).num) !== undefined)).toBe(true);
  });

  it('gives up the distinctions read last: the status read next stays, the flags read later go', () => {
    const next = new Int32Array(11 + STACK_SLOTS).fill(FAR);
    next[0] = 1;
    next[6] = 40;
    next[7] = 50;
    const d = Dj.joinAll([all], 0x7ff, next)!;
    // r7 (read last) is given up, which is enough: r0 and r6 stay exact on each path
    expect(d).toHaveLength(4);
    expect(d.every((s) => constValue(s.reg(7).num) === undefined)).toBe(true);
    expect(d.every((s) => constValue(s.reg(0).num) !== undefined && constValue(s.reg(6).num) !== undefined)).toBe(true);
    expect(new Set(r0Values(d).map((v) => BigInt.asIntN(64, v!)))).toEqual(new Set([-1n, 0n]));
  });

  it('gives up a pointer\'s region last, even when it is read after the flags', () => {
    const next = new Int32Array(11 + STACK_SLOTS).fill(FAR);
    next[6] = 1;
    next[7] = 2;
    next[8] = 30;
    const withRegion = (r6: bigint, r7: bigint, onStack: boolean) => {
      const e = stateWith(0n, r6, r7).edit();
      e.setReg(8, onStack ? pointer(Kind.STACK, scalarConst(480n), { frame: 0 }) : pointer(Kind.MAP_VALUE, scalarConst(0n), { map: 0 }));
      return e.done()!;
    };
    const eight = [0n, 1n].flatMap((a) => [0n, 1n].flatMap((b) => [true, false].map((st) => withRegion(a, b, st))));
    const d = Dj.joinAll([eight], 0x7ff, next)!;
    expect(d).toHaveLength(4);
    expect(d.every((s) => s.reg(8).kinds === Kind.STACK || s.reg(8).kinds === Kind.MAP_VALUE)).toBe(true);
    expect(d.every((s) => constValue(s.reg(7).num) === undefined && constValue(s.reg(6).num) !== undefined)).toBe(true);
  });
});
