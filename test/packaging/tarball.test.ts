/**
 * The published shape of bpfkit, as a new user gets it: `npm pack` of the built package, installed
 * offline into an empty project WITHOUT the optional binaryen (a verify/interpreter-only install),
 * then the README's example run there as ES module and as CommonJS, the README's example
 * type-checked against the installed declarations, and the `bpfkit` bin run through npx.
 *
 * Offline: the only dependency left, commander, is handed to npm as a tarball packed from this
 * checkout's node_modules, so the install needs neither the registry nor npm's cache.
 */
import { execFileSync, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..', '..');
const NPM_ENV = { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false', npm_config_loglevel: 'error' };

function sh(cmd: string, args: string[], cwd: string): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { cwd, encoding: 'utf8', env: NPM_ENV, timeout: 120_000 });
}

function must(r: SpawnSyncReturns<string>, what: string): string {
  if (r.status !== 0) throw new Error(`${what} failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** Bytes under `dir`, following no links (what `du` counts, near enough). */
function treeSize(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) total += treeSize(p);
    else if (e.isFile()) total += statSync(p).size;
  }
  return total;
}

/** The README's TypeScript example (the first ```ts block), as a user would paste it. */
function readmeExample(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const m = /```ts\n([\s\S]*?)```/.exec(readme);
  if (m === null) throw new Error('README.md has no ```ts example');
  return m[1]!;
}

/** A dozen lines of describe/it/expect, so the example runs under plain node in the scratch project. */
const HARNESS = `
const { isDeepStrictEqual, inspect } = require('node:util');
let failed = 0, passed = 0;
const expect = (actual) => ({
  toBe: (e) => { if (!Object.is(actual, e)) throw new Error('expected ' + inspect(actual) + ' to be ' + inspect(e)); },
  toEqual: (e) => { if (!isDeepStrictEqual(actual, e)) throw new Error('expected ' + inspect(actual) + ' to equal ' + inspect(e)); },
  toBeUndefined: () => { if (actual !== undefined) throw new Error('expected undefined, got ' + inspect(actual)); },
});
const describe = (name, body) => body();
const it = (name, body) => { try { body(); passed++; } catch (e) { failed++; console.error('FAIL ' + name + ': ' + e.message); } };
process.on('exit', () => { console.log(passed + ' passed, ' + failed + ' failed'); if (failed) process.exitCode = 1; });
module.exports = { describe, it, expect };
`;

/** The example compiled from TypeScript to `module` (ES module or CommonJS), vitest swapped for the harness. */
function compiled(module: ts.ModuleKind, harness: string): string {
  const source = readmeExample().replace(/from 'vitest'/, `from '${harness}'`);
  return ts.transpileModule(source, { compilerOptions: { module, target: ts.ScriptTarget.ES2022, esModuleInterop: true } }).outputText;
}

describe('the packed tarball in an empty project (verify/interpreter-only install)', () => {
  let work: string;
  let project: string;

  beforeAll(() => {
    if (!existsSync(join(ROOT, 'dist', 'src', 'node.js')) || !existsSync(join(ROOT, 'dist', 'browser', 'bpfkit.js'))) {
      execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit', env: NPM_ENV });
    }
    work = mkdtempSync(join(tmpdir(), 'bpfkit-pack-'));
    // The build ran already (`npm test` builds first): pack without running it again.
    must(sh('npm', ['pack', '--ignore-scripts', '--pack-destination', work], ROOT), 'npm pack');
    must(sh('npm', ['pack', '--ignore-scripts', '--pack-destination', work], join(ROOT, 'node_modules', 'commander')), 'npm pack commander');
    const tarballs = readdirSync(work).filter((f) => f.endsWith('.tgz'));
    const bpfkit = tarballs.find((f) => f.startsWith('bpfkit-'))!;
    const commander = tarballs.find((f) => f.startsWith('commander-'))!;
    project = join(work, 'project');
    mkdirSync(join(project, 'fixtures', 'build'), { recursive: true });
    writeFileSync(
      join(project, 'package.json'),
      JSON.stringify({ name: 'scratch', version: '1.0.0', private: true, dependencies: { commander: `file:../${commander}`, bpfkit: `file:../${bpfkit}` } }, null, 2),
    );
    must(sh('npm', ['install', '--offline', '--omit=optional', '--no-audit', '--no-fund', '--ignore-scripts'], project), 'npm install of the tarball');
    copyFileSync(join(ROOT, 'fixtures', 'build', 'xdp_counter.o'), join(project, 'fixtures', 'build', 'xdp_counter.o'));
    writeFileSync(join(project, 'harness.cjs'), HARNESS);
  }, 180_000);

  afterAll(() => {
    if (work !== undefined) rmSync(work, { recursive: true, force: true });
  });

  it('ships dist, LICENSE and the demo object, once each, without the test corpus or binaryen', () => {
    const pkg = join(project, 'node_modules', 'bpfkit');
    for (const f of ['LICENSE', 'README.md', 'package.json', 'dist/src/node.js', 'dist/src/node.d.ts', 'dist/src/cli.js', 'dist/browser/bpfkit.js', 'fixtures/build/xdp_counter.o']) {
      expect(existsSync(join(pkg, f)), f).toBe(true);
    }
    for (const f of ['test', 'fixtures/verifier', 'fixtures/kernel', 'src', 'dist/bench', 'dist/web/binaryen.js', 'dist/browser/binaryen.js']) {
      expect(existsSync(join(pkg, f)), f).toBe(false);
    }
    expect(existsSync(join(project, 'node_modules', 'binaryen'))).toBe(false);
    const size = treeSize(join(project, 'node_modules'));
    console.log(`[packaging] verify-only install: node_modules ${(size / 1e6).toFixed(1)} MB`);
    expect(size).toBeLessThan(15 * 1024 * 1024);
  });

  it('runs the README example as an ES module', () => {
    writeFileSync(join(project, 'harness.mjs'), "export const { describe, it, expect } = (await import('node:module')).createRequire(import.meta.url)('./harness.cjs');\n");
    writeFileSync(join(project, 'example.mjs'), compiled(ts.ModuleKind.ESNext, './harness.mjs'));
    const out = must(sh(process.execPath, ['example.mjs'], project), 'the ESM example');
    expect(out).toContain('2 passed, 0 failed');
  });

  it('runs the README example as CommonJS (require)', () => {
    writeFileSync(join(project, 'example.cjs'), compiled(ts.ModuleKind.CommonJS, './harness.cjs'));
    const r = sh(process.execPath, ['example.cjs'], project);
    must(r, 'the CommonJS example');
    expect(r.stdout).toContain('2 passed, 0 failed');
    expect(r.stderr).not.toMatch(/ExperimentalWarning|ERR_REQUIRE/);
  });

  it('type-checks the README example against the installed declarations', () => {
    // vitest is not installed in the scratch project: declare the three functions the example uses.
    writeFileSync(
      join(project, 'vitest.d.ts'),
      "declare module 'vitest' {\n  export function describe(name: string, body: () => void): void;\n  export function it(name: string, body: () => void): void;\n  export function expect(actual: unknown): { toBe(e: unknown): void; toEqual(e: unknown): void; toBeUndefined(): void };\n}\n",
    );
    writeFileSync(join(project, 'example.ts'), readmeExample());
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const args = [tsc, '--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--types', 'node', '--typeRoots', join(ROOT, 'node_modules', '@types'), 'example.ts', 'vitest.d.ts'];
    const r = sh(process.execPath, args, project);
    expect(`${r.stdout}${r.stderr}`).toBe('');
    expect(r.status).toBe(0);
  });

  it('runs the bin through npx, says its version, and runs the JIT without binaryen', () => {
    const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    expect(must(sh('npx', ['--offline', '--no-install', 'bpfkit', '--version'], project), 'npx bpfkit --version').trim()).toBe(version);
    const verify = sh('npx', ['--offline', '--no-install', 'bpfkit', 'verify', 'fixtures/build/xdp_counter.o'], project);
    expect(verify.status).toBe(0);
    expect(verify.stdout).toMatch(/^ok\s+xdp_counter/);
    const run = sh('npx', ['--offline', '--no-install', 'bpfkit', 'run', 'fixtures/build/xdp_counter.o', '--engine', 'jit', '--packet', 'eth/ipv4(src=10.0.0.1,dst=10.0.0.2)/udp(dport=53)'], project);
    // the JIT's own WebAssembly back end needs no binaryen: only optimize levels above 0 do
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });
});
