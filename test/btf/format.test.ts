import { describe, expect, it } from 'vitest';
import { parseElf } from '../../src/elf/index.js';
import { formatBtf, parseBtf } from '../../src/btf/index.js';
import { objectStems, readBuild, readFact, readObject } from '../elf/facts.js';

describe('BTF parser vs bpftool btf dump file', () => {
  for (const stem of objectStems()) {
    it(`${stem}: every type prints as bpftool prints it`, () => {
      const btf = parseBtf(parseElf(readObject(stem)).section('.BTF')!.data);
      expect(btf.endian).toBe(stem.endsWith('.eb') ? 'big' : 'little');
      expect(formatBtf(btf)).toBe(readFact(stem, 'btf'));
    });
  }
  it('raw BTF blobs (like /sys/kernel/btf/vmlinux) parse the same as the .BTF section', () => {
    for (const stem of ['core_target_moved', 'core_target_missing', 'core_target_moved.eb']) {
      expect(formatBtf(parseBtf(readBuild(`${stem}.btf`)))).toBe(readFact(stem, 'btf'));
    }
  });
});
