// `bpfkit run --program X` judges X and what it can tail-call, not the whole object, and says so
// when it refuses.
import { describe, expect, it } from 'vitest';
import { bpfkit } from './support.js';

const OBJ = 'fixtures/api/build/verdicts.o';

describe('bpfkit run judges only the program it runs', () => {
  it('runs xdp_good although xdp_bad in the same object is rejected', () => {
    const r = bpfkit(['run', OBJ, '--program', 'xdp_good', '--data', 'fixtures/api/build/frame.bin', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ accepted: true, retval: 2 });
  });

  it('refuses xdp_bad, naming the error and what was judged', () => {
    const r = bpfkit(['run', OBJ, '--program', 'xdp_bad', '--data', 'fixtures/api/build/frame.bin']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('verdicts.c:38');
    expect(r.stderr).toContain("xdp_bad: not run: the verifier rejects it (verified 'xdp_bad'; not judged: xdp_good, xdp_entry; --no-verify runs it anyway)");
  });

  it('refuses xdp_entry because it can tail-call xdp_bad', () => {
    const r = bpfkit(['run', OBJ, '--program', 'xdp_entry', '--data', 'fixtures/api/build/frame.bin', '--json']);
    expect(r.code).toBe(1);
    const json = JSON.parse(r.stdout) as { accepted: boolean; log: string; verified: string[] };
    expect(json.accepted).toBe(false);
    expect(json.verified).toEqual(['xdp_entry', 'xdp_bad']);
    expect(json.log).toContain("it can tail-call 'xdp_bad', which the verifier rejects");
  });
});
