/** The static server behind `bpfkit serve` (and the browser tests): types, folders, no escapes. */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveRequest, startStaticServer, type StaticServer } from '../../src/commands/serve.js';

describe('static server', () => {
  const root = mkdtempSync(join(tmpdir(), 'bpfkit-serve-'));
  const site = join(root, 'site');
  const extra = join(root, 'extra');
  let s: StaticServer;

  beforeAll(async () => {
    mkdirSync(join(site, 'sub'), { recursive: true });
    mkdirSync(extra);
    writeFileSync(join(site, 'index.html'), '<p>hi</p>');
    writeFileSync(join(site, 'app.js'), 'export {};');
    writeFileSync(join(site, 'sub', 'x.o'), new Uint8Array([0x7f, 0x45]));
    writeFileSync(join(extra, 'a.txt'), 'extra');
    writeFileSync(join(root, 'secret.txt'), 'no');
    s = await startStaticServer([
      { prefix: '/', dir: site },
      { prefix: '/more/', dir: extra },
    ]);
  });
  afterAll(() => s.close());

  it('binds to 127.0.0.1 on a free port', () => {
    expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('serves files with their content types, index.html for folders', async () => {
    const page = await fetch(`${s.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await page.text()).toBe('<p>hi</p>');
    expect((await fetch(`${s.url}/app.js`)).headers.get('content-type')).toMatch(/^text\/javascript/);
    const obj = await fetch(`${s.url}/sub/x.o`);
    expect(obj.headers.get('content-type')).toBe('application/octet-stream');
    expect(new Uint8Array(await obj.arrayBuffer())).toEqual(new Uint8Array([0x7f, 0x45]));
    expect(await (await fetch(`${s.url}/more/a.txt`)).text()).toBe('extra');
  });

  it('answers 404 outside its folders and 405 to writes', async () => {
    expect((await fetch(`${s.url}/missing.js`)).status).toBe(404);
    expect((await fetch(`${s.url}/%2e%2e/secret.txt`)).status).toBe(404);
    expect((await fetch(`${s.url}/more/..%2fsecret.txt`)).status).toBe(404);
    expect((await fetch(`${s.url}/`, { method: 'POST' })).status).toBe(405);
    expect(resolveRequest([{ prefix: '/', dir: site }], '/../secret.txt')).toBeUndefined();
    expect(resolveRequest([{ prefix: '/', dir: site }], '/%E0%A4%A')).toBeUndefined();
  });
});
