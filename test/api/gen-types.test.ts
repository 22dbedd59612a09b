// `bpfkit gen types`: the committed generated file is what the generator writes today, it
// type-checks under strict tsc together with the test that uses it (typed.test.ts, whose
// @ts-expect-error lines must stay errors), and the CLI writes it to a file.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateTypes, loadObjectModel } from '../../src/index.js';
import { bpfkit, BUILT, ROOT } from '../cli/support.js';

const OBJ = 'fixtures/api/build/typed.o';
const GENERATED = 'test/api/generated/typed.bpf.ts';
const fresh = (): string => generateTypes(loadObjectModel(new Uint8Array(readFileSync(join(ROOT, OBJ)))), { importFrom: '../../../dist/src/node.js', source: 'typed.o' });

describe('bpfkit gen types', () => {
  it(`${GENERATED} is up to date (regenerate: bpfkit gen types ${OBJ} --import-from ../../../dist/src/node.js -o ${GENERATED})`, () => {
    expect(readFileSync(join(ROOT, GENERATED), 'utf8')).toBe(fresh());
  });

  it('types every map, the global data, the record struct and the enum', () => {
    const text = fresh();
    expect(text).toContain('flows: BpfkitMap<FlowKey, FlowStats>;');
    expect(text).toContain('cpu_packets: BpfkitMap<number, bigint>;');
    expect(text).toContain('bss: BpfkitMap<number, BssSection>;');
    expect(text).toMatch(/export interface FlowStats \{\n  packets: bigint;\n  bytes: bigint;\n  last: Verdict;\n  sizes: number\[\];\n  tag: string;\n  len: \{\n    min: number;\n    max: number;\n  \};\n\}/);
    expect(text).toMatch(/export interface Event \{\n  ts: bigint;\n  len: number;\n  verdict: Verdict;\n  comm: string;\n  mac: number\[\];\n\}/);
    expect(text).toContain('export const Verdict = {\n  VERDICT_PASS: 1,\n  VERDICT_DROP: 2,\n  VERDICT_LIMIT: 3,\n} as const;');
  });

  it.skipIf(!BUILT)('the generated file and its use compile under tsc --strict --noEmit', () => {
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const r = spawnSync(
      process.execPath,
      [tsc, '--noEmit', '--strict', '--skipLibCheck', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--types', 'node', 'test/api/typed.test.ts'],
      { cwd: ROOT, encoding: 'utf8' },
    );
    expect(`${r.stdout}${r.stderr}`).toBe('');
    expect(r.status).toBe(0);
  }, 120_000);

  it.skipIf(!BUILT)('the CLI writes the file with -o, and refuses an object it cannot read', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bpfkit-gen-'));
    try {
      const out = join(dir, 'typed.ts');
      const r = bpfkit(['gen', 'types', OBJ, '-o', out]);
      expect(r).toMatchObject({ code: 0, stdout: '', stderr: '' });
      expect(readFileSync(out, 'utf8')).toContain("from 'bpfkit';");
      expect(bpfkit(['gen', 'types', 'no/such.o'])).toMatchObject({ code: 2, stderr: 'cannot read no/such.o: no such file\n' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
