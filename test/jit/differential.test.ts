/**
 * The JIT against the interpreter on random programs (test/support/gen-programs.ts): same r0, same
 * fault (kind, pc, text), same instruction count, same bytes in `mem` and on the stack. A fixed
 * seed makes the default run reproducible; `BPFKIT_DIFF_CASES=N` runs N cases instead (and
 * `BPFKIT_DIFF_SEED=S` starts elsewhere). A disagreement is shrunk and printed as uBPF assembler.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { loadJit } from '../../src/run/raw.js';
import { difference, disagreement, formatCase, runOn, shrink, type JitSettings } from '../support/differential.js';
import { generateCase, Rng } from '../support/gen-programs.js';

const CASES = Number(process.env['BPFKIT_DIFF_CASES'] ?? 2400);
const SEED = Number(process.env['BPFKIT_DIFF_SEED'] ?? 0x6b70f);

/**
 * Every code generation setting gets a share of the cases (binaryen's optimizer makes O1/O3 cases
 * several times slower to compile, so they get fewer). Both back ends (direct and binaryen) are
 * held to the interpreter, and so to each other.
 */
const SETTINGS: ReadonlyArray<[string, JitSettings, number]> = [
  ['default (direct, structured, O0)', {}, 0.4],
  ['direct, binaryen O1', { optimize: 1 }, 0.08],
  ['direct, binaryen O3', { optimize: 3 }, 0.04],
  ['direct, br_table loop', { dispatch: 'loop' }, 0.1],
  ['binaryen codegen, relooper, O0', { codegen: 'binaryen' }, 0.15],
  ['binaryen codegen, relooper, O1', { codegen: 'binaryen', optimize: 1 }, 0.05],
  // Chunks of 3 blocks: the layout large programs get from binaryen, on small ones.
  ['binaryen codegen, chunked relooper', { codegen: 'binaryen', chunkBlocks: 3 }, 0.18],
];

beforeAll(async () => {
  await loadJit({ binaryen: true });
});

describe('JIT vs interpreter on generated programs', () => {
  let first = 0;
  for (const [name, settings, share] of SETTINGS) {
    const from = first;
    const count = Math.max(1, Math.round(CASES * share));
    first += count;
    it(`${name}: ${count} programs agree`, () => {
      const failures: string[] = [];
      const outcomes = new Map<string, number>();
      for (let i = from; i < from + count; i++) {
        const c = generateCase(SEED + i);
        // A third of the cases get a budget that runs out somewhere inside the program.
        const r = new Rng((SEED + i) ^ 0x5bd1e995);
        if (r.chance(0.33)) {
          const full = runOn('interp', c);
          if (full.error === undefined && full.executed > 0) c.budget = r.int(full.executed);
        }
        const outcome = runOn('interp', c);
        const kind = outcome.error === undefined ? 'ok' : (/^RuntimeFault\[(\w[\w-]*)/.exec(outcome.error)?.[1] ?? 'other');
        outcomes.set(kind, (outcomes.get(kind) ?? 0) + 1);
        const diff = difference(outcome, runOn('jit', c, settings));
        if (diff !== undefined) {
          const small = shrink(c, (x) => disagreement(x, settings) !== undefined);
          failures.push(`${diff}\n${formatCase(small)}\n(shrunk: ${disagreement(small, settings)})`);
          if (failures.length >= 3) break;
        }
      }
      console.log(`${name}: outcomes ${JSON.stringify(Object.fromEntries([...outcomes].sort()))}`);
      expect(failures.join('\n\n')).toBe('');
    });
  }
});
