/**
 * The bpf_conformance suite on the JIT, with the interpreter's expectations: every positive file
 * passes, every negative one fails as it must. Each program is also run on the interpreter and the
 * two results (r0 or error text) must be identical.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runConformanceCase, type ConformanceCaseResult } from '../../src/run/conformance.js';
import { loadJit } from '../../src/run/raw.js';

const ROOT = join(import.meta.dirname, '..', '..', '..', 'shared', 'conformance');
const positives = readdirSync(ROOT).filter((f) => f.endsWith('.data')).sort();
const negatives = readdirSync(join(ROOT, 'negative')).filter((f) => f.endsWith('.data')).sort();

const counts = { passed: 0, failed: 0, refused: 0 };
const tally = (r: ConformanceCaseResult): ConformanceCaseResult => {
  counts[r.outcome]++;
  return r;
};

beforeAll(async () => {
  await loadJit();
});

describe('bpf_conformance on the JIT: positive files', () => {
  it('finds the suite', () => {
    expect(positives.length).toBeGreaterThan(300);
  });
  for (const name of positives) {
    it(name, () => {
      const text = readFileSync(join(ROOT, name), 'utf8');
      const r = tally(runConformanceCase(text, 'jit'));
      expect(r.outcome, r.detail).toBe('passed');
      expect(r.detail).toBe(runConformanceCase(text, 'interp').detail);
    });
  }
});

describe('bpf_conformance on the JIT: negative files fail as they must', () => {
  for (const name of negatives) {
    it(name, () => {
      const text = readFileSync(join(ROOT, 'negative', name), 'utf8');
      const r = tally(runConformanceCase(text, 'jit'));
      expect(r.outcome, r.detail).not.toBe('passed');
      // Same outcome, stage and text as on the interpreter.
      const i = runConformanceCase(text, 'interp');
      expect({ outcome: r.outcome, stage: r.stage, detail: r.detail }).toEqual({ outcome: i.outcome, stage: i.stage, detail: i.detail });
      if (name.startsWith('unused-')) {
        expect(r.outcome).toBe('refused');
        expect(r.stage).toBe('decoder');
      }
      if (name.startsWith('invalid_')) expect(r.outcome).toBe('refused');
    });
  }
});

afterAll(() => {
  console.log(
    `conformance (jit): positives ${positives.length}, negatives ${negatives.length}; ` +
      `passed ${counts.passed}, failed ${counts.failed}, refused ${counts.refused}`,
  );
});
