/**
 * The kernel's jhash (Bob Jenkins' lookup3, include/linux/jhash.h): what bloom filter maps hash
 * values with, so a bloom filter with BPF_F_ZERO_SEED answers exactly as the kernel's does.
 */

const JHASH_INITVAL = 0xdeadbeef;
const rol = (x: number, k: number): number => ((x << k) | (x >>> (32 - k))) >>> 0;

function mix(s: Uint32Array): void {
  let [a, b, c] = [s[0]!, s[1]!, s[2]!];
  a = (a - c) >>> 0; a ^= rol(c, 4); c = (c + b) >>> 0;
  b = (b - a) >>> 0; b ^= rol(a, 6); a = (a + c) >>> 0;
  c = (c - b) >>> 0; c ^= rol(b, 8); b = (b + a) >>> 0;
  a = (a - c) >>> 0; a ^= rol(c, 16); c = (c + b) >>> 0;
  b = (b - a) >>> 0; b ^= rol(a, 19); a = (a + c) >>> 0;
  c = (c - b) >>> 0; c ^= rol(b, 4); b = (b + a) >>> 0;
  s[0] = a; s[1] = b; s[2] = c;
}

function final(s: Uint32Array): number {
  let [a, b, c] = [s[0]!, s[1]!, s[2]!];
  c ^= b; c = (c - rol(b, 14)) >>> 0;
  a ^= c; a = (a - rol(c, 11)) >>> 0;
  b ^= a; b = (b - rol(a, 25)) >>> 0;
  c ^= b; c = (c - rol(b, 16)) >>> 0;
  a ^= c; a = (a - rol(c, 4)) >>> 0;
  b ^= a; b = (b - rol(a, 14)) >>> 0;
  c ^= b; c = (c - rol(b, 24)) >>> 0;
  return c >>> 0;
}

/** jhash2: `words` 32-bit words. */
export function jhash2(words: ArrayLike<number>, initval: number): number {
  let length = words.length;
  const s = new Uint32Array(3);
  s.fill((JHASH_INITVAL + (length << 2) + initval) >>> 0);
  let i = 0;
  while (length > 3) {
    s[0] = s[0]! + words[i]!; s[1] = s[1]! + words[i + 1]!; s[2] = s[2]! + words[i + 2]!;
    mix(s);
    length -= 3;
    i += 3;
  }
  if (length === 0) return s[2]!;
  if (length >= 3) s[2] = s[2]! + words[i + 2]!;
  if (length >= 2) s[1] = s[1]! + words[i + 1]!;
  s[0] = s[0]! + words[i]!;
  return final(s);
}

/** jhash: any number of bytes. */
export function jhash(key: Uint8Array, initval: number): number {
  let length = key.length;
  const s = new Uint32Array(3);
  s.fill((JHASH_INITVAL + length + initval) >>> 0);
  const word = (o: number): number => (key[o]! | (key[o + 1]! << 8) | (key[o + 2]! << 16) | (key[o + 3]! << 24)) >>> 0;
  let k = 0;
  while (length > 12) {
    s[0] = s[0]! + word(k); s[1] = s[1]! + word(k + 4); s[2] = s[2]! + word(k + 8);
    mix(s);
    length -= 12;
    k += 12;
  }
  if (length === 0) return s[2]!;
  const at = (i: number): number => key[k + i]!;
  const add = (w: 0 | 1 | 2, i: number, shift: number): void => {
    if (length > i) s[w] = s[w]! + ((at(i) << shift) >>> 0);
  };
  add(2, 11, 24); add(2, 10, 16); add(2, 9, 8); add(2, 8, 0);
  add(1, 7, 24); add(1, 6, 16); add(1, 5, 8); add(1, 4, 0);
  add(0, 3, 24); add(0, 2, 16); add(0, 1, 8); add(0, 0, 0);
  return final(s);
}
