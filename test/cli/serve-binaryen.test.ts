// The published package leaves dist/web/binaryen.js out (binaryen is an optional dependency):
// `bpfkit serve` then serves the installed binaryen's module at /binaryen.js, where the
// playground's JIT chunk imports it from.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { binaryenMount, resolveRequest } from '../../src/commands/serve.js';

const web = mkdtempSync(join(tmpdir(), 'bpfkit-web-'));
writeFileSync(join(web, 'index.html'), '<!doctype html>');
afterAll(() => rmSync(web, { recursive: true, force: true }));

describe('serve without a binaryen.js copy', () => {
  it('serves the installed binaryen at /binaryen.js and nothing else from it', () => {
    const mounts = [{ prefix: '/', dir: web }, ...binaryenMount(web)];
    expect(resolveRequest(mounts, '/binaryen.js')).toBe(createRequire(import.meta.url).resolve('binaryen'));
    expect(resolveRequest(mounts, '/')).toBe(join(web, 'index.html'));
    expect(resolveRequest(mounts, '/binaryen.js/../package.json')).toBeUndefined();
    expect(resolveRequest(mounts, '/index.d.ts')).toBeUndefined();
  });

  it('keeps a copy that is there', () => {
    writeFileSync(join(web, 'binaryen.js'), '// copy');
    expect(binaryenMount(web)).toEqual([]);
  });
});
