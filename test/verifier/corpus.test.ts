/**
 * The verifier corpus: every fixture under fixtures/verifier/ carries the real kernel's verdict
 * (recorded by fixtures/verifier/record.sh). bpfkit must agree on accept/reject, and a rejection
 * must be reported first at the expected instruction and source line. The other issues' fixtures
 * (which the kernel accepts) must verify too.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadObject } from '../../src/loader/index.js';
import { DEPARTURES } from '../../src/verifier/departures.js';
import { formatReport, verifyObject } from '../../src/verifier/index.js';
import { VERDICT_PENDING } from '../kernel/cases.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const HERE = join(ROOT, 'fixtures', 'verifier');

interface Expected {
  accepted: boolean;
  /** A documented safe disagreement: the kernel rejects, bpfkit proves the program safe. */
  bpfkitAccepts?: boolean;
  why?: string;
  pc?: number | null;
  source?: string | null;
  kernel?: string[];
}

const load = (path: string) => loadObject(new Uint8Array(readFileSync(path)));

const names = readdirSync(join(HERE, 'expected'))
  .filter((f) => f.endsWith('.json'))
  .map((f) => f.slice(0, -5))
  .sort();

describe('verifier corpus: bpfkit agrees with the kernel', () => {
  it('has fixtures for both verdicts, and few documented disagreements', () => {
    const disagreements = names.filter((n) => (JSON.parse(readFileSync(join(HERE, 'expected', `${n}.json`), 'utf8')) as Expected).bpfkitAccepts);
    expect(disagreements).toEqual([]);
    expect(names.filter((n) => n.startsWith('accept_')).length).toBeGreaterThan(10);
    expect(names.filter((n) => n.startsWith('reject_')).length).toBeGreaterThan(20);
  });

  for (const name of names) {
    it(name, () => {
      const exp = JSON.parse(readFileSync(join(HERE, 'expected', `${name}.json`), 'utf8')) as Expected;
      const report = verifyObject(load(join(HERE, 'build', `${name}.o`)));
      const accepted = report.programs.every((p) => p.accepted);
      const text = formatReport(report);
      if (exp.bpfkitAccepts) {
        expect(exp.accepted, `${name}: only a kernel rejection can be a documented disagreement`).toBe(false);
        expect(accepted, `${name}: documented as accepted by bpfkit (${exp.why})\n${text}`).toBe(true);
        return;
      }
      expect(accepted, `${name}: kernel says ${exp.accepted ? 'accepted' : `rejected: ${exp.kernel?.at(-1)}`}\nbpfkit:\n${text}`).toBe(exp.accepted);
      if (!exp.accepted) {
        const first = report.programs.find((p) => !p.accepted)!.errors[0]!;
        if (exp.pc !== null && exp.pc !== undefined) expect(first.pc, text).toBe(exp.pc);
        if (exp.source) expect(first.source, text).toBe(exp.source);
      }
    });
  }
});

describe('known departures: rejected like the kernel, explained', () => {
  for (const d of DEPARTURES) {
    it(`${d.id}: ${d.fixture} is rejected with the kernel's reason and said to be safe`, () => {
      const exp = JSON.parse(readFileSync(join(HERE, 'expected', `${d.fixture}.json`), 'utf8')) as Expected;
      expect(exp.accepted).toBe(false);
      const report = verifyObject(load(join(HERE, 'build', `${d.fixture}.o`)));
      const first = report.programs.find((p) => !p.accepted)!.errors[0]!;
      expect(first.pc).toBe(exp.pc);
      expect(first.message).toContain("the kernel's verifier cannot prove it");
      expect(first.message).toContain(d.advice);
    });
  }

  it('explains no rejection of an unsafe program', () => {
    for (const name of names.filter((n) => n.startsWith('reject_') && !DEPARTURES.some((d) => d.fixture === n))) {
      const report = verifyObject(load(join(HERE, 'build', `${name}.o`)));
      for (const p of report.programs) for (const e of p.errors) expect(e.message, name).not.toContain('cannot prove it');
    }
  });
});

describe('other fixtures (accepted by the kernel) verify', () => {
  // fixtures/build: the loader's fixtures, all loadable; kernel-cases: the objects cases.txt runs
  // on the kernel (faults.o is deliberately unverifiable and not among them)
  const objects: string[] = [];
  const build = join(ROOT, 'fixtures', 'build');
  if (existsSync(build)) objects.push(...readdirSync(build).filter((f) => f.endsWith('.o') && !f.endsWith('.eb.o')).map((f) => join(build, f)));
  const cases = join(ROOT, 'fixtures', 'kernel-cases', 'cases.txt');
  if (existsSync(cases)) {
    const recorded = new Set(
      readFileSync(cases, 'utf8')
        .split('\n')
        .map((l) => l.trim().split(/\s+/)[0] ?? '')
        .filter((w) => w && !w.startsWith('#')),
    );
    for (const o of [...recorded].sort()) {
      const path = join(ROOT, 'fixtures', 'kernel-cases', 'build', `${o}.o`);
      if (existsSync(path)) objects.push(path);
    }
  }
  for (const path of objects) {
    const pending = VERDICT_PENDING.get(basename(path, '.o'));
    if (pending !== undefined && path.includes('kernel-cases')) {
      it.skip(`${path.slice(ROOT.length + 1)} (verifier gap: ${pending})`, () => {});
      continue;
    }
    it(path.slice(ROOT.length + 1), () => {
      let obj;
      try {
        obj = load(path);
      } catch {
        return; // objects the loader rejects (CO-RE targets without programs) are not the verifier's
      }
      const report = verifyObject(obj);
      expect(report.programs.filter((p) => !p.accepted).map((p) => p.name), formatReport(report)).toEqual([]);
    });
  }
});
