/**
 * `npm run bench`: the figures issue 18 sets goals for, each next to its goal, with the machine's
 * load average (a shared 2-core machine: compare ratios measured in one run, never absolute times
 * across runs). Sections:
 *  1. the shared benchmark programs (../shared/bench) on each engine, checked against their
 *     expected r0, next to uBPF's figures as recorded in ../shared/NOTES.md (constants, labelled);
 *  2. an empty program's run;
 *  3. per call: `program.run({ packet })` on XDP fixtures against the kernel's BPF_PROG_TEST_RUN
 *     syscall (../shared/tools/kernel-bench.c, built and run here when possible, its rounds before and after bpfkit's: a fork slows the calls after it), after a
 *     warm-up of 10,000 calls (V8 optimises the run path after ~3,000), the first 1,000 calls beside;
 *  4. JIT / interpreter in steady state on every fixture program of fixtures/kernel-cases;
 *  5. compile time (direct back end, and binaryen's when loaded);
 *  6. peak memory with and without the JIT (child processes);
 *  7. the goals, met or not.
 * Timing lives here, never in a test's pass/fail. `--quick`: shorter, default JIT settings only;
 * `--full`: every binaryen optimize level for the 100k program too; `--interp-only`: no JIT;
 * `--no-binaryen`: never load binaryen (its rows are skipped).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadJit as loadJitEngine, loadObject, type BpfkitObject } from '../src/node.js';
import { assemble } from '../src/isa/asm.js';
import { parseConformanceFile } from '../src/isa/asm-text.js';
import { loadJit, prepareRaw, type EngineName, type RawRunOptions } from '../src/run/raw.js';
import type { Engine } from '../src/run/engine.js';
import type { Instruction } from '../src/isa/instruction.js';
import { generatedProgram } from './generated.js';
import { insn } from '../src/isa/instruction.js';
import { prepareProgram } from '../src/helpers/exec-program.js';
import { profileProgram } from '../src/run/bench.js';
import { Memory } from '../src/helpers/memory.js';
import type { CompileStats, OptimizeLevel } from '../src/jit/compile.js';

// The JIT module (and binaryen with it) is loaded only when the JIT is benchmarked.
type JitModule = typeof import('../src/jit/index.js');
let jitModule: JitModule | undefined;

const here = dirname(fileURLToPath(import.meta.url));
// dist/bench/main.js → repo root is two levels up; the shared folder sits beside the repo (or
// beside the folder of worktrees), or BPFKIT_SHARED names it.
const repo = join(here, '..', '..');
const SHARED = [process.env['BPFKIT_SHARED'], join(repo, '..', 'shared'), join(repo, '..', '..', 'shared')].find(
  (d): d is string => d !== undefined && existsSync(join(d, 'bench')),
) ?? join(repo, '..', 'shared');
const SHARED_BENCH = join(SHARED, 'bench');
const CASES_DIR = join(repo, 'fixtures', 'kernel-cases');

/** uBPF (2a8edd1, gcc -O2) on this kind of machine, as recorded in ../shared/NOTES.md: constants, not measured here. */
const UBPF_RECORDED: Record<string, { interpNs: number; jitNs: number }> = {
  loop_sum_1m: { interpNs: 30.7e6, jitNs: 0.364e6 },
  checksum_1500: { interpNs: 47.3e3, jitNs: 0.574e3 },
  prime: { interpNs: 4.55e3, jitNs: 0.498e3 },
};
const UBPF_COMPILE_4K_MS = 0.5;
const UBPF_EMPTY_JIT_NS = 5;
/** The kernel as recorded in NOTES.md (used when kernel-bench cannot run here). */
const KERNEL_RECORDED = { syscallNs: 3200, inKernelNs: 38 };

/** Goal rows for the last table: [figure, measured, goal, met]. */
const goals: Array<[string, string, string, boolean | undefined]> = [];
const quick = process.argv.includes('--quick');

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

/**
 * Runs `fn` repeatedly for about `ms` milliseconds after a warm-up; returns ns per call. Calls go
 * in batches between clock reads (a clock read costs about as much as an empty run), the batch
 * sized during the warm-up to take about 50 us.
 */
function time(fn: () => void, ms: number): { nsPerRun: number; cpuNsPerRun: number; runs: number } {
  const warmEnd = performance.now() + ms / 4;
  let batch = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < batch; i++) fn();
    const t = performance.now();
    if (t - t0 < 0.05 && batch < 1 << 20) batch *= 2;
    if (t >= warmEnd) break;
  }
  let runs = 0;
  const c0 = process.cpuUsage();
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    for (let i = 0; i < batch; i++) fn();
    runs += batch;
    now = performance.now();
  }
  const c = process.cpuUsage(c0);
  return { nsPerRun: ((now - start) * 1e6) / runs, cpuNsPerRun: ((c.user + c.system) * 1e3) / runs, runs };
}

type Run32 = { run32: (r1: number) => bigint };

/**
 * time() for a run32 entry called directly in the loop (uBPF's figure is a tight C loop too). The
 * loop is a function of its own per engine: one loop shared by the interpreter and the JIT sees
 * both at its call site, which V8 then no longer inlines (29 ns instead of 15–18 for the JIT's run).
 */
function timeRun32(vm: Run32, ms: number): { nsPerRun: number; cpuNsPerRun: number } {
  const batch = 1 << 14;
  // new Function: a fresh function literal, so its call site's type feedback is this engine's alone.
  const loop = new Function('vm', 'n', 'for (let i = 0; i < n; i++) vm.run32(0);') as (vm: Run32, n: number) => void;
  const warmEnd = performance.now() + ms / 4;
  while (performance.now() < warmEnd) loop(vm, batch);
  let runs = 0;
  const c0 = process.cpuUsage();
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    loop(vm, batch);
    runs += batch;
    now = performance.now();
  }
  const c = process.cpuUsage(c0);
  return { nsPerRun: ((now - start) * 1e6) / runs, cpuNsPerRun: ((c.user + c.system) * 1e3) / runs };
}

const fmtNs = (ns: number): string =>
  ns >= 1e6 ? `${(ns / 1e6).toFixed(2)} ms` : ns >= 1e3 ? `${(ns / 1e3).toFixed(2)} us` : `${ns.toFixed(0)} ns`;

/** The run with the median total time of `runs` calls of `fn` (after one warm-up call), and the best time. */
function medianRun<T>(fn: () => T, runs: number): { ms: number; value: T; best: number } {
  fn();
  const t: Array<{ ms: number; value: T }> = [];
  for (let i = 0; i < runs; i++) {
    const s = performance.now();
    const value = fn();
    t.push({ ms: performance.now() - s, value });
  }
  t.sort((a, b) => a.ms - b.ms);
  return { ...t[Math.floor(t.length / 2)]!, best: t[0]!.ms };
}

const LEVELS: readonly OptimizeLevel[] = [0, 1, 2, 3];

function runTable(cases: Case[], ms: number, engines: EngineName[]): void {
  console.log('\n1. Benchmark programs (uBPF figures recorded in NOTES.md, not measured here)');
  console.log('program          engine        result  insns/run     time/run      insn/s  vs interp   uBPF same engine  bpfkit/uBPF speed');
  const measured = new Map<string, { interp: number; jit: number }>();
  for (const c of cases) {
    let interpNs = 0;
    const rows: Array<[string, EngineName, RawRunOptions['jit'], number]> = [];
    for (const engine of engines) rows.push([engine === 'jit' ? `jit O${jitModule!.DEFAULT_OPTIMIZE}` : engine, engine, undefined, ms]);
    if (engines.includes('jit') && !quick) {
      // Other code generation settings, measured for a shorter time.
      if (jitModule!.binaryenLoaded()) {
        for (const o of LEVELS) if (o !== jitModule!.DEFAULT_OPTIMIZE) rows.push([`jit O${o}`, 'jit', { optimize: o }, ms / 3]);
        rows.push(['jit binaryen', 'jit', { codegen: 'binaryen' }, ms / 3]);
      }
      rows.push([`jit loop`, 'jit', { dispatch: 'loop' }, ms / 3]);
    }
    const m = { interp: 0, jit: 0 };
    for (const [label, engine, jit, t] of rows) {
      const runner = prepareRaw(c.program, c.mem, { engine, budget: 100_000_000, ...(jit ? { jit } : {}) });
      const first = runner.run();
      const ok = c.expected === undefined || first.r0 === c.expected;
      const { nsPerRun } = time(() => void runner.run(), t);
      if (engine === 'interp') interpNs = nsPerRun;
      if (jit === undefined) m[engine] = nsPerRun;
      const ips = (first.executed / nsPerRun) * 1e9;
      const ratio = interpNs > 0 && engine !== 'interp' ? `${(interpNs / nsPerRun).toFixed(1)}x` : '';
      const u = UBPF_RECORDED[c.name];
      const uNs = u === undefined ? undefined : engine === 'interp' ? u.interpNs : u.jitNs;
      console.log(
        `${c.name.padEnd(16)} ${label.padEnd(13)} ${(ok ? 'ok' : 'WRONG').padEnd(7)} ${String(first.executed).padStart(9)} ${fmtNs(nsPerRun).padStart(12)} ${ips.toExponential(2).padStart(11)} ${ratio.padStart(10)} ${(uNs === undefined ? '' : fmtNs(uNs)).padStart(18)} ${(uNs === undefined ? '' : `${(uNs / nsPerRun).toFixed(2)}x`).padStart(18)}`,
      );
    }
    measured.set(c.name, m);
  }
  for (const [name, m] of measured) {
    const u = UBPF_RECORDED[name];
    if (u === undefined) continue;
    if (m.jit > 0) {
      const r = u.jitNs / m.jit;
      goals.push([`${name}: JIT vs uBPF JIT (recorded)`, `${r.toFixed(2)}x`, name === 'prime' ? '>= 1x (stays ahead)' : '>= 0.8x', name === 'prime' ? r >= 1 : r >= 0.8]);
    }
    const ri = u.interpNs / m.interp;
    goals.push([`${name}: interpreter vs uBPF interpreter (recorded)`, `${ri.toFixed(2)}x`, '>= 1.0x', ri >= 1]);
  }
}

/** An empty program (`mov r0, 0; exit`): the cost of a run itself. */
function emptyTable(engines: EngineName[], ms: number): void {
  console.log('\n2. Empty program (mov r0, 0; exit), engine.run() only');
  const program = [insn(0xb7, 0, 0, 0, 0), insn(0x95)];
  for (const engine of engines) {
    const vm = prepareRaw(program, undefined, { engine }).engine as Pick<Engine, 'run' | 'run32'>;
    const args = [0n, 0n];
    const { nsPerRun } = time(() => void vm.run(args), ms / 3);
    // run32: the entry program.run() takes (r1, a context pointer, as a number: no BigInt), timed
    // in a loop of its own per engine (through time()'s closure, ~8 ns of the figure was the closure call).
    const t32 = vm.run32 === undefined ? undefined : timeRun32(vm as Run32, ms / 3);
    const fast = t32?.nsPerRun;
    const note = engine === 'jit' ? `   (uBPF JIT recorded: ${UBPF_EMPTY_JIT_NS} ns)` : '';
    const cpu = t32 === undefined ? '' : ` (cpu ${fmtNs(t32.cpuNsPerRun)})`;
    console.log(`${engine.padEnd(8)} run([0n, 0n]) ${fmtNs(nsPerRun).padStart(8)}   run32(0) ${fast === undefined ? '-' : fmtNs(fast).padStart(8)}${cpu}${note}`);
    if (engine === 'jit') {
      const best = Math.min(nsPerRun, fast ?? Infinity);
      goals.push(['empty program, JIT run (run32, the entry program.run uses)', fmtNs(best), '<= 20 ns', best <= 20]);
    }
  }
}

/** kernel-bench built from ../shared/tools, or undefined with the reason printed. */
function kernelBench(): string | undefined {
  const src = join(SHARED, 'tools', 'kernel-bench.c');
  if (!existsSync(src)) {
    console.log(`   kernel figures skipped: no ${src}`);
    return undefined;
  }
  if (process.platform !== 'linux' || process.getuid?.() !== 0) {
    console.log('   kernel figures skipped: BPF_PROG_TEST_RUN needs Linux and root');
    return undefined;
  }
  const dir = join(tmpdir(), 'bpfkit-bench');
  const bin = join(dir, 'kernel-bench');
  try {
    if (!existsSync(bin) || statSync(bin).mtimeMs < statSync(src).mtimeMs) {
      mkdirSync(dir, { recursive: true });
      execFileSync('gcc', ['-O2', '-o', bin, src, '-lbpf', '-lelf', '-lz'], { stdio: 'pipe' });
    }
    return bin;
  } catch (e) {
    console.log(`   kernel figures skipped: cannot build kernel-bench (${String((e as Error).message).split('\n')[0]})`);
    return undefined;
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** ns per `program.run({ packet, engine })`, maps and context carrying over as in a test suite. */
/**
 * ns per `program.run({ packet, engine })`, wall clock and this process's CPU time (on a loaded
 * machine the wall clock also counts other processes' turns; CPU time does not).
 */
function perCall(p: ReturnType<BpfkitObject['program']>, packet: Uint8Array, engine: EngineName, calls: number): { wall: number; cpu: number } {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < calls; i++) p.run({ packet, engine });
  const wall = ((performance.now() - t0) * 1e6) / calls;
  const c = process.cpuUsage(c0);
  return { wall, cpu: ((c.user + c.system) * 1e3) / calls };
}

function perCallTable(engines: EngineName[]): void {
  console.log('\n3. Per call: program.run({ packet }) against the kernel\'s BPF_PROG_TEST_RUN syscall (kernel rounds before and after, medians of rounds)');
  const kb = kernelBench();
  const fixtures: Array<[string, string, string]> = [
    ['fixtures/build/xdp_counter.o', 'xdp_counter', 'fixtures/kernel-cases/packets/ipv4_udp.bin'],
    ['fixtures/kernel-cases/build/maps_hash.o', 'hash_ops', 'fixtures/kernel-cases/packets/ipv4_udp.bin'],
  ];
  console.log('program        engine      bpfkit/call   (cpu/call)   kernel syscall/call   in-kernel/run   bpfkit / syscall');
  const rounds = quick ? 3 : 7;
  for (const [objPath, name, pkt] of fixtures) {
    const obj = loadObject(join(repo, objPath));
    const p = obj.program(name);
    const packet = new Uint8Array(readFileSync(join(repo, pkt)));
    const times = new Map<EngineName, number[]>(engines.map((e) => [e, []]));
    const cpuTimes = new Map<EngineName, number[]>(engines.map((e) => [e, []]));
    const kernel: number[] = [];
    let inKernel: number | undefined;
    // The first calls after the compile, before V8 has optimised the run path (a short test file's
    // calls): shown beside the figures, not compared with the kernel's warm syscall.
    const cold = new Map<EngineName, number>();
    for (const e of engines) {
      p.run({ packet, engine: e }); // the JIT's compile
      cold.set(e, perCall(p, packet, e, 1000).cpu);
    }
    // The kernel's rounds bracket bpfkit's (half before, half after) rather than alternate with
    // them: each execFileSync forks this process, and the copy-on-write faults that follow a fork
    // made the next round of bpfkit calls 2-4x slower (its CPU time too), a cost of the measuring,
    // not of a run.
    const kernelRounds = (n: number): void => {
      if (kb === undefined) return;
      for (let r = 0; r < n; r++) {
        try {
          const out = execFileSync(kb, [join(repo, objPath), name, join(repo, pkt), '-3000'], { encoding: 'utf8' });
          kernel.push(Number(/ns_per_call (\d+)/.exec(out)?.[1]));
          if (inKernel === undefined) {
            const rep = execFileSync(kb, [join(repo, objPath), name, join(repo, pkt), '100000'], { encoding: 'utf8' });
            inKernel = Number(/ns_per_run (\d+)/.exec(rep)?.[1]);
          }
        } catch {
          // Reported below as not measured.
        }
      }
    };
    kernelRounds(Math.ceil(rounds / 2));
    // Warm-up until V8 has optimised the run path (it does after ~3,000 calls; the kernel's figure
    // is likewise a mean over thousands of syscalls), and past the last fork's faults.
    for (const e of engines) perCall(p, packet, e, quick ? 5000 : 10000);
    for (let r = 0; r < rounds; r++) {
      for (const e of engines) {
        const t = perCall(p, packet, e, quick ? 1000 : 3000);
        times.get(e)!.push(t.wall);
        cpuTimes.get(e)!.push(t.cpu);
      }
    }
    kernelRounds(Math.floor(rounds / 2) || 1);
    const k = kernel.length > 0 ? median(kernel) : undefined;
    const kNs = k ?? KERNEL_RECORDED.syscallNs;
    for (const e of engines) {
      const ns = median(times.get(e)!);
      const ratio = ns / kNs;
      console.log(
        `${name.padEnd(14)} ${e.padEnd(8)} ${fmtNs(ns).padStart(14)} ${`(${fmtNs(median(cpuTimes.get(e)!))})`.padStart(12)} ${(k === undefined ? `${fmtNs(kNs)} (recorded)` : fmtNs(k)).padStart(21)} ${(inKernel === undefined ? '-' : `${inKernel} ns`).padStart(15)} ${`${ratio.toFixed(2)}x`.padStart(18)}   first 1000 calls: ${fmtNs(cold.get(e)!)} cpu/call`,
      );
      goals.push([`per call, ${name}, ${e}, vs kernel syscall`, `${ratio.toFixed(2)}x (${fmtNs(ns)})`, e === 'jit' ? '<= 0.25x' : '<= 0.5x', ratio <= (e === 'jit' ? 0.25 : 0.5)]);
    }
  }
}

/** Every program of fixtures/kernel-cases/cases.txt on its first packet: JIT vs interpreter, many runs per call. */
function steadyTable(): void {
  console.log('\n4. Steady state on the fixture programs: program.run({ packet, repeat: R }) per run, after a warm-up, interleaved rounds (medians)');
  const lines = readFileSync(join(CASES_DIR, 'cases.txt'), 'utf8').split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#'));
  console.log('program              interp/run      jit/run    jit speed-up   helpers (interp)   speed-up bound');
  const ratios: number[] = [];
  // Helper time is the same on both engines (one simulated kernel): a program that spends share h
  // of its interpreter time in helpers cannot run more than 1/h times faster on any JIT (Amdahl).
  const bounded: string[] = [];
  const repeat = 64;
  for (const line of lines) {
    const [objName, prog, packetName] = line.trim().split(/\s+/) as [string, string, string];
    const obj = loadObject(join(CASES_DIR, 'build', `${objName}.o`));
    let p;
    try {
      p = obj.program(prog);
    } catch {
      continue;
    }
    const packet = new Uint8Array(readFileSync(join(CASES_DIR, 'packets', `${packetName}.bin`)));
    // Calls for at least `ms` milliseconds (a few calls are too short to time on a shared machine).
    const run = (engine: EngineName, ms = quick ? 4 : 10): number => {
      let calls = 0;
      const t0 = performance.now();
      let t = t0;
      do {
        p.run({ packet, engine, repeat });
        calls++;
        t = performance.now();
      } while (t - t0 < ms);
      return ((t - t0) * 1e6) / (calls * repeat);
    };
    try {
      // A run that stops with a fault times the fault path, not the program: said, not timed.
      const fault = p.run({ packet, engine: 'interp', repeat }).error ?? p.run({ packet, engine: 'jit', repeat }).error;
      if (fault !== undefined) throw new Error(fault.message);
      // Warm-up: the JIT's compile, and V8's own tiering of both engines' code.
      run('interp', quick ? 10 : 30);
      run('jit', quick ? 10 : 30);
    } catch (e) {
      console.log(`${prog.padEnd(20)} skipped: ${String((e as Error).message).split('\n')[0]}`);
      continue;
    }
    const a: number[] = [];
    const b: number[] = [];
    // The garbage earlier programs left is collected before this one is timed, not inside its
    // short windows (npm run bench passes --expose-gc).
    (globalThis as { gc?: () => void }).gc?.();
    for (let r = 0; r < (quick ? 3 : 5); r++) {
      a.push(run('interp'));
      b.push(run('jit'));
    }
    const ratio = median(a) / median(b);
    ratios.push(ratio);
    const share = profileProgram(obj.instance, prog, { packet }, quick ? 20 : 60).helperShare;
    const bound = share > 0 ? 1 / share : Infinity;
    if (bound < 5) bounded.push(prog);
    console.log(
      `${prog.padEnd(18)} ${fmtNs(median(a)).padStart(12)} ${fmtNs(median(b)).padStart(12)} ${`${ratio.toFixed(2)}x`.padStart(14)} ${`${(share * 100).toFixed(0)}%`.padStart(18)} ${(bound === Infinity ? '-' : `${bound.toFixed(2)}x`).padStart(16)}`,
    );
  }
  if (ratios.length > 0) {
    const lo = Math.min(...ratios);
    const hi = Math.max(...ratios);
    console.log(`JIT / interpreter: ${lo.toFixed(2)}x .. ${hi.toFixed(2)}x, median ${median(ratios).toFixed(2)}x over ${ratios.length} programs`);
    console.log(
      `${bounded.length} of ${ratios.length} programs spend over a fifth of their interpreter time in helpers, so no JIT can make them 5x faster: ${bounded.join(', ')}`,
    );
    goals.push(['JIT / interpreter on the fixture programs (steady state)', `${lo.toFixed(2)}x .. ${hi.toFixed(2)}x`, '>= 5x', lo >= 5]);
  }
}

/** Peak RSS of a child process that loads every fixture and runs each program once on `engine`. */
function memoryTable(): void {
  console.log('\n6. Peak memory: a process that loads the fixtures and runs every program once (peak RSS, VmHWM)');
  const probe = join(here, 'memory-probe.js');
  const rss = (mode: string): number | undefined => {
    try {
      return Number(execFileSync(process.execPath, [probe, mode], { encoding: 'utf8' }).trim());
    } catch {
      return undefined;
    }
  };
  const interp = rss('interp');
  const jit = rss('jit');
  const withBinaryen = process.argv.includes('--no-binaryen') ? undefined : rss('jit-binaryen');
  const mb = (v: number | undefined): string => (v === undefined ? 'failed' : `${(v / 1024).toFixed(0)} MiB`);
  console.log(`interpreter ${mb(interp)}, JIT ${mb(jit)}, JIT with binaryen loaded ${mb(withBinaryen)}`);
  if (interp !== undefined && jit !== undefined) {
    const extra = (jit - interp) / 1024;
    goals.push(['extra memory when the JIT is used', `+${extra.toFixed(0)} MiB`, '<= +30 MB', extra * 1.048576 <= 30]);
  }
}

/** Wall time of the first 4k compile in a fresh process (compile-profile.js), or undefined if it failed. */
function firstCompile(): number | undefined {
  try {
    const out = execFileSync(process.execPath, [join(here, 'compile-profile.js'), '1'], { encoding: 'utf8' });
    const m = /first ([\d.]+) ms wall/.exec(out);
    console.log(`first compile in a fresh process: ${out.trim()}`);
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

function compileTable(cases: Case[]): void {
  const programs = [
    ...cases.map((c) => ({ name: c.name, exec: prepareProgram(c.name, c.program), runs: 30 })),
    { name: 'generated 4k', exec: prepareProgram('gen4k', generatedProgram(4096)), runs: 15 },
    { name: 'generated 100k', exec: prepareProgram('gen100k', generatedProgram(100_000)), runs: 1 },
  ];
  const stackTop = new Memory().stackTop;
  const binaryen = jitModule!.binaryenLoaded();
  console.log('\n5. JIT compile time (median, and best of the runs: on a loaded machine the best is the cost; analyse+generate / binaryen optimize / emit / WebAssembly.Module)');
  console.log(`program          slots  codegen         total       best   generate   optimize       emit       wasm   bytes${binaryen ? '' : '   (binaryen rows: not loaded)'}`);
  for (const p of programs) {
    const rows: Array<[string, 'direct' | 'binaryen', OptimizeLevel]> = [['direct O0', 'direct', 0]];
    if (binaryen) {
      // binaryen's optimizer on 100k instructions takes minutes: only with --full.
      const big = p.exec.slots.length > 10_000 && !process.argv.includes('--full');
      rows.push(['binaryen O0', 'binaryen', 0]);
      if (!big && !quick) for (const o of LEVELS.slice(1)) rows.push([`direct+opt O${o}`, 'direct', o]);
    }
    for (const [label, codegen, optimize] of rows) {
      // V8 optimises the code generator only after ~20 compiles of this size (measured with
      // compile-profile.js: the 9 compiles after the first took 33 ms median, the 50 after it 6 ms):
      // warm it first, so the median is the compile's cost; the first compile is timed apart.
      if (p.name === 'generated 4k' && label === 'direct O0') for (let i = 0; i < 20; i++) jitModule!.compileProgram(p.exec, stackTop, { optimize, dispatch: 'relooper', codegen });
      const { ms: total, value: s, best } = medianRun(
        (): CompileStats => jitModule!.compileProgram(p.exec, stackTop, { optimize, dispatch: 'relooper', codegen }).stats,
        codegen === 'binaryen' || optimize > 0 ? Math.min(p.runs, 5) : p.runs,
      );
      const f = (v: number): string => `${v.toFixed(2)} ms`.padStart(10);
      console.log(
        `${p.name.padEnd(16)} ${String(p.exec.slots.length).padStart(6)}  ${label.padEnd(14)} ${f(total)} ${f(best)} ${f(s.analyseMs + s.generateMs)} ${f(s.optimizeMs)} ${f(s.emitMs)} ${f(s.wasmMs)} ${String(s.bytes).padStart(7)}`,
      );
      if (p.name === 'generated 4k' && label === 'direct O0') {
        goals.push(['compile, 4k-instruction program (default JIT)', `${total.toFixed(1)} ms, best ${best.toFixed(1)} ms (uBPF recorded ${UBPF_COMPILE_4K_MS} ms)`, '<= 10 ms', total <= 10]);
        const cold = firstCompile();
        if (cold !== undefined) goals.push(['compile, the same, first in a fresh process (code generator cold)', `${cold.toFixed(1)} ms`, '<= 10 ms', cold <= 10]);
      }
    }
  }
}

function goalTable(): void {
  console.log('\n7. Goals (issue 18)');
  const w = Math.max(...goals.map((g) => g[0].length));
  for (const [figure, now, goal, met] of goals) {
    console.log(`${figure.padEnd(w)}  ${now.padStart(26)}  goal ${goal.padEnd(20)} ${met === undefined ? '' : met ? 'met' : 'NOT MET'}`);
  }
}

async function main(): Promise<void> {
  const interpOnly = process.argv.includes('--interp-only');
  const engines: EngineName[] = interpOnly ? ['interp'] : ['interp', 'jit'];
  const ms = Number(process.env.BENCH_MS ?? (quick ? 500 : 1500));
  const cases = loadCases();
  const [l1, l5, l15] = loadavg();
  console.log(`bpfkit bench (node ${process.version}), ${ms} ms per measurement; load average ${l1!.toFixed(2)} ${l5!.toFixed(2)} ${l15!.toFixed(2)}`);
  if (!interpOnly) {
    let t = performance.now();
    await loadJit();
    await loadJitEngine();
    jitModule = await import('../src/jit/index.js');
    console.log(`JIT loaded in ${(performance.now() - t).toFixed(0)} ms (direct back end: no binaryen)`);
    if (!process.argv.includes('--no-binaryen')) {
      t = performance.now();
      await jitModule.loadBinaryen();
      console.log(`binaryen loaded in ${(performance.now() - t).toFixed(0)} ms (only for optimize levels and its code generator)`);
    }
  }
  runTable(cases, ms, engines);
  emptyTable(engines, ms);
  perCallTable(engines);
  if (!interpOnly) {
    steadyTable();
    compileTable(cases);
    memoryTable();
  }
  goalTable();
  const [a, b, c] = loadavg();
  console.log(`load average at the end: ${a!.toFixed(2)} ${b!.toFixed(2)} ${c!.toFixed(2)}`);
}

await main();
