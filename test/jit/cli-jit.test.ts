/**
 * `bpfkit plugin --engine jit`, the way the bpf_conformance runner drives it: program hex on
 * standard input, memory hex as the first argument, r0 in hex on standard output. Needs the built
 * CLI (`npm test` builds it first); without dist/ the test is skipped and says so.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assembleBytes } from '../../src/isa/asm.js';
import { parseConformanceFile } from '../../src/isa/asm-text.js';
import { toHex } from '../../src/isa/encode.js';

const REPO = join(import.meta.dirname, '..', '..');
const CLI = join(REPO, 'dist', 'src', 'cli.js');
const BUILT = existsSync(join(REPO, 'dist', 'src', 'jit', 'index.js'));
const CONFORMANCE = join(REPO, '..', 'shared', 'conformance');

function plugin(engine: string, file: string): { code: number | null; out: string; err: string } {
  const parsed = parseConformanceFile(readFileSync(join(CONFORMANCE, file), 'utf8'));
  const args = [CLI, 'plugin'];
  if (parsed.mem !== undefined && parsed.mem.length > 0) args.push(toHex(parsed.mem));
  args.push('--engine', engine);
  const r = spawnSync(process.execPath, args, { input: toHex(assembleBytes(parsed.asm ?? '')), encoding: 'utf8' });
  return { code: r.status, out: r.stdout.trim(), err: r.stderr.trim() };
}

describe.skipIf(!BUILT)('bpfkit plugin --engine jit', () => {
  if (!BUILT) console.log('skipped: dist/src/jit is missing; run `npx tsc -p .` (npm test builds first)');

  it('runs the single-instruction program from the brief', () => {
    const r = spawnSync(process.execPath, [CLI, 'plugin', '--engine', 'jit'], {
      input: 'b7000000010000009500000000000000',
      encoding: 'utf8',
    });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('1');
  });

  for (const file of ['ldxb.data', 'call_local.data', 'stack.data']) {
    it(`prints the same r0 as the interpreter for ${file}`, () => {
      const jit = plugin('jit', file);
      const expected = parseConformanceFile(readFileSync(join(CONFORMANCE, file), 'utf8')).result;
      expect(jit.code, jit.err).toBe(0);
      expect(BigInt(`0x${jit.out}`)).toBe(expected);
      expect(jit.out).toBe(plugin('interp', file).out);
    });
  }

  it("fails with the interpreter's message for a faulting program", () => {
    // A read through a null pointer: a memory fault at pc 1.
    const input = toHex(assembleBytes('mov %r1, 0\nldxdw %r0, [%r1+8]\nexit'));
    const run = (engine: string) =>
      spawnSync(process.execPath, [CLI, 'plugin', '--engine', engine], { input, encoding: 'utf8' });
    const jit = run('jit');
    const interp = run('interp');
    expect(jit.status).toBe(1);
    expect(jit.stderr).toMatch(/^pc 1: invalid memory access: read of 8 bytes at 0x8/);
    expect(jit.stderr).toBe(interp.stderr);
  });
});
