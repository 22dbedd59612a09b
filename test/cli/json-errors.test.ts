// Under --json every outcome is JSON, errors included: {"error":{"code","message"}} on stdout,
// with the same exit codes as without --json.
import { describe, expect, it } from 'vitest';
import { bpfkit, BUILT } from './support.js';

const cases: Array<{ args: string[]; exit: number; code: string; message: RegExp }> = [
  { args: ['verify', 'no/such.o', '--json'], exit: 2, code: 'USAGE', message: /^cannot read no\/such\.o: no such file$/ },
  { args: ['inspect', 'README.md', '--json'], exit: 2, code: 'BAD_INPUT', message: /^README\.md: / },
  { args: ['verify', '--json', '--frobnicate'], exit: 2, code: 'USAGE', message: /unknown option '--frobnicate'/ },
  { args: ['run', 'fixtures/build/xdp_counter.o', '--program', 'nope', '--json'], exit: 2, code: 'USAGE', message: /no program named 'nope'/ },
  { args: ['run', 'fixtures/api/build/frame.bin', '--json'], exit: 2, code: 'BAD_INPUT', message: /frame\.bin: / },
];

describe.skipIf(!BUILT)('--json errors', () => {
  for (const c of cases) {
    it(`bpfkit ${c.args.join(' ')} → exit ${c.exit}, {"error":{"code":"${c.code}"}}`, () => {
      const r = bpfkit(c.args);
      expect(r.code).toBe(c.exit);
      expect(r.stderr).toBe('');
      const lines = r.stdout.trim().split('\n');
      expect(lines).toHaveLength(1);
      const json = JSON.parse(lines[0]!) as { error: { code: string; message: string } };
      expect(Object.keys(json)).toEqual(['error']);
      expect(json.error.code).toBe(c.code);
      expect(json.error.message).toMatch(c.message);
    });
  }

  it('the same errors without --json are one line on stderr', () => {
    const r = bpfkit(['verify', 'no/such.o']);
    expect(r).toMatchObject({ code: 2, stdout: '', stderr: 'cannot read no/such.o: no such file\n' });
  });

  it('a batch verify reports unreadable objects inside its JSON (exit 2)', () => {
    const r = bpfkit(['verify', 'fixtures/build/xdp_counter.o', 'no/such.o', '--json']);
    expect(r.code).toBe(2);
    const json = JSON.parse(r.stdout) as { programs: unknown[]; errors: Array<{ object: string; code: string }> };
    expect(json.programs).toHaveLength(1);
    expect(json.errors).toEqual([{ object: 'no/such.o', code: 'USAGE', message: 'cannot read no/such.o: no such file' }]);
  });
});
