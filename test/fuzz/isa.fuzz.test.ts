/**
 * Instruction streams from anywhere: the decoder, the disassembler and the interpreter must answer
 * every byte string with a result or a BpfkitError, never another exception or a hang.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isBpfkitError } from '../../src/errors.js';
import { decodeProgram } from '../../src/isa/decode.js';
import { disassemble } from '../../src/isa/disasm.js';
import { encodeProgram } from '../../src/isa/encode.js';
import { runRaw } from '../../src/run/raw.js';

const RUNS = Number(process.env.BPFKIT_FUZZ_RUNS ?? 1000);
const SEED = Number(process.env.BPFKIT_FUZZ_SEED ?? 0x5eed);

/** Succeeds, or fails with a BpfkitError; anything else is a bug. */
function expectClean(work: () => unknown): void {
  try {
    work();
  } catch (e) {
    if (!isBpfkitError(e)) throw e;
    expect(e.message.length).toBeGreaterThan(0);
    expect(e.message).not.toMatch(/\n/);
  }
}

/** Instruction-shaped bytes: a plausible opcode most of the time, so runs go deeper than decode. */
const slot = fc
  .tuple(
    fc.oneof(fc.constantFrom(0x07, 0x0f, 0xb7, 0xbf, 0x61, 0x63, 0x79, 0x7b, 0x05, 0x15, 0x1d, 0x85, 0x95, 0x18, 0xc3, 0xdb, 0x34, 0xd4, 0xdc), fc.integer({ min: 0, max: 255 })),
    fc.integer({ min: 0, max: 255 }),
    fc.integer({ min: -0x8000, max: 0x7fff }),
    fc.integer({ min: -0x80000000, max: 0x7fffffff }),
  )
  .map(([op, regs, off, imm]) => {
    const b = new Uint8Array(8);
    const dv = new DataView(b.buffer);
    b[0] = op;
    b[1] = regs & 0xaa; // keep register numbers small (<= 10) most of the time
    dv.setInt16(2, off % 64, true);
    dv.setInt32(4, imm, true);
    return b;
  });

const program = fc.array(slot, { minLength: 1, maxLength: 40 }).map((slots) => {
  const out = new Uint8Array(slots.length * 8 + 8);
  slots.forEach((s, i) => out.set(s, i * 8));
  out.set([0x95, 0, 0, 0, 0, 0, 0, 0], slots.length * 8);
  return out;
});

describe('fuzz: instruction streams', () => {
  it('decoder answers any bytes with instructions or a BpfkitError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), (bytes) => expectClean(() => decodeProgram(bytes))),
      { numRuns: RUNS * 3, seed: SEED },
    );
  });

  it('disassembler never throws, even on invalid instructions', () => {
    fc.assert(
      fc.property(program, (bytes) => {
        let ins;
        try {
          ins = decodeProgram(bytes, { validate: false });
        } catch (e) {
          if (isBpfkitError(e)) return;
          throw e;
        }
        for (const syntax of ['llvm', 'ubpf'] as const) expect(disassemble(ins, { syntax }).length).toBe(ins.length);
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });

  it('decode → encode is the identity on valid programs', () => {
    fc.assert(
      fc.property(program, (bytes) => {
        let ins;
        try {
          ins = decodeProgram(bytes);
        } catch {
          return;
        }
        expect(encodeProgram(ins)).toEqual(bytes);
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });

  it('the interpreter answers any program with r0 or a BpfkitError, within its budget', () => {
    fc.assert(
      fc.property(program, fc.uint8Array({ maxLength: 64 }), (bytes, mem) => {
        expectClean(() => runRaw(bytes, mem, { budget: 10_000 }));
      }),
      { numRuns: RUNS * 2, seed: SEED },
    );
  });
});
