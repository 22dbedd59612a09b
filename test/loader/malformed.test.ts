import { describe, expect, it } from 'vitest';
import { ErrorCode, isBpfkitError } from '../../src/errors.js';
import { parseElf, SHT } from '../../src/elf/index.js';
import type { ElfFile } from '../../src/elf/index.js';
import { loadObject } from '../../src/loader/index.js';
import { programFixtures, readBuild, readObject } from '../elf/facts.js';

/**
 * Malformed input: every fixture truncated at many offsets, and header, section, symbol,
 * relocation, BTF and BTF.ext fields overwritten with out-of-range values. Each case must load
 * or throw a BpfkitError with code BAD_INPUT (UNSUPPORTED when the damage happens to produce a
 * well-formed object using a feature bpfkit does not implement) and a message that is not an
 * internal error. Deterministic and bounded: no randomness, a fixed list of cases.
 */

interface Outcome {
  loaded: number;
  codes: Map<string, number>;
  failures: string[];
}

function attempt(name: string, bytes: Uint8Array, out: Outcome, options?: { targetBtf?: Uint8Array }): void {
  try {
    loadObject(bytes, options);
    out.loaded++;
  } catch (e) {
    if (!isBpfkitError(e)) {
      out.failures.push(`${name}: ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`);
      return;
    }
    out.codes.set(e.code, (out.codes.get(e.code) ?? 0) + 1);
    if (e.code !== ErrorCode.BadInput && e.code !== ErrorCode.Unsupported) out.failures.push(`${name}: code ${e.code}: ${e.message}`);
    else if (/internal error/.test(e.message) || e.message.length === 0 || e.message.includes('\n')) out.failures.push(`${name}: ${e.message}`);
  }
}

const newOutcome = (): Outcome => ({ loaded: 0, codes: new Map(), failures: [] });

/** Writes `value` into a copy of `bytes` at `at` (`size` bytes, the object's byte order). */
function patch(bytes: Uint8Array, little: boolean, at: number, size: 1 | 2 | 4 | 8, value: number | bigint): Uint8Array {
  const b = bytes.slice();
  const dv = new DataView(b.buffer);
  if (at + size > b.length) return b;
  if (size === 1) dv.setUint8(at, Number(value) & 0xff);
  else if (size === 2) dv.setUint16(at, Number(value) & 0xffff, little);
  else if (size === 4) dv.setUint32(at, Number(value) >>> 0, little);
  else dv.setBigUint64(at, BigInt(value), little);
  return b;
}

/** Interesting values for a field of `size` bytes in a file of `len` bytes. */
const values = (size: number, len: number): (number | bigint)[] =>
  size === 8 ? [0, 7, len - 1, len + 8, 0xffffffffffffffffn] : size === 4 ? [0, 3, len - 1, 0x7fffffff, 0xffffffff] : size === 2 ? [0, 1, 0xff, 0xffff] : [0, 1, 0x7f, 0xff];

/**
 * Every fixture in both byte orders; the big-endian builds get the structural cases (truncation,
 * headers, BTF header) where byte order matters, the little-endian ones every case.
 */
const stems = programFixtures().flatMap((s) => [s, `${s}.eb`]);
const full = (stem: string): boolean => !stem.endsWith('.eb');

describe('malformed objects give a one-line BAD_INPUT error, never an exception or a hang', () => {
  for (const stem of stems) {
    const good = readObject(stem);
    const elf: ElfFile = parseElf(good);
    const little = elf.endian === 'little';

    it(`${stem}: truncated at many offsets`, () => {
      const out = newOutcome();
      const cuts = new Set<number>();
      for (let at = 0; at < 80; at++) cuts.add(at);
      for (let k = 1; k < 150; k++) cuts.add(Math.floor((good.length * k) / 150));
      for (const s of elf.sections) for (const d of [0, 1, 7, 8]) { cuts.add(s.offset + d); cuts.add(Math.max(0, s.offset + s.size - d)); }
      for (let at = elf.header.shoff; at < good.length; at += 13) cuts.add(at);
      for (const at of cuts) if (at < good.length) attempt(`truncated at ${at}`, good.subarray(0, at), out);
      expect(out.failures).toEqual([]);
      expect(out.loaded).toBe(0); // section headers sit at the end: any cut breaks them
    });

    it(`${stem}: ELF header and section header fields`, () => {
      const out = newOutcome();
      const header: [number, 1 | 2 | 4 | 8][] = [[4, 1], [5, 1], [6, 1], [16, 2], [18, 2], [40, 8], [58, 2], [60, 2], [62, 2]];
      for (const [at, size] of header) for (const v of values(size, good.length)) attempt(`header +${at} = ${v}`, patch(good, little, at, size, v), out);
      const fields: [string, number, 1 | 2 | 4 | 8][] = [['sh_name', 0, 4], ['sh_type', 4, 4], ['sh_flags', 8, 8], ['sh_offset', 24, 8], ['sh_size', 32, 8], ['sh_link', 40, 4], ['sh_info', 44, 4], ['sh_entsize', 56, 8]];
      for (const s of elf.sections) {
        const base = elf.header.shoff + s.index * 64;
        for (const [name, off, size] of fields) {
          const vs = name === 'sh_type' ? [SHT.NOBITS, SHT.REL, SHT.RELA, SHT.SYMTAB, SHT.STRTAB, SHT.PROGBITS, 0xdead] : values(size, good.length);
          for (const v of vs) attempt(`section ${s.index} (${s.name}) ${name} = ${v}`, patch(good, little, base + off, size, v), out);
        }
      }
      expect(out.failures).toEqual([]);
      expect(out.codes.get(ErrorCode.BadInput)).toBeGreaterThan(0);
    });

    if (full(stem)) it(`${stem}: symbols and relocations`, () => {
      const out = newOutcome();
      const symtab = elf.sections.find((s) => s.type === SHT.SYMTAB)!;
      const symFields: [string, number, 1 | 2 | 4 | 8][] = [['st_name', 0, 4], ['st_info', 4, 1], ['st_shndx', 6, 2], ['st_value', 8, 8], ['st_size', 16, 8]];
      for (let i = 0; i * 24 < symtab.size; i++) {
        for (const [name, off, size] of symFields) {
          for (const v of values(size, good.length)) attempt(`symbol ${i} ${name} = ${v}`, patch(good, little, symtab.offset + i * 24 + off, size, v), out);
        }
      }
      for (const rel of elf.sections.filter((s) => s.type === SHT.REL && !s.name.includes('debug'))) {
        for (let i = 0; i * 16 < rel.size; i++) {
          for (const v of [1, 4, 0xfff8, 0x7fffffff]) attempt(`${rel.name} entry ${i} r_offset = ${v}`, patch(good, little, rel.offset + i * 16, 8, v), out);
          // r_info: symbol index in the high half, type in the low half
          for (const v of [0n, 0xffffffffn << 32n, (BigInt(i + 1) << 32n) | 1n, 5n]) attempt(`${rel.name} entry ${i} r_info = ${v}`, patch(good, little, rel.offset + i * 16 + 8, 8, v), out);
        }
      }
      expect(out.failures).toEqual([]);
    });

    it(`${stem}: BTF header, types and strings`, () => {
      const out = newOutcome();
      const btf = elf.section('.BTF')!;
      for (const [at, size] of [[0, 2], [2, 1], [4, 4], [8, 4], [12, 4], [16, 4], [20, 4]] as [number, 1 | 2 | 4][]) {
        for (const v of values(size, btf.size)) attempt(`BTF header +${at} = ${v}`, patch(good, little, btf.offset + at, size, v), out);
      }
      const dv = new DataView(btf.data.buffer, btf.data.byteOffset);
      if (full(stem)) {
        // one 4-byte word in every three of the type section (names, infos, sizes, type ids,
        // member records...), overwritten with out-of-range ids, a bad kind, a huge vlen
        const typeStart = btf.offset + 24;
        const typeLen = dv.getUint32(12, little);
        for (let at = 0, k = 0; at < typeLen; at += 12, k++) {
          const word = at + (k % 3) * 4;
          for (const v of [0xffff, 0x7fffffff, 0x1f000000, 0x0000ffff | (4 << 24)]) attempt(`BTF type word ${word} = ${v}`, patch(good, little, typeStart + word, 4, v), out);
        }
        // string section bytes: a missing first NUL, names cut short
        const strStart = btf.offset + 24 + dv.getUint32(16, little);
        const strLen = dv.getUint32(20, little);
        for (let at = 0; at < strLen; at += 11) attempt(`BTF string byte ${at}`, patch(good, little, strStart + at, 1, at === 0 ? 0x41 : 0), out);
      }
      expect(out.failures).toEqual([]);
      expect(out.codes.get(ErrorCode.BadInput)).toBeGreaterThan(0);
    });

    if (full(stem)) it(`${stem}: BTF.ext header and records`, () => {
      const out = newOutcome();
      const ext = elf.section('.BTF.ext')!;
      for (let at = 0; at < Math.min(ext.size, 32); at += 4) {
        for (const v of values(4, ext.size)) attempt(`BTF.ext word ${at} = ${v}`, patch(good, little, ext.offset + at, 4, v), out);
      }
      for (let at = 32; at < ext.size; at += 4) {
        for (const v of [3, 0xfff0, 0x7fffffff]) attempt(`BTF.ext word ${at} = ${v}`, patch(good, little, ext.offset + at, 4, v), out);
      }
      expect(out.failures).toEqual([]);
    });
  }

  it('CO-RE against malformed target BTF', () => {
    const out = newOutcome();
    const core = readObject('core');
    const target = readBuild('core_target_moved.btf');
    for (let at = 0; at < target.length; at += 4) {
      for (const v of [0xffff, 0x7fffffff, 0x1f000000]) attempt(`target word ${at} = ${v}`, core, out, { targetBtf: patch(target, true, at, 4, v) });
    }
    for (let cut = 0; cut < target.length; cut += 5) attempt(`target cut at ${cut}`, core, out, { targetBtf: target.subarray(0, cut) });
    expect(out.failures).toEqual([]);
  });
});
