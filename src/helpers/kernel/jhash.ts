/**
 * The kernel's jhash (Bob Jenkins' lookup3, include/linux/jhash.h): what bloom filter maps hash
 * values with, so a bloom filter with BPF_F_ZERO_SEED answers exactly as the kernel's does.
 *
 * A bloom filter hashes its value once per hash function on every push and peek, so the state
 * lives in three int32 module variables (no array or closure per call) and the words are read
 * straight from the bytes.
 */

const JHASH_INITVAL = 0xdeadbeef | 0;

let a = 0;
let b = 0;
let c = 0;

const rol = (x: number, k: number): number => (x << k) | (x >>> (32 - k));

/** __jhash_mix, modulo 2^32 in int32s. */
function mix(): void {
  a = (a - c) | 0; a ^= rol(c, 4); c = (c + b) | 0;
  b = (b - a) | 0; b ^= rol(a, 6); a = (a + c) | 0;
  c = (c - b) | 0; c ^= rol(b, 8); b = (b + a) | 0;
  a = (a - c) | 0; a ^= rol(c, 16); c = (c + b) | 0;
  b = (b - a) | 0; b ^= rol(a, 19); a = (a + c) | 0;
  c = (c - b) | 0; c ^= rol(b, 4); b = (b + a) | 0;
}

/** __jhash_final. */
function final(): void {
  c ^= b; c = (c - rol(b, 14)) | 0;
  a ^= c; a = (a - rol(c, 11)) | 0;
  b ^= a; b = (b - rol(a, 25)) | 0;
  c ^= b; c = (c - rol(b, 16)) | 0;
  a ^= c; a = (a - rol(c, 4)) | 0;
  b ^= a; b = (b - rol(a, 14)) | 0;
  c ^= b; c = (c - rol(b, 24)) | 0;
}

/** jhash2: `words` 32-bit words. */
export function jhash2(words: ArrayLike<number>, initval: number): number {
  let length = words.length;
  a = b = c = (JHASH_INITVAL + (length << 2) + initval) | 0;
  let i = 0;
  while (length > 3) {
    a = (a + words[i]!) | 0;
    b = (b + words[i + 1]!) | 0;
    c = (c + words[i + 2]!) | 0;
    mix();
    length -= 3;
    i += 3;
  }
  if (length === 0) return c >>> 0;
  if (length >= 3) c = (c + words[i + 2]!) | 0;
  if (length >= 2) b = (b + words[i + 1]!) | 0;
  a = (a + words[i]!) | 0;
  final();
  return c >>> 0;
}

/** A little-endian u32 (the kernel's host order on the machines bpfkit models) at `o` of `u8`. */
const word = (u8: Uint8Array, o: number): number => u8[o]! | (u8[o + 1]! << 8) | (u8[o + 2]! << 16) | (u8[o + 3]! << 24);

/** jhash2 of the `n` 32-bit words stored little-endian from byte `at` of `u8`. */
export function jhash2Bytes(u8: Uint8Array, at: number, n: number, initval: number): number {
  let length = n;
  a = b = c = (JHASH_INITVAL + (length << 2) + initval) | 0;
  let o = at;
  while (length > 3) {
    a = (a + word(u8, o)) | 0;
    b = (b + word(u8, o + 4)) | 0;
    c = (c + word(u8, o + 8)) | 0;
    mix();
    length -= 3;
    o += 12;
  }
  if (length === 0) return c >>> 0;
  if (length >= 3) c = (c + word(u8, o + 8)) | 0;
  if (length >= 2) b = (b + word(u8, o + 4)) | 0;
  a = (a + word(u8, o)) | 0;
  final();
  return c >>> 0;
}

/** jhash: any number of bytes. */
export function jhash(key: Uint8Array, initval: number): number {
  return jhashBytes(key, 0, key.length, initval);
}

/** jhash of the `length` bytes from `at` of `u8`. */
export function jhashBytes(u8: Uint8Array, at: number, length: number, initval: number): number {
  a = b = c = (JHASH_INITVAL + length + initval) | 0;
  let k = at;
  while (length > 12) {
    a = (a + word(u8, k)) | 0;
    b = (b + word(u8, k + 4)) | 0;
    c = (c + word(u8, k + 8)) | 0;
    mix();
    length -= 12;
    k += 12;
  }
  if (length === 0) return c >>> 0;
  // The kernel's switch falls through from `length` down to 1: byte i lands in word i / 4 at bits 8 * (i % 4).
  for (let i = length - 1; i >= 0; i--) {
    const v = u8[k + i]! << ((i & 3) << 3);
    if (i >= 8) c = (c + v) | 0;
    else if (i >= 4) b = (b + v) | 0;
    else a = (a + v) | 0;
  }
  final();
  return c >>> 0;
}
