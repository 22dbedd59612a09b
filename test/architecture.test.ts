/**
 * The import rules of the architecture, held by a test so they survive: stages depend downwards
 * only, the two engines share helpers and never each other, the verifier never sees an engine, and
 * the core stays free of Node-only modules so it runs in a browser.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, dirname, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '..', 'src');

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.ts') ? [p] : [];
  });
}

interface Edge {
  from: string;
  to: string;
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

function edges(): Edge[] {
  const out: Edge[] = [];
  for (const file of walk(SRC)) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(IMPORT)) {
      const spec = m[1] ?? m[2]!;
      const from = relative(SRC, file);
      const to = spec.startsWith('.') ? relative(SRC, resolve(dirname(file), spec)).replace(/\.js$/, '.ts') : spec;
      out.push({ from, to });
    }
  }
  return out;
}

const stage = (p: string): string => (p.includes('/') ? p.split('/')[0]! : p);
const ALL = edges();

/** stage → stages it must never import. */
const FORBIDDEN: Record<string, string[]> = {
  isa: ['elf', 'btf', 'loader', 'verifier', 'helpers', 'vm', 'jit', 'run', 'commands', 'api'],
  elf: ['loader', 'verifier', 'helpers', 'vm', 'jit', 'run', 'commands'],
  btf: ['loader', 'verifier', 'helpers', 'vm', 'jit', 'run', 'commands'],
  loader: ['verifier', 'helpers', 'vm', 'jit', 'run', 'commands'],
  verifier: ['vm', 'jit', 'run', 'commands'],
  helpers: ['verifier', 'vm', 'jit', 'run', 'commands'],
  vm: ['verifier', 'jit', 'run', 'commands'],
  jit: ['verifier', 'vm', 'run', 'commands'],
  run: ['commands'],
  api: ['commands'],
  observe: ['verifier', 'jit', 'run', 'commands'],
  packets: ['isa', 'elf', 'btf', 'loader', 'verifier', 'helpers', 'vm', 'jit', 'run', 'commands'],
};

/** Kernel ABI data (helper ids and prototypes) that any stage may read. */
const SHARED_DATA = new Set(['helpers/helper-ids.ts', 'helpers/prototypes.ts']);

/** Folders that must run in a browser: no Node built-ins. */
const BROWSER_SAFE = ['api', 'observe', 'packets', 'isa', 'elf', 'btf', 'loader', 'verifier', 'helpers', 'vm', 'jit', 'run', 'errors.ts', 'index.ts'];
const NODE_ONLY = /^(node:|fs$|path$|os$|child_process$|url$|module$|worker_threads$)/;

describe('architecture: import rules', () => {
  it('finds the source tree', () => {
    expect(ALL.length).toBeGreaterThan(20);
  });

  for (const [from, banned] of Object.entries(FORBIDDEN)) {
    it(`${from}/ imports none of ${banned.join(', ')}`, () => {
      const bad = ALL.filter((e) => stage(e.from) === from && banned.includes(stage(e.to)) && !SHARED_DATA.has(e.to));
      expect(bad.map((e) => `${e.from} -> ${e.to}`)).toEqual([]);
    });
  }

  it('only the CLI imports src/commands', () => {
    const bad = ALL.filter((e) => stage(e.to) === 'commands' && stage(e.from) !== 'commands' && e.from !== 'cli.ts');
    expect(bad.map((e) => `${e.from} -> ${e.to}`)).toEqual([]);
  });

  it('the core has no Node-only imports (it runs in browsers)', () => {
    const bad = ALL.filter((e) => BROWSER_SAFE.includes(stage(e.from)) && NODE_ONLY.test(e.to));
    expect(bad.map((e) => `${e.from} -> ${e.to}`)).toEqual([]);
  });
});
