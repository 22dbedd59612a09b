/**
 * Tristate numbers ("known bits"): each of the 64 bits is known 0, known 1 or unknown. `value`
 * holds the known-1 bits, `mask` the unknown bits (`value & mask` is always 0). This is the
 * kernel's `tnum`, the bit-level half of bpfkit's numeric domain; intervals are the other half.
 * All values are unsigned 64-bit BigInts.
 */
export interface Tnum {
  readonly value: bigint;
  readonly mask: bigint;
}

export const U64_MAX = (1n << 64n) - 1n;
export const U32_MAX = (1n << 32n) - 1n;

const wrap = (x: bigint): bigint => x & U64_MAX;
/** LOW_MASKS[n] = 2^n - 1 for n in 0..64, built once (the reduction asks for them all the time). */
export const LOW_MASKS: readonly bigint[] = Array.from({ length: 65 }, (_, n) => (1n << BigInt(n)) - 1n);
const HIGH_WORD = ~U32_MAX & U64_MAX;

export const tnum = (value: bigint, mask: bigint): Tnum => ({ value: wrap(value & ~mask), mask: wrap(mask) });
export const tnumConst = (v: bigint): Tnum => ({ value: wrap(v), mask: 0n });
export const TNUM_UNKNOWN: Tnum = { value: 0n, mask: U64_MAX };

export const tnumIsConst = (a: Tnum): boolean => a.mask === 0n;
export const tnumIsUnknown = (a: Tnum): boolean => a.mask === U64_MAX;
export const tnumEquals = (a: Tnum, b: Tnum): boolean => a.value === b.value && a.mask === b.mask;

/** Number of significant bits of x >= 0 (0 for 0), without building its binary string. */
export function bitLength(x: bigint): number {
  if (x === 0n) return 0;
  if (x > 0n) {
    if (x <= 0xffffffffn) return 32 - Math.clz32(Number(x));
    if (x <= U64_MAX) return 64 - Math.clz32(Number(x >> 32n));
  }
  return x.toString(2).length;
}

/** The smallest tnum containing every value of the unsigned range [min, max]. */
export function tnumRange(min: bigint, max: bigint): Tnum {
  const bits = bitLength(min ^ max);
  if (bits > 63) return TNUM_UNKNOWN;
  const delta = LOW_MASKS[bits]!;
  return { value: min & ~delta, mask: delta };
}

export function tnumAdd(a: Tnum, b: Tnum): Tnum {
  const sm = wrap(a.mask + b.mask);
  const sv = wrap(a.value + b.value);
  const sigma = wrap(sm + sv);
  const chi = sigma ^ sv;
  const mu = chi | a.mask | b.mask;
  return { value: sv & ~mu & U64_MAX, mask: mu };
}

export function tnumSub(a: Tnum, b: Tnum): Tnum {
  const dv = wrap(a.value - b.value);
  const alpha = wrap(dv + a.mask);
  const beta = wrap(dv - b.mask);
  const chi = alpha ^ beta;
  const mu = chi | a.mask | b.mask;
  return { value: dv & ~mu & U64_MAX, mask: mu };
}

export function tnumAnd(a: Tnum, b: Tnum): Tnum {
  const alpha = a.value | a.mask;
  const beta = b.value | b.mask;
  const v = a.value & b.value;
  return { value: v, mask: alpha & beta & ~v & U64_MAX };
}

export function tnumOr(a: Tnum, b: Tnum): Tnum {
  const v = a.value | b.value;
  const mu = a.mask | b.mask;
  return { value: v, mask: mu & ~v & U64_MAX };
}

export function tnumXor(a: Tnum, b: Tnum): Tnum {
  const v = a.value ^ b.value;
  const mu = a.mask | b.mask;
  return { value: v & ~mu & U64_MAX, mask: mu };
}

export function tnumLsh(a: Tnum, shift: number): Tnum {
  const s = BigInt(shift);
  return { value: wrap(a.value << s), mask: wrap(a.mask << s) };
}

export function tnumRsh(a: Tnum, shift: number): Tnum {
  const s = BigInt(shift);
  return { value: a.value >> s, mask: a.mask >> s };
}

/** Arithmetic right shift within `width` bits (32 or 64): the sign bit is replicated. */
export function tnumArsh(a: Tnum, shift: number, width: 32 | 64): Tnum {
  const w = BigInt(width);
  const full = (1n << w) - 1n;
  const signed = (x: bigint): bigint => BigInt.asIntN(width, x);
  const s = BigInt(shift);
  return { value: BigInt.asUintN(width, signed(a.value) >> s) & full, mask: BigInt.asUintN(width, signed(a.mask) >> s) & full };
}

/** Multiplication: partial products of the known part plus unknown contributions, shift by shift. */
export function tnumMul(a: Tnum, b: Tnum): Tnum {
  // when the product can overflow 64 bits, the known bits above the operands' are lost anyway:
  // keep only the low known-zero bits (each operand's trailing zeros add up)
  const la = bitLength(a.value | a.mask);
  const lb = bitLength(b.value | b.mask);
  if (la + lb > 64 && a.mask !== 0n && b.mask !== 0n) {
    const tz = (t: Tnum): number => {
      const v = t.value | t.mask;
      return v === 0n ? 64 : bitLength(v & -v) - 1;
    };
    const zeros = Math.min(64, tz(a) + tz(b));
    return { value: 0n, mask: U64_MAX & ~((1n << BigInt(zeros)) - 1n) };
  }
  const accV = wrap(a.value * b.value);
  let accM: Tnum = { value: 0n, mask: 0n };
  // walk the shorter operand bit by bit
  let x = la <= lb ? a : b;
  let y = la <= lb ? b : a;
  while (x.value !== 0n || x.mask !== 0n) {
    if ((x.value & 1n) !== 0n) accM = tnumAdd(accM, { value: 0n, mask: y.mask });
    else if ((x.mask & 1n) !== 0n) accM = tnumAdd(accM, { value: 0n, mask: y.value | y.mask });
    x = tnumRsh(x, 1);
    y = tnumLsh(y, 1);
  }
  return tnumAdd({ value: accV, mask: 0n }, accM);
}

/** Values in both (the caller checks {@link tnumCompatible} first to detect an empty meet). */
export function tnumIntersect(a: Tnum, b: Tnum): Tnum {
  const v = a.value | b.value;
  const mu = a.mask & b.mask;
  return { value: v & ~mu & U64_MAX, mask: mu };
}

/** False when no value fits both (a known bit disagrees). */
export const tnumCompatible = (a: Tnum, b: Tnum): boolean => ((a.value ^ b.value) & ~a.mask & ~b.mask & U64_MAX) === 0n;

/** The smallest tnum holding the values of both (the lattice join). */
export function tnumUnion(a: Tnum, b: Tnum): Tnum {
  const mu = a.mask | b.mask | (a.value ^ b.value);
  return { value: a.value & ~mu & U64_MAX, mask: mu & U64_MAX };
}

/** True when every value of b is a value of a. */
export const tnumContains = (a: Tnum, b: Tnum): boolean =>
  (b.mask & ~a.mask & U64_MAX) === 0n && ((a.value ^ b.value) & ~a.mask & U64_MAX) === 0n;

export const tnumHas = (a: Tnum, v: bigint): boolean => ((wrap(v) ^ a.value) & ~a.mask & U64_MAX) === 0n;

/** The low `bytes` bytes (zero-extended). */
export function tnumCast(a: Tnum, bytes: number): Tnum {
  const m = bytes <= 8 ? LOW_MASKS[bytes * 8]! : (1n << BigInt(bytes * 8)) - 1n;
  return { value: a.value & m, mask: a.mask & m };
}

/** Low 32 bits (the subregister). */
export const tnumSubreg = (a: Tnum): Tnum => tnumCast(a, 4);

/** Replaces the low 32 bits of a with b's. */
export function tnumWithSubreg(a: Tnum, b: Tnum): Tnum {
  const hi = HIGH_WORD;
  return { value: (a.value & hi) | (b.value & U32_MAX), mask: (a.mask & hi) | (b.mask & U32_MAX) };
}

export function tnumToString(a: Tnum): string {
  if (a.mask === 0n) return `0x${a.value.toString(16)}`;
  return `(0x${a.value.toString(16)}; 0x${a.mask.toString(16)})`;
}
