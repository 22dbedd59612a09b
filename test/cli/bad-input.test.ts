/**
 * The CLI on bad input (issue #9, part 3), table-driven: malformed objects, missing files, unknown
 * programs, options and commands, bad option values, empty packets. Each exits 2 (or 1 for a
 * program that is rejected or faults) with a one-line message on stderr and no stack trace.
 * Runs the built CLI (`npm test` builds first).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'src', 'cli.js');
const run = promisify(execFile);

const T = mkdtempSync(join(tmpdir(), 'bpfkit-bad-input-'));
const OBJ = 'fixtures/build/xdp_counter.o';
const MULTI = 'fixtures/build/multi.o';
const PKT = 'fixtures/kernel-cases/packets/ipv4_udp.bin';
const FAULTS = 'fixtures/kernel-cases/build/faults.o';
const good = readFileSync(join(ROOT, OBJ));
writeFileSync(join(T, 'empty.bin'), new Uint8Array());
writeFileSync(join(T, 'trunc.o'), good.subarray(0, 500));
writeFileSync(join(T, 'header-only.o'), good.subarray(0, 64));
writeFileSync(join(T, 'random.o'), Uint8Array.from({ length: 3000 }, (_, i) => (i * 7919 + 13) & 0xff));
const flipped = new Uint8Array(good);
new DataView(flipped.buffer).setBigUint64(0x28, 0xffffffffffffffffn, true); // e_shoff at the extreme
writeFileSync(join(T, 'shoff.o'), flipped);
writeFileSync(join(T, 'short.bin'), new Uint8Array(13));
const t = (f: string): string => join(T, f);

interface Row {
  args: string[];
  code: 1 | 2;
  /** What the message must say. */
  says: RegExp;
  /** stderr may hold a multi-line verifier report (rejected programs) rather than one line. */
  report?: boolean;
}

const table: Row[] = [
  // malformed objects, through each command that reads one
  { args: ['inspect', t('empty.bin')], code: 2, says: /not an ELF file/ },
  { args: ['inspect', t('random.o')], code: 2, says: /not an ELF file/ },
  { args: ['disasm', t('trunc.o')], code: 2, says: /past end of file/ },
  { args: ['verify', t('header-only.o')], code: 2, says: /\S/ },
  { args: ['run', t('shoff.o'), '--data', PKT], code: 2, says: /e_shoff/ },
  { args: ['verify', OBJ, '--btf', t('random.o')], code: 2, says: /BTF/ },
  // missing files and directories
  { args: ['inspect', t('missing.o')], code: 2, says: /cannot read .*no such file/ },
  { args: ['verify', 'fixtures/build'], code: 2, says: /cannot read .*EISDIR/ },
  { args: ['run', OBJ, '--data', t('missing.bin')], code: 2, says: /cannot read .*no such file/ },
  { args: ['run', MULTI, '--program', 'tp_openat', '--ctx', t('missing.bin')], code: 2, says: /cannot read/ },
  { args: ['asm', t('missing.s')], code: 2, says: /cannot read/ },
  // unknown program names
  { args: ['verify', OBJ, '--program', 'nope'], code: 2, says: /no program named 'nope' \(programs: xdp_counter\)/ },
  { args: ['run', OBJ, '--program', 'nope', '--data', PKT], code: 2, says: /no program named 'nope'/ },
  { args: ['disasm', OBJ, '--program', 'nope'], code: 2, says: /no program/ },
  { args: ['run', MULTI, '--data', PKT], code: 2, says: /say which program/ },
  // unknown options and commands, bad option values
  { args: ['verify', OBJ, '--frobnicate'], code: 2, says: /unknown option '--frobnicate'/ },
  { args: ['frobnicate'], code: 2, says: /unknown command/ },
  { args: ['verify'], code: 2, says: /missing required argument/ },
  { args: ['run', OBJ, '--data', PKT, '--engine', 'bogus'], code: 2, says: /Allowed choices are interp, jit/ },
  { args: ['run', OBJ, '--data', PKT, '--budget', 'abc'], code: 2, says: /--budget must be an integer/ },
  { args: ['run', OBJ, '--data', PKT, '--budget', '-5'], code: 2, says: /--budget must be an integer/ },
  { args: ['run', OBJ, '--data', PKT, '--repeat', '0'], code: 2, says: /--repeat must be an integer/ },
  { args: ['run', OBJ, '--data', PKT, '--cpu', '99'], code: 2, says: /not one of the 2 CPUs/ },
  { args: ['run', MULTI, '--program', 'kp_unlink', '--arg', 'zz'], code: 2, says: /not an integer/ },
  // empty and short packets, no packet at all
  { args: ['run', OBJ, '--data', t('empty.bin')], code: 2, says: /0-byte frame is shorter than an Ethernet header/ },
  { args: ['run', OBJ, '--data', t('short.bin')], code: 2, says: /13-byte frame/ },
  { args: ['run', OBJ], code: 2, says: /runs on a packet: give one/ },
  { args: ['run', MULTI, '--program', 'tc_ok', '--data', t('empty.bin')], code: 2, says: /test run refuses/ },
  // rejected and faulting programs: exit 1
  { args: ['run', FAULTS, '--program', 'past_end', '--data', PKT], code: 1, says: /REJECTED/, report: true },
  { args: ['run', FAULTS, '--program', 'past_end', '--data', PKT, '--no-verify'], code: 1, says: /^pc 1: invalid memory access/ },
  { args: ['run', FAULTS, '--program', 'long_loop', '--data', PKT, '--no-verify', '--budget', '1000'], code: 1, says: /instruction budget of 1000 exhausted/ },
  { args: ['run', FAULTS, '--program', 'long_loop', '--data', PKT, '--no-verify', '--budget', '1000', '--engine', 'jit'], code: 1, says: /instruction budget of 1000 exhausted/ },
  // --debug is accepted anywhere and changes nothing for bpfkit's own errors
  { args: ['--debug', 'inspect', t('random.o')], code: 2, says: /not an ELF file/ },
  { args: ['inspect', t('random.o'), '--debug'], code: 2, says: /not an ELF file/ },
];

async function bpfkit(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code?: number | string; stdout?: string; stderr?: string };
    return { code: typeof x.code === 'number' ? x.code : -1, stdout: x.stdout ?? '', stderr: x.stderr ?? '' };
  }
}

describe.skipIf(!existsSync(CLI))('CLI on bad input', () => {
  it('each row exits with its code and a one-line message, never a stack trace', async () => {
    // Spawned a few at a time: each is a separate Node process.
    const results: Array<{ row: Row; out: Awaited<ReturnType<typeof bpfkit>> }> = [];
    for (let i = 0; i < table.length; i += 4) {
      const batch = table.slice(i, i + 4);
      results.push(...(await Promise.all(batch.map(async (row) => ({ row, out: await bpfkit(row.args) })))));
    }
    const problems: string[] = [];
    for (const { row, out } of results) {
      const label = `bpfkit ${row.args.join(' ')}`;
      const text = row.report ? out.stdout + out.stderr : out.stderr;
      if (out.code !== row.code) problems.push(`${label}: exit ${out.code}, expected ${row.code} (stderr: ${out.stderr.trim()})`);
      if (!row.says.test(text)) problems.push(`${label}: message ${JSON.stringify(text)} does not match ${row.says}`);
      if (/\n\s+at /.test(out.stderr) || /\.(ts|js):\d+:\d+\)?$/m.test(out.stderr)) problems.push(`${label}: stack trace on stderr`);
      if (!row.report && !/^[^\n]+\n$/.test(out.stderr)) problems.push(`${label}: stderr is not one line: ${JSON.stringify(out.stderr)}`);
    }
    expect(problems).toEqual([]);
  }, 180_000);
});
