/**
 * `npm run bench`: ns per run and instructions per second for each engine on the shared benchmark
 * programs (../shared/bench), each checked against its expected result; then the JIT's compile
 * time at each binaryen optimize level, for those programs and for generated 4k and 100k-slot ones.
 * Timing lives here, never in a test's pass/fail. `--quick`: default JIT settings only;
 * `--full`: every optimize level for the 100k program too; `--interp-only`: no JIT (binaryen is
 * then never loaded).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assemble } from '../src/isa/asm.js';
import { parseConformanceFile } from '../src/isa/asm-text.js';
import { loadJit, prepareRaw, type EngineName, type RawRunOptions } from '../src/run/raw.js';
import { insn, type Instruction } from '../src/isa/instruction.js';
import { prepareProgram } from '../src/helpers/exec-program.js';
import { Memory } from '../src/helpers/memory.js';
import type { CompileStats, OptimizeLevel } from '../src/jit/compile.js';

// The JIT module (and binaryen with it) is loaded only when the JIT is benchmarked.
type JitModule = typeof import('../src/jit/index.js');
let jitModule: JitModule | undefined;

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

/** The run with the median total time of `runs` calls of `fn` (after one warm-up call). */
function medianRun<T>(fn: () => T, runs: number): { ms: number; value: T } {
  fn();
  const t: Array<{ ms: number; value: T }> = [];
  for (let i = 0; i < runs; i++) {
    const s = performance.now();
    const value = fn();
    t.push({ ms: performance.now() - s, value });
  }
  t.sort((a, b) => a.ms - b.ms);
  return t[Math.floor(t.length / 2)]!;
}

/**
 * A long program for compile-time measurements: straight-line ALU and stack traffic, with a small
 * counted loop every 512 instructions. Deterministic (a fixed LCG).
 */
function generatedProgram(size: number): Instruction[] {
  let x = 12345;
  const rnd = (n: number): number => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return (x >>> 8) % n;
  };
  const alu = [0x07, 0x0f, 0x17, 0x1f, 0x27, 0x2f, 0x47, 0x4f, 0x57, 0x5f, 0xa7, 0xaf, 0x04, 0x0c, 0x24, 0x2c, 0x67, 0x77, 0xc7];
  const out: Instruction[] = [insn(0xb7, 0, 0, 0, 0)];
  while (out.length < size - 1) {
    if (out.length % 512 === 1 && out.length + 12 < size) {
      // r9 counts 8 iterations of a 10-instruction body.
      out.push(insn(0xb7, 9, 0, 0, 8));
      for (let i = 0; i < 8; i++) out.push(insn(alu[rnd(alu.length)]!, rnd(6), rnd(9), 0, rnd(31) + 1));
      out.push(insn(0x07, 9, 0, 0, -1));
      out.push(insn(0x55, 9, 0, -10, 0));
      continue;
    }
    const r = rnd(10);
    if (r < 7) out.push(insn(alu[rnd(alu.length)]!, rnd(6), rnd(9), 0, rnd(1000) + 1));
    else if (r < 8) out.push(insn(0x7b, 10, rnd(9), -8 * (rnd(64) + 1)));
    else if (r < 9) out.push(insn(0x79, rnd(6), 10, -8 * (rnd(64) + 1)));
    else out.push(insn(0x25, rnd(6), 0, 1, rnd(1000)), insn(0x07, rnd(6), 0, 0, 1));
  }
  out.push(insn(0x95));
  return out;
}

const LEVELS: readonly OptimizeLevel[] = [0, 1, 2, 3];

function runTable(cases: Case[], ms: number, engines: EngineName[]): void {
  console.log('program          engine        result  insns/run     time/run      insn/s  vs interp');
  for (const c of cases) {
    let interpNs = 0;
    const rows: Array<[string, EngineName, RawRunOptions['jit'], number]> = [];
    for (const engine of engines) rows.push([engine === 'jit' ? `jit O${jitModule!.DEFAULT_OPTIMIZE}` : engine, engine, undefined, ms]);
    if (engines.includes('jit') && !process.argv.includes('--quick')) {
      // Other code generation settings, measured for a shorter time.
      for (const o of LEVELS) if (o !== jitModule!.DEFAULT_OPTIMIZE) rows.push([`jit O${o}`, 'jit', { optimize: o }, ms / 3]);
      rows.push([`jit loop`, 'jit', { dispatch: 'loop' }, ms / 3]);
    }
    for (const [label, engine, jit, t] of rows) {
      const runner = prepareRaw(c.program, c.mem, { engine, budget: 100_000_000, ...(jit ? { jit } : {}) });
      const first = runner.run();
      const ok = c.expected === undefined || first.r0 === c.expected;
      const { nsPerRun } = time(() => void runner.run(), t);
      if (engine === 'interp') interpNs = nsPerRun;
      const ips = (first.executed / nsPerRun) * 1e9;
      const ratio = interpNs > 0 && engine !== 'interp' ? `${(interpNs / nsPerRun).toFixed(1)}x` : '';
      console.log(
        `${c.name.padEnd(16)} ${label.padEnd(13)} ${(ok ? 'ok' : 'WRONG').padEnd(7)} ${String(first.executed).padStart(9)} ${fmtNs(nsPerRun).padStart(12)} ${ips.toExponential(2).padStart(11)} ${ratio.padStart(10)}`,
      );
    }
  }
}

function compileTable(cases: Case[]): void {
  const programs = [
    ...cases.map((c) => ({ name: c.name, exec: prepareProgram(c.name, c.program), runs: 30 })),
    { name: 'generated 4k', exec: prepareProgram('gen4k', generatedProgram(4096)), runs: 5 },
    { name: 'generated 100k', exec: prepareProgram('gen100k', generatedProgram(100_000)), runs: 1 },
  ];
  const stackTop = new Memory().stackTop;
  console.log('\nJIT compile time (median; analyse+generate / binaryen optimize / emit / WebAssembly.Module)');
  console.log('program          slots  level      total   generate   optimize       emit       wasm   bytes');
  for (const p of programs) {
    // binaryen's optimizer on 100k instructions takes minutes: only with --full.
    const levels = p.exec.slots.length > 10_000 && !process.argv.includes('--full') ? [0 as const] : LEVELS;
    for (const optimize of levels) {
      const { ms: total, value: s } = medianRun(
        (): CompileStats => jitModule!.compileProgram(p.exec, stackTop, { optimize, dispatch: 'relooper' }).stats,
        p.runs,
      );
      const f = (v: number): string => `${v.toFixed(2)} ms`.padStart(10);
      console.log(
        `${p.name.padEnd(16)} ${String(p.exec.slots.length).padStart(6)}  O${optimize}    ${f(total)} ${f(s.analyseMs + s.generateMs)} ${f(s.optimizeMs)} ${f(s.emitMs)} ${f(s.wasmMs)} ${String(s.bytes).padStart(7)}`,
      );
    }
  }
}

async function main(): Promise<void> {
  const interpOnly = process.argv.includes('--interp-only');
  const engines: EngineName[] = interpOnly ? ['interp'] : ['interp', 'jit'];
  const ms = Number(process.env.BENCH_MS ?? 1500);
  const cases = loadCases();
  console.log(`bpfkit bench (node ${process.version}), ${ms} ms per measurement`);
  if (!interpOnly) {
    const t = performance.now();
    await loadJit();
    jitModule = await import('../src/jit/index.js');
    console.log(`JIT code generator (binaryen) loaded in ${(performance.now() - t).toFixed(0)} ms (once per process)`);
  }
  runTable(cases, ms, engines);
  if (!interpOnly) compileTable(cases);
}

await main();
