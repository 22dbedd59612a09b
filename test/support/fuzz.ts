/**
 * Shared pieces of the fuzz suites (test/fuzz): the fixture corpus, run counts and seeds from the
 * environment, a map of the structural fields of an ELF object (so mutations hit offsets, sizes,
 * indexes and string offsets rather than only code bytes), and the "clean outcome" check.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { expect } from 'vitest';
import { isBpfkitError } from '../../src/errors.js';

export const ROOT = resolve(import.meta.dirname, '..', '..');

/** Scale factor for every suite: 1 in `npm test`, larger in `npm run fuzz` (BPFKIT_FUZZ_RUNS / 1000). */
export const RUNS = Number(process.env.BPFKIT_FUZZ_RUNS ?? 1000);
export const SCALE = RUNS / 1000;
export const SEED = Number(process.env.BPFKIT_FUZZ_SEED ?? 0x5eed);
/** `count` scaled for the current run, at least 1. */
export const scaled = (count: number): number => Math.max(1, Math.round(count * SCALE));

export interface Fixture {
  /** `build/xdp_counter.o`, `kernel-cases/build/parse_ipv4.o`, ... (relative to fixtures/). */
  name: string;
  bytes: Uint8Array;
}

/** Every committed object in fixtures/build, fixtures/kernel-cases/build and fixtures/verifier/build. */
export function fixtureObjects(): Fixture[] {
  const out: Fixture[] = [];
  for (const dir of ['build', 'kernel-cases/build', 'verifier/build']) {
    const abs = join(ROOT, 'fixtures', dir);
    for (const f of readdirSync(abs).sort()) {
      if (!f.endsWith('.o')) continue;
      out.push({ name: `${dir}/${f}`, bytes: new Uint8Array(readFileSync(join(abs, f))) });
    }
  }
  return out;
}

/** Succeeds, or fails with a BpfkitError carrying a one-line message; anything else is a bug. */
export function expectClean<T>(work: () => T): T | undefined {
  try {
    return work();
  } catch (e) {
    if (!isBpfkitError(e)) throw e;
    expect(e.message.length).toBeGreaterThan(0);
    expect(e.message).not.toMatch(/\n/);
    return undefined;
  }
}

/** One field of an ELF file: where, how wide, and what kind of value it holds. */
export interface ElfField {
  at: number;
  size: 1 | 2 | 4 | 8;
  what: string;
}

/**
 * The structural fields of an ELF64 object: the header, every section header, every symbol, every
 * relocation, the BTF and BTF.ext headers, and each 4-byte word of the BTF type area (name
 * offsets, type ids, sizes). Reads the file defensively: a field outside the file is skipped.
 */
export function elfFields(bytes: Uint8Array): ElfField[] {
  const out: ElfField[] = [];
  if (bytes.length < 64) return out;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const le = bytes[5] !== 2;
  const u16 = (o: number): number => dv.getUint16(o, le);
  const u32 = (o: number): number => dv.getUint32(o, le);
  const u64 = (o: number): number => Number(dv.getBigUint64(o, le));
  const add = (at: number, size: 1 | 2 | 4 | 8, what: string): void => {
    if (at >= 0 && at + size <= bytes.length) out.push({ at, size, what });
  };
  add(0x28, 8, 'e_shoff');
  add(0x3a, 2, 'e_shentsize');
  add(0x3c, 2, 'e_shnum');
  add(0x3e, 2, 'e_shstrndx');
  add(0x12, 2, 'e_machine');
  add(0x10, 2, 'e_type');
  const shoff = u64(0x28);
  const shnum = u16(0x3c);
  const strndx = u16(0x3e);
  if (shoff + shnum * 64 > bytes.length) return out;
  const sh = (i: number, f: number): number => shoff + i * 64 + f;
  const strOff = strndx < shnum ? u64(sh(strndx, 24)) : 0;
  const nameOf = (i: number): string => {
    let s = '';
    for (let p = strOff + u32(sh(i, 0)); p < bytes.length && bytes[p] !== 0 && s.length < 64; p++) s += String.fromCharCode(bytes[p]!);
    return s;
  };
  for (let i = 0; i < shnum; i++) {
    add(sh(i, 0), 4, `sh[${i}].name`);
    add(sh(i, 4), 4, `sh[${i}].type`);
    add(sh(i, 8), 8, `sh[${i}].flags`);
    add(sh(i, 24), 8, `sh[${i}].offset`);
    add(sh(i, 32), 8, `sh[${i}].size`);
    add(sh(i, 40), 4, `sh[${i}].link`);
    add(sh(i, 44), 4, `sh[${i}].info`);
    add(sh(i, 48), 8, `sh[${i}].addralign`);
    add(sh(i, 56), 8, `sh[${i}].entsize`);
    const type = u32(sh(i, 4));
    const off = u64(sh(i, 24));
    const size = u64(sh(i, 32));
    if (off + size > bytes.length) continue;
    if (type === 2) {
      // SHT_SYMTAB: 24-byte symbols.
      for (let s = off; s + 24 <= off + size; s += 24) {
        add(s, 4, 'sym.name');
        add(s + 4, 1, 'sym.info');
        add(s + 6, 2, 'sym.shndx');
        add(s + 8, 8, 'sym.value');
        add(s + 16, 8, 'sym.size');
      }
    } else if (type === 9) {
      // SHT_REL: 16-byte relocations (offset, info = sym << 32 | type).
      for (let r = off; r + 16 <= off + size; r += 16) {
        add(r, 8, 'rel.offset');
        add(r + 8, 4, le ? 'rel.type' : 'rel.sym');
        add(r + 12, 4, le ? 'rel.sym' : 'rel.type');
      }
    }
    const name = nameOf(i);
    if (name === '.BTF' && size >= 24) {
      for (let f = 4; f < 24; f += 4) add(off + f, 4, `btf.hdr+${f}`);
      const hdrLen = u32(off + 4);
      const typeOff = u32(off + 8);
      const typeLen = u32(off + 12);
      const start = off + hdrLen + typeOff;
      for (let w = start; w + 4 <= Math.min(start + typeLen, off + size); w += 4) add(w, 4, 'btf.type-word');
    } else if (name === '.BTF.ext' && size >= 32) {
      for (let f = 4; f < 32; f += 4) add(off + f, 4, `btf.ext.hdr+${f}`);
      for (let w = off + 32; w + 4 <= off + size; w += 4) add(w, 4, 'btf.ext-word');
    }
  }
  return out;
}

/** Extreme and boundary values for a field of `size` bytes in a file of `len` bytes. */
export function extremes(size: number, len: number): bigint[] {
  const common = [0n, 1n, BigInt(len - 1), BigInt(len), BigInt(len + 1)];
  if (size === 8) return [...common, 0x7fffffffn, 0xffffffffn, 0x7fffffffffffffffn, 0xffffffffffffffffn, 0x8000000000000000n];
  if (size === 4) return [...common, 0x7fffffffn, 0x80000000n, 0xffffffffn, 0xfffffn];
  if (size === 2) return [0n, 1n, 0xffn, 0x7fffn, 0xffffn];
  return [0n, 1n, 0x7fn, 0x80n, 0xffn];
}

/** Writes `value` (truncated to the field) into `bytes` in place, in the object's byte order. */
export function writeField(bytes: Uint8Array, f: ElfField, value: bigint): void {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const le = bytes[5] !== 2;
  if (f.at + f.size > bytes.length) return;
  if (f.size === 1) dv.setUint8(f.at, Number(value & 0xffn));
  else if (f.size === 2) dv.setUint16(f.at, Number(value & 0xffffn), le);
  else if (f.size === 4) dv.setUint32(f.at, Number(value & 0xffffffffn), le);
  else dv.setBigUint64(f.at, BigInt.asUintN(64, value), le);
}
