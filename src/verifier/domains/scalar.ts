/**
 * The numeric value of one register: signed and unsigned 64-bit intervals, signed and unsigned
 * intervals of the low 32 bits (the subregister `wN`), and known bits (a tnum), kept consistent
 * with each other by {@link sync}. For a pointer the same structure describes its offset.
 *
 * This is the reduced product the kernel keeps in `bpf_reg_state` (smin/smax/umin/umax, the
 * 32-bit bounds and var_off). Each component catches facts the others miss: `x & 15` is a tnum
 * fact, `x < 16` an unsigned-interval fact, `(s32)x < 0` a subregister fact.
 * Values are immutable; every operation returns a new Scalar, or `undefined` for "no value"
 * (the bottom of the lattice, e.g. after assuming a comparison that cannot hold).
 */
import {
  bmax,
  bmin,
  S32_MAX,
  S32_MIN,
  S64_MAX,
  S64_MIN,
  U32_MAX,
  U64_MAX,
  widen as widenInterval,
} from './interval.js';
import {
  TNUM_UNKNOWN,
  type Tnum,
  tnumAdd,
  tnumAnd,
  tnumArsh,
  tnumCast,
  tnumCompatible,
  tnumConst,
  tnumContains,
  tnumIntersect,
  tnumIsConst,
  tnumLsh,
  tnumMul,
  tnumOr,
  tnumRange,
  tnumRsh,
  tnumSub,
  tnumSubreg,
  tnumToString,
  tnumUnion,
  tnumWithSubreg,
  tnumXor,
  bitLength,
  LOW_MASKS,
} from './tnum.js';

export interface Scalar {
  readonly smin: bigint;
  readonly smax: bigint;
  readonly umin: bigint;
  readonly umax: bigint;
  readonly s32min: bigint;
  readonly s32max: bigint;
  readonly u32min: bigint;
  readonly u32max: bigint;
  readonly t: Tnum;
}

const s64 = (x: bigint): bigint => BigInt.asIntN(64, x);
const u64 = (x: bigint): bigint => BigInt.asUintN(64, x);
const s32 = (x: bigint): bigint => BigInt.asIntN(32, x);
const u32 = (x: bigint): bigint => BigInt.asUintN(32, x);

export const SCALAR_UNKNOWN: Scalar = {
  smin: S64_MIN,
  smax: S64_MAX,
  umin: 0n,
  umax: U64_MAX,
  s32min: S32_MIN,
  s32max: S32_MAX,
  u32min: 0n,
  u32max: U32_MAX,
  t: TNUM_UNKNOWN,
};

const constCache = new Map<bigint, Scalar>();

/** The single value v (taken modulo 2^64). */
export function scalarConst(v: bigint): Scalar {
  const u = u64(v);
  let c = constCache.get(u);
  if (c) return c;
  const lo = u32(u);
  c = { smin: s64(u), smax: s64(u), umin: u, umax: u, s32min: s32(lo), s32max: s32(lo), u32min: lo, u32max: lo, t: tnumConst(u) };
  if (constCache.size < 4096) constCache.set(u, c);
  return c;
}

/** Any value of the unsigned range [lo, hi]. */
export function scalarRange(lo: bigint, hi: bigint): Scalar {
  return sync({ ...SCALAR_UNKNOWN, umin: lo, umax: hi }) ?? SCALAR_UNKNOWN;
}

/** Any value of the signed range [lo, hi]. */
export function scalarSignedRange(lo: bigint, hi: bigint): Scalar {
  return sync({ ...SCALAR_UNKNOWN, smin: lo, smax: hi }) ?? SCALAR_UNKNOWN;
}

export const isConst = (a: Scalar): boolean => tnumIsConst(a.t);
/** The value when the scalar is one number. */
export const constValue = (a: Scalar): bigint | undefined => (tnumIsConst(a.t) ? a.t.value : undefined);
export const isUnknown = (a: Scalar): boolean =>
  a.smin === S64_MIN && a.smax === S64_MAX && a.umin === 0n && a.umax === U64_MAX && a.t.mask === U64_MAX;

// ---------------------------------------------------------------------------------------------
// Reduction between the components

/** Tightens every component from the others; undefined when they contradict (no value). */
export function sync(a: Scalar): Scalar | undefined {
  // a known constant: every component must contain it, and then it is exactly the constant
  if (a.t.mask === 0n) {
    const c = a.t.value;
    const sc = s64(c);
    const lo = u32(c);
    const slo = s32(lo);
    if (sc < a.smin || sc > a.smax || c < a.umin || c > a.umax || slo < a.s32min || slo > a.s32max || lo < a.u32min || lo > a.u32max) return undefined;
    return scalarConst(c);
  }
  let { smin, smax, umin, umax, s32min, s32max, u32min, u32max, t } = a;
  for (let round = 0; round < 2; round++) {
    // a round is a function of the components alone: once one changes nothing, the next would not either
    const before0 = smin, before1 = smax, before2 = umin, before3 = umax, before4 = s32min, before5 = s32max, before6 = u32min, before7 = u32max, before8 = t;
    // bounds from known bits
    const t32 = tnumSubreg(t);
    u32min = bmax(u32min, t32.value);
    u32max = bmin(u32max, t32.value | t32.mask);
    s32min = bmax(s32min, s32(t32.value | (t32.mask & 0x80000000n)));
    s32max = bmin(s32max, s32(t32.value | (t32.mask & 0x7fffffffn)));
    umin = bmax(umin, t.value);
    umax = bmin(umax, t.value | t.mask);
    smin = bmax(smin, s64(t.value | (t.mask & (1n << 63n))));
    smax = bmin(smax, s64(t.value | (t.mask & S64_MAX)));
    if (umin > umax || smin > smax || u32min > u32max || s32min > s32max) return undefined;

    // 32-bit signed <-> unsigned
    if (s32(u32min) <= s32(u32max)) {
      s32min = bmax(s32min, s32(u32min));
      s32max = bmin(s32max, s32(u32max));
    }
    if (u32(s32min) <= u32(s32max)) {
      u32min = bmax(u32min, u32(s32min));
      u32max = bmin(u32max, u32(s32max));
    }
    // 64-bit ranges that stay within one upper word bound the low word
    if (umin >> 32n === umax >> 32n) {
      u32min = bmax(u32min, u32(umin));
      u32max = bmin(u32max, u32(umax));
      if (s32(umin) <= s32(umax)) {
        s32min = bmax(s32min, s32(umin));
        s32max = bmin(s32max, s32(umax));
      }
    }
    if (smin >> 32n === smax >> 32n && s32(smin) <= s32(smax)) {
      s32min = bmax(s32min, s32(smin));
      s32max = bmin(s32max, s32(smax));
    }
    if (u32min > u32max || s32min > s32max) return undefined;
    // and the low word bounds the 64-bit range when the upper word is fixed
    if (umin >> 32n === umax >> 32n) {
      const hi = umin & ~U32_MAX;
      umin = bmax(umin, hi | u32min);
      umax = bmin(umax, hi | u32max);
    }
    if (smin >> 32n === smax >> 32n) {
      const hi = smin & ~U32_MAX;
      smin = bmax(smin, hi | u32min);
      smax = bmin(smax, hi | u32max);
    }
    if (umin > umax || smin > smax) return undefined;
    // 64-bit signed <-> unsigned
    if (s64(umin) <= s64(umax)) {
      smin = bmax(smin, s64(umin));
      smax = bmin(smax, s64(umax));
    }
    if (u64(smin) <= u64(smax)) {
      umin = bmax(umin, u64(smin));
      umax = bmin(umax, u64(smax));
    }
    if (umin > umax || smin > smax) return undefined;
    // known bits from the ranges
    const fromRange = tnumRange(umin, umax);
    if (!tnumCompatible(t, fromRange)) return undefined;
    t = tnumIntersect(t, fromRange);
    const sub = tnumSubreg(t);
    const sub32 = tnumRange(u32min, u32max);
    if (!tnumCompatible(sub, sub32)) return undefined;
    t = tnumWithSubreg(t, tnumIntersect(sub, sub32));
    // bounds snap to the values the known low bits allow (a multiple of 8 below 327 is at most
    // 320): a loop stepping by 8 then meets its `!= 320` exit test exactly
    if ((t.mask & 1n) === 0n && t.mask !== 0n) {
      const ulo = snapUp(t, umin);
      const uhi = snapDown(t, umax);
      if (ulo !== undefined && uhi !== undefined) {
        if (ulo > uhi) return undefined;
        umin = ulo;
        umax = uhi;
      }
    }
    if (
      smin === before0 && smax === before1 && umin === before2 && umax === before3 &&
      s32min === before4 && s32max === before5 && u32min === before6 && u32max === before7 &&
      t.value === before8.value && t.mask === before8.mask
    ) break;
  }
  // an already reduced value stays the same object (joins and inclusion tests short-cut on identity)
  if (
    smin === a.smin && smax === a.smax && umin === a.umin && umax === a.umax &&
    s32min === a.s32min && s32max === a.s32max && u32min === a.u32min && u32max === a.u32max &&
    t.value === a.t.value && t.mask === a.t.mask
  ) return a;
  return { smin, smax, umin, umax, s32min, s32max, u32min, u32max, t };
}

/** Number of low bits a tnum knows exactly. */
function knownLowBits(t: Tnum): number {
  if (t.mask === 0n) return 64;
  return bitLength(t.mask & -t.mask) - 1;
}

/** The largest value <= x whose low bits match t's known low bits (when that value matches t). */
function snapDown(t: Tnum, x: bigint): bigint | undefined {
  const m = LOW_MASKS[knownLowBits(t)]!;
  const v = x - ((x - (t.value & m)) & m);
  return v >= 0n && ((v ^ t.value) & ~t.mask & U64_MAX) === 0n ? v : undefined;
}

/** The smallest value >= x whose low bits match t's known low bits (when that value matches t). */
function snapUp(t: Tnum, x: bigint): bigint | undefined {
  const m = LOW_MASKS[knownLowBits(t)]!;
  const v = x + (((t.value & m) - x) & m);
  return v <= U64_MAX && ((v ^ t.value) & ~t.mask & U64_MAX) === 0n ? v : undefined;
}

// ---------------------------------------------------------------------------------------------
// Views of one width, so each operation is written once for 32 and 64 bits

interface View {
  smin: bigint;
  smax: bigint;
  umin: bigint;
  umax: bigint;
  t: Tnum;
}

interface Width {
  bits: 32 | 64;
  smin: bigint;
  smax: bigint;
  umax: bigint;
  s: (x: bigint) => bigint;
  u: (x: bigint) => bigint;
}

const W64: Width = { bits: 64, smin: S64_MIN, smax: S64_MAX, umax: U64_MAX, s: s64, u: u64 };
const W32: Width = { bits: 32, smin: S32_MIN, smax: S32_MAX, umax: U32_MAX, s: s32, u: u32 };

const view64 = (a: Scalar): View => ({ smin: a.smin, smax: a.smax, umin: a.umin, umax: a.umax, t: a.t });
const view32 = (a: Scalar): View => ({ smin: a.s32min, smax: a.s32max, umin: a.u32min, umax: a.u32max, t: tnumSubreg(a.t) });
const fullView = (w: Width, t: Tnum = TNUM_UNKNOWN): View => ({ smin: w.smin, smax: w.smax, umin: 0n, umax: w.umax, t: w.bits === 32 ? tnumSubreg(t) : t });
const castT = (w: Width, t: Tnum): Tnum => (w.bits === 32 ? tnumSubreg(t) : t);
const viewConst = (v: View): bigint | undefined => (v.t.mask === 0n ? v.t.value : v.umin === v.umax ? v.umin : undefined);

/** Signed bounds from unsigned ones when the unsigned range does not cross the sign bit. */
function signedFromUnsigned(w: Width, umin: bigint, umax: bigint): [bigint, bigint] {
  return w.s(umin) <= w.s(umax) ? [w.s(umin), w.s(umax)] : [w.smin, w.smax];
}
function unsignedFromSigned(w: Width, smin: bigint, smax: bigint): [bigint, bigint] {
  return w.u(smin) <= w.u(smax) ? [w.u(smin), w.u(smax)] : [0n, w.umax];
}

export type AluOp = 'add' | 'sub' | 'mul' | 'div' | 'sdiv' | 'mod' | 'smod' | 'or' | 'and' | 'xor' | 'lsh' | 'rsh' | 'arsh';

function addView(w: Width, a: View, b: View): View {
  const t = castT(w, tnumAdd(a.t, b.t));
  let smin = a.smin + b.smin;
  let smax = a.smax + b.smax;
  if (smin < w.smin || smax > w.smax) [smin, smax] = [w.smin, w.smax];
  let umin = a.umin + b.umin;
  let umax = a.umax + b.umax;
  const wrapAt = w.umax + 1n;
  if (umin >= wrapAt && umax >= wrapAt) [umin, umax] = [umin - wrapAt, umax - wrapAt];
  else if (umax >= wrapAt) [umin, umax] = [0n, w.umax];
  return { smin, smax, umin, umax, t };
}

function subView(w: Width, a: View, b: View): View {
  const t = castT(w, tnumSub(a.t, b.t));
  let smin = a.smin - b.smax;
  let smax = a.smax - b.smin;
  if (smin < w.smin || smax > w.smax) [smin, smax] = [w.smin, w.smax];
  let umin = a.umin - b.umax;
  let umax = a.umax - b.umin;
  const wrapAt = w.umax + 1n;
  if (umin < 0n && umax < 0n) [umin, umax] = [umin + wrapAt, umax + wrapAt];
  else if (umin < 0n) [umin, umax] = [0n, w.umax];
  return { smin, smax, umin, umax, t };
}

function mulView(w: Width, a: View, b: View): View {
  const t = castT(w, tnumMul(a.t, b.t));
  let [umin, umax] = [a.umin * b.umin, a.umax * b.umax];
  if (umax > w.umax) [umin, umax] = [0n, w.umax];
  const corners = [a.smin * b.smin, a.smin * b.smax, a.smax * b.smin, a.smax * b.smax];
  let smin = corners.reduce(bmin);
  let smax = corners.reduce(bmax);
  if (smin < w.smin || smax > w.smax) [smin, smax] = [w.smin, w.smax];
  return { smin, smax, umin, umax, t };
}

function bitwiseView(w: Width, op: 'and' | 'or' | 'xor', a: View, b: View): View {
  const t = castT(w, op === 'and' ? tnumAnd(a.t, b.t) : op === 'or' ? tnumOr(a.t, b.t) : tnumXor(a.t, b.t));
  let umin: bigint;
  let umax: bigint;
  if (op === 'and') {
    umin = t.value;
    umax = bmin(a.umax, b.umax);
  } else if (op === 'or') {
    umin = bmax(a.umin, b.umin);
    umax = t.value | t.mask;
  } else {
    umin = t.value;
    umax = t.value | t.mask;
  }
  let [smin, smax] = signedFromUnsigned(w, umin, umax);
  // and of two non-negative numbers, or of two negative ones, keeps the sign
  if (op === 'and' && a.smin >= 0n && b.smin >= 0n) smax = bmin(smax, bmin(a.smax, b.smax));
  if (op === 'and' && (a.smin >= 0n || b.smin >= 0n)) smin = bmax(smin, 0n);
  return { smin, smax, umin, umax, t };
}

function shiftView(w: Width, op: 'lsh' | 'rsh' | 'arsh', a: View, b: View): View {
  // The kernel, and therefore bpfkit, does not model shift amounts at or beyond the width.
  if (b.umax >= BigInt(w.bits)) return fullView(w);
  const lo = Number(b.umin);
  const hi = Number(b.umax);
  const k = viewConst(b);
  if (op === 'lsh') {
    const t = k !== undefined ? castT(w, tnumLsh(a.t, Number(k))) : TNUM_UNKNOWN;
    let [umin, umax] = [a.umin << BigInt(lo), a.umax << BigInt(hi)];
    if (umax > w.umax) [umin, umax] = [0n, w.umax];
    const [smin, smax] = signedFromUnsigned(w, umin, umax);
    return { smin, smax, umin, umax, t: castT(w, t) };
  }
  if (op === 'rsh') {
    const t = k !== undefined ? tnumRsh(a.t, Number(k)) : TNUM_UNKNOWN;
    const umin = a.umin >> BigInt(hi);
    const umax = a.umax >> BigInt(lo);
    const [smin, smax] = signedFromUnsigned(w, umin, umax);
    return { smin, smax, umin, umax, t: castT(w, t) };
  }
  const t = k !== undefined ? tnumArsh(a.t, Number(k), w.bits) : TNUM_UNKNOWN;
  const smin = bmin(a.smin >> BigInt(lo), a.smin >> BigInt(hi));
  const smax = bmax(a.smax >> BigInt(lo), a.smax >> BigInt(hi));
  const [umin, umax] = unsignedFromSigned(w, smin, smax);
  return { smin, smax, umin, umax, t: castT(w, t) };
}

function divModView(w: Width, op: 'div' | 'mod' | 'sdiv' | 'smod', a: View, b: View): View {
  const ca = viewConst(a);
  const cb = viewConst(b);
  if (ca !== undefined && cb !== undefined) return constView(w, evalDivMod(w, op, ca, cb));
  if (op === 'div') {
    if (b.umax === 0n) return constView(w, 0n); // BPF: x / 0 = 0
    const umin = b.umin === 0n ? 0n : a.umin / b.umax;
    const umax = a.umax / (b.umin === 0n ? 1n : b.umin);
    const [smin, smax] = signedFromUnsigned(w, umin, umax);
    return { smin, smax, umin, umax, t: castT(w, tnumRange(umin, umax)) };
  }
  if (op === 'mod') {
    if (b.umax === 0n) return a; // BPF: x % 0 = x
    const umax = b.umin === 0n ? a.umax : bmin(a.umax, b.umax - 1n);
    const umin = b.umin > a.umax ? a.umin : 0n;
    const [smin, smax] = signedFromUnsigned(w, umin, umax);
    return { smin, smax, umin, umax, t: castT(w, tnumRange(umin, umax)) };
  }
  return fullView(w);
}

function evalDivMod(w: Width, op: 'div' | 'mod' | 'sdiv' | 'smod', x: bigint, y: bigint): bigint {
  if (op === 'div') return y === 0n ? 0n : x / y;
  if (op === 'mod') return y === 0n ? x : x % y;
  const sx = w.s(x);
  const sy = w.s(y);
  if (op === 'sdiv') return y === 0n ? 0n : w.u(sx / sy);
  return y === 0n ? x : w.u(sx % sy);
}

function constView(w: Width, v: bigint): View {
  const u = w.u(v);
  return { smin: w.s(u), smax: w.s(u), umin: u, umax: u, t: tnumConst(u) };
}

function aluView(w: Width, op: AluOp, a: View, b: View): View {
  switch (op) {
    case 'add':
      return addView(w, a, b);
    case 'sub':
      return subView(w, a, b);
    case 'mul':
      return mulView(w, a, b);
    case 'and':
    case 'or':
    case 'xor':
      return bitwiseView(w, op, a, b);
    case 'lsh':
    case 'rsh':
    case 'arsh':
      return shiftView(w, op, a, b);
    case 'div':
    case 'mod':
    case 'sdiv':
    case 'smod':
      return divModView(w, op, a, b);
  }
}

/** Operations whose low 32 bits depend only on the operands' low 32 bits. */
const LOW_BITS_OPS = new Set<AluOp>(['add', 'sub', 'mul', 'and', 'or', 'xor']);

function fromViews(v64: View, v32: View): Scalar {
  const t = tnumWithSubreg(v64.t, v32.t);
  const raw: Scalar = {
    smin: v64.smin,
    smax: v64.smax,
    umin: v64.umin,
    umax: v64.umax,
    s32min: v32.smin,
    s32max: v32.smax,
    u32min: v32.umin,
    u32max: v32.umax,
    t,
  };
  // Each component over-approximates the result, so they cannot contradict; keep raw if sync
  // ever disagrees (it would mean an imprecise but sound component, never an empty result).
  return sync(raw) ?? raw;
}

/** A 32-bit result written to a register: the upper half becomes zero. */
export function zeroExtend32(v32: View): Scalar {
  const umin = v32.umin;
  const umax = v32.umax;
  const t = tnumSubreg(v32.t);
  return fromViews({ smin: umin, smax: umax, umin, umax, t }, v32);
}

/** dst op src, 64-bit (ALU64) or 32-bit (ALU, zero-extended), with BPF's wrap-around semantics. */
export function alu(op: AluOp, a: Scalar, b: Scalar, is64: boolean): Scalar {
  // The kernel does not track division or modulo at all (not even of constants, nor the zero
  // upper half of a 32-bit result); being more precise would accept programs it rejects.
  if (op === 'div' || op === 'mod' || op === 'sdiv' || op === 'smod') return SCALAR_UNKNOWN;
  const ca = constValue(a);
  const cb = constValue(b);
  if (ca !== undefined && cb !== undefined) return scalarConst(evalAlu(op, ca, cb, is64));
  if (!is64) return zeroExtend32(aluView(W32, op, view32(a), view32(b)));
  const r64 = aluView(W64, op, view64(a), view64(b));
  const r32 = LOW_BITS_OPS.has(op) ? aluView(W32, op, view32(a), view32(b)) : fullView(W32, r64.t);
  return fromViews(r64, r32);
}

/** The concrete BPF semantics of an ALU operation on unsigned 64-bit values. */
export function evalAlu(op: AluOp, x: bigint, y: bigint, is64: boolean): bigint {
  const w = is64 ? W64 : W32;
  const a = w.u(x);
  const b = w.u(y);
  let r: bigint;
  switch (op) {
    case 'add':
      r = a + b;
      break;
    case 'sub':
      r = a - b;
      break;
    case 'mul':
      r = a * b;
      break;
    case 'and':
      r = a & b;
      break;
    case 'or':
      r = a | b;
      break;
    case 'xor':
      r = a ^ b;
      break;
    case 'lsh':
      r = a << (b & BigInt(w.bits - 1));
      break;
    case 'rsh':
      r = a >> (b & BigInt(w.bits - 1));
      break;
    case 'arsh':
      r = w.s(a) >> (b & BigInt(w.bits - 1));
      break;
    default:
      r = evalDivMod(w, op, a, b);
  }
  return u64(w.u(r));
}

/** -x */
export function neg(a: Scalar, is64: boolean): Scalar {
  return alu('sub', scalarConst(0n), a, is64);
}

/** Sign extension of the low `bits` bits (movsx), result kept in 64 bits or zero-extended from 32. */
export function signExtend(a: Scalar, bits: 8 | 16 | 32, is64: boolean): Scalar {
  const c = constValue(a);
  if (c !== undefined) {
    const v = BigInt.asIntN(bits, c);
    return scalarConst(is64 ? v : u32(v));
  }
  const half = 1n << BigInt(bits - 1);
  // a value already below the sign bit of the narrow type is unchanged
  if (a.umax < half) return is64 ? a : truncate(a, 4);
  let lo = -half;
  let hi = half - 1n;
  if (bits === 32) {
    lo = a.s32min;
    hi = a.s32max;
  }
  if (is64) return scalarSignedRange(lo, hi);
  return zeroExtend32({ smin: lo, smax: hi, umin: 0n, umax: U32_MAX, t: TNUM_UNKNOWN });
}

/** The low `bytes` bytes, zero-extended (a narrow load or a 32-bit move). */
export function truncate(a: Scalar, bytes: 1 | 2 | 4 | 8): Scalar {
  if (bytes === 8) return a;
  if (bytes === 4) return zeroExtend32(view32(a));
  const m = (1n << BigInt(bytes * 8)) - 1n;
  const c = constValue(a);
  if (c !== undefined) return scalarConst(c & m);
  if (a.umax <= m) return a;
  return sync({ ...SCALAR_UNKNOWN, umin: 0n, umax: m, t: tnumCast(a.t, bytes) }) ?? scalarRange(0n, m);
}

/** Byte swaps (`be16`/`le32`/`bswap64`...): only constants stay known; the width bounds the rest. */
export function byteSwap(a: Scalar, bits: 16 | 32 | 64, swap: boolean): Scalar {
  const c = constValue(a);
  const bytes = (bits / 8) as 2 | 4 | 8;
  if (!swap) return truncate(a, bytes);
  if (c !== undefined) {
    let v = 0n;
    for (let i = 0; i < bytes; i++) v = (v << 8n) | ((c >> BigInt(8 * i)) & 0xffn);
    return scalarConst(v);
  }
  // the bytes of the known bits move with the bytes of the value
  const swapBytes = (x: bigint): bigint => {
    let v = 0n;
    for (let i = 0; i < bytes; i++) v = (v << 8n) | ((x >> BigInt(8 * i)) & 0xffn);
    return v;
  };
  const t = { value: swapBytes(a.t.value), mask: swapBytes(a.t.mask) };
  const full = bits === 64 ? SCALAR_UNKNOWN : scalarRange(0n, (1n << BigInt(bits)) - 1n);
  return sync({ ...full, t: { value: t.value & ~t.mask, mask: t.mask } }) ?? full;
}

// ---------------------------------------------------------------------------------------------
// Comparisons (used by `assume`)

export type CmpOp = 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le' | 'sgt' | 'sge' | 'slt' | 'sle' | 'set' | 'nset';

export const NEGATE: Record<CmpOp, CmpOp> = {
  eq: 'ne',
  ne: 'eq',
  gt: 'le',
  ge: 'lt',
  lt: 'ge',
  le: 'gt',
  sgt: 'sle',
  sge: 'slt',
  slt: 'sge',
  sle: 'sgt',
  set: 'nset',
  nset: 'set',
};

/** The operator with its operands exchanged: `a < b` is `b > a`. */
export const SWAP: Record<CmpOp, CmpOp> = {
  eq: 'eq',
  ne: 'ne',
  gt: 'lt',
  ge: 'le',
  lt: 'gt',
  le: 'ge',
  sgt: 'slt',
  sge: 'sle',
  slt: 'sgt',
  sle: 'sge',
  set: 'set',
  nset: 'nset',
};

function withView(a: Scalar, w: Width, v: View): Scalar | undefined {
  if (w.bits === 64) return sync({ ...a, smin: v.smin, smax: v.smax, umin: v.umin, umax: v.umax, t: v.t });
  return sync({ ...a, s32min: v.smin, s32max: v.smax, u32min: v.umin, u32max: v.umax, t: tnumWithSubreg(a.t, v.t) });
}

function refine(w: Width, op: CmpOp, a: View, b: View): [View, View] | undefined {
  const A = { ...a };
  const B = { ...b };
  switch (op) {
    case 'eq': {
      if (!tnumCompatible(a.t, b.t)) return undefined;
      const t = tnumIntersect(a.t, b.t);
      const m = { smin: bmax(a.smin, b.smin), smax: bmin(a.smax, b.smax), umin: bmax(a.umin, b.umin), umax: bmin(a.umax, b.umax), t };
      return [m, { ...m }];
    }
    case 'ne': {
      const ca = viewConst(a);
      const cb = viewConst(b);
      if (ca !== undefined && cb !== undefined && ca === cb) return undefined;
      const trim = (x: View, c: bigint): void => {
        if (x.umin === c) x.umin++;
        if (x.umax === c) x.umax--;
        const sc = w.s(c);
        if (x.smin === sc) x.smin++;
        if (x.smax === sc) x.smax--;
      };
      if (cb !== undefined) trim(A, cb);
      if (ca !== undefined) trim(B, ca);
      return [A, B];
    }
    case 'lt':
      A.umax = bmin(a.umax, b.umax - 1n);
      B.umin = bmax(b.umin, a.umin + 1n);
      return [A, B];
    case 'le':
      A.umax = bmin(a.umax, b.umax);
      B.umin = bmax(b.umin, a.umin);
      return [A, B];
    case 'slt':
      A.smax = bmin(a.smax, b.smax - 1n);
      B.smin = bmax(b.smin, a.smin + 1n);
      return [A, B];
    case 'sle':
      A.smax = bmin(a.smax, b.smax);
      B.smin = bmax(b.smin, a.smin);
      return [A, B];
    case 'gt':
    case 'ge':
    case 'sgt':
    case 'sge': {
      const r = refine(w, SWAP[op], b, a);
      return r ? [r[1], r[0]] : undefined;
    }
    case 'set': {
      const cb = viewConst(b);
      if (cb === undefined) return [A, B];
      if ((a.t.value & cb) !== 0n) return [A, B];
      if (((a.t.value | a.t.mask) & cb) === 0n) return undefined;
      // a single possible bit must be set
      const possible = a.t.mask & cb;
      if ((possible & (possible - 1n)) === 0n) A.t = { value: a.t.value | possible, mask: a.t.mask & ~possible };
      return [A, B];
    }
    case 'nset': {
      const cb = viewConst(b);
      if (cb === undefined) return [A, B];
      if ((a.t.value & cb) !== 0n) return undefined;
      A.t = { value: a.t.value, mask: a.t.mask & ~cb };
      return [A, B];
    }
  }
}

/**
 * Both operands refined by assuming `a op b` holds on 64 bits or on the low 32 bits; undefined
 * when it cannot hold.
 */
export function assumeCmp(op: CmpOp, a: Scalar, b: Scalar, is64: boolean): [Scalar, Scalar] | undefined {
  const w = is64 ? W64 : W32;
  const r = refine(w, op, is64 ? view64(a) : view32(a), is64 ? view64(b) : view32(b));
  if (!r) return undefined;
  let na = withView(a, w, r[0]);
  let nb = withView(b, w, r[1]);
  if (!na || !nb) return undefined;
  // equality of the whole registers also fixes the subregisters
  if (is64 && op === 'eq') {
    const r32 = refine(W32, 'eq', view32(na), view32(nb));
    if (!r32) return undefined;
    na = withView(na, W32, r32[0]);
    nb = withView(nb, W32, r32[1]);
    if (!na || !nb) return undefined;
  }
  return [na, nb];
}

/** True/false when `a op b` is decided for every value, undefined when both outcomes are possible. */
export function decideCmp(op: CmpOp, a: Scalar, b: Scalar, is64: boolean): boolean | undefined {
  const yes = assumeCmp(op, a, b, is64) !== undefined;
  const no = assumeCmp(NEGATE[op], a, b, is64) !== undefined;
  if (yes && !no) return true;
  if (no && !yes) return false;
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Lattice operations

export function join(a: Scalar, b: Scalar): Scalar {
  if (a === b) return a;
  const smin = bmin(a.smin, b.smin);
  const smax = bmax(a.smax, b.smax);
  const umin = bmin(a.umin, b.umin);
  const umax = bmax(a.umax, b.umax);
  const s32min = bmin(a.s32min, b.s32min);
  const s32max = bmax(a.s32max, b.s32max);
  const u32min = bmin(a.u32min, b.u32min);
  const u32max = bmax(a.u32max, b.u32max);
  // a side that already holds the other is the join: no new value (joins at loop heads and of
  // paths that did not touch a register mostly end here, and identity short-cuts what follows)
  if (
    smin === a.smin && smax === a.smax && umin === a.umin && umax === a.umax &&
    s32min === a.s32min && s32max === a.s32max && u32min === a.u32min && u32max === a.u32max &&
    tnumContains(a.t, b.t)
  )
    return a;
  if (
    smin === b.smin && smax === b.smax && umin === b.umin && umax === b.umax &&
    s32min === b.s32min && s32max === b.s32max && u32min === b.u32min && u32max === b.u32max &&
    tnumContains(b.t, a.t)
  )
    return b;
  return { smin, smax, umin, umax, s32min, s32max, u32min, u32max, t: tnumUnion(a.t, b.t) };
}

export function meet(a: Scalar, b: Scalar): Scalar | undefined {
  if (!tnumCompatible(a.t, b.t)) return undefined;
  return sync({
    smin: bmax(a.smin, b.smin),
    smax: bmin(a.smax, b.smax),
    umin: bmax(a.umin, b.umin),
    umax: bmin(a.umax, b.umax),
    s32min: bmax(a.s32min, b.s32min),
    s32max: bmin(a.s32max, b.s32max),
    u32min: bmax(a.u32min, b.u32min),
    u32max: bmin(a.u32max, b.u32max),
    t: tnumIntersect(a.t, b.t),
  });
}

export function leq(a: Scalar, b: Scalar): boolean {
  if (a === b) return true;
  return (
    a.smin >= b.smin &&
    a.smax <= b.smax &&
    a.umin >= b.umin &&
    a.umax <= b.umax &&
    a.s32min >= b.s32min &&
    a.s32max <= b.s32max &&
    a.u32min >= b.u32min &&
    a.u32max <= b.u32max &&
    tnumContains(b.t, a.t)
  );
}

export function equals(a: Scalar, b: Scalar): boolean {
  return a === b || (leq(a, b) && leq(b, a));
}

/** Widening with thresholds (see interval.ts); the known bits form a finite lattice and just join. */
export function widen(a: Scalar, b: Scalar, thresholds: readonly bigint[]): Scalar {
  if (leq(b, a)) return a;
  const s = widenInterval({ lo: a.smin, hi: a.smax }, { lo: bmin(a.smin, b.smin), hi: bmax(a.smax, b.smax) }, S64_MIN, S64_MAX, thresholds);
  const u = widenInterval({ lo: a.umin, hi: a.umax }, { lo: bmin(a.umin, b.umin), hi: bmax(a.umax, b.umax) }, 0n, U64_MAX, thresholds);
  const s32w = widenInterval({ lo: a.s32min, hi: a.s32max }, { lo: bmin(a.s32min, b.s32min), hi: bmax(a.s32max, b.s32max) }, S32_MIN, S32_MAX, thresholds);
  const u32w = widenInterval({ lo: a.u32min, hi: a.u32max }, { lo: bmin(a.u32min, b.u32min), hi: bmax(a.u32max, b.u32max) }, 0n, U32_MAX, thresholds);
  const raw: Scalar = { smin: s.lo, smax: s.hi, umin: u.lo, umax: u.hi, s32min: s32w.lo, s32max: s32w.hi, u32min: u32w.lo, u32max: u32w.hi, t: widenTnum(a.t, b.t) };
  return sync(raw) ?? raw;
}

/**
 * Known bits are a finite lattice but a growing value loses one high bit per round (64 rounds):
 * once a bit becomes unknown, every bit above it is given up too. Low bits that stay known
 * (an even counter) are kept.
 */
function widenTnum(a: Tnum, b: Tnum): Tnum {
  const w = tnumUnion(a, b);
  const fresh = w.mask & ~a.mask;
  if (fresh === 0n) return w;
  const lowest = fresh & -fresh;
  const mask = (w.mask | ~(lowest - 1n)) & ((1n << 64n) - 1n);
  return { value: w.value & ~mask, mask };
}

/**
 * Narrowing: the meet of the widened value and the value one more round of the loop gives. The
 * fixpoint narrows a fixed number of rounds, which is what guarantees it stops; sync() has
 * already turned "unbounded" into large finite bounds, so waiting for the type's end would
 * never recover anything.
 */
export function narrow(a: Scalar, b: Scalar): Scalar {
  return meet(a, b) ?? a;
}

// ---------------------------------------------------------------------------------------------
// Printing, in the spirit of the kernel's log (`smin=... umax=... var_off=...`)

export function scalarToString(a: Scalar): string {
  const c = constValue(a);
  if (c !== undefined) return s64(c) < 0n && s64(c) > -4096n ? `${s64(c)}` : `${c}`;
  if (isUnknown(a)) return 'scalar()';
  const parts: string[] = [];
  if (a.smin !== S64_MIN) parts.push(`smin=${a.smin}`);
  if (a.smax !== S64_MAX) parts.push(`smax=${a.smax}`);
  if (a.umin !== 0n && a.umin !== a.smin) parts.push(`umin=${a.umin}`);
  if (a.umax !== U64_MAX && a.umax !== a.smax) parts.push(`umax=${a.umax}`);
  if (a.s32min !== S32_MIN && a.s32min !== a.smin) parts.push(`smin32=${a.s32min}`);
  if (a.s32max !== S32_MAX && a.s32max !== a.smax) parts.push(`smax32=${a.s32max}`);
  if (a.u32min !== 0n && a.u32min !== a.umin) parts.push(`umin32=${a.u32min}`);
  if (a.u32max !== U32_MAX && a.u32max !== a.umax) parts.push(`umax32=${a.u32max}`);
  // known bits add information only when they are not just "below umax"
  if (a.t.mask !== U64_MAX && (a.t.value !== 0n || (a.t.mask & (a.t.mask + 1n)) !== 0n)) parts.push(`var_off=${tnumToString(a.t)}`);
  return `scalar(${parts.join(',')})`;
}

/** Signed bounds as doubles (±Infinity when outside the safe-integer range), for the zone domain. */
const SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const NEG_SAFE = -SAFE;
/** Shared: most registers are unbounded, and the zone asks for their bounds at every join. */
const UNBOUNDED: readonly [number, number] = Object.freeze([-Infinity, Infinity] as [number, number]);
export function signedBoundsAsNumbers(a: Scalar): readonly [number, number] {
  const lo = a.smin >= NEG_SAFE ? Number(a.smin) : -Infinity;
  const hi = a.smax <= SAFE ? Number(a.smax) : Infinity;
  return lo === -Infinity && hi === Infinity ? UNBOUNDED : [lo, hi];
}
