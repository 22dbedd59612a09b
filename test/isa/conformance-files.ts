/**
 * Locates the bpf_conformance data (`shared/conformance`, beside the repository) for the ISA
 * tests. The files are read in place, never copied into the repository.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConformanceFile, type ConformanceFile } from '../../src/isa/asm-text.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** `$BPFKIT_CONFORMANCE_DIR`, or `../shared/conformance` from the repository root. */
export const conformanceDir: string = process.env['BPFKIT_CONFORMANCE_DIR'] ?? join(root, '../shared/conformance');

if (!existsSync(conformanceDir)) {
  throw new Error(`conformance data not found at ${conformanceDir} (set BPFKIT_CONFORMANCE_DIR)`);
}

export interface DataFile extends ConformanceFile {
  name: string;
  text: string;
}

function load(dir: string, filter: (name: string) => boolean): DataFile[] {
  return readdirSync(dir)
    .filter((n) => n.endsWith('.data') && filter(n))
    .sort()
    .map((name) => {
      const text = readFileSync(join(dir, name), 'utf8');
      return { name, text, ...parseConformanceFile(text) };
    });
}

/** The positive tests (`conformance/*.data`). */
export const positiveFiles = (): DataFile[] => load(conformanceDir, () => true);

/** Files of `conformance/negative` whose name starts with `prefix`. */
export const negativeFiles = (prefix: string): DataFile[] =>
  load(join(conformanceDir, 'negative'), (n) => n.startsWith(prefix));
