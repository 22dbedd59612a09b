/**
 * `bpfkit verify` as users meet it: exit codes 0/1/2, the JSON shape, the text report naming the
 * pc, source line, instruction and reason, --verbose state. Runs the built CLI.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'src', 'cli.js');

function bpfkit(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8' });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

interface JsonReport {
  programs: Array<{ name: string; section: string; accepted: boolean; errors: Array<{ pc: number; source: string | null; message: string }>; stats: { instructions: number; ms: number } }>;
}

describe.skipIf(!existsSync(CLI))('bpfkit verify', () => {
  it('exits 0 and prints the JSON shape for accepted programs', () => {
    const r = bpfkit(['verify', 'fixtures/verifier/build/accept_ringbuf.o', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as JsonReport;
    expect(j.programs).toHaveLength(1);
    expect(j.programs[0]).toMatchObject({ name: 'ringbuf_ok', section: 'xdp', accepted: true, errors: [] });
    expect(Object.keys(j.programs[0]!.stats)).toEqual(['instructions', 'ms']);
  });

  it('exits 1 on a rejection and names pc, source line, instruction and reason', () => {
    const r = bpfkit(['verify', 'fixtures/verifier/build/reject_packet_oob.o']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/REJECTED {2}packet_oob \(xdp\)/);
    expect(r.stdout).toMatch(/pc 5 \(reject_packet_oob\.c:14\): invalid packet read/);
    expect(r.stdout).toMatch(/return p\[14\] == 0x45/);
    expect(r.stdout).toMatch(/5: r1 = \*\(u8 \*\)\(r2 \+ 0x0\)/);
    const j = JSON.parse(bpfkit(['verify', 'fixtures/verifier/build/reject_packet_oob.o', '--json']).stdout) as JsonReport;
    expect(j.programs[0]!.errors[0]).toMatchObject({ pc: 5, source: 'reject_packet_oob.c:14' });
  });

  it('shows the abstract state with --verbose', () => {
    const r = bpfkit(['verify', 'fixtures/verifier/build/reject_map_null.o', '--verbose']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/\| R0=map_value_or_null\(map=counts/);
  });

  it('verifies one program with --program, exits 2 for an unknown program or unreadable input', () => {
    const one = bpfkit(['verify', 'fixtures/build/multi.o', '--program', 'xdp_pass', '--json']);
    expect(one.code).toBe(0);
    expect((JSON.parse(one.stdout) as JsonReport).programs.map((p) => p.name)).toEqual(['xdp_pass']);
    expect(bpfkit(['verify', 'fixtures/build/multi.o', '--program', 'nope']).code).toBe(2);
    const missing = bpfkit(['verify', 'no/such.o']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read no\/such\.o/);
    expect(bpfkit(['verify', 'package.json']).code).toBe(2);
  });
});
