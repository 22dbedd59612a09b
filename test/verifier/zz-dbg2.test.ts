import { test } from 'vitest';
import { readFileSync } from 'node:fs';
import { loadObject } from '/work/main/src/loader/index.js';
import { buildCfg } from '/work/main/src/verifier/cfg/build.js';
import { entryState, join, joinAll, leq, widen, narrow, delayedJoin } from '/work/main/src/verifier/domains/ebpf-domain.js';
import { pointer, Kind } from '/work/main/src/verifier/domains/types.js';
import { scalarConst } from '/work/main/src/verifier/domains/scalar.js';
import { fixpoint } from '/work/main/src/verifier/fixpoint.js';
import { makeEnv } from '/work/main/src/verifier/env.js';
import { transform } from '/work/main/src/verifier/transformer.js';
test('dbg', () => {
  const obj = loadObject(new Uint8Array(readFileSync(process.env.OBJ ?? 'fixtures/kernel-cases/build/maps_lru.o')));
  const prog = obj.programs[0]!;
  const cfg = buildCfg({ instructions: prog.instructions, functions: prog.functions, endian: 'little' });
  const env = makeEnv(obj, prog, { thresholds: [-2n,-1n,0n, 1n, 2n, 15n, 16n, 17n, 19n, 20n, 21n, 255n] });
  const init = entryState(pointer(Kind.CTX, scalarConst(0n)), pointer(Kind.STACK, scalarConst(512n), { frame: 0 }));
  const counts = new Map<number, number>(); let zs = 0, nz = 0, maxz = 0;
  const t = performance.now();
  fixpoint({
    entry: cfg.entry, init, wto: cfg.wto.elements, preds: (v) => cfg.blocks[v]!.preds,
    transform: (v, pre) => {
      counts.set(v, (counts.get(v) ?? 0) + 1);
      if (v === 6 && [10, 11, 12, 60, 61].includes(counts.get(v)!)) console.log(counts.get(v), pre?.toLines().join(' ; '));
      let s = pre;
      for (const nd of cfg.blocks[v]!.nodes) { if (!s) break; s = transform(nd.stmt, s, env, nd); }
      if (s) { zs += s.zone.size; nz++; maxz = Math.max(maxz, s.zone.size); }
      return s;
    },
    widenDelay: 8,
    lattice: { join, joinAll, delayedJoin, leq, narrow, widen: (a, b) => widen(a, b, env.thresholds) },
  });
  console.log('ms', performance.now() - t, [...counts].map(([b, c]) => `${b}:${c}`).join(' '), 'avg zone', zs / nz, 'max', maxz);
  for (const l of cfg.loops) console.log(l, cfg.blocks[l.head]!.nodes[0]!.stmt);
});
