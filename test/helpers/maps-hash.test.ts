import { describe, expect, it } from 'vitest';
import { Errno } from '../../src/helpers/errno.js';
import { HashMap } from '../../src/helpers/maps/hash.js';
import { UpdateFlags } from '../../src/helpers/maps/map.js';
import { MapFlag, MapType } from '../../src/loader/kinds.js';
import { env, hex, mapDef, readU64, u32, u64 } from './util.js';

describe('hash map', () => {
  const make = (maxEntries = 3, flags = 0) => {
    const e = env();
    return { e, m: new HashMap(mapDef({ type: MapType.HASH, maxEntries, flags }), 0, e) };
  };

  it('inserts, replaces and deletes with the kernel error codes', () => {
    const { m } = make();
    expect(m.update(u32(1), u64(10), UpdateFlags.NOEXIST, 0)).toBe(0);
    expect(m.update(u32(1), u64(11), UpdateFlags.NOEXIST, 0)).toBe(-Errno.EEXIST);
    expect(m.update(u32(2), u64(20), UpdateFlags.EXIST, 0)).toBe(-Errno.ENOENT);
    expect(m.update(u32(1), u64(12), UpdateFlags.EXIST, 0)).toBe(0);
    expect(m.update(u32(1), u64(12), 4, 0)).toBe(-Errno.EINVAL);
    expect(m.delete(u32(2))).toBe(-Errno.ENOENT);
    expect(m.delete(u32(1))).toBe(0);
    expect(m.lookup(u32(1), 0)).toBe(0);
    expect(m.sysLookup(u32(1))).toBe(-Errno.ENOENT);
  });

  it('refuses a new key in a full map with -E2BIG, but replacing a key still works', () => {
    const { m } = make(2);
    expect(m.update(u32(1), u64(1), 0, 0)).toBe(0);
    expect(m.update(u32(2), u64(2), 0, 0)).toBe(0);
    expect(m.update(u32(3), u64(3), 0, 0)).toBe(-Errno.E2BIG);
    expect(m.update(u32(2), u64(22), 0, 0)).toBe(0);
    expect(m.update(u32(2), u64(23), 0, 0)).toBe(0);
    expect(m.size).toBe(2);
    expect(m.delete(u32(1))).toBe(0);
    expect(m.update(u32(3), u64(3), 0, 0)).toBe(0);
  });

  it('installs a new element on update: a pointer taken before still sees the old value', () => {
    const { e, m } = make();
    m.update(u32(7), u64(100), 0, 0);
    const before = m.lookup(u32(7), 0);
    m.update(u32(7), u64(200), 0, 0);
    const after = m.lookup(u32(7), 0);
    expect(after).not.toBe(before);
    expect(e.memory.dv.getBigUint64(before, true)).toBe(100n);
    expect(e.memory.dv.getBigUint64(after, true)).toBe(200n);
  });

  it('keeps keys in memory for callbacks and walks in insertion order', () => {
    const { e, m } = make();
    for (const k of [30, 10, 20]) m.update(u32(k), u64(k * 2), 0, 0);
    const keys: number[] = [];
    m.forEach(0, (ka, va) => {
      keys.push(e.memory.dv.getUint32(ka, true));
      expect(e.memory.dv.getBigUint64(va, true)).toBe(BigInt(keys.at(-1)! * 2));
      return false;
    });
    expect(keys).toEqual([30, 10, 20]);
    expect(hex(m.sysNextKey(undefined)!)).toBe('1e000000');
    expect(hex(m.sysNextKey(u32(10))!)).toBe('14000000');
    expect(m.sysNextKey(u32(20))).toBeUndefined();
    // keys are read-only to programs
    expect(e.memory.regionAt(m.entries().length ? e.memory.listRegions().find((r) => r.name === 'm:keys')!.start : 0)!.writable).toBe(false);
  });

  it('behaves the same without preallocation', () => {
    const { m } = make(1, MapFlag.NO_PREALLOC);
    expect(m.update(u32(1), u64(1), 0, 0)).toBe(0);
    expect(m.update(u32(2), u64(2), 0, 0)).toBe(-Errno.E2BIG);
  });
});

describe('per-CPU hash map', () => {
  it('updates in place; a new element gets the value on the current CPU, zero on the others', () => {
    const m = new HashMap(mapDef({ type: MapType.PERCPU_HASH, maxEntries: 2, valueSize: 8 }), 0, env(2));
    expect(m.update(u32(1), u64(5), 0, 1)).toBe(0);
    const a = m.lookup(u32(1), 1);
    expect(m.update(u32(1), u64(6), 0, 1)).toBe(0);
    expect(m.lookup(u32(1), 1)).toBe(a);
    const all = m.sysLookup(u32(1)) as Uint8Array;
    expect([readU64(all, 0), readU64(all, 8)]).toEqual([0n, 6n]);
    expect(m.update(u32(2), u64(1), 0, 0)).toBe(0);
    expect(m.update(u32(3), u64(1), 0, 0)).toBe(-Errno.E2BIG);
    expect(m.sysUpdate(u32(2), u64(9), 0)).toBe(0);
    expect(readU64(m.sysLookup(u32(2)) as Uint8Array, 8)).toBe(9n);
  });
});

describe('LRU hash maps', () => {
  const lru = (maxEntries: number, cpus = 2, flags = 0) => new HashMap(mapDef({ type: MapType.LRU_HASH, maxEntries, flags, valueSize: 4 }), 0, env(cpus));
  const keys = (m: HashMap) => m.entries().map((e) => e.key[0]).sort((a, b) => a! - b!);

  it('never refuses an insert: it evicts', () => {
    const m = lru(4);
    for (let i = 0; i < 10; i++) expect(m.update(u32(i), u32(i), 0, 0)).toBe(0);
    expect(m.size).toBeLessThanOrEqual(4);
    expect(keys(m)).toContain(9);
  });

  it('evicts unreferenced entries together, as the kernel frees a batch (the recorded case lru_touch)', () => {
    // maps_lru.c: insert 100..109 into a 4-entry LRU, looking up 100 after each insert
    const m = lru(4);
    for (let i = 0; i < 10; i++) {
      m.update(u32(100 + i), u32(i), UpdateFlags.NOEXIST, 0);
      m.lookup(u32(100), 0);
    }
    expect(keys(m)).toEqual([100, 107, 108, 109]);
    // a failing update still takes a node first, and that can evict (107 goes)
    expect(m.update(u32(100), u32(0), UpdateFlags.NOEXIST, 0)).toBe(-Errno.EEXIST);
    expect(m.delete(u32(100))).toBe(0);
    expect(keys(m)).toEqual([108, 109]);
  });

  it('protects a referenced entry from the next eviction', () => {
    const m = lru(2, 1);
    m.update(u32(1), u32(1), 0, 0);
    m.update(u32(2), u32(2), 0, 0);
    m.lookup(u32(1), 0);
    m.update(u32(3), u32(3), 0, 0);
    expect(keys(m)).toContain(1);
    expect(keys(m)).toContain(3);
  });

  it('checks flags after taking a node: NOEXIST on a present key is -EEXIST', () => {
    const m = lru(4);
    m.update(u32(1), u32(1), 0, 0);
    expect(m.update(u32(1), u32(2), UpdateFlags.NOEXIST, 0)).toBe(-Errno.EEXIST);
    expect(m.update(u32(5), u32(2), UpdateFlags.EXIST, 0)).toBe(-Errno.ENOENT);
    expect(m.update(u32(5), u32(2), 3, 0)).toBe(-Errno.EINVAL);
    expect(m.delete(u32(1))).toBe(0);
    expect(m.delete(u32(1))).toBe(-Errno.ENOENT);
  });

  it('keeps one LRU per CPU with BPF_F_NO_COMMON_LRU', () => {
    const m = lru(4, 2, MapFlag.NO_COMMON_LRU);
    for (let i = 0; i < 6; i++) m.update(u32(i), u32(i), 0, 0);
    // CPU 0 owns 2 of the 4 nodes
    expect(m.size).toBe(2);
    for (let i = 10; i < 12; i++) m.update(u32(i), u32(i), 0, 1);
    expect(m.size).toBe(4);
  });

  it('updates a per-CPU LRU value in place', () => {
    const m = new HashMap(mapDef({ type: MapType.LRU_PERCPU_HASH, maxEntries: 4, valueSize: 8 }), 0, env(2));
    expect(m.update(u32(1), u64(1), 0, 0)).toBe(0);
    const a = m.lookup(u32(1), 0);
    expect(m.update(u32(1), u64(2), UpdateFlags.EXIST, 0)).toBe(0);
    expect(m.lookup(u32(1), 0)).toBe(a);
    expect(m.update(u32(9), u64(2), UpdateFlags.EXIST, 0)).toBe(-Errno.ENOENT);
  });
});

describe('hash map element life cycle', () => {
  it('keeps a replaced element as the CPU\'s spare: inserts do not reuse it, the next replacement does', () => {
    const e = env(1);
    const m = new HashMap(mapDef({ type: MapType.HASH, maxEntries: 4 }), 0, e);
    m.update(u32(1), u64(100), 0, 0);
    const held = m.lookup(u32(1), 0);
    m.update(u32(1), u64(200), 0, 0);
    m.update(u32(2), u64(300), 0, 0);
    m.update(u32(3), u64(400), 0, 0);
    expect(e.memory.dv.getBigUint64(held, true)).toBe(100n);
    m.update(u32(2), u64(500), 0, 0);
    expect(m.lookup(u32(2), 0)).toBe(held);
  });
});
