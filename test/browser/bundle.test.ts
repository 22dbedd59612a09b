/**
 * The browser bundle (dist/browser/bpfkit.js) in a real headless Chromium: imported as an ES
 * module, it loads a fetched object, verifies it, and runs it on the interpreter and on the JIT
 * (whose chunk and binaryen load on demand), with the packet and maps read back in the page.
 */
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStaticServer, type StaticServer } from '../../src/commands/serve.js';
import { DIST, ensureBrowserBuild, HAVE_CHROMIUM, launchChromium, noteSkipped, ROOT } from './support.js';

type Bpfkit = typeof import('../../src/index.js');

/** What the page reports back (plain JSON: bigints become numbers there). */
interface PageResult {
  report: { accepted: boolean; errors: number; instructions: number };
  interp: { retval: number; executed: number; ttl: number | undefined; checksumOk: boolean | undefined; error: string | null };
  jit: { retval: number; samePacket: boolean; error: string | null };
  stats: { packets: number; bytes: number };
  frameLength: number;
  rejected: { accepted: boolean; pc: number | undefined; source: string | undefined; message: string | undefined };
}

noteSkipped('browser bundle test');

describe.skipIf(!HAVE_CHROMIUM)('browser bundle in headless Chromium', () => {
  let server: StaticServer;
  let browser: Browser;

  beforeAll(async () => {
    ensureBrowserBuild();
    server = await startStaticServer([
      { prefix: '/', dir: join(DIST, 'browser') },
      { prefix: '/objects/', dir: join(ROOT, 'fixtures', 'build') },
      { prefix: '/rejected/', dir: join(ROOT, 'fixtures', 'verifier', 'build') },
    ]);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('loads, verifies and runs xdp_counter.o on the interpreter and the JIT', async () => {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    // A same-origin page whose import map says where `binaryen` is, as a page without a bundler
    // must (the library bundle imports it by name); the test imports the bundle into it.
    await page.goto(`${server.url}/bpfkit.js`);
    await page.setContent('<!doctype html><script type="importmap">{"imports":{"binaryen":"/binaryen.js"}}</script><p>bundle test</p>');
    const result = await page.evaluate(async (): Promise<PageResult> => {
      // Built from a string: vitest rewrites `import()` in test code, and this runs in the page.
      const importModule = new Function('url', 'return import(url)') as (url: string) => Promise<Bpfkit>;
      const m = await importModule(`${location.origin}/bpfkit.js`);
      const fetchBytes = async (url: string): Promise<Uint8Array> => new Uint8Array(await (await fetch(url)).arrayBuffer());
      const obj = m.loadObject(await fetchBytes('/objects/xdp_counter.o'));
      const prog = obj.program('xdp_counter');
      const report = prog.verify();
      const frame = m.ethernet({ payload: m.ipv4({ src: '10.0.0.1', dst: '10.0.0.2', ttl: 64, payload: m.udp({ sport: 4000, dport: 53, payload: 'hi' }) }) });
      const a = prog.run({ packet: frame });
      await m.loadJit();
      const b = prog.run({ packet: frame, engine: 'jit' });
      const decoded = m.decodePacket(a.packet ?? new Uint8Array());
      const st = obj.map('proto_stats').lookup(m.IpProto.UDP) as { packets: bigint; bytes: bigint };
      const bad = m.loadObject(await fetchBytes('/rejected/reject_map_null.o')).program('map_null').verify();
      const same = a.packet !== undefined && b.packet !== undefined && a.packet.length === b.packet.length && a.packet.every((x, i) => x === b.packet![i]);
      return {
        report: { accepted: report.accepted, errors: report.errors.length, instructions: report.stats.instructions },
        interp: { retval: a.retval, executed: a.executed, ttl: decoded.ipv4?.ttl, checksumOk: decoded.ipv4?.checksumOk, error: a.error?.message ?? null },
        jit: { retval: b.retval, samePacket: same, error: b.error?.message ?? null },
        stats: { packets: Number(st.packets), bytes: Number(st.bytes) },
        frameLength: frame.length,
        rejected: { accepted: bad.accepted, pc: bad.errors[0]?.pc, source: bad.errors[0]?.source, message: bad.errors[0]?.message },
      };
    });
    expect(problems).toEqual([]);
    expect(result.report).toMatchObject({ accepted: true, errors: 0 });
    expect(result.report.instructions).toBeGreaterThan(20);
    expect(result.interp).toMatchObject({ retval: 2, ttl: 63, checksumOk: true, error: null });
    expect(result.interp.executed).toBeGreaterThan(10);
    expect(result.jit).toEqual({ retval: 2, samePacket: true, error: null });
    // One UDP packet per engine, counted in the same map.
    expect(result.stats).toEqual({ packets: 2, bytes: 2 * result.frameLength });
    expect(result.rejected).toMatchObject({ accepted: false, pc: 7, source: 'reject_map_null.c:17' });
    expect(result.rejected.message).toMatch(/may be NULL/);
    await page.close();
  });
});
