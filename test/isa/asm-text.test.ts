import { describe, expect, it } from 'vitest';
import { BpfkitError } from '../../src/errors.js';
import { parseConformanceFile } from '../../src/isa/asm-text.js';
import { toHex } from '../../src/isa/encode.js';
import { negativeFiles, positiveFiles } from './conformance-files.js';

describe('parseConformanceFile', () => {
  it('splits sections and keeps asm text with its comments', () => {
    const f = parseConformanceFile('# header\n-- asm\nmov %r0, 1 # one\nexit\n-- result\n0x1\n');
    expect(f.sections).toEqual(['asm', 'result']);
    expect(f.asm).toBe('mov %r0, 1 # one\nexit');
    expect(f.asmLine).toBe(3);
    expect(f.result).toBe(1n);
    expect(f.raw).toBeUndefined();
    expect(f.mem).toBeUndefined();
    expect(f.error).toBeUndefined();
  });

  it('reads results as 64-bit unsigned, hex or decimal', () => {
    expect(parseConformanceFile('-- result\n0xffffffffffffffff').result).toBe(0xffffffffffffffffn);
    expect(parseConformanceFile('-- result\n42  # answer').result).toBe(42n);
    expect(parseConformanceFile('-- result\n-1').result).toBe(0xffffffffffffffffn);
    expect(() => parseConformanceFile('-- result\nabc')).toThrow(BpfkitError);
  });

  it('reads memory as hex byte pairs over several lines', () => {
    const f = parseConformanceFile('-- mem\naa bb\n11 22 # c\n\n33\n-- result\n0');
    expect([...f.mem!]).toEqual([0xaa, 0xbb, 0x11, 0x22, 0x33]);
    expect(() => parseConformanceFile('-- mem\nabc')).toThrow(/expected hex byte pairs/);
  });

  it('reads raw programs as 64-bit words (low byte = opcode) or byte pairs', () => {
    const words = parseConformanceFile('-- raw\n0x5566778800000018\n0x1122334400000000\n0x95\n');
    expect(toHex(words.raw!)).toBe('1800000088776655' + '0000000044332211' + '9500000000000000');
    const pairs = parseConformanceFile('-- raw\n07 00 01 00 01 00 00 00\n95 00 00 00 00 00 00 00\n');
    expect(toHex(pairs.raw!)).toBe('0700010001000000' + '9500000000000000');
    expect(() => parseConformanceFile('-- raw\n07 00 01')).toThrow(/whole number of instructions/);
  });

  it('keeps an empty error section as the empty string and trims messages', () => {
    expect(parseConformanceFile('-- raw\n95 00 00 00 00 00 00 00\n-- error\n').error).toBe('');
    expect(parseConformanceFile('-- asm\nexit\n-- error\nInvalid register').error).toBe('Invalid register');
  });

  it('keeps unknown sections by name and ignores their text', () => {
    const f = parseConformanceFile('-- c\n#include <x.h>\nint x;\n-- asm\nexit\n-- no register offset\ncall instruction\n');
    expect(f.sections).toEqual(['c', 'asm', 'no register offset']);
    expect(f.asm).toBe('exit');
  });

  it('reads every file of the suite', () => {
    for (const f of [...positiveFiles(), ...negativeFiles('')]) {
      expect(f.sections.every((s) => s.length > 0), f.name).toBe(true);
      if (f.sections.includes('result')) expect(typeof f.result, f.name).toBe('bigint');
    }
    const lddw = positiveFiles().find((f) => f.name === 'lddw.data')!;
    expect(lddw.raw?.length).toBe(24);
    const directive = negativeFiles('invalid_unknown_directive').at(0)!;
    expect(directive.sections).toEqual(['asm', 'Unknown directive', 'error']);
    expect(directive.asm).toBe('');
  });
});
