import { test } from 'vitest';
import { join, narrow, scalarRange, widen, scalarToString } from '/work/main/src/verifier/domains/scalar.js';
test('x', () => {
  const a = scalarRange(0n, 3n); const b = scalarRange(2n, 9n); const j = join(a, b);
  const w = widen(a, j, []);
  console.log(scalarToString(w), w);
  console.log(scalarToString(narrow(w, j)));
});
