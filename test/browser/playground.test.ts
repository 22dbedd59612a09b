/**
 * The playground end to end in headless Chromium, as a user meets it: pick an example, verify it,
 * run it on both engines and read the verdict, return values, times, packet and maps off the
 * page; then a program the verifier rejects, with its error pinned to the source line.
 *
 * The screenshot goes to dist/playground.png on every run; docs/playground.png (committed) is
 * written when it is missing or when BPFKIT_UPDATE_SCREENSHOT=1, so `npm test` does not leave a
 * changed image in the working tree each time (the times on it differ from run to run).
 */
import { copyFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStaticServer, type StaticServer } from '../../src/commands/serve.js';
import { DIST, ensureBrowserBuild, HAVE_CHROMIUM, launchChromium, noteSkipped, ROOT } from './support.js';

const SHOT = join(DIST, 'playground.png');
const DOCS_SHOT = join(ROOT, 'docs', 'playground.png');

noteSkipped('playground test');

describe.skipIf(!HAVE_CHROMIUM)('playground in headless Chromium', () => {
  let server: StaticServer;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    ensureBrowserBuild();
    server = await startStaticServer([{ prefix: '/', dir: join(DIST, 'web') }]);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    await page.goto(`${server.url}/`);
    await page.waitForSelector('body[data-ready]');
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  const text = async (selector: string): Promise<string> => (await page.locator(selector).first().textContent()) ?? '';

  it('loads an example, verifies it and runs it on both engines', async () => {
    await page.getByTestId('example-xdp_counter').click();
    await page.waitForSelector('#verdict-head');
    expect(await text('#object-name')).toBe('xdp_counter.o');
    expect(await text('[data-testid=program-xdp_counter]')).toContain('accepted');
    expect(await text('#maps-table')).toMatch(/proto_stats\s*array\s*__u32\s*struct proto_stats\s*256/);
    // The listing interleaves source lines with instructions.
    expect(await page.locator('#listing .row.src').count()).toBeGreaterThan(5);
    expect(await text('#listing')).toContain('bpf_map_lookup_elem');

    await page.click('#verify-button');
    await page.waitForSelector('#verdict-head[data-accepted=true]');
    expect(await text('#verdict')).toMatch(/Accepted\s*\d+ instructions · verified in/);

    await page.selectOption('#packet-select', 'ipv4-udp');
    await page.fill('#runs-input', '200');
    await page.click('#run-button');
    await page.waitForSelector('[data-testid=result-jit]', { timeout: 30_000 });
    for (const engine of ['interp', 'jit']) {
      const row = `[data-testid=result-${engine}]`;
      expect(await text(`${row} [data-field=retval]`)).toBe('2 XDP_PASS');
      expect(await text(`${row} [data-field=time]`)).toMatch(/^[\d.]+ (ns|µs|ms|s)avg of \d+ runs$/);
      expect(Number(await text(`${row} [data-field=executed]`))).toBeGreaterThan(10);
    }
    expect(await page.getByTestId('engines-agree').count()).toBe(1);
    // TTL 64 → 63 and the checksum patched: two bytes of the frame.
    expect(await text('[data-testid=packet-changed]')).toBe('2 bytes changed');
    expect(await text('#packet-diff')).toContain('ttl 63');
    expect(await text('#maps-after [data-map=proto_stats] tr[data-key="17"]')).toMatch(/packets: 1, bytes: \d+/);
    expect(await text('[data-testid=maps-agree]')).toBe('same on both engines');

    await page.screenshot({ path: SHOT, fullPage: true });
    if (!existsSync(DOCS_SHOT) || process.env['BPFKIT_UPDATE_SCREENSHOT'] === '1') copyFileSync(SHOT, DOCS_SHOT);
  });

  it('shows the abstract state the verifier proved before a clicked instruction', async () => {
    await page.getByTestId('example-xdp_counter').click();
    await page.waitForSelector('#status:not([data-state=busy])');
    await page.click('#verify-button');
    await page.locator('#status[data-state=ok]', { hasText: 'accepted by the verifier' }).waitFor();
    expect(await text('#state')).toContain('Click an instruction');
    // pc 6 is the first load after the packet bounds check: the state proves the packet long enough.
    expect(await text('#listing #pc-6')).toContain('r1 = *(u8 *)(r6 + 0xc)');
    expect(await page.locator('#listing #pc-6').getAttribute('data-pc')).toBe('6');
    await page.click('#listing #pc-6');
    await page.waitForSelector('#state [data-testid=state-lines]');
    expect(await text('[data-testid=state-title]')).toBe('State before pc 6');
    const state = await text('[data-testid=state-lines]');
    expect(state).toContain('pkt');
    expect(state).toMatch(/packet_size=\[14, \+oo\]/);
    expect(await text('#state')).toContain('eth->h_proto');
    expect(await page.locator('#listing .row.insn.selected').count()).toBe(1);
    expect(await page.locator('#listing #pc-6.selected').count()).toBe(1);
  });

  it('pins a rejected program\'s error to its source line, and a run\'s fault too', async () => {
    await page.getByTestId('example-map_null').click();
    await page.waitForSelector('#verdict-head[data-accepted=false]');
    const error = page.getByTestId('verify-error').first();
    expect(await error.getAttribute('data-pc')).toBe('7');
    expect(await error.textContent()).toMatch(/pc 7reject_map_null\.c:17\*v \+= 1;R0 may be NULL/);
    // In the listing: the instruction, its source line and the message under it.
    expect(await page.locator('#pc-7.pinned-error').count()).toBe(1);
    expect(await text('#listing .row.src.pinned')).toContain('*v += 1;');
    expect(await text('#listing [data-testid=pin-error]')).toContain('may be NULL');

    await page.click('#run-button');
    await page.waitForSelector('[data-testid=fault-jit]');
    expect(await text('[data-testid=fault-interp]')).toMatch(/null pointer/);
    expect(await text('#listing [data-testid=pin-fault]')).toMatch(/fault on both engines/);
    // The run happened, but not under a green banner: the program is unverified.
    expect(await page.locator('#status').getAttribute('data-state')).toBe('unverified');
    expect(await text('#status')).toMatch(/^Unverified run: the verifier rejects map_null, so a kernel would not load it\. Ran map_null on IPv4 \/ UDP: fault on both engines\.$/);
  });

  it('says why a chosen file is not an object, and loads a real one from the file picker', async () => {
    await page.setInputFiles('#file-input', { name: 'junk.o', mimeType: 'application/octet-stream', buffer: Buffer.from('not an ELF file') });
    await page.waitForSelector('#status[data-state=error]');
    expect(await text('#status')).toMatch(/^Cannot load junk\.o: /);
    expect(await page.locator('#object').isHidden()).toBe(true);

    await page.setInputFiles('#file-input', join(ROOT, 'fixtures', 'build', 'multi.o'));
    await page.waitForSelector('#status[data-state=ok]');
    expect(await text('#object-name')).toBe('multi.o');
    expect(await page.locator('#programs-table tbody tr').count()).toBeGreaterThan(5);
    // A kprobe runs on registers, not a packet: the packet controls step aside.
    await page.getByTestId('program-kp_unlink').click();
    expect(await page.locator('#packet-select').isDisabled()).toBe(true);
    expect(problems).toEqual([]);
  });
});
