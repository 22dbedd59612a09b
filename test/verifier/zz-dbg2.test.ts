import { test } from 'vitest';
import { readFileSync } from 'node:fs';
import { loadObject } from '/work/main/src/loader/index.js';
import { buildCfg } from '/work/main/src/verifier/cfg/build.js';
import { entryState, join, leq, widen, narrow, delayedJoin } from '/work/main/src/verifier/domains/ebpf-domain.js';
import { pointer, Kind } from '/work/main/src/verifier/domains/types.js';
import { scalarConst } from '/work/main/src/verifier/domains/scalar.js';
import { fixpoint } from '/work/main/src/verifier/fixpoint.js';
import { makeEnv } from '/work/main/src/verifier/env.js';
import { transform } from '/work/main/src/verifier/transformer.js';
test('dbg', () => {
  const obj = loadObject(new Uint8Array(readFileSync('fixtures/kernel-cases/build/maps_lru.o')));
  const prog = obj.programs[0]!;
  const cfg = buildCfg({ instructions: prog.instructions, functions: prog.functions, endian: 'little' });
  const env = makeEnv(obj, prog, new Map(), { thresholds: [-2n,-1n,0n, 1n, 2n, 15n, 16n, 17n, 19n, 20n, 21n, 255n] });
  const init = entryState(pointer(Kind.CTX, scalarConst(0n)), pointer(Kind.STACK, scalarConst(512n), { frame: 0 }));
  const counts = new Map<number, number>(); let zs = 0, nz = 0;
  const r = fixpoint({
    entry: cfg.entry, init, wto: cfg.wto.elements, preds: (v) => cfg.blocks[v]!.preds,
    transform: (v, pre) => {
      counts.set(v, (counts.get(v) ?? 0) + 1);
      if (false && (counts.get(v)! > 17 && counts.get(v)! < 26)) console.log(counts.get(v), pre?.toLines().join(' ; '));
      let s = pre;
      for (const nd of cfg.blocks[v]!.nodes) { if (!s) break; s = transform(nd.stmt, s, env, nd); }
      if (s) { zs += s.zone.size; nz++; }
      return s;
    },
    widenDelay: 80,
    lattice: { join, delayedJoin, leq, narrow, widen: (a, b) => widen(a, b, env.thresholds) },
  });
  console.log([...counts].map(([b, c]) => `${b}:${c}`).join(' '), 'avg zone', zs / nz);
  console.log(r.pre.get(4)?.toLines().join('\n'));
  console.log(cfg.blocks[4]!.nodes[0]!.stmt);
});
