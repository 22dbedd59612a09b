import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runConformanceCase, type ConformanceCaseResult } from '../src/run/conformance.js';

/** The bpf_conformance data lives beside the project, never inside it. */
const ROOT = join(import.meta.dirname, '..', '..', 'shared', 'conformance');
const positives = readdirSync(ROOT).filter((f) => f.endsWith('.data')).sort();
const negatives = readdirSync(join(ROOT, 'negative')).filter((f) => f.endsWith('.data')).sort();

/** Files bpfkit cannot support, with the reason; each counts as a failure in the summary. */
const UNSUPPORTED = new Map<string, string>();

const counts = { passed: 0, failed: 0, refused: 0 };
const tally = (r: ConformanceCaseResult): ConformanceCaseResult => {
  counts[r.outcome]++;
  return r;
};

describe('bpf_conformance on the interpreter: positive files', () => {
  it('finds the suite', () => {
    expect(positives.length).toBeGreaterThan(300);
  });
  for (const name of positives) {
    const run = UNSUPPORTED.has(name) ? it.skip : it;
    run(name, () => {
      const r = tally(runConformanceCase(readFileSync(join(ROOT, name), 'utf8')));
      expect(r.outcome, r.detail).toBe('passed');
    });
  }
});

describe('bpf_conformance on the interpreter: negative files fail as they must', () => {
  for (const name of negatives) {
    it(name, () => {
      const r = tally(runConformanceCase(readFileSync(join(ROOT, 'negative', name), 'utf8')));
      expect(r.outcome, r.detail).not.toBe('passed');
      if (name.startsWith('unused-')) {
        expect(r.outcome).toBe('refused');
        expect(r.stage).toBe('decoder');
        expect(r.detail).toMatch(/^instruction \d+: /);
      }
      if (name.startsWith('invalid_')) {
        // Bad assembler input: refused by the assembler (naming the line) or, for a bad section
        // header, by the file parser.
        expect(r.outcome).toBe('refused');
        if (r.stage === 'assembler') expect(r.detail).toMatch(/^line \d+: /);
        else expect(r.detail).toMatch(/^unknown section/);
      }
    });
  }
});

afterAll(() => {
  const unsupported = UNSUPPORTED.size;
  // One line, in the shape CI readers look for.
  console.log(
    `conformance (interp): positives ${positives.length}, negatives ${negatives.length}; ` +
      `passed ${counts.passed}, failed ${counts.failed + unsupported}, refused ${counts.refused}` +
      (unsupported ? ` (unsupported: ${[...UNSUPPORTED.keys()].join(', ')})` : ''),
  );
});
