/**
 * Verifier soundness (issue #9, part 2): generate programs — fixture programs with small
 * mutations, and random bounds-check-and-load XDP programs — and run every one the verifier
 * accepts on both engines over random packets and contexts. In an accepted program a memory
 * fault, a budget overrun, a call-depth fault, an invalid instruction or a ring buffer record left
 * reserved is a verifier bug; so is any disagreement between the engines (an engine bug). A
 * failure prints the program, the mutation and the input (fast-check shrinks both first).
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { isBpfkitError } from '../../src/errors.js';
import type { Instruction } from '../../src/isa/instruction.js';
import { ProgType } from '../../src/loader/kinds.js';
import type { BpfObject } from '../../src/loader/model.js';
import { loadJitEngine } from '../../src/run/engine.js';
import { verifyProgram } from '../../src/verifier/index.js';
import { scaled, SEED } from '../support/fuzz.js';
import {
  contextFor,
  corpusPrograms,
  engineDifference,
  inputArb,
  inputHex,
  instanceOf,
  listing,
  mutateProgram,
  mutationArb,
  packetProgram,
  packetProgramArb,
  runOn,
  withProgram,
  xdpObject,
  type InputSpec,
} from '../support/mutate-programs.js';

/** Fault kinds the verifier promises cannot happen in a program it accepted. */
const UNSOUND = new Set(['memory', 'budget', 'call-depth', 'invalid', 'bad-call']);

/**
 * Fixture programs accepted as they are, small enough to verify and JIT-compile many times
 * (accept_large and the ~4k-instruction programs are covered by the packets suite instead).
 */
const corpus = corpusPrograms(400).filter((c) => {
  try {
    return verifyProgram(c.object, c.name).accepted;
  } catch {
    return false;
  }
});

interface Tally {
  generated: number;
  accepted: number;
  runs: number;
}

/**
 * Verifies program `name` of `object`; when accepted, runs it on every input on both engines and
 * returns a description of the first violation (with a reproducer), or undefined.
 */
function checkSoundness(object: BpfObject, name: string, type: number, inputs: readonly InputSpec[], tally: Tally, origin: string): string | undefined {
  tally.generated++;
  const program = object.programs.find((p) => p.name === name)!.instructions;
  let accepted: boolean;
  try {
    accepted = verifyProgram(object, name).accepted;
  } catch (e) {
    if (!isBpfkitError(e)) return `the verifier threw ${String(e)} on ${origin}\n${listing(program)}`;
    return undefined;
  }
  if (!accepted) return undefined;
  tally.accepted++;
  const interp = instanceOf(object);
  const jit = instanceOf(object);
  if (typeof interp === 'string' || typeof jit === 'string') return undefined;
  for (const spec of inputs) {
    const input = contextFor(type, spec);
    const a = runOn(interp, name, input, 'interp');
    const b = runOn(jit, name, input, 'jit');
    tally.runs++;
    const repro = (what: string): string => `${what}\n  program ${name} (${origin}), accepted by the verifier:\n${listing(program)}\n  input: ${inputHex(input)}`;
    const fault = a.result?.error;
    if (fault !== undefined && UNSOUND.has(fault.kind)) return repro(`SOUNDNESS: accepted program faulted: ${fault.message}`);
    if (a.leaked > 0) return repro('SOUNDNESS: accepted program left a ring buffer record reserved (unreleased reference)');
    const d = engineDifference(a, b);
    if (d !== undefined) return repro(`ENGINES DISAGREE: ${d}`);
  }
  return undefined;
}

describe('verifier soundness on generated programs', () => {
  beforeAll(async () => {
    await loadJitEngine();
  });

  it('the corpus holds accepted programs of several types', () => {
    expect(corpus.length).toBeGreaterThan(40);
    expect(new Set(corpus.map((c) => c.type)).size).toBeGreaterThan(4);
  });

  it('mutated fixture programs: accepted means safe on every input, on both engines', () => {
    const tally: Tally = { generated: 0, accepted: 0, runs: 0 };
    fc.assert(
      fc.property(fc.nat({ max: corpus.length - 1 }), fc.array(mutationArb, { minLength: 1, maxLength: 3 }), fc.array(inputArb(), { minLength: 1, maxLength: 6 }), (ci, ms, inputs) => {
        const c = corpus[ci]!;
        const original = c.object.programs.find((p) => p.name === c.name)!.instructions;
        const mutated = mutateProgram(original, ms);
        const problem = checkSoundness(withProgram(c.object, c.name, mutated), c.name, c.type, inputs, tally, `${c.fixture} mutated by ${JSON.stringify(ms)}`);
        if (problem !== undefined) throw new Error(problem);
      }),
      { numRuns: scaled(150), seed: SEED },
    );
    console.log(`soundness (mutated fixtures): ${tally.generated} programs, ${tally.accepted} accepted, ${tally.runs} runs per engine`);
    expect(tally.accepted).toBeGreaterThan(0);
  });

  it('random bounds-check-and-load XDP programs: accepted means in bounds on every packet', () => {
    const tally: Tally = { generated: 0, accepted: 0, runs: 0 };
    fc.assert(
      fc.property(packetProgramArb, fc.array(inputArb(200), { minLength: 4, maxLength: 12 }), (spec, inputs) => {
        let program: Instruction[];
        try {
          program = packetProgram(spec);
        } catch (e) {
          if (isBpfkitError(e)) return;
          throw e;
        }
        const problem = checkSoundness(xdpObject(program), 'prog', ProgType.XDP, inputs, tally, `packetProgram(${JSON.stringify(spec)})`);
        if (problem !== undefined) throw new Error(problem);
      }),
      { numRuns: scaled(200), seed: SEED },
    );
    console.log(`soundness (random packet programs): ${tally.generated} programs, ${tally.accepted} accepted, ${tally.runs} runs per engine`);
    expect(tally.accepted).toBeGreaterThan(0);
  });
});
