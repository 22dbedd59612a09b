/**
 * jhash / jhash2 (include/linux/jhash.h) on every tail length: known answers (from the
 * implementation the kernel-recorded bloom filter fixture agrees with), and the byte-level
 * entry points against the word-list ones.
 */
import { describe, expect, it } from 'vitest';
import { jhash, jhash2, jhash2Bytes, jhashBytes } from '../../src/helpers/kernel/jhash.js';

const bytes = Uint8Array.from({ length: 40 }, (_, i) => (i * 37 + 11) & 0xff);
const words = Array.from({ length: 10 }, (_, i) => ((i + 1) * 0x9e3779b9) >>> 0);

const JHASH = ['deadbeef', '52933cfd', '4772fa2b', 'b7d121e7', 'ddc673bc', 'cb4dd04a', 'c97a8e49', '32756f90', '64bf3c5d', 'b0051596', 'b7f2ab3b', '360a9137', 'c8948ca0', '1ce01b91', '4a8d7114', '115f03f1', '8265fb05', '88908a', 'b3fe93c8', 'f17e1c', '1b2defa1', '2615641f', 'c4c4aae9', 'db860a50', '2072d2fc', 'c688228c', '1e5d1146', '69c9e0be', '48b9cdcb', 'bee9edca', '533f0112'];
const JHASH2 = ['deadbedf', '44a2aa7c', 'df7e122', '970f6aed', '38506367', 'beab9bdd', 'dc2eb5da', '7ba218a7', 'a0a28cad', '53c0f23e', 'b68771fa'];

describe('jhash', () => {
  it('gives the known answers for 0..30 bytes', () => {
    for (let n = 0; n <= 30; n++) expect(`${n}: ${jhash(bytes.subarray(0, n), n * 3).toString(16)}`).toBe(`${n}: ${JHASH[n]}`);
  });

  it('gives the known answers for 0..10 words, seeds near 2^32', () => {
    for (let n = 0; n <= 10; n++) expect(`${n}: ${jhash2(words.slice(0, n), 0xfffffff0 + n).toString(16)}`).toBe(`${n}: ${JHASH2[n]}`);
  });

  it('hashes bytes in place as it hashes copies and word lists', () => {
    const buf = new Uint8Array(64);
    const dv = new DataView(buf.buffer);
    words.forEach((w, i) => dv.setUint32(5 + 4 * i, w, true));
    for (let n = 0; n <= 10; n++) expect(jhash2Bytes(buf, 5, n, 7)).toBe(jhash2(words.slice(0, n), 7));
    buf.set(bytes, 3);
    for (let n = 0; n <= 30; n++) expect(jhashBytes(buf, 3, n, 0xffffffff)).toBe(jhash(bytes.slice(0, n), 0xffffffff));
  });
});
