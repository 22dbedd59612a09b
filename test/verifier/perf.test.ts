/**
 * Verification time: the 4,099-instruction accept_large fixture (an unrolled packet walk with
 * map updates). The machine running the tests may be shared, so the bound here is loose; the
 * time is printed for the record.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { loadObject } from '../../src/loader/index.js';
import { verifyObject } from '../../src/verifier/index.js';

it('verifies a 4,000-instruction program in about a second at most', () => {
  const obj = loadObject(new Uint8Array(readFileSync(join(import.meta.dirname, '..', '..', 'fixtures', 'verifier', 'build', 'accept_large.o'))));
  verifyObject(obj); // warm up the JIT
  const cpu = process.cpuUsage();
  const report = verifyObject(obj);
  const used = process.cpuUsage(cpu);
  const p = report.programs[0]!;
  expect(p.accepted).toBe(true);
  expect(p.stats.instructions).toBeGreaterThan(4000);
  console.log(`accept_large: ${p.stats.instructions} instructions, ${p.stats.ms} ms wall, ${((used.user + used.system) / 1000).toFixed(0)} ms CPU`);
  expect(p.stats.ms).toBeLessThan(3000);
});
