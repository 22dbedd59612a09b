import { describe, expect, it } from 'vitest';
import { HELPER_ARGS, mapHandle, type HelperRuntime, type HelperTable } from '../../src/helpers/abi.js';
import { helperId } from '../../src/helpers/helper-ids.js';
import { FAST_HELPER_IDS, fastHelperFunctions, helperFunctions } from '../../src/helpers/impl/registry.js';
import { MapType } from '../../src/loader/kinds.js';
import { createEngine, loadJitEngine, type EngineKind } from '../../src/run/engine.js';
import { asmInstance, harness, mapDef, u32, u64 } from './util.js';

const M0 = mapHandle(0);

/** What a call gives: r0 (signed) or the fault's message. */
function outcome(f: () => bigint): string {
  try {
    return String(f());
  } catch (e) {
    return `fault: ${(e as Error).message}`;
  }
}

/**
 * The fast paths (FastHelperFn, arguments in memory, r0 a number) against the HelperFns they stand
 * for: the same script of calls on two identical kernels gives the same results, faults and maps.
 */
describe('fast paths of the map helpers', () => {
  it('exist only beside a HelperFn, for helpers whose JIT calls pass arguments in memory', () => {
    const h = harness();
    const fns = helperFunctions(h.instance.kernel);
    const fast = fastHelperFunctions(h.instance.kernel);
    expect(fast.size).toBeGreaterThan(0);
    for (const id of fast.keys()) {
      expect(fns.has(id)).toBe(true);
      expect(FAST_HELPER_IDS.has(id)).toBe(true);
    }
    expect(FAST_HELPER_IDS.size).toBe(fast.size);
  });

  const maps = [
    mapDef({ name: 'hash', type: MapType.HASH, maxEntries: 2 }),
    mapDef({ name: 'pcpu', type: MapType.PERCPU_HASH, keySize: 2, valueSize: 4, maxEntries: 2 }),
    mapDef({ name: 'array', type: MapType.ARRAY, maxEntries: 2 }),
    mapDef({ name: 'lru', type: MapType.LRU_HASH, maxEntries: 2 }),
  ];
  const script = (h: ReturnType<typeof harness>): Array<[string, Array<number | bigint>]> => {
    const k = [1, 2, 3].map((n) => h.buf(u32(n)));
    const k16 = h.buf(new Uint8Array([7, 0]));
    const v = h.buf(u64(0x1122334455667788n));
    const short = h.buf(2);
    const out: Array<[string, Array<number | bigint>]> = [];
    for (let m = 0; m < maps.length; m++) {
      const M = mapHandle(m);
      const key = m === 1 ? k16 : k[0]!;
      out.push(
        ['map_lookup_elem', [M, key]],
        ['map_update_elem', [M, key, v, 1]],
        ['map_update_elem', [M, key, v, 1]],
        ['map_update_elem', [M, k[1]!, v, 2]],
        ['map_update_elem', [M, k[1]!, v, 0]],
        ['map_update_elem', [M, k[2]!, v, 0]],
        ['map_update_elem', [M, key, v, 1n << 32n]],
        ['map_lookup_elem', [M, key]],
        ['map_lookup_percpu_elem', [M, key, 1]],
        ['map_lookup_percpu_elem', [M, key, 5]],
        ['map_delete_elem', [M, key]],
        ['map_delete_elem', [M, key]],
        ['map_lookup_elem', [M, short]],
        ['map_update_elem', [M, key, 16, 0]],
        ['map_delete_elem', [M, (1n << 40n) | 8n]],
      );
    }
    out.push(['map_lookup_elem', [0x1234, k[0]!]], ['map_update_elem', [(1n << 36n) | BigInt(M0), k[0]!, v, 0]]);
    return out;
  };

  it('give the results, faults and maps of the HelperFns', () => {
    const slow = harness(maps);
    const fastH = harness(maps);
    const fast = fastHelperFunctions(fastH.instance.kernel);
    const rt: HelperRuntime = { memory: fastH.instance.memory, pc: 0, callFunction: () => 0n };
    const a = script(slow);
    const b = script(fastH);
    let fastCalls = 0;
    for (let i = 0; i < a.length; i++) {
      const [name, args] = a[i]!;
      const fn = fast.get(helperId(name))!;
      const dv = fastH.instance.memory.dv;
      b[i]![1].forEach((x, j) => dv.setBigUint64(HELPER_ARGS + 8 * j, BigInt.asUintN(64, BigInt(x)), true));
      const want = outcome(() => slow.call(name, ...args));
      const got = outcome(() => {
        fastCalls++;
        return BigInt.asIntN(64, BigInt(fn(rt, HELPER_ARGS)));
      });
      expect(`${i} ${name}: ${got}`).toBe(`${i} ${name}: ${want}`);
    }
    expect(fastCalls).toBe(a.length);
    for (const m of maps) {
      expect(fastH.instance.map(m.name).entries()).toEqual(slow.instance.map(m.name).entries());
      expect(slow.instance.map(m.name).entries().length).toBeGreaterThan(0);
    }
  });

  /** A program of map operations whose r0 sums their results; it ends in a fault on a bad key pointer when `fault`. */
  const program = (fault: boolean): string =>
    [
      'mov %r6, 0',
      ...[1, 2, 3, 1].flatMap((k, i) => [
        `stw [%r10-4], ${k}`,
        `stdw [%r10-16], ${100 + i}`,
        'lddw %r1, map_fd 0',
        'mov %r2, %r10',
        'add %r2, -4',
        'mov %r3, %r10',
        'add %r3, -16',
        `mov %r4, ${i % 3}`,
        'call 2',
        'add %r6, %r0',
        'lddw %r1, map_fd 0',
        'mov %r2, %r10',
        'add %r2, -4',
        'call 1',
        'jeq %r0, 0, +2',
        'ldxdw %r0, [%r0+0]',
        'add %r6, %r0',
      ]),
      'lddw %r1, map_fd 0',
      'mov %r2, %r10',
      'add %r2, -4',
      'call 3',
      'add %r6, %r0',
      ...(fault ? ['lddw %r1, map_fd 0', 'mov %r2, 24', 'call 3'] : []),
      'mov %r0, %r6',
      'exit',
    ].join('\n');

  for (const engine of ['interp', 'jit'] as EngineKind[]) {
    it(`${engine}: a program gives the same r0, maps and faults with and without the fast paths`, async () => {
      if (engine === 'jit') await loadJitEngine();
      for (const fault of [false, true]) {
        const results: string[] = [];
        for (const withFast of [true, false]) {
          const inst = asmInstance([{ asm: program(fault) }], [mapDef({ type: MapType.HASH, maxEntries: 2 })]);
          const t = inst.helpers;
          const table: HelperTable = withFast ? t : { get: (id) => t.get(id), nameOf: (id) => t.nameOf(id) };
          const e = createEngine(engine, inst.execProgram(0), inst.memory, table);
          const r = outcome(() => BigInt.asIntN(64, e.run([0n])));
          results.push(`${r} ${JSON.stringify(inst.map('m').entries().map((x) => [...x.key, ...x.value]))}`);
        }
        expect(results[0]).toBe(results[1]);
        if (fault) expect(results[0]).toMatch(/fault: .*0x18/);
        else expect(results[0]).toMatch(/^\d+ /);
      }
    });
  }
  // Engines keep the bounds they checked last across a map helper's fast path, which moves no
  // region as a rule; one that does change the layout must make them check again.
  for (const engine of ['interp', 'jit'] as EngineKind[]) {
    it(`${engine}: an access after a fast path that moved a region is checked again`, async () => {
      if (engine === 'jit') await loadJitEngine();
      const asm = [
        'stw [%r10-4], 1',
        'stdw [%r10-16], 7',
        'lddw %r1, map_fd 0',
        'mov %r2, %r10',
        'add %r2, -4',
        'mov %r3, %r10',
        'add %r3, -16',
        'mov %r4, 0',
        'call 2',
        'lddw %r1, map_fd 0',
        'mov %r2, %r10',
        'add %r2, -4',
        'call 1',
        'jeq %r0, 0, +7',
        'mov %r6, %r0',
        'ldxdw %r7, [%r6+0]',
        'lddw %r1, map_fd 0',
        'mov %r2, %r10',
        'add %r2, -4',
        'call 1',
        'ldxdw %r0, [%r6+0]',
        'exit',
      ].join('\n');
      const results: string[] = [];
      for (const shrink of [false, true]) {
        const inst = asmInstance([{ asm }], [mapDef({ type: MapType.HASH, maxEntries: 2 })]);
        const t = inst.helpers;
        const values = inst.memory.listRegions().find((r) => r.name === 'm')!;
        let lookups = 0;
        const table: HelperTable = {
          get: (id) => t.get(id),
          nameOf: (id) => t.nameOf(id),
          fast: (id) => {
            const f = t.fast?.(id);
            if (id !== 1 || f === undefined) return f;
            return (rt, a) => {
              const r = f(rt, a);
              // The second lookup leaves the values' region empty (the layout changes).
              if (++lookups === 2 && shrink) inst.memory.setBounds(values, values.start, values.start, { start: values.start, end: values.end });
              return r;
            };
          },
        };
        const e = createEngine(engine, inst.execProgram(0), inst.memory, table);
        results.push(outcome(() => BigInt.asIntN(64, e.run([0n]))));
      }
      expect(results[0]).toBe('7');
      expect(results[1]).toMatch(/^fault: pc 23: invalid memory access: read of 8 bytes at .* runs past the end of region 'm'/);
    });
  }
});
