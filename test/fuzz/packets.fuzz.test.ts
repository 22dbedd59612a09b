/**
 * Packets and contexts of every length (0 to 9,000 bytes) into every runnable fixture program, on
 * both engines: each run ends with a result, a runtime fault or a refusal of the input (a
 * BpfkitError, as BPF_PROG_TEST_RUN refuses a frame shorter than an Ethernet header), never
 * another exception; and the interpreter and the JIT agree on everything the run leaves behind.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadJitEngine } from '../../src/run/engine.js';
import { scaled, SEED } from '../support/fuzz.js';
import { contextFor, corpusPrograms, engineDifference, inputArb, inputHex, instanceOf, runOn, type InputSpec } from '../support/mutate-programs.js';

/** Programs over this size (accept_large's 4k instructions) JIT-compile for seconds: long run only. */
const MAX_SIZE = Number(process.env.BPFKIT_FUZZ_MAX_PROGRAM ?? (scaled(1) > 1 ? Infinity : 1000));
const programs = corpusPrograms(MAX_SIZE);

/** Lengths that matter (empty, below and at an Ethernet header, MTU-sized, jumbo) and anything up to 9,000. */
const lengthArb = fc.oneof(fc.constantFrom(0, 1, 13, 14, 15, 33, 34, 54, 60, 1500, 1514, 1515, 3520, 4096, 8999, 9000), fc.integer({ min: 0, max: 9000 }), fc.integer({ min: 0, max: 128 }));
const inputsArb = fc.array(fc.tuple(inputArb(9000), lengthArb).map(([s, length]): InputSpec => ({ ...s, length })), { minLength: scaled(4), maxLength: scaled(4) });

describe('fuzz: packets and contexts of every length into every fixture program', () => {
  beforeAll(async () => {
    await loadJitEngine();
  });

  it('covers the fixture programs', () => {
    expect(programs.length).toBeGreaterThan(80);
  });

  it('each program runs cleanly and identically on both engines', () => {
    const sample = fc.sample(inputsArb, { numRuns: programs.length, seed: SEED });
    let runs = 0;
    let refused = 0;
    let faults = 0;
    programs.forEach((p, i) => {
      const interp = instanceOf(p.object);
      const jit = instanceOf(p.object);
      if (typeof interp === 'string' || typeof jit === 'string') return; // an unsupported map type
      for (const spec of sample[i]!) {
        // Tracepoint records of the exact length given, too short ones included.
        const input = contextFor(p.type, spec, true);
        const a = runOn(interp, p.name, input, 'interp');
        const b = runOn(jit, p.name, input, 'jit');
        runs++;
        if (a.refused !== undefined) refused++;
        if (a.result?.error !== undefined) faults++;
        const d = engineDifference(a, b);
        if (d !== undefined) throw new Error(`ENGINES DISAGREE on ${p.fixture} ${p.name}: ${d}\n  input: ${inputHex(input)}`);
      }
    });
    console.log(`packets: ${programs.length} programs, ${runs} runs per engine (${refused} inputs refused, ${faults} runtime faults)`);
    expect(runs).toBeGreaterThan(programs.length);
  });
});
