// program.run() verifies first: a program the verifier rejects (or one it can tail-call) is not
// run unless the caller says { verify: false }. The verdicts match the kernel's, recorded in
// fixtures/api/build/kernel-verdicts.tsv.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ErrorCode, VerifierRejectedError, XDP_DROP, XDP_PASS, ethernet, loadObject, tailCallReach } from '../../src/node.js';

const OBJ = 'fixtures/api/build/verdicts.o';
const packet = ethernet({ payload: new Uint8Array(20) });

describe('safe by default', () => {
  it('agrees with the kernel on which programs load', () => {
    const kernel = readFileSync('fixtures/api/build/kernel-verdicts.tsv', 'utf8')
      .trim()
      .split('\n')
      .map((l) => l.split('\t'))
      .filter((f) => f[0] === OBJ);
    const obj = loadObject(OBJ);
    for (const [, name, , accepted] of kernel) expect(obj.program(name!).verify().accepted, name).toBe(accepted === '1');
  });

  it('runs an accepted program although another program of the object is rejected', () => {
    const obj = loadObject(OBJ);
    expect(obj.program('xdp_good').run({ packet }).retval).toBe(XDP_PASS);
  });

  it('refuses a rejected program with the report, and runs it with { verify: false }', () => {
    const obj = loadObject(OBJ);
    const bad = obj.program('xdp_bad');
    let thrown: unknown;
    try {
      bad.run({ packet });
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(VerifierRejectedError);
    const err = thrown as VerifierRejectedError;
    expect(err.code).toBe(ErrorCode.Rejected);
    expect(err.report.accepted).toBe(false);
    expect(err.report.errors[0]!.source).toContain('verdicts.c:38');
    expect(err.message).toMatch(/^program 'xdp_bad' is rejected by the verifier, so it is not run \(pass \{ verify: false \}/);
    // The simulated kernel faults where the real one would have crashed.
    const r = bad.run({ packet, verify: false });
    expect(r.error?.message).toMatch(/null|outside/);
  });

  it('judges what a program can reach by tail call', () => {
    const obj = loadObject(OBJ);
    expect(tailCallReach(obj.model, 'xdp_entry')).toEqual(['xdp_entry', 'xdp_bad']);
    expect(tailCallReach(obj.model, 'xdp_good')).toEqual(['xdp_good']);
    const entry = obj.program('xdp_entry');
    expect(entry.verify().accepted).toBe(true);
    expect(() => entry.run({ packet })).toThrow(/program 'xdp_entry' can tail-call 'xdp_bad', which is rejected by the verifier/);
    expect(entry.run({ packet, verify: false }).retval).not.toBe(XDP_DROP + 100);
  });

  it('verifies once per program (the verdict is cached)', () => {
    const obj = loadObject(OBJ);
    const good = obj.program('xdp_good');
    const first = good.verify();
    good.run({ packet });
    good.run({ packet });
    expect(good.verify()).toBe(first);
  });
});
