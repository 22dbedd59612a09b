import { test } from 'vitest';
import { readFileSync } from 'node:fs';
import { loadObject } from '/work/main/src/loader/index.js';
import { verifyObject } from '/work/main/src/verifier/index.js';
test('dbg', async () => {
  const obj = loadObject(new Uint8Array(readFileSync(process.env.OBJ ?? 'fixtures/verifier/build/accept_large.o')));
  verifyObject(obj); verifyObject(obj);
  const { Session } = await import('node:inspector/promises');
  const session = new Session(); session.connect();
  await session.post('Profiler.enable'); await session.post('Profiler.start');
  const t = performance.now();
  verifyObject(obj);
  console.log('ms', performance.now() - t);
  const { profile } = await session.post('Profiler.stop');
  const self = new Map<string, number>(); const total = new Map<string, number>();
  const nodes = profile.nodes; const dt = profile.timeDeltas!; const samples = profile.samples!;
  const byId = new Map(nodes.map((n: any) => [n.id, n]));
  const parent = new Map<number, number>(); for (const n of nodes as any[]) for (const c of n.children ?? []) parent.set(c, n.id);
  const key = (n: any) => `${n.callFrame.functionName} ${n.callFrame.url.split('/').pop()}:${n.callFrame.lineNumber}`;
  for (let i = 0; i < samples.length; i++) { let n: any = byId.get(samples[i]); self.set(key(n), (self.get(key(n)) ?? 0) + (dt[i] ?? 0)); const seen = new Set<string>(); while (n) { const k = key(n); if (!seen.has(k)) { total.set(k, (total.get(k) ?? 0) + (dt[i] ?? 0)); seen.add(k); } n = byId.get(parent.get(n.id)!); } }
  console.log('SELF\n' + [...self].sort((a, b) => b[1] - a[1]).slice(0, 20).map(([k, v]) => `${(v / 1000).toFixed(1)}ms ${k}`).join('\n'));
  console.log('TOTAL\n' + [...total].sort((a, b) => b[1] - a[1]).slice(0, 40).map(([k, v]) => `${(v / 1000).toFixed(1)}ms ${k}`).join('\n'));
});
