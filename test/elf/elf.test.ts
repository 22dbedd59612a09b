import { describe, expect, it } from 'vitest';
import { isBpfkitError } from '../../src/errors.js';
import { parseElf, relocationTypeName, sectionTypeName, SHT, STB, STT } from '../../src/elf/index.js';
import { objectStems, readObject, relocFacts, sectionFacts, symbolFacts } from './facts.js';

const STT_NAMES: Record<number, string> = { [STT.NOTYPE]: 'NOTYPE', [STT.OBJECT]: 'OBJECT', [STT.FUNC]: 'FUNC', [STT.SECTION]: 'SECTION', [STT.FILE]: 'FILE' };
const STB_NAMES: Record<number, string> = { [STB.LOCAL]: 'LOCAL', [STB.GLOBAL]: 'GLOBAL', [STB.WEAK]: 'WEAK' };
const readelfType = (t: number): string => (t === SHT.LLVM_ADDRSIG ? 'LLVM_ADDRSIG' : sectionTypeName(t));
const readelfNdx = (n: number): string => (n === 0 ? 'UND' : n === 0xfff1 ? 'ABS' : String(n));

describe('ELF reader vs llvm-readelf', () => {
  const stems = objectStems();
  it('has fixtures in both byte orders', () => {
    expect(stems.length).toBeGreaterThanOrEqual(18);
    expect(stems.filter((s) => s.endsWith('.eb')).length * 2).toBe(stems.length);
  });

  for (const stem of stems) {
    describe(stem, () => {
      const elf = parseElf(readObject(stem));

      it('byte order', () => {
        expect(elf.endian).toBe(stem.endsWith('.eb') ? 'big' : 'little');
        expect(elf.header.type).toBe(1);
        expect(elf.header.machine).toBe(247);
      });

      it('section headers: names, types, offsets, sizes, links', () => {
        const facts = sectionFacts(stem);
        expect(facts.length).toBe(elf.sections.length);
        for (const f of facts) {
          const s = elf.sections[f.index]!;
          expect({ name: s.name, type: readelfType(s.type), offset: s.offset, size: s.size, entsize: s.entsize, link: s.link, info: s.info, align: s.addralign })
            .toEqual({ name: f.name, type: f.type, offset: f.offset, size: f.size, entsize: f.entsize, link: f.link, info: f.info, align: f.align });
          if (s.type !== SHT.NOBITS && s.type !== SHT.NULL) expect(s.data.length).toBe(f.size);
        }
      });

      it('symbol table', () => {
        const facts = symbolFacts(stem);
        expect(elf.symbols.length).toBe(facts.length);
        for (const f of facts) {
          const s = elf.symbols[f.index]!;
          // llvm-readelf shows a section symbol by its section's name
          const name = s.type === STT.SECTION && s.name === '' ? elf.sections[s.shndx]!.name : s.name;
          expect({ value: s.value, size: s.size, type: STT_NAMES[s.type], bind: STB_NAMES[s.bind], ndx: readelfNdx(s.shndx), name })
            .toEqual({ value: f.value, size: f.size, type: f.type, bind: f.bind, ndx: f.ndx, name: f.name });
        }
      });

      it('relocation sections: counts, offsets, types, symbols', () => {
        const facts = relocFacts(stem);
        const ours = elf.relocationSections();
        expect(ours.map((r) => r.section.name).sort()).toEqual([...facts.keys()].sort());
        for (const r of ours) {
          const f = facts.get(r.section.name)!;
          expect(r.entries.length).toBe(f.length);
          r.entries.forEach((e, i) => {
            const sym = elf.symbols[e.symbol]!;
            const name = sym.type === STT.SECTION && sym.name === '' ? elf.sections[sym.shndx]!.name : sym.name;
            expect({ offset: e.offset, type: relocationTypeName(e.type), value: sym.value, symbol: name })
              .toEqual({ offset: f[i]!.offset, type: f[i]!.type, value: f[i]!.symbolValue, symbol: f[i]!.symbol });
          });
        }
      });
    });
  }
});

describe('ELF reader rejects malformed headers with a message', () => {
  const good = readObject('globals');
  const dv = (b: Uint8Array): DataView => new DataView(b.buffer, b.byteOffset, b.byteLength);
  const expectBad = (bytes: Uint8Array, message: RegExp): void => {
    try {
      parseElf(bytes);
    } catch (e) {
      expect(isBpfkitError(e)).toBe(true);
      expect((e as Error).message).toMatch(message);
      return;
    }
    throw new Error('expected a BAD_INPUT error');
  };
  const patched = (f: (b: Uint8Array) => void): Uint8Array => {
    const b = good.slice();
    f(b);
    return b;
  };

  it('empty and short input', () => {
    expectBad(new Uint8Array(0), /too short/);
    expectBad(good.subarray(0, 40), /ELF header: 64 bytes at offset 0x0 past end/);
  });
  it('bad magic, class, data encoding, machine', () => {
    expectBad(patched((b) => (b[0] = 0)), /bad magic/);
    expectBad(patched((b) => (b[4] = 1)), /EI_CLASS 1 is not ELFCLASS64/);
    expectBad(patched((b) => (b[5] = 3)), /EI_DATA 3/);
    expectBad(patched((b) => dv(b).setUint16(18, 62, true)), /e_machine 62 is not EM_BPF/);
  });
  it('section header table out of the file', () => {
    expectBad(patched((b) => dv(b).setUint32(40, 0xffff00, true)), /section header table at 0xffff00/);
    expectBad(patched((b) => dv(b).setUint16(60, 0x4000, true)), /16384 entries/);
    expectBad(patched((b) => dv(b).setUint16(62, 200, true)), /e_shstrndx 200 out of range/);
  });
  it('a section past the end of the file names the section and the numbers', () => {
    const elf = parseElf(good);
    const shoff = elf.header.shoff;
    const idx = elf.sections.findIndex((s) => s.name === 'xdp');
    expectBad(
      patched((b) => dv(b).setUint32(shoff + idx * 64 + 24, good.length - 8, true)),
      new RegExp(`section header ${idx}: sh_offset 0x${(good.length - 8).toString(16)} \\+ size 0x178 past end of file \\(0x${good.length.toString(16)} bytes\\)`),
    );
  });
  it('a bad section name offset', () => {
    const shoff = parseElf(good).header.shoff;
    expectBad(patched((b) => dv(b).setUint32(shoff + 3 * 64, 0x7fffffff, true)), /section header 3: sh_name: string offset 0x7fffffff past end/);
  });
  it('a bad symbol name offset', () => {
    const elf = parseElf(good);
    const symtab = elf.sections.find((s) => s.type === SHT.SYMTAB)!;
    expectBad(patched((b) => dv(b).setUint32(symtab.offset + 24 * 12, 0xfffff, true)), /symbol 12: st_name: string offset 0xfffff past end/);
  });
  it('big-endian headers are read big-endian', () => {
    const eb = readObject('globals.eb');
    const b = eb.slice();
    dv(b).setUint16(18, 247, true); // little-endian 247 is wrong for a bpfeb object
    expectBad(b, /e_machine 63232 is not EM_BPF/);
  });
});
