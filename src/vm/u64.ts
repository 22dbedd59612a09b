/**
 * 64-bit operations on lo/hi int32 pairs that are too long to inline in the interpreter loop.
 * Results go to the module-level `out` pair so nothing is allocated on the hot path.
 */

/** Scratch result of the last operation: low and high 32 bits. */
export const out = { lo: 0, hi: 0 };

const TWO32 = 4294967296;

const TWO_NEG32 = 1 / TWO32;

/** Low 64 bits of a × b. */
export function mul64(aLo: number, aHi: number, bLo: number, bHi: number): void {
  const a = aLo >>> 0;
  const b = bLo >>> 0;
  const p = a * b;
  // Small factors (counters, sizes, a quotient times its divisor): the low product is exact in a
  // double, and scaling by 2^-32 is exact too (no division on the hot path).
  if (p < 9007199254740992) {
    out.lo = p | 0;
    out.hi = (Math.floor(p * TWO_NEG32) + Math.imul(aLo, bHi) + Math.imul(aHi, bLo)) | 0;
    return;
  }
  const a0 = aLo & 0xffff;
  const a1 = aLo >>> 16;
  const b0 = bLo & 0xffff;
  const b1 = bLo >>> 16;
  // The cross terms plus the low product stay below 2^50, exact in a double.
  const cross = (a0 * b1 + a1 * b0) * 65536 + a0 * b0;
  const carry = Math.floor(cross * TWO_NEG32);
  out.lo = cross | 0;
  out.hi = (a1 * b1 + carry + Math.imul(aLo, bHi) + Math.imul(aHi, bLo)) | 0;
}

const toBig = (lo: number, hi: number): bigint => (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
const toBigSigned = (lo: number, hi: number): bigint => (BigInt(hi | 0) << 32n) | BigInt(lo >>> 0);
function setBig(v: bigint): void {
  out.lo = Number(v & 0xffffffffn) | 0;
  out.hi = Number((v >> 32n) & 0xffffffffn) | 0;
}

/** Unsigned a / b; b = 0 gives 0 (RFC 9669). */
export function udiv64(aLo: number, aHi: number, bLo: number, bHi: number): void {
  if (bLo === 0 && bHi === 0) {
    out.lo = 0;
    out.hi = 0;
  } else if (aHi === 0 && bHi === 0) {
    // Two uint32 operands truncated to 32 bits: V8 divides integers (no floating-point division).
    out.lo = ((aLo >>> 0) / (bLo >>> 0)) | 0;
    out.hi = 0;
  } else {
    setBig(toBig(aLo, aHi) / toBig(bLo, bHi));
  }
}

/** Unsigned a % b; b = 0 leaves a (RFC 9669). */
export function umod64(aLo: number, aHi: number, bLo: number, bHi: number): void {
  if (bLo === 0 && bHi === 0) {
    out.lo = aLo;
    out.hi = aHi;
  } else if (aHi === 0 && bHi === 0) {
    out.lo = ((aLo >>> 0) % (bLo >>> 0)) | 0;
    out.hi = 0;
  } else {
    setBig(toBig(aLo, aHi) % toBig(bLo, bHi));
  }
}

const fitsI32 = (lo: number, hi: number): boolean => hi === lo >> 31;

/** Signed a / b, truncating; b = 0 gives 0; INT64_MIN / -1 wraps to INT64_MIN. */
export function sdiv64(aLo: number, aHi: number, bLo: number, bHi: number): void {
  if (bLo === 0 && bHi === 0) {
    out.lo = 0;
    out.hi = 0;
  } else if (fitsI32(aLo, aHi) && fitsI32(bLo, bHi)) {
    const q = Math.trunc(aLo / bLo);
    // Only INT32_MIN / -1 leaves int32 range; it still fits an int64.
    out.lo = q | 0;
    out.hi = q < 0 ? -1 : 0;
  } else {
    setBig(BigInt.asIntN(64, toBigSigned(aLo, aHi) / toBigSigned(bLo, bHi)));
  }
}

/** Signed a % b with the dividend's sign; b = 0 leaves a; INT64_MIN % -1 is 0. */
export function smod64(aLo: number, aHi: number, bLo: number, bHi: number): void {
  if (bLo === 0 && bHi === 0) {
    out.lo = aLo;
    out.hi = aHi;
  } else if (fitsI32(aLo, aHi) && fitsI32(bLo, bHi)) {
    const r = aLo % bLo;
    out.lo = r | 0;
    out.hi = r < 0 ? -1 : 0;
  } else {
    setBig(BigInt.asIntN(64, toBigSigned(aLo, aHi) % toBigSigned(bLo, bHi)));
  }
}

/** Unsigned 32-bit division with the ISA's zero rule. */
export const udiv32 = (a: number, b: number): number => (b === 0 ? 0 : ((a >>> 0) / (b >>> 0)) | 0);
/** Unsigned 32-bit modulo with the ISA's zero rule. */
export const umod32 = (a: number, b: number): number => (b === 0 ? a : ((a >>> 0) % (b >>> 0)) | 0);
/** Signed 32-bit division: zero rule, and INT32_MIN / -1 wraps. */
export const sdiv32 = (a: number, b: number): number => (b === 0 ? 0 : Math.trunc((a | 0) / (b | 0)) | 0);
/** Signed 32-bit modulo: zero rule, sign of the dividend. */
export const smod32 = (a: number, b: number): number => (b === 0 ? a : ((a | 0) % (b | 0)) | 0);

/** Reverses the bytes of a 32-bit value. */
export const bswap32 = (x: number): number =>
  ((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24);

/** Joins a lo/hi pair into an unsigned BigInt. */
export const pairToBig = toBig;
