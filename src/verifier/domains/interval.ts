/**
 * Closed integer intervals [lo, hi] over BigInt, with the lattice operations the fixpoint needs.
 * Intervals live inside a fixed range (a machine type: u64, s64, u32, s32, or a verifier
 * variable's own range), passed as `min`/`max`, so "unbounded" means "the whole type".
 */
export interface Interval {
  readonly lo: bigint;
  readonly hi: bigint;
}

export const S64_MIN = -(1n << 63n);
export const S64_MAX = (1n << 63n) - 1n;
export const U64_MAX = (1n << 64n) - 1n;
export const S32_MIN = -(1n << 31n);
export const S32_MAX = (1n << 31n) - 1n;
export const U32_MAX = (1n << 32n) - 1n;

export const interval = (lo: bigint, hi: bigint): Interval => ({ lo, hi });
export const isEmpty = (a: Interval): boolean => a.lo > a.hi;
export const isSingleton = (a: Interval): boolean => a.lo === a.hi;

const bmin = (a: bigint, b: bigint): bigint => (a < b ? a : b);
const bmax = (a: bigint, b: bigint): bigint => (a > b ? a : b);
export { bmin, bmax };

export const join = (a: Interval, b: Interval): Interval => ({ lo: bmin(a.lo, b.lo), hi: bmax(a.hi, b.hi) });
export const meet = (a: Interval, b: Interval): Interval => ({ lo: bmax(a.lo, b.lo), hi: bmin(a.hi, b.hi) });
export const leq = (a: Interval, b: Interval): boolean => a.lo >= b.lo && a.hi <= b.hi;
export const contains = (a: Interval, v: bigint): boolean => v >= a.lo && v <= a.hi;

/**
 * Widening with thresholds: a bound that moved jumps to the next constant of the program (sorted
 * ascending in `thresholds`) instead of straight to the end of the type, so a loop such as
 * `i != 16` still gets the bound 15/16/17 it compares against. Bounds that did not move stay.
 */
export function widen(a: Interval, b: Interval, min: bigint, max: bigint, thresholds: readonly bigint[]): Interval {
  let lo = a.lo;
  if (b.lo < a.lo) {
    lo = min;
    for (let i = thresholds.length - 1; i >= 0; i--) {
      const t = thresholds[i]!;
      if (t <= b.lo && t >= min) {
        lo = t;
        break;
      }
    }
  }
  let hi = a.hi;
  if (b.hi > a.hi) {
    hi = max;
    for (const t of thresholds) {
      if (t >= b.hi && t <= max) {
        hi = t;
        break;
      }
    }
  }
  return { lo, hi };
}

/** Narrowing: only bounds lost to widening (at the type's end) are taken back from `b`. */
export function narrow(a: Interval, b: Interval, min: bigint, max: bigint): Interval {
  return { lo: a.lo === min ? b.lo : a.lo, hi: a.hi === max ? b.hi : a.hi };
}

export function intervalToString(a: Interval): string {
  return a.lo === a.hi ? `${a.lo}` : `[${a.lo}, ${a.hi}]`;
}
