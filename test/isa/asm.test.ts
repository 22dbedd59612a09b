import { describe, expect, it } from 'vitest';
import { BpfkitError, ErrorCode } from '../../src/errors.js';
import { assemble, assembleBytes } from '../../src/isa/asm.js';
import { toHex } from '../../src/isa/encode.js';
import { insn } from '../../src/isa/instruction.js';
import { negativeFiles, positiveFiles } from './conformance-files.js';

/** The error `assemble` throws for the source (fails the test when it does not throw). */
function asmError(source: string): BpfkitError {
  try {
    assemble(source);
  } catch (e) {
    if (e instanceof BpfkitError) return e;
    throw e;
  }
  throw new Error(`assembled without error: ${source}`);
}

const hex = (source: string): string => toHex(assembleBytes(source));

describe('conformance suite: every positive file assembles', () => {
  const files = positiveFiles().filter((f) => f.asm !== undefined);
  it('finds the files', () => expect(files.length).toBeGreaterThanOrEqual(300));
  for (const f of files) {
    it(f.name, () => {
      const bytes = assembleBytes(f.asm!);
      expect(bytes.length).toBeGreaterThan(0);
      if (f.raw) expect(toHex(bytes)).toBe(toHex(f.raw));
    });
  }
});

describe('conformance suite: every negative/invalid_*.data is refused', () => {
  // The reason each must give, so a refusal for the wrong reason does not pass.
  const expected: Record<string, RegExp> = {
    'invalid_imm32_dec_range.data': /^line 2: Immediate out of 32-bit range: 2147483648$/,
    'invalid_imm32_hex_range.data': /^line 2: Immediate out of 32-bit range: 0x100000000$/,
    'invalid_label.data': /^line 1: Invalid label: NOT_A_LABEL/,
    'invalid_lock.data': /^line 1: Invalid number of operands for lock$/,
    'invalid_lock2.data': /^line 1: Invalid number of operands for lock$/,
    'invalid_mnemonic.data': /^line 2: Invalid mnemonic: ldxq$/,
    'invalid_offset.data': /^line 1: Invalid memory operand: %r1/,
    'invalid_offset_range.data': /^line 2: Offset out of 16-bit range/,
    'invalid_operand_count.data': /^line 1: Invalid number of operands for lddw/,
    'invalid_register.data': /^line 1: Invalid register: %r50/,
    // Its asm section is empty (the next line starts an unknown section).
    'invalid_unknown_directive.data': /^line 1: program has no instructions$/,
  };
  const files = negativeFiles('invalid_');
  it('has a reason for every file', () => expect(files.map((f) => f.name).sort()).toEqual(Object.keys(expected).sort()));
  for (const f of files) {
    it(f.name, () => {
      const e = asmError(f.asm ?? '');
      expect(e.code).toBe(ErrorCode.AsmSyntax);
      expect(e.message).toMatch(expected[f.name] ?? /^line \d+: /);
    });
  }
});

describe('assembler syntax', () => {
  it('encodes ALU forms', () => {
    expect(assemble('add %r1, %r2\nadd32 %r1, 5\nadd64 %r3, -1\nneg %r4\nneg32 %r5')).toEqual([
      insn(0x0f, 1, 2), insn(0x04, 1, 0, 0, 5), insn(0x07, 3, 0, 0, -1), insn(0x87, 4), insn(0x84, 5),
    ]);
    expect(assemble('sdiv %r1, 3\nsmod32 %r1, %r2')).toEqual([insn(0x37, 1, 0, 1, 3), insn(0x9c, 1, 2, 1)]);
    expect(assemble('movsx864 %r1, %r2\nmovsx1632 %r1, %r2\nmovsx3264 %r0, %r9')).toEqual([
      insn(0xbf, 1, 2, 8), insn(0xbc, 1, 2, 16), insn(0xbf, 0, 9, 32),
    ]);
  });

  it('encodes byte swaps', () => {
    expect(hex('le16 %r1\nbe32 %r2\nbswap64 %r3\nswap16 %r4')).toBe(
      'd401000010000000' + 'dc02000020000000' + 'd703000040000000' + 'd704000010000000',
    );
  });

  it('accepts int32 or uint32 hex immediates but only int32 decimals', () => {
    expect(assemble('mov32 %r0, 0xffffffff')[0]!.imm).toBe(-1);
    expect(assemble('mov32 %r0, -1')[0]!.imm).toBe(-1);
    expect(assemble('mov32 %r0, -2147483648')[0]!.imm).toBe(-2147483648);
    expect(assemble('mov32 %r0, -0x80000000')[0]!.imm).toBe(-2147483648);
    expect(asmError('mov32 %r0, 4294967295').message).toMatch(/out of 32-bit range/);
    expect(asmError('mov32 %r0, -0x80000001').message).toMatch(/out of 32-bit range/);
    expect(asmError('mov32 %r0, 12abc').message).toMatch(/^line 1: Invalid immediate: 12abc$/);
  });

  it('encodes lddw with 64-bit immediates and pseudo sources', () => {
    expect(hex('lddw %r0, 0x1122334455667788')).toBe('1800000088776655' + '0000000044332211');
    expect(assemble('lddw %r1, -1')).toEqual([insn(0x18, 1, 0, 0, -1, -1)]);
    expect(assemble('lddw %r1, 0xffffffffffffffff')).toEqual([insn(0x18, 1, 0, 0, -1, -1)]);
    expect(assemble('lddw %r1, map_fd 5')).toEqual([insn(0x18, 1, 1, 0, 5, 0)]);
    expect(assemble('lddw %r1, map_idx_value 0x800000002')).toEqual([insn(0x18, 1, 6, 0, 2, 8)]);
    expect(asmError('lddw %r1, 0x10000000000000000').message).toMatch(/out of 64-bit range/);
    expect(asmError('lddw %r1, map 5').message).toMatch(/Invalid lddw source kind: map/);
  });

  it('encodes memory operands', () => {
    expect(assemble('ldxb %r0, [%r1+2]\nldxh %r0, [%r1-8]\nldxw %r0, [%r1]\nldxdw %r0, [%r1 + 0x10]')).toEqual([
      insn(0x71, 0, 1, 2), insn(0x69, 0, 1, -8), insn(0x61, 0, 1, 0), insn(0x79, 0, 1, 16),
    ]);
    expect(assemble('ldxsb %r0, [%r10-1]\nldxsh %r0, [%r10-2]\nldxsw %r0, [%r10-4]')).toEqual([
      insn(0x91, 0, 10, -1), insn(0x89, 0, 10, -2), insn(0x81, 0, 10, -4),
    ]);
    expect(assemble('stb [%r1+2], 7\nstdw [%r10-8], -1\nstxw [%r10-4], %r3')).toEqual([
      insn(0x72, 1, 0, 2, 7), insn(0x7a, 10, 0, -8, -1), insn(0x63, 10, 3, -4),
    ]);
    expect(assemble('ldxb %r0, [%r1-32768]')[0]!.off).toBe(-32768);
    expect(asmError('ldxb %r0, [%r1+32768]').message).toMatch(/Offset out of 16-bit range/);
    expect(asmError('ldxb %r0, [%r1+x]').message).toMatch(/Invalid offset/);
    expect(asmError('stxb [%r1+2, %r3').message).toMatch(/Invalid memory operand/);
  });

  it('encodes legacy packet loads', () => {
    expect(assemble('ldabsb 12\nldabsh 0x10\nldindw %r1, 2')).toEqual([
      insn(0x30, 0, 0, 0, 12), insn(0x28, 0, 0, 0, 16), insn(0x40, 0, 1, 0, 2),
    ]);
  });

  it('encodes atomics', () => {
    expect(assemble('lock add [%r10-8], %r1')).toEqual([insn(0xdb, 10, 1, -8, 0x00)]);
    expect(assemble('lock fetch add32 [%r10-8], %r1')).toEqual([insn(0xc3, 10, 1, -8, 0x01)]);
    expect(assemble('lock or [%r1], %r2\nlock fetch and [%r1], %r2\nlock xor32 [%r1], %r2')).toEqual([
      insn(0xdb, 1, 2, 0, 0x40), insn(0xdb, 1, 2, 0, 0x51), insn(0xc3, 1, 2, 0, 0xa0),
    ]);
    expect(assemble('lock xchg [%r10-8], %r1\nlock cmpxchg32 [%r10-8], %r1')).toEqual([
      insn(0xdb, 10, 1, -8, 0xe1), insn(0xc3, 10, 1, -8, 0xf1),
    ]);
    expect(asmError('lock sub [%r10-8], %r1').message).toMatch(/Invalid atomic operation: sub/);
    expect(asmError('lock add %r10, %r1').message).toMatch(/Invalid number of operands for lock/);
  });

  it('encodes calls', () => {
    expect(assemble('call 5\ncall helper 6\ncall runtime 7\ncall %r2\ncallx %r3\nexit')).toEqual([
      insn(0x85, 0, 0, 0, 5), insn(0x85, 0, 0, 0, 6), insn(0x85, 0, 2, 0, 7), insn(0x8d, 2), insn(0x8d, 3), insn(0x95),
    ]);
    expect(assemble('call local f\nexit\nf:\nexit')[0]).toEqual(insn(0x85, 0, 1, 0, 1));
    expect(assemble('call local -1')[0]).toEqual(insn(0x85, 0, 1, 0, -1));
    expect(asmError('call far 5').message).toMatch(/Invalid call mode: far/);
  });

  it('resolves labels in slots (lddw takes two)', () => {
    const p = assemble('ja L\nlddw %r0, 1\nL:\nexit\njeq %r1, 0, L\nja32 L');
    expect(p.map((i) => i.opcode === 0x06 ? i.imm : i.off)).toEqual([2, 0, 0, -2, -3]);
    // A label and an instruction may share a line.
    expect(assemble('start: ja start')[0]!.off).toBe(-1);
  });

  it('jumps to the first exit when the target `exit` is not a defined label', () => {
    // As bpf_conformance's assembler: the conformance files use `exit` as a jump target this way.
    expect(assemble('jeq %r1, 0, exit\nmov %r0, 1\nexit\nexit')[0]!.off).toBe(1);
    expect(assemble('ja exit\nexit:\nmov %r0, 1\nexit')[0]!.off).toBe(0);
  });

  it('accepts relative targets with and without sign', () => {
    expect(assemble('ja +3\nja -2\nja 0\njne %r0, %r1, +0x10')).toEqual([
      insn(0x05, 0, 0, 3), insn(0x05, 0, 0, -2), insn(0x05), insn(0x5d, 0, 1, 16),
    ]);
    expect(asmError('ja +32768').message).toMatch(/Jump offset out of 16-bit range/);
  });

  it('accepts raw .insn lines', () => {
    expect(assemble('.insn 0x07, 1, 2, 1, 5')).toEqual([insn(0x07, 1, 2, 1, 5)]);
    expect(assemble('.insn 0x18, 1, 0, 0, 1, 2')).toEqual([insn(0x18, 1, 0, 0, 1, 2)]);
    expect(asmError('.insn 0x07, 1, 2, 1, 5, 6').message).toMatch(/only for opcode 0x18/);
  });

  it('ignores comments and blank lines, counts lines from 1', () => {
    expect(assemble('# header\n\n  mov %r0, 1 # set\n\texit')).toHaveLength(2);
    expect(asmError('# c\n\nmov %r0, 1\nfoo %r1\nexit').message).toBe('line 4: Invalid mnemonic: foo');
  });

  it('reports errors with their line', () => {
    const cases: [string, RegExp][] = [
      ['exit\nadd %r1', /^line 2: Invalid number of operands for add: expected 2, found 1$/],
      ['add %r11, 1', /^line 1: Invalid register: %r11/],
      ['add %rx, 1', /^line 1: Invalid register: %rx/],
      ['add %r1,', /^line 1: Empty operand$/],
      ['exit 1', /^line 1: Invalid number of operands for exit/],
      ['movsx864 %r1, 5', /needs a register source/],
      ['L:\nL:\nexit', /^line 2: Duplicate label: L \(first defined on line 1\)$/],
      ['exit\n\nja nowhere', /^line 3: Invalid label: nowhere/],
      ['ja $$$!', /^line 1: Invalid jump target/],
      ['', /^line 1: program has no instructions$/],
    ];
    for (const [src, re] of cases) expect(asmError(src).message, src).toMatch(re);
    expect(assemble('# nothing', { allowEmpty: true })).toEqual([]);
  });

  it('assembles big-endian bytes on request', () => {
    expect(toHex(assembleBytes('add %r1, %r2', 'big'))).toBe('0f12000000000000');
  });
});
