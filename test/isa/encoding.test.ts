import { describe, expect, it } from 'vitest';
import { BpfkitError, ErrorCode } from '../../src/errors.js';
import { decodeProgram } from '../../src/isa/decode.js';
import { encodeProgram } from '../../src/isa/encode.js';
import { insn, type Instruction } from '../../src/isa/instruction.js';
import { Atomic, Op } from '../../src/isa/opcodes.js';
import { encodingError } from '../../src/isa/validate.js';
import { allValidInstructions } from './all-instructions.js';
import { negativeFiles } from './conformance-files.js';

const all = allValidInstructions();

/** Every opcode byte for which some field values make a valid instruction. */
function definedOpcodeBytes(): Set<number> {
  const found = new Set<number>();
  const imms = [0, 1, 16, Atomic.XCHG, Atomic.CMPXCHG, Atomic.ADD | Atomic.FETCH];
  for (let op = 0; op < 256; op++) {
    for (const src of [0, 1, 2]) {
      for (const off of [0, 1, 8]) {
        for (const imm of imms) {
          for (const dst of [0, 1]) {
            if (encodingError(insn(op, dst, src, off, imm, op === Op.LDDW ? 0 : undefined)) === undefined) found.add(op);
          }
        }
      }
    }
  }
  return found;
}

describe('every valid instruction', () => {
  it('is valid per the encoding rules', () => {
    for (const ins of all) expect(encodingError(ins), JSON.stringify(ins)).toBeUndefined();
  });

  it('covers every opcode byte the ISA defines', () => {
    const generated = new Set(all.map((i) => i.opcode));
    expect([...generated].sort((a, b) => a - b)).toEqual([...definedOpcodeBytes()].sort((a, b) => a - b));
    // 53 ALU/ALU64 + 49 JMP/JMP32 + 17 LDX/ST/STX (MEM, MEMSX, ATOMIC) + 7 LD (lddw, abs, ind).
    expect(generated.size).toBe(126);
  });

  for (const endian of ['little', 'big'] as const) {
    it(`encodes and decodes back unchanged (${endian}-endian)`, () => {
      const bytes = encodeProgram(all, endian);
      expect(bytes.length).toBe((all.length + all.filter((i) => i.opcode === Op.LDDW).length) * 8);
      expect(decodeProgram(bytes, { endian })).toEqual(all);
      // One at a time as well, so a failure names the instruction.
      for (const ins of all) expect(decodeProgram(encodeProgram([ins], endian), { endian })).toEqual([ins]);
    });
  }

  it('puts dst in the low nibble on little-endian and the high nibble on big-endian', () => {
    const ins = insn(0x0f, 1, 2);
    expect([...encodeProgram([ins], 'little')]).toEqual([0x0f, 0x21, 0, 0, 0, 0, 0, 0]);
    expect([...encodeProgram([ins], 'big')]).toEqual([0x0f, 0x12, 0, 0, 0, 0, 0, 0]);
  });
});

describe('decodeProgram refuses reserved-field violations (negative/unused-*.data)', () => {
  const files = negativeFiles('unused-');
  it('finds the files', () => expect(files.length).toBeGreaterThanOrEqual(40));
  for (const f of files) {
    // unused-<instruction>-<field>.data: the field that must be zero.
    const field = /-(offset|src|imm|dst)\.data$/.exec(f.name)?.[1];
    it(f.name, () => {
      expect(f.raw).toBeDefined();
      expect(f.error).toBe('');
      let err: unknown;
      try {
        decodeProgram(f.raw!);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(BpfkitError);
      const e = err as BpfkitError;
      expect(e.code).toBe(ErrorCode.BadInstruction);
      expect(e.message).toMatch(/^instruction 0: /);
      expect(e.message).toContain(`field ${field}`);
      // With validation off the same bytes decode (tools that show garbage need this).
      expect(decodeProgram(f.raw!, { validate: false })).toHaveLength(2);
    });
  }
});

describe('lddw', () => {
  it('needs its second slot and zero fields there', () => {
    const one = encodeProgram([insn(Op.LDDW, 1, 0, 0, 1, 2)]).slice(0, 8);
    expect(() => decodeProgram(one)).toThrow(/lddw is missing its second slot/);
    const bad = encodeProgram([insn(Op.LDDW, 1, 0, 0, 1, 2)]);
    bad[9] = 0x01;
    expect(() => decodeProgram(bad)).toThrow(/instruction 1: second slot of lddw/);
  });

  it('keeps both halves of the immediate', () => {
    const [ins] = decodeProgram(encodeProgram([insn(Op.LDDW, 0, 0, 0, -1, 0x11223344)])) as [Instruction];
    expect(ins.imm).toBe(-1);
    expect(ins.immHi).toBe(0x11223344);
  });
});
