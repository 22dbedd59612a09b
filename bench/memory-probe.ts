/**
 * Child process of `npm run bench` (section 6): loads every kernel-case fixture, runs each program
 * once on its first packet on the engine named by argv[2] (`interp`, `jit`, or `jit-binaryen`:
 * the JIT with binaryen loaded too), and prints its peak resident set in KiB.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadJit, loadObject } from '../src/node.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const cases = join(repo, 'fixtures', 'kernel-cases');
const mode = process.argv[2] ?? 'interp';
const engine = mode === 'interp' ? 'interp' : 'jit';
if (engine === 'jit') await loadJit({ binaryen: mode === 'jit-binaryen' });
for (const line of readFileSync(join(cases, 'cases.txt'), 'utf8').split('\n')) {
  if (line.trim() === '' || line.startsWith('#')) continue;
  const [objName, prog, packetName] = line.trim().split(/\s+/) as [string, string, string];
  try {
    const obj = loadObject(join(cases, 'build', `${objName}.o`));
    const packet = new Uint8Array(readFileSync(join(cases, 'packets', `${packetName}.bin`)));
    obj.program(prog).run({ packet, engine });
  } catch {
    // Programs that cannot run here (tracing types without input) still count for memory.
  }
}
process.stdout.write(`${process.resourceUsage().maxRSS}\n`);
