import { describe, expect, it } from 'vitest';
import { Errno } from '../../src/helpers/errno.js';
import { HashMap } from '../../src/helpers/maps/hash.js';
import { UpdateFlags } from '../../src/helpers/maps/map.js';
import { MapType } from '../../src/loader/kinds.js';
import { env, hex, mapDef, readU64, u64 } from './util.js';

/** A deterministic generator, so a failure replays. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s;
  };
}

/**
 * The hash map's own open-addressing table against a model (a JS Map, whose order is insertion
 * order, as the map promises for get_next_key): many inserts, replacements and deletes in a key
 * space small enough to collide, and a map large enough that the table grows.
 */
describe('hash map table', () => {
  for (const [keySize, maxEntries] of [
    [4, 3000],
    [16, 700],
    [3, 50],
  ] as const) {
    it(`matches a model over random operations (key ${keySize} bytes, ${maxEntries} entries)`, () => {
      const e = env();
      const m = new HashMap(mapDef({ type: MapType.HASH, keySize, maxEntries }), 0, e);
      const model = new Map<string, bigint>();
      const next = rng(keySize * 7919 + maxEntries);
      const keyOf = (n: number): Uint8Array => {
        const k = new Uint8Array(keySize);
        for (let i = 0; i < keySize; i++) k[i] = (n * (i + 3)) & 0xff;
        k[0] = n & 0xff;
        k[keySize - 1] = (n >> 8) & 0xff;
        return k;
      };
      for (let step = 0; step < 20000; step++) {
        const r = next();
        const key = keyOf(r % Math.floor(maxEntries * 1.3));
        const h = hex(key);
        const op = (r >>> 24) % 4;
        if (op === 3) {
          expect(m.delete(key)).toBe(model.delete(h) ? 0 : -Errno.ENOENT);
          continue;
        }
        const v = BigInt(step);
        const want = model.has(h) ? 0 : model.size >= maxEntries ? -Errno.E2BIG : 0;
        expect(m.update(key, u64(v), UpdateFlags.ANY, step & 1)).toBe(want);
        if (want === 0) model.set(h, v);
        if (step % 997 === 0) {
          expect(m.size).toBe(model.size);
          expect(m.entries().map((x) => [hex(x.key), readU64(x.value)])).toEqual([...model]);
        }
      }
      for (const [h, v] of model) {
        const key = new Uint8Array(Buffer.from(h, 'hex'));
        expect(e.memory.dv.getBigUint64(m.lookup(key, 0), true)).toBe(v);
      }
      const walked: string[] = [];
      for (let k = m.sysNextKey(undefined); k !== undefined; k = m.sysNextKey(k)) walked.push(hex(k));
      expect(walked).toEqual([...model.keys()]);
    });
  }

  for (const type of [MapType.LRU_HASH, MapType.LRU_PERCPU_HASH]) {
    it(`stays consistent while the LRU evicts (type ${type})`, () => {
      const e = env();
      const m = new HashMap(mapDef({ type, maxEntries: 300 }), 0, e);
      const next = rng(type);
      const k = (n: number): Uint8Array => new Uint8Array([n & 0xff, (n >> 8) & 0xff, 0, 0]);
      for (let step = 0; step < 20000; step++) {
        const r = next();
        const key = k(r % 700);
        if ((r >>> 24) % 5 === 0) m.delete(key);
        else if ((r >>> 24) % 5 === 1) m.lookup(key, 0);
        else expect(m.update(key, u64(step), UpdateFlags.ANY, step & 1)).toBe(0);
        if (step % 1999 === 0) {
          const keys = m.entries().map((x) => hex(x.key));
          expect(new Set(keys).size).toBe(keys.length);
          expect(keys.length).toBe(m.size);
          expect(m.size).toBeLessThanOrEqual(300);
          for (const h of keys) expect(m.lookup(new Uint8Array(Buffer.from(h, 'hex')), 0)).not.toBe(0);
          const walked: string[] = [];
          for (let x = m.sysNextKey(undefined); x !== undefined; x = m.sysNextKey(x)) walked.push(hex(x));
          expect(walked).toEqual(keys);
        }
      }
    });
  }

  // updateAt/lookupAt/deleteAt have a path of their own (keys hashed and compared in place, the
  // bucket of a found key reused): twin maps, one driven through it and one through the byte API,
  // must agree on every status, every value a lookup sees, the spare elements and the order.
  for (const type of [MapType.HASH, MapType.PERCPU_HASH, MapType.LRU_HASH, MapType.LRU_PERCPU_HASH]) {
    for (const keySize of [4, 6, 16]) {
      it(`in place as through the byte API over random operations (type ${type}, key ${keySize} bytes)`, () => {
        const e = env();
        const def = mapDef({ type, keySize, valueSize: 12, maxEntries: 40 });
        const a = new HashMap(def, 0, e);
        const b = new HashMap(def, 1, e);
        const scratch = e.memory.alloc('scratch', 'scratch', 32);
        const kAt = scratch.start;
        const vAt = scratch.start + 16;
        const next = rng(type * 31 + keySize);
        const held: Array<[number, number]> = [];
        for (let step = 0; step < 6000; step++) {
          const r = next();
          const n = r % 70;
          const key = new Uint8Array(keySize);
          for (let i = 0; i < keySize; i++) key[i] = (n * (i + 1)) & 0xff;
          key[keySize - 1] = n;
          const value = new Uint8Array(12);
          for (let i = 0; i < 12; i++) value[i] = (step + i) & 0xff;
          e.memory.u8.set(key, kAt);
          e.memory.u8.set(value, vAt);
          const cpu = (r >>> 8) & 1;
          const op = (r >>> 16) % 6;
          if (op === 0) expect(a.deleteAt(kAt)).toBe(b.delete(key));
          else if (op === 1) {
            const pa = a.lookupAt(kAt, cpu);
            const pb = b.lookup(key, cpu);
            expect(pa === 0).toBe(pb === 0);
            if (pa !== 0) {
              expect(hex(e.memory.u8.slice(pa, pa + 12))).toBe(hex(e.memory.u8.slice(pb, pb + 12)));
              held.push([pa, pb]);
            }
          } else {
            // ANY, NOEXIST, EXIST and a bad flag.
            const flags = [0, 0, 1, 2, 5][(r >>> 20) % 5]!;
            expect(a.updateAt(kAt, vAt, flags, cpu)).toBe(b.update(key, value, flags, cpu));
          }
          // Pointers taken earlier see the same bytes (replaced elements, spares, per-CPU copies in place).
          for (const [pa, pb] of held.slice(-4)) expect(hex(e.memory.u8.slice(pa, pa + 12))).toBe(hex(e.memory.u8.slice(pb, pb + 12)));
          if (step % 500 === 0) {
            for (const cpu of [0, 1]) {
              expect(a.entries(cpu).map((x) => [hex(x.key), hex(x.value)])).toEqual(b.entries(cpu).map((x) => [hex(x.key), hex(x.value)]));
            }
          }
        }
        expect(a.size).toBe(b.size);
        // Each path finds the keys the other inserted (one hash function, however the key is read).
        for (const { key } of a.entries()) {
          expect(a.lookup(key, 0)).not.toBe(0);
          e.memory.u8.set(key, kAt);
          expect(b.lookupAt(kAt, 0)).not.toBe(0);
        }
      });
    }
  }

  it('reads keys and values in place from the memory (the helpers path) as the byte API does', () => {
    const e = env();
    const m = new HashMap(mapDef({ type: MapType.HASH, keySize: 8, maxEntries: 4 }), 0, e);
    const scratch = e.memory.alloc('scratch', 'scratch', 16);
    e.memory.u8.set([1, 2, 3, 4, 5, 6, 7, 8], scratch.start);
    e.memory.dv.setBigUint64(scratch.start + 8, 42n, true);
    expect(m.updateAt(scratch.start, scratch.start + 8, UpdateFlags.NOEXIST, 0)).toBe(0);
    expect(m.updateAt(scratch.start, scratch.start + 8, UpdateFlags.NOEXIST, 0)).toBe(-Errno.EEXIST);
    const addr = m.lookup(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]), 0);
    expect(m.lookupAt(scratch.start, 0)).toBe(addr);
    expect(e.memory.dv.getBigUint64(addr, true)).toBe(42n);
    // The key bytes changing after the update do not change the stored key.
    e.memory.u8[scratch.start] = 9;
    expect(m.lookupAt(scratch.start, 0)).toBe(0);
    expect(m.deleteAt(scratch.start)).toBe(-Errno.ENOENT);
    e.memory.u8[scratch.start] = 1;
    expect(m.deleteAt(scratch.start)).toBe(0);
    expect(m.size).toBe(0);
  });

  it('keeps a replaced key at its place in the iteration order', () => {
    const e = env();
    const m = new HashMap(mapDef({ type: MapType.HASH, maxEntries: 4 }), 0, e);
    const k = (n: number): Uint8Array => new Uint8Array([n, 0, 0, 0]);
    for (const n of [5, 6, 7]) m.update(k(n), u64(n), 0, 0);
    m.update(k(6), u64(60), 0, 0);
    expect(m.entries().map((x) => [x.key[0], readU64(x.value)])).toEqual([
      [5, 5n],
      [6, 60n],
      [7, 7n],
    ]);
  });
});
