import { describe, expect, it } from 'vitest';
import { mapHandle } from '../../src/helpers/abi.js';
import { Errno } from '../../src/helpers/errno.js';
import { DevMap } from '../../src/helpers/maps/devmap.js';
import { LpmTrieMap } from '../../src/helpers/maps/lpm-trie.js';
import { UpdateFlags } from '../../src/helpers/maps/map.js';
import { MapInMap } from '../../src/helpers/maps/map-in-map.js';
import { PerfEventArray } from '../../src/helpers/maps/perf-event.js';
import { ProgArrayMap } from '../../src/helpers/maps/prog-array.js';
import { MapFlag, MapType } from '../../src/loader/kinds.js';
import { env, hex, mapDef, u32 } from './util.js';

const v4 = (len: number, a: number, b: number, c: number, d: number): Uint8Array => {
  const k = new Uint8Array(8);
  new DataView(k.buffer).setUint32(0, len, true);
  k.set([a, b, c, d], 4);
  return k;
};

describe('LPM trie map', () => {
  const make = (maxEntries = 4) => {
    const e = env();
    const m = new LpmTrieMap(mapDef({ type: MapType.LPM_TRIE, keySize: 8, valueSize: 4, maxEntries, flags: MapFlag.NO_PREALLOC }), 0, e);
    const find = (k: Uint8Array): number => {
      const a = m.lookup(k, 0);
      return a === 0 ? -1 : e.memory.dv.getUint32(a, true);
    };
    return { m, find };
  };

  it('returns the longest prefix that matches', () => {
    const { m, find } = make();
    m.update(v4(8, 10, 0, 0, 0), u32(8), 0, 0);
    m.update(v4(24, 10, 1, 2, 0), u32(24), 0, 0);
    m.update(v4(0, 0, 0, 0, 0), u32(0), 0, 0);
    expect(find(v4(32, 10, 1, 2, 3))).toBe(24);
    expect(find(v4(32, 10, 1, 3, 3))).toBe(8);
    expect(find(v4(32, 192, 168, 0, 1))).toBe(0);
    // the key's own prefix length caps the match
    expect(find(v4(16, 10, 1, 2, 3))).toBe(8);
  });

  it('addresses entries by exact prefix for update and delete, with the kernel error codes', () => {
    const { m, find } = make(2);
    expect(m.update(v4(24, 10, 0, 0, 1), u32(1), UpdateFlags.NOEXIST, 0)).toBe(0);
    // same /24 (bits past the prefix differ): the same entry
    expect(m.update(v4(24, 10, 0, 0, 99), u32(2), UpdateFlags.NOEXIST, 0)).toBe(-Errno.EEXIST);
    expect(m.update(v4(24, 10, 0, 0, 99), u32(2), UpdateFlags.EXIST, 0)).toBe(0);
    expect(hex(m.entries()[0]!.key)).toBe('180000000a000063');
    expect(m.update(v4(16, 10, 0, 0, 0), u32(3), UpdateFlags.EXIST, 0)).toBe(-Errno.ENOENT);
    expect(m.update(v4(33, 10, 0, 0, 0), u32(3), 0, 0)).toBe(-Errno.EINVAL);
    expect(m.update(v4(16, 10, 0, 0, 0), u32(3), 0, 0)).toBe(0);
    expect(m.update(v4(12, 10, 0, 0, 0), u32(3), 0, 0)).toBe(-Errno.ENOSPC);
    expect(m.delete(v4(24, 10, 0, 0, 0))).toBe(0);
    expect(m.delete(v4(24, 10, 0, 0, 0))).toBe(-Errno.ENOENT);
    expect(m.delete(v4(40, 10, 0, 0, 0))).toBe(-Errno.EINVAL);
    expect(find(v4(32, 10, 0, 0, 1))).toBe(3);
  });

  it('walks keys longest-first inside a prefix, as the kernel post-order', () => {
    const { m } = make(4);
    m.update(v4(8, 10, 0, 0, 0), u32(0), 0, 0);
    m.update(v4(16, 10, 1, 0, 0), u32(0), 0, 0);
    m.update(v4(16, 10, 0, 0, 0), u32(0), 0, 0);
    const order: string[] = [];
    for (let k = m.sysNextKey(undefined); k; k = m.sysNextKey(k)) order.push(hex(k));
    expect(order).toEqual(['100000000a000000', '100000000a010000', '080000000a000000']);
  });
});

describe('prog array, maps of maps, perf event array, devmap', () => {
  it('prog arrays hold programs by index; user space cannot read them back', () => {
    const m = new ProgArrayMap(mapDef({ type: MapType.PROG_ARRAY, valueSize: 4, maxEntries: 2 }), 0, env());
    expect(m.setProgram(1, 5)).toBe(0);
    expect(m.program(1)).toBe(5);
    expect(m.program(0)).toBeUndefined();
    expect(m.setProgram(2, 5)).toBe(-Errno.E2BIG);
    expect(m.sysLookup(u32(1))).toBe(-Errno.ENOTSUPP);
    expect(m.sysDelete(u32(0))).toBe(-Errno.ENOENT);
    expect(m.sysDelete(u32(1))).toBe(0);
    expect(m.entries()).toEqual([]);
  });

  it('maps of maps give programs the inner map pointer', () => {
    const arr = new MapInMap(mapDef({ type: MapType.ARRAY_OF_MAPS, valueSize: 4, maxEntries: 2 }), 0, env());
    expect(arr.setInner(u32(1), 7)).toBe(0);
    expect(arr.lookup(u32(1), 0)).toBe(mapHandle(7));
    expect(arr.lookup(u32(0), 0)).toBe(0);
    expect(arr.setInner(u32(2), 7)).toBe(-Errno.E2BIG);
    expect(arr.update(u32(0), u32(1), 0, 0)).toBe(-Errno.EINVAL);
    expect(arr.delete(u32(0))).toBe(-Errno.ENOENT);
    const h = new MapInMap(mapDef({ type: MapType.HASH_OF_MAPS, valueSize: 4, maxEntries: 1 }), 0, env());
    expect(h.setInner(u32(9), 3, UpdateFlags.EXIST)).toBe(-Errno.ENOENT);
    expect(h.setInner(u32(9), 3)).toBe(0);
    expect(h.setInner(u32(8), 3)).toBe(-Errno.E2BIG);
    expect(h.delete(u32(9))).toBe(0);
  });

  it('perf event arrays capture only what an open reader receives', () => {
    const m = new PerfEventArray(mapDef({ type: MapType.PERF_EVENT_ARRAY, valueSize: 4, maxEntries: 2 }), 0, env());
    expect(m.isOpen(0)).toBe(false);
    m.open([0]);
    expect(m.isOpen(0) && !m.isOpen(1)).toBe(true);
    m.records.push({ map: 'm', cpu: 0, data: new Uint8Array([1]) });
    expect(m.drain()).toHaveLength(1);
    expect(m.drain()).toHaveLength(0);
  });

  it('devmaps hold interfaces for redirect_map', () => {
    const m = new DevMap(mapDef({ type: MapType.DEVMAP, valueSize: 4, maxEntries: 2 }), 0, env());
    expect(m.target(0)).toBeUndefined();
    expect(m.update(u32(0), u32(3), 0, 0)).toBe(0);
    expect(m.target(0)).toBe(3);
    expect(m.update(u32(2), u32(3), 0, 0)).toBe(-Errno.E2BIG);
    expect(m.update(u32(0), u32(4), UpdateFlags.NOEXIST, 0)).toBe(-Errno.EEXIST);
    expect(m.delete(u32(0))).toBe(0);
    expect(m.delete(u32(0))).toBe(-Errno.ENOENT);
  });
});
