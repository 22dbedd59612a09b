/**
 * `npm run bench`: ns per run and instructions per second for each engine on the shared benchmark
 * programs (../shared/bench), each checked against its expected result. Timing lives here, never
 * in a test's pass/fail.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assemble } from '../src/isa/asm.js';
import { parseConformanceFile } from '../src/isa/asm-text.js';
import { prepareRaw, type EngineName } from '../src/run/raw.js';
import type { Instruction } from '../src/isa/instruction.js';

const here = dirname(fileURLToPath(import.meta.url));
// dist/bench/main.js → repo root is two levels up; the shared folder sits beside the repo.
const repo = join(here, '..', '..');
const SHARED_BENCH = join(repo, '..', 'shared', 'bench');

interface Case {
  name: string;
  program: readonly Instruction[];
  mem: Uint8Array | undefined;
  expected: bigint | undefined;
}

function loadCases(): Case[] {
  if (!existsSync(SHARED_BENCH)) {
    console.error(`no benchmark programs at ${SHARED_BENCH}`);
    return [];
  }
  return readdirSync(SHARED_BENCH)
    .filter((f) => f.endsWith('.data'))
    .sort()
    .map((f) => {
      const file = parseConformanceFile(readFileSync(join(SHARED_BENCH, f), 'utf8'));
      return { name: f.replace(/\.data$/, ''), program: assemble(file.asm ?? ''), mem: file.mem, expected: file.result };
    });
}

/** Runs `fn` repeatedly for about `ms` milliseconds after a warm-up; returns ns per call. */
function time(fn: () => void, ms: number): { nsPerRun: number; runs: number } {
  const warmEnd = performance.now() + ms / 4;
  while (performance.now() < warmEnd) fn();
  let runs = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    fn();
    runs++;
    now = performance.now();
  }
  return { nsPerRun: ((now - start) * 1e6) / runs, runs };
}

const fmtNs = (ns: number): string =>
  ns >= 1e6 ? `${(ns / 1e6).toFixed(2)} ms` : ns >= 1e3 ? `${(ns / 1e3).toFixed(2)} us` : `${ns.toFixed(0)} ns`;

function main(): void {
  const engines: EngineName[] = process.argv.includes('--interp-only') ? ['interp'] : ['interp'];
  const ms = Number(process.env.BENCH_MS ?? 1500);
  const cases = loadCases();
  console.log(`bpfkit bench (node ${process.version}), ${ms} ms per measurement`);
  console.log('program          engine   result  insns/run     time/run      insn/s');
  for (const c of cases) {
    for (const engine of engines) {
      const runner = prepareRaw(c.program, c.mem, { engine, budget: 100_000_000 });
      const first = runner.run();
      const ok = c.expected === undefined || first.r0 === c.expected;
      const { nsPerRun } = time(() => void runner.run(), ms);
      const ips = (first.executed / nsPerRun) * 1e9;
      console.log(
        `${c.name.padEnd(16)} ${engine.padEnd(8)} ${(ok ? 'ok' : 'WRONG').padEnd(7)} ${String(first.executed).padStart(9)} ${fmtNs(nsPerRun).padStart(12)} ${ips.toExponential(2).padStart(11)}`,
      );
    }
  }
}

main();
