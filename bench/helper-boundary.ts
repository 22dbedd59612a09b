/**
 * CPU time per helper call from JIT code, the helper itself a no-op: what crossing the
 * WebAssembly→JS boundary costs (`node dist/bench/helper-boundary.js [runs] [rounds]`). r1..r5
 * hold values past the small-integer range, as pointers and map handles do.
 */
import { loadavg } from 'node:os';
import { assemble } from '../src/isa/asm.js';
import { helperName } from '../src/helpers/helper-ids.js';
import type { HelperFn } from '../src/helpers/abi.js';
import { loadJit, prepareRaw } from '../src/run/raw.js';

const runs = Number(process.argv[2] ?? 200);
const rounds = Number(process.argv[3] ?? 7);
const ITER = 1000;
await loadJit();
const noop: HelperFn = () => 0n;
const helpers = { get: (id: number) => (id === 1 || id === 2 || id === 5 || id === 6 ? noop : undefined), nameOf: helperName };
const out: string[] = [];
// 5: bpf_ktime_get_ns (no arguments), 1: map_lookup_elem (2), 2: map_update_elem (4), 6: trace_printk (variadic: 5)
for (const id of [5, 1, 2, 6]) {
  const src = `mov %r6, ${ITER}\nloop:\nlddw %r1, 0xe0000000\nmov %r2, 0x10ff8\nmov %r3, 0x10ff0\nmov %r4, 0x12345678\nmov %r5, 0x7ffffff0\ncall ${id}\nsub %r6, 1\njne %r6, 0, loop\nmov %r0, 0\nexit`;
  const r = prepareRaw(assemble(src), undefined, { engine: 'jit', budget: 100_000_000, helpers });
  for (let i = 0; i < 20; i++) r.run();
  const ns: number[] = [];
  for (let k = 0; k < rounds; k++) {
    const c0 = process.cpuUsage();
    for (let i = 0; i < runs; i++) r.run();
    const c = process.cpuUsage(c0);
    ns.push(((c.user + c.system) * 1e3) / (runs * ITER));
  }
  ns.sort((a, b) => a - b);
  out.push(`helper #${id} ${ns[rounds >> 1]!.toFixed(1)} ns/call (min ${ns[0]!.toFixed(1)})`);
}
console.log(`${out.join('; ')}; load ${loadavg()[0]!.toFixed(2)}`);
