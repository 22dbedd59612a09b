/**
 * The CLI as users meet it: exit codes, one-line errors, no stack traces. Runs the built CLI
 * (`npm test` builds first).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'src', 'cli.js');

export function bpfkit(args: string[], input?: string): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, input, encoding: 'utf8' });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const built = existsSync(CLI);

describe.skipIf(!built)('bpfkit CLI', () => {
  it('asm prints the program as hex, and names the line of an error', () => {
    expect(bpfkit(['asm', '-'], 'mov %r0, 1\nexit\n')).toMatchObject({ code: 0, stdout: 'b7000000010000009500000000000000\n' });
    const bad = bpfkit(['asm', '-'], 'mov %r0, 1\nfrob %r1\n');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe('line 2: Invalid mnemonic: frob\n');
  });

  it('plugin runs a program on memory and prints r0 in hex', () => {
    expect(bpfkit(['plugin', '0a0b0c0d'], 'b70000000100000061100000000000009500000000000000')).toMatchObject({ code: 0, stdout: 'd0c0b0a\n' });
    const bad = bpfkit(['plugin'], '7101000000000000 9500000000000000');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^pc 0: invalid memory access: read of 1 byte at 0x0 is outside every region \(null pointer\)\n$/);
  });

  it('inspect and disasm read a fixture', () => {
    const i = bpfkit(['inspect', 'fixtures/build/xdp_counter.o', '--json']);
    expect(i.code).toBe(0);
    const report = JSON.parse(i.stdout) as { programs: Array<{ name: string }>; maps: Array<{ name: string }> };
    expect(report.programs.map((p) => p.name)).toEqual(['xdp_counter']);
    expect(report.maps.map((m) => m.name)).toEqual(['proto_stats', '.bss']);
    const d = bpfkit(['disasm', 'fixtures/build/xdp_counter.o', '--program', 'xdp_counter']);
    expect(d.code).toBe(0);
    expect(d.stdout).toContain('; \tif (eth->h_proto != bpf_htons(ETH_P_IP)) {');
    expect(d.stdout).toContain('r2 = map[.bss] + 0x0 ll');
  });

  it.each([
    [['inspect', 'README.md'], 2, /^README\.md: not an ELF file/],
    [['inspect', 'no/such/file.o'], 2, /^cannot read no\/such\/file\.o: no such file$/m],
    [['disasm', 'fixtures/build/xdp_counter.o', '--program', 'nope'], 2, /no program named 'nope' \(programs: xdp_counter\)/],
    [['frobnicate'], 2, /unknown command/],
    [['inspect'], 2, /missing required argument/],
    [['asm', 'no/such/file.s'], 2, /^cannot read/],
  ])('bpfkit %j exits %i with a one-line message', (args, code, message) => {
    const r = bpfkit(args);
    expect(r.code).toBe(code);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
