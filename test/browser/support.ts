/**
 * Shared by the browser tests: Debian's Chromium through playwright-core (no browser download),
 * the browser build (made once if `npm run build` has not made it), and a static server on
 * 127.0.0.1 at a free port, the same one `bpfkit serve` runs.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium, type Browser } from 'playwright-core';

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const DIST = join(ROOT, 'dist');
export const CHROMIUM = process.env['BPFKIT_CHROMIUM'] ?? '/usr/bin/chromium';
export const HAVE_CHROMIUM = existsSync(CHROMIUM);

/** Says once, in the test output, why the browser tests did not run. */
export function noteSkipped(what: string): void {
  if (!HAVE_CHROMIUM) console.warn(`[browser] ${what} skipped: no Chromium at ${CHROMIUM} (apt-get install chromium, or set BPFKIT_CHROMIUM)`);
}

/** Builds dist/browser and dist/web unless they are there already (`npm test` builds first). */
export function ensureBrowserBuild(): void {
  const outputs = [join(DIST, 'browser', 'bpfkit.js'), join(DIST, 'web', 'app.js'), join(DIST, 'web', 'index.html')];
  if (outputs.every((f) => existsSync(f))) return;
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-browser.mjs'), '--no-typecheck'], { cwd: ROOT, stdio: 'inherit' });
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
