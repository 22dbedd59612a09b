/**
 * `bpfkit bench`'s interface (figures are timing, never checked here): per-call and steady-state
 * figures side by side with set-up apart, fresh state per call by default (--reset) or carried
 * over (--no-reset), the steady-state retval, a profile of the runs timed, and --json.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'src', 'cli.js');
const OBJ = 'fixtures/build/xdp_counter.o';
const PACKET = 'fixtures/kernel-cases/packets/ipv4_udp.bin';

function bench(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, 'bench', OBJ, '--data', PACKET, '--ms', '40', ...args], { cwd: ROOT, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface Json {
  program: string;
  reset: boolean;
  results: Array<Record<string, number | string | boolean>>;
  profile?: { runs: number; lines: unknown[] };
}

describe.skipIf(!existsSync(CLI))('bpfkit bench', () => {
  it('--json: both engines, per call (engine and set-up apart) and steady state, fresh state by default', () => {
    const r = bench('--json');
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as Json;
    expect(j.program).toBe('xdp_counter');
    expect(j.reset).toBe(true);
    expect(j.results.map((x) => x['engine'])).toEqual(['interp', 'jit']);
    for (const x of j.results) {
      for (const k of ['perCallNs', 'execNsPerCall', 'setupNsPerCall', 'nsPerRun', 'instructionsPerRun', 'calls', 'runs']) {
        expect(typeof x[k], k).toBe('number');
      }
      expect(x['perCallNs']).toBeCloseTo((x['execNsPerCall'] as number) + (x['setupNsPerCall'] as number), 3);
      expect(x['reset']).toBe(true);
    }
    // Same program, same packet, fresh state: both engines return the same values.
    expect(j.results[0]!['retval']).toBe(j.results[1]!['retval']);
    expect(j.results[0]!['firstRetval']).toBe(j.results[1]!['firstRetval']);
    expect(typeof j.results[1]!['compileMs']).toBe('number');
  });

  it('--no-reset carries state over; --profile profiles the runs it timed', () => {
    const r = bench('--json', '--no-reset', '--engine', 'interp', '--profile');
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as Json;
    expect(j.reset).toBe(false);
    expect(j.results).toHaveLength(1);
    expect(j.profile!.runs).toBeGreaterThan(0);
    expect(j.profile!.lines.length).toBeGreaterThan(0);
  });

  it('prints the table with the steady-state retval', () => {
    const r = bench('--engine', 'interp');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^xdp_counter: retval \d+ in steady state/);
    expect(r.stdout).toMatch(/per call +engine +set-up +steady\/run/);
  });
});
