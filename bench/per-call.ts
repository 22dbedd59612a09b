/**
 * CPU time per `program.run({ packet })` of the two per-call fixtures, for comparing two builds in
 * the same minutes on a loaded machine (`node dist/bench/per-call.js [engine] [calls] [rounds]`):
 * process CPU time, not the wall clock, which also counts other processes' turns.
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadJit, loadObject } from '../src/node.js';
import type { EngineName } from '../src/run/raw.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const engine = (process.argv[2] ?? 'jit') as EngineName;
const calls = Number(process.argv[3] ?? 20000);
const rounds = Number(process.argv[4] ?? 5);
if (engine === 'jit') await loadJit();
const fixtures: Array<[string, string]> = [
  ['fixtures/build/xdp_counter.o', 'xdp_counter'],
  ['fixtures/kernel-cases/build/maps_hash.o', 'hash_ops'],
];
const packet = new Uint8Array(readFileSync(join(repo, 'fixtures/kernel-cases/packets/ipv4_udp.bin')));
const out: string[] = [];
for (const [path, name] of fixtures) {
  const p = loadObject(join(repo, path)).program(name);
  for (let i = 0; i < 2000; i++) p.run({ packet, engine });
  const cpu: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const c0 = process.cpuUsage();
    for (let i = 0; i < calls; i++) p.run({ packet, engine });
    const c = process.cpuUsage(c0);
    cpu.push(((c.user + c.system) * 1e3) / calls);
  }
  cpu.sort((a, b) => a - b);
  out.push(`${name} ${engine} cpu/call median ${cpu[rounds >> 1]!.toFixed(0)} ns (min ${cpu[0]!.toFixed(0)})`);
}
console.log(`${out.join('; ')}; load ${loadavg()[0]!.toFixed(2)}`);
