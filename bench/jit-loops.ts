/**
 * The shared benchmark programs (../shared/bench) on the default JIT, next to uBPF's recorded JIT
 * figures (see main.ts section 1), with process CPU time beside wall time: a focused run of
 * main.ts section 1 for work on the generated code (`node dist/bench/jit-loops.js [ms]`).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assemble } from '../src/isa/asm.js';
import { parseConformanceFile } from '../src/isa/asm-text.js';
import { loadJit, prepareRaw } from '../src/run/raw.js';

const UBPF_JIT_NS: Record<string, number> = { loop_sum_1m: 0.364e6, checksum_1500: 0.574e3, prime: 0.498e3 };

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..');
const shared = [process.env['BPFKIT_SHARED'], join(repo, '..', 'shared'), join(repo, '..', '..', 'shared')].find(
  (d): d is string => d !== undefined && existsSync(join(d, 'bench')),
);
if (shared === undefined) {
  console.error('no shared benchmark programs (set BPFKIT_SHARED)');
  process.exit(2);
}
const ms = Number(process.argv[2] ?? 1000);
await loadJit();
const rounds = 3;
console.log(`load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}; ${ms} ms per measurement, best of ${rounds} rounds`);
for (const f of readdirSync(join(shared, 'bench')).filter((n) => n.endsWith('.data')).sort()) {
  const name = f.replace(/\.data$/, '');
  const file = parseConformanceFile(readFileSync(join(shared, 'bench', f), 'utf8'));
  const runner = prepareRaw(assemble(file.asm ?? ''), file.mem, { engine: 'jit', budget: 100_000_000 });
  const first = runner.run();
  const ok = file.result === undefined || first.r0 === file.result;
  let best = { wall: Infinity, cpu: Infinity };
  for (let round = 0; round < rounds; round++) {
    let batch = 1;
    for (;;) {
      const t0 = performance.now();
      for (let i = 0; i < batch; i++) runner.run();
      if (performance.now() - t0 > 2 || batch >= 1 << 20) break;
      batch *= 2;
    }
    let runs = 0;
    const c0 = process.cpuUsage();
    const start = performance.now();
    let now = start;
    while (now - start < ms) {
      for (let i = 0; i < batch; i++) runner.run();
      runs += batch;
      now = performance.now();
    }
    const c = process.cpuUsage(c0);
    const wall = ((now - start) * 1e6) / runs;
    const cpu = ((c.user + c.system) * 1e3) / runs;
    if (wall < best.wall) best = { wall, cpu };
  }
  const u = UBPF_JIT_NS[name];
  const vs = u === undefined ? '' : `  vs uBPF JIT ${(u / best.wall).toFixed(2)}x (cpu ${(u / best.cpu).toFixed(2)}x)`;
  console.log(`${name.padEnd(14)} ${ok ? 'ok   ' : 'WRONG'} wall ${best.wall.toFixed(0).padStart(9)} ns  cpu ${best.cpu.toFixed(0).padStart(9)} ns${vs}`);
}
console.log(`load average at the end ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
