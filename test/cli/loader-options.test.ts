/**
 * Issue 14 on the command line: `--type TYPE` / `--type PROGRAM=TYPE` on verify, run, bench and
 * inspect; no silent pass (a program not verified or an object without programs exits 2 with
 * one line saying why); inspect names each program's and map's convention. Runs the built CLI.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'src', 'cli.js');
const exec = promisify(execFile);
const obj = (name: string): string => join('fixtures', 'loader', 'build', `${name}.o`);

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await exec('node', [CLI, ...args], { cwd: ROOT });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}

/** A copy of an object whose code sections are no longer executable: an object without programs. */
function withoutCode(src: string): string {
  const b = new Uint8Array(readFileSync(join(ROOT, src)));
  const dv = new DataView(b.buffer);
  const shoff = Number(dv.getBigUint64(40, true));
  const shnum = dv.getUint16(60, true);
  for (let i = 0; i < shnum; i++) {
    const at = shoff + i * 64 + 8;
    dv.setBigUint64(at, dv.getBigUint64(at, true) & ~4n, true);
  }
  const out = join(mkdtempSync(join(tmpdir(), 'bpfkit-noprog-')), 'noprog.o');
  writeFileSync(out, b);
  return out;
}

describe('verify: no silent pass', () => {
  it('a section that names no type: NOT VERIFIED, naming the section and the option; exit 2', async () => {
    const r = await cli('verify', obj('bpf_load'));
    expect(r.code).toBe(2);
    expect(r.stdout).toContain("do_len_hist (len_hist): NOT VERIFIED: section 'len_hist' names no program type: give one with --type TYPE or --type do_len_hist=TYPE");
    expect(r.stdout).toMatch(/^ok {2}bpf_prog1 \(socket1\)/m);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^program 'do_len_hist' not verified: section 'len_hist' names no program type/);
  });

  it('--type PROGRAM=TYPE gives the type: every program verified, exit 0', async () => {
    const r = await cli('verify', obj('bpf_load'), '--type', 'do_len_hist=socket_filter');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ok {2}do_len_hist \(len_hist\)/m);
  });

  it('--type TYPE types every program whose section names none', async () => {
    const r = await cli('verify', obj('text_only'), '--type', 'socket_filter');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ok {2}first \(\.text\)/m);
    expect(r.stdout).toMatch(/^ok {2}second \(\.text\)/m);
  });

  it('--json: a program not verified keeps name and section, with verified: false and the reason', async () => {
    const r = await cli('verify', obj('undefined_call'), '--json');
    expect(r.code).toBe(2);
    const json = JSON.parse(r.stdout) as { programs: Array<Record<string, unknown>> };
    expect(json.programs.find((p) => p.name === 'self_contained')).toMatchObject({ accepted: true });
    expect(json.programs.find((p) => p.name === 'uses_undefined')).toEqual({
      name: 'uses_undefined',
      section: 'xdp',
      accepted: false,
      verified: false,
      reason: "cannot be linked: call of undefined function 'checksum_fold'",
    });
  });

  it('an object without programs exits 2 with one line', async () => {
    const path = withoutCode(obj('iproute2'));
    for (const json of [[], ['--json']]) {
      const r = await cli('verify', path, ...json);
      expect(r.code).toBe(2);
      const line = `${path}: no program found (no code section with instructions)`;
      // under --json every outcome is JSON, errors included
      if (json.length > 0) expect(JSON.parse(r.stdout)).toEqual({ error: { code: 'USAGE', message: line } });
      else expect(r.stdout).toBe('');
      if (json.length === 0) expect(r.stderr).toBe(`${line}\n`);
    }
  });

  it('bad --type values: exit 2, one line', async () => {
    const rows: Array<[string[], RegExp]> = [
      [['--type', 'tc'], /unknown program type 'tc' \(one of: socket_filter, kprobe, sched_cls, /],
      [['--type', 'nosuch=xdp'], /--type nosuch=xdp: no program named 'nosuch' \(programs: first, second\)/],
      [['--type', '=xdp'], /--type =xdp: expected TYPE or PROGRAM=TYPE/],
      [['--type', 'xdp', '--type', 'sched_cls'], /a default type already has type xdp/],
    ];
    for (const [args, says] of rows) {
      const r = await cli('verify', obj('text_only'), ...args);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(says);
    }
  });
});

describe('run, bench and inspect take the same options', () => {
  it('run: a program without a type exits 2 saying so; with --type it runs', async () => {
    const no = await cli('run', obj('text_only'), '--program', 'second', '--data', 'fixtures/kernel-cases/packets/ipv4_udp.bin');
    expect(no.code).toBe(2);
    expect(no.stderr).toMatch(/program 'second' not verified: section '\.text' names no program type/);
    const yes = await cli('run', obj('text_only'), '--program', 'second', '--type', 'socket_filter', '--data', 'fixtures/kernel-cases/packets/ipv4_udp.bin', '--json');
    expect(yes.code).toBe(0);
    expect(JSON.parse(yes.stdout)).toMatchObject({ accepted: true });
  });

  it('bench: the same refusal without a type', async () => {
    const r = await cli('bench', obj('cilium'), '--program', 'cil_from_netdev', '--ms', '1');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/program 'cil_from_netdev' not verified: section 'tc\/entry' names no program type/);
  });

  it('inspect: the loader convention of each program and map, the type given by --type', async () => {
    const r = await cli('inspect', obj('iproute2'), '--type', 'tail_zero=sched_cls', '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as { programs: Array<Record<string, unknown>>; maps: Array<Record<string, unknown>> };
    expect(j.programs.map((p) => [p.name, p.type, p.convention, p.typeSource])).toEqual([
      ['tail_zero', 'sched_cls', 'iproute2', 'option'],
      ['cls_main', 'sched_cls', 'libbpf', 'libbpf'],
      ['act_main', 'sched_act', 'libbpf', 'libbpf'],
    ]);
    expect(j.maps.map((m) => [m.name, m.convention, m.id])).toEqual([
      ['jmp_tc', 'iproute2', 1],
      ['inner_tpl', 'iproute2', 7],
      ['outer', 'iproute2', 0],
    ]);
    const text = await cli('inspect', obj('em_none'));
    expect(text.stdout).toMatch(/^note: e_machine 0 \(EM_NONE\)/m);
    expect(text.stdout).toMatch(/^ {2}bpf_prog1 +socket1 +socket_filter +old-clang|^ {2}bpf_prog1 +socket1 +socket_filter +libbpf/m);
  });

  it('--kconfig supplies .kconfig values', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bpfkit-kconfig-'));
    writeFileSync(join(dir, 'config'), 'CONFIG_HZ=1000\n');
    const without = await cli('verify', obj('externs'), '--program', 'kconfig_only');
    expect(without.code).toBe(2);
    expect(without.stderr).toMatch(/extern 'CONFIG_HZ' \(\.kconfig\): no value; give the kernel config with --kconfig FILE/);
    const r = await cli('verify', obj('externs'), '--program', 'kconfig_only', '--kconfig', join(dir, 'config'));
    expect(r.code).toBe(0);
  });
});
