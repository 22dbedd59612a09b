import { test } from 'vitest';
import { readFileSync } from 'node:fs';
import { loadObject } from '/work/main/src/loader/index.js';
import { verifyObject } from '/work/main/src/verifier/index.js';
test('perf', () => {
  const obj = loadObject(new Uint8Array(readFileSync(process.env.OBJ ?? 'fixtures/verifier/build/accept_large.o')));
  for (let i = 0; i < 4; i++) { const c = process.cpuUsage(); const t = performance.now(); const r = verifyObject(obj); const u = process.cpuUsage(c); console.log('wall', (performance.now() - t).toFixed(1), 'cpu', ((u.user + u.system) / 1000).toFixed(1), r.programs[0]!.accepted); }
});
