/**
 * Instruction streams into the verifier: random streams and mutated fixture programs (including
 * edits no compiler makes: random opcodes, registers, jump offsets), in several program types.
 * The verifier must answer each with a report (accepted or with errors), or a BpfkitError, in
 * bounded time; never another exception or a hang.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isBpfkitError } from '../../src/errors.js';
import type { Instruction } from '../../src/isa/instruction.js';
import { ProgType } from '../../src/loader/kinds.js';
import type { BpfObject } from '../../src/loader/model.js';
import { verifyProgram, type ProgramReport } from '../../src/verifier/index.js';
import { scaled, SEED } from '../support/fuzz.js';
import { corpusPrograms, listing, mutateProgram, mutationArb, withProgram } from '../support/mutate-programs.js';

/** The longest a single verification may take (the slowest fixture takes well under a second). */
const SLOW_MS = 5_000;
const corpus = corpusPrograms(400);

function verifyClean(object: BpfObject, name: string, label: () => string): ProgramReport | undefined {
  const t0 = performance.now();
  let report: ProgramReport | undefined;
  try {
    report = verifyProgram(object, name);
    expect(typeof report.accepted).toBe('boolean');
    // A rejection always says why, on one line.
    if (!report.accepted) {
      expect(report.errors.length, label()).toBeGreaterThan(0);
      for (const e of report.errors) expect(e.message, label()).not.toMatch(/\n/);
    }
  } catch (e) {
    if (!isBpfkitError(e)) {
      const err = e as Error;
      throw new Error(`verifier threw ${err?.name}: ${err?.message} on ${label()}\n${err?.stack ?? ''}`, { cause: e });
    }
    expect(e.message.length).toBeGreaterThan(0);
  }
  const ms = performance.now() - t0;
  if (ms > SLOW_MS) throw new Error(`verification took ${ms.toFixed(0)} ms on ${label()}`);
  return report;
}

/** Instruction-shaped slots: plausible opcodes most of the time, registers mostly in range. */
const insnArb: fc.Arbitrary<Instruction> = fc
  .tuple(
    fc.oneof(
      fc.constantFrom(0x07, 0x0f, 0xb7, 0xbf, 0x61, 0x69, 0x71, 0x79, 0x62, 0x63, 0x7a, 0x7b, 0x05, 0x15, 0x1d, 0x25, 0x2d, 0xa5, 0xad, 0x85, 0x95, 0xc3, 0xdb, 0x57, 0x77, 0x16, 0x26, 0xb4, 0xbc),
      fc.integer({ min: 0, max: 255 }),
    ),
    fc.integer({ min: 0, max: 11 }),
    fc.integer({ min: 0, max: 11 }),
    fc.oneof(fc.integer({ min: -8, max: 8 }), fc.integer({ min: -512, max: 512 })),
    fc.oneof(fc.integer({ min: -16, max: 64 }), fc.integer({ min: -0x80000000, max: 0x7fffffff }), fc.constantFrom(1, 2, 3, 4, 5, 6, 12, 25, 51, 130)),
  )
  .map(([opcode, dst, src, off, imm]) => ({ opcode, dst, src, off, imm }));

const TYPES = [ProgType.XDP, ProgType.SCHED_CLS, ProgType.SOCKET_FILTER, ProgType.KPROBE, ProgType.TRACEPOINT, ProgType.CGROUP_SKB];

const objectOf = (instructions: Instruction[], type: number): BpfObject => ({
  endian: 'little',
  license: 'GPL',
  programs: [{ name: 'prog', section: 'fuzz', type, instructions, functions: [{ name: 'prog', slot: 0 }], subprograms: [] }],
  maps: [],
});

describe('fuzz: instruction streams into the verifier', () => {
  it('regression: register numbers 11..15 are rejected, not a crash (TypeError in the checker)', () => {
    // Found by this suite: `dst 11` reached the analysis, which indexed past its register file.
    for (const [dst, src] of [[11, 0], [0, 15], [15, 15]] as const) {
      const program = [{ opcode: 0xbf, dst, src, off: 0, imm: 0 }, { opcode: 0x95, dst: 0, src: 0, off: 0, imm: 0 }];
      const r = verifyProgram(objectOf(program, ProgType.XDP), 'prog');
      expect(r.accepted).toBe(false);
      expect(r.errors[0]!.message).toMatch(/^R1[15] is invalid/);
    }
  });

  it('random instruction streams get a report or a BpfkitError', () => {
    let accepted = 0;
    fc.assert(
      fc.property(fc.array(insnArb, { minLength: 1, maxLength: 40 }), fc.constantFrom(...TYPES), (body, type) => {
        // Most streams end in `exit`, so the verifier's analysis runs rather than the CFG check alone.
        const program = [...body, { opcode: 0x95, dst: 0, src: 0, off: 0, imm: 0 }];
        const r = verifyClean(objectOf(program, type), 'prog', () => `type ${type}:\n${listing(program)}`);
        if (r?.accepted) accepted++;
      }),
      { numRuns: scaled(1500), seed: SEED },
    );
    expect(accepted).toBeGreaterThanOrEqual(0);
  });

  it('mutated fixture programs (any opcode, register or jump offset) get a report or a BpfkitError', () => {
    const wild = fc.record({ at: fc.nat(), field: fc.constantFrom('opcode', 'dst', 'src', 'off', 'imm'), value: fc.integer({ min: -0x8000, max: 0xffff }) });
    fc.assert(
      fc.property(fc.nat({ max: corpus.length - 1 }), fc.array(mutationArb, { maxLength: 3 }), fc.array(wild, { maxLength: 2 }), (ci, ms, ws) => {
        const c = corpus[ci]!;
        const program = mutateProgram(c.object.programs.find((p) => p.name === c.name)!.instructions, ms);
        for (const w of ws) {
          const ins = program[w.at % program.length]!;
          if (w.field === 'opcode') ins.opcode = w.value & 0xff;
          else if (w.field === 'dst' || w.field === 'src') ins[w.field] = w.value & 0xf;
          else if (w.field === 'off') ins.off = (w.value << 16) >> 16;
          else ins.imm = w.value;
        }
        verifyClean(withProgram(c.object, c.name, program), c.name, () => `${c.fixture} ${c.name} with ${JSON.stringify([ms, ws])}`);
      }),
      { numRuns: scaled(300), seed: SEED },
    );
  });
});
