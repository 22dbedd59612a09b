import { test } from 'vitest';
import { readFileSync } from 'node:fs';
import { loadObject } from '/work/main/src/loader/index.js';
import { verifyObject } from '/work/main/src/verifier/index.js';
test('perf', () => {
  const obj = loadObject(new Uint8Array(readFileSync('fixtures/verifier/build/accept_large.o')));
  for (let i = 0; i < 4; i++) { const t = performance.now(); const r = verifyObject(obj); console.log('ms', (performance.now() - t).toFixed(1), r.programs[0]!.accepted); }
});
