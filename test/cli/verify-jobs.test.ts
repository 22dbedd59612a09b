/** `bpfkit verify --jobs N`: objects verified in worker threads print exactly what one thread prints, in the order given. */
import { describe, expect, it } from 'vitest';
import { BUILT, bpfkit } from './support.js';

// Accepted, rejected, not verified (no program) and unreadable objects, mixed.
const OBJECTS = [
  'fixtures/build/xdp_counter.o',
  'fixtures/build/core_target_missing.o',
  'fixtures/kernel-cases/build/maps_hash.o',
  'fixtures/build/does-not-exist.o',
  'fixtures/build/xdp_counter.eb.o',
  'fixtures/kernel-cases/build/maps_array.o',
];
// Verification times differ between runs.
const noTimes = (s: string): string => s.replace(/, [0-9.]+ ms/g, '').replace(/"ms":[0-9.e+-]+/g, '"ms":0');

describe.skipIf(!BUILT)('verify --jobs', () => {
  it('prints the same report, in the same order, with the same exit code as one thread', () => {
    const one = bpfkit(['verify', '--jobs', '1', ...OBJECTS]);
    const three = bpfkit(['verify', '--jobs', '3', ...OBJECTS]);
    expect(three.code).toBe(one.code);
    expect(noTimes(three.stdout)).toBe(noTimes(one.stdout));
    expect(three.stderr).toBe(one.stderr);
    // Every object is there, in the order given.
    const headers = one.stdout.split('\n').filter((l) => l.endsWith('.o:'));
    expect(headers).toEqual(OBJECTS.filter((o) => !o.includes('does-not-exist') && !o.includes('missing')).map((o) => `${o}:`));
  });

  it('--json: the same document', () => {
    const one = bpfkit(['verify', '--json', '--jobs', '1', ...OBJECTS]);
    const two = bpfkit(['verify', '--json', '--jobs', '2', ...OBJECTS]);
    expect(two.code).toBe(one.code);
    expect(noTimes(two.stdout)).toBe(noTimes(one.stdout));
    const doc = JSON.parse(one.stdout) as { programs: Array<{ object: string }>; errors: unknown[] };
    expect(doc.programs.length).toBeGreaterThan(3);
    // The missing file and the object without programs.
    expect(doc.errors).toHaveLength(2);
  });

  it('the default (one thread per core) agrees too', () => {
    const one = bpfkit(['verify', '--jobs', '1', ...OBJECTS.slice(0, 3)]);
    const all = bpfkit(['verify', ...OBJECTS.slice(0, 3)]);
    expect(all.code).toBe(one.code);
    expect(noTimes(all.stdout)).toBe(noTimes(one.stdout));
  });

  it('refuses a --jobs that is not a positive whole number: one line, exit 2', () => {
    for (const bad of ['0', '-1', '1.5', 'many']) {
      const r = bpfkit(['verify', '--jobs', bad, ...OBJECTS.slice(0, 2)]);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain('--jobs');
    }
  });
});
