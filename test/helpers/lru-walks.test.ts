import { describe, expect, it } from 'vitest';
import { KernelLru } from '../../src/helpers/maps/lru.js';
import { KernelLru as ReferenceLru } from './lru-reference.js';

/** A deterministic generator, so a failure replays. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s;
  };
}

interface Lru {
  pop(cpu: number): number;
  setRef(node: number): void;
  pushFree(node: number): void;
}

/** An LRU with the hash table it evicts from (the set of nodes holding an element), and the evictions it made. */
function withTable(make: (evict: (node: number) => boolean) => Lru): { lru: Lru; table: Set<number>; evicted: number[] } {
  const table = new Set<number>();
  const evicted: number[] = [];
  const lru = make((node) => {
    evicted.push(node);
    return table.delete(node);
  });
  return { lru, table, evicted };
}

/**
 * The LRU walks its lists as the kernel's list_for_each_entry_safe(_reverse) does, with no snapshot
 * of a list: against the snapshot version, the same operations give the same nodes and the same
 * evictions in the same order, for the common and the per-CPU LRU.
 */
describe('LRU list walks', () => {
  for (const [nodes, cpus, perCpuLists] of [
    [8, 2, false],
    [4, 2, false],
    [8, 2, true],
    [40, 4, false],
    [300, 2, false],
    [37, 3, true],
    [1, 1, false],
  ] as const) {
    it(`match the snapshot walks (${nodes} nodes, ${cpus} CPUs, ${perCpuLists ? 'per-CPU lists' : 'common LRU'})`, () => {
      const a = withTable((evict) => new KernelLru({ nodes, cpus, perCpuLists, evict }));
      const b = withTable((evict) => new ReferenceLru({ nodes, cpus, perCpuLists, evict }));
      const next = rng(nodes * 131 + cpus * 7 + (perCpuLists ? 1 : 0));
      let seen = 0;
      for (let step = 0; step < 20000; step++) {
        const r = next();
        const cpu = (r >>> 4) % cpus;
        const op = (r >>> 12) % 10;
        const inTable = [...a.table];
        if (step % 64 === 0) expect(inTable).toEqual([...b.table]);
        if (op < 5) {
          // An update: a node for the new element, kept (linked) or given back (a failed flag check).
          const na = a.lru.pop(cpu);
          expect(na).toBe(b.lru.pop(cpu));
          if (na >= 0) {
            if ((r >>> 20) % 4 !== 0) {
              a.table.add(na);
              b.table.add(na);
            } else {
              a.lru.pushFree(na);
              b.lru.pushFree(na);
            }
          }
        } else if (op < 8) {
          if (inTable.length > 0) {
            const node = inTable[(r >>> 20) % inTable.length]!;
            a.lru.setRef(node);
            b.lru.setRef(node);
          }
        } else if (inTable.length > 0) {
          // A delete.
          const node = inTable[(r >>> 20) % inTable.length]!;
          a.table.delete(node);
          b.table.delete(node);
          a.lru.pushFree(node);
          b.lru.pushFree(node);
        }
        // The evictions of this step (comparing the whole lists every step is quadratic).
        expect(a.evicted.slice(seen)).toEqual(b.evicted.slice(seen));
        expect(a.evicted.length).toBe(b.evicted.length);
        seen = a.evicted.length;
      }
      expect(a.evicted.length).toBeGreaterThan(0);
    });
  }
});
