/**
 * Compile time of the generated 4k-instruction program with the default JIT settings, for
 * profiling (`node --cpu-prof dist/bench/compile-profile.js [runs] [size]`): the first compile in
 * a fresh process (what a user pays) and then `runs` more, as process CPU time per compile
 * (the wall clock also counts other processes' turns on a shared machine).
 */
import { loadavg } from 'node:os';
import { prepareProgram } from '../src/helpers/exec-program.js';
import { Memory } from '../src/helpers/memory.js';
import { compileProgram } from '../src/jit/index.js';
import { generatedProgram } from './generated.js';

const runs = Math.max(1, Number(process.argv[2] ?? 50));
const size = Number(process.argv[3] ?? 4096);
const exec = prepareProgram('gen', generatedProgram(size));
const stackTop = new Memory().stackTop;
const opts = { optimize: 0, dispatch: 'relooper', codegen: 'direct' } as const;
const cpuMs = (c: NodeJS.CpuUsage): number => (c.user + c.system) / 1e3;
let c0 = process.cpuUsage();
let t0 = performance.now();
const first = compileProgram(exec, stackTop, opts).stats;
const firstCpu = cpuMs(process.cpuUsage(c0));
const firstWall = performance.now() - t0;
const cpu: number[] = [];
const wall: number[] = [];
for (let i = 0; i < runs; i++) {
  c0 = process.cpuUsage();
  t0 = performance.now();
  compileProgram(exec, stackTop, opts);
  wall.push(performance.now() - t0);
  cpu.push(cpuMs(process.cpuUsage(c0)));
}
cpu.sort((a, b) => a - b);
wall.sort((a, b) => a - b);
const f = (v: number): string => v.toFixed(2);
console.log(
  `${size} slots: first ${f(firstWall)} ms wall, ${f(firstCpu)} ms cpu (generate ${f(first.analyseMs + first.generateMs)}, emit ${f(first.emitMs)}, wasm ${f(first.wasmMs)}); ` +
    `then ${runs}: wall median ${f(wall[runs >> 1]!)} best ${f(wall[0]!)}, cpu median ${f(cpu[runs >> 1]!)} ms min ${f(cpu[0]!)} ms; load ${loadavg()[0]!.toFixed(2)}`,
);
