#!/usr/bin/env node
/**
 * Browser build: the core API as one ES module (dist/browser/bpfkit.js) and the playground
 * (dist/web: index.html, style.css, app.js and the example objects).
 *
 * The JIT loads binaryen (a 15 MB Emscripten module with a top-level await) through a dynamic
 * import, so both builds use code splitting: the JIT lands in its own chunk, fetched only when a
 * page calls `loadJit()`, and it imports binaryen's own ES module, copied as is next to it
 * (binaryen.js). Bundling binaryen instead would work too, but re-parsing and minifying 15 MB of
 * already minified code made the build four times slower. binaryen's `import("node:module")` sits
 * behind a Node check and never runs in a browser.
 *
 * Usage: node scripts/build-browser.mjs [--no-typecheck]
 * The playground's TypeScript is type-checked against dist/src/*.d.ts (`tsc` runs first in
 * `npm run build`), which takes a couple of seconds instead of re-checking all of src/.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = join(ROOT, 'dist');
const typecheck = !process.argv.includes('--no-typecheck');
const started = Date.now();

/** Options both bundles share. */
const common = {
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  splitting: true,
  plugins: [binaryenAsSibling()],
  minify: true,
  sourcemap: 'linked',
  // Chunks sit next to the entry, so the JIT chunk's `import './binaryen.js'` finds the copy.
  chunkNames: '[name]-[hash]',
  metafile: true,
  logLevel: 'warning',
  legalComments: 'inline',
};

/** Resolves `binaryen` to the sibling file `./binaryen.js`, left external (see the header). */
function binaryenAsSibling() {
  return {
    name: 'binaryen-as-sibling',
    setup(build) {
      build.onResolve({ filter: /^binaryen$/ }, () => ({ path: './binaryen.js', external: true }));
    },
  };
}

const BINARYEN = join(ROOT, 'node_modules', 'binaryen', 'index.js');

/** Runs `tsc -p web/tsconfig.json` (no emit); resolves with its exit code. */
function typecheckWeb() {
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  if (!existsSync(join(DIST, 'src', 'index.d.ts'))) {
    console.warn('build-browser: dist/src/index.d.ts is missing (run tsc first); skipping the playground type check');
    return Promise.resolve(0);
  }
  return new Promise((done) => {
    const child = spawn(process.execPath, [tsc, '-p', join(ROOT, 'web', 'tsconfig.json')], { stdio: 'inherit' });
    child.on('close', (code) => done(code ?? 1));
  });
}

/** Copies the examples listed in web/examples.json and writes their index for the page. */
function copyExamples(outDir) {
  const list = JSON.parse(readFileSync(join(ROOT, 'web', 'examples.json'), 'utf8'));
  mkdirSync(outDir, { recursive: true });
  const seen = new Set();
  const index = list.map((ex) => {
    const name = basename(ex.file);
    if (seen.has(name)) throw new Error(`web/examples.json: two examples named ${name}`);
    seen.add(name);
    copyFileSync(join(ROOT, ex.file), join(outDir, name));
    return { ...ex, file: name };
  });
  writeFileSync(join(outDir, 'index.json'), `${JSON.stringify(index, null, 2)}\n`);
}

const kb = (n) => `${(n / 1024).toFixed(0)} KiB`;

function report(metafile) {
  for (const [file, out] of Object.entries(metafile.outputs)) {
    if (file.endsWith('.map')) continue;
    console.log(`  ${relative(ROOT, file).padEnd(48)} ${kb(out.bytes).padStart(10)}`);
  }
}

async function main() {
  const checking = typecheck ? typecheckWeb() : Promise.resolve(0);
  rmSync(join(DIST, 'browser'), { recursive: true, force: true });
  rmSync(join(DIST, 'web'), { recursive: true, force: true });
  const [lib, web] = await Promise.all([
    esbuild.build({ ...common, entryPoints: { bpfkit: join(ROOT, 'src', 'index.ts') }, outdir: join(DIST, 'browser') }),
    esbuild.build({
      ...common,
      entryPoints: { app: join(ROOT, 'web', 'app.ts') },
      outdir: join(DIST, 'web'),
      // The playground imports the package as users do; bundle it from source.
      alias: { 'bpfkit/core': join(ROOT, 'src', 'index.ts') },
    }),
  ]);
  // binaryen is an optional dependency: without it the bundles build, and only the JIT is missing.
  const haveBinaryen = existsSync(BINARYEN);
  if (haveBinaryen) for (const dir of ['browser', 'web']) copyFileSync(BINARYEN, join(DIST, dir, 'binaryen.js'));
  else console.warn('build-browser: binaryen is not installed; the bundles are built without binaryen.js (no JIT in the browser)');
  for (const f of ['index.html', 'style.css']) copyFileSync(join(ROOT, 'web', f), join(DIST, 'web', f));
  copyExamples(join(DIST, 'web', 'examples'));
  console.log('browser build:');
  report(lib.metafile);
  report(web.metafile);
  if (haveBinaryen) console.log(`  ${'dist/{browser,web}/binaryen.js (copied)'.padEnd(48)} ${kb(statSync(BINARYEN).size).padStart(10)}`);
  const code = await checking;
  if (code !== 0) {
    console.error('build-browser: the playground does not type-check');
    process.exit(code);
  }
  console.log(`browser build done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
