/** cpumap, xskmap and bloom filter maps from user space (the program side is in the recorded kernel cases, maps_more.c). */
import { describe, expect, it } from 'vitest';
import { MapType, MapFlag } from '../../src/loader/kinds.js';
import { BloomFilterMap } from '../../src/helpers/maps/bloom-filter.js';
import { CpuMap } from '../../src/helpers/maps/cpumap.js';
import { DevMap } from '../../src/helpers/maps/devmap.js';
import { createMap } from '../../src/helpers/maps/create.js';
import { XskMap } from '../../src/helpers/maps/xskmap.js';
import { jhash, jhash2 } from '../../src/helpers/kernel/jhash.js';
import { env, mapDef, u32 } from './util.js';

describe('cpumap', () => {
  it('takes a queue size for a possible CPU; 0 empties the slot; redirects only to filled slots', () => {
    const m = createMap(mapDef({ type: MapType.CPUMAP, valueSize: 4, maxEntries: 4 }), 0, env(2)) as CpuMap;
    expect(m.sysUpdate(u32(1), u32(192), 0)).toBe(0);
    expect(m.sysUpdate(u32(3), u32(192), 0)).toBe(-19); // -ENODEV: only 2 CPUs
    expect(m.sysUpdate(u32(4), u32(192), 0)).toBe(-7); // -E2BIG
    expect(m.sysUpdate(u32(0), u32(192), 1)).toBe(-17); // BPF_NOEXIST: -EEXIST
    expect(m.redirectTarget(1)).toEqual({ ifindex: 0, cpu: 1 });
    expect(m.redirectTarget(0)).toBeUndefined();
    expect(m.sysUpdate(u32(1), u32(0), 0)).toBe(0);
    expect(m.redirectTarget(1)).toBeUndefined();
  });
});

describe('xskmap', () => {
  it('holds queue ids a program looks up, redirects to them, and cannot be read back', () => {
    const m = createMap(mapDef({ type: MapType.XSKMAP, valueSize: 4, maxEntries: 4 }), 0, env()) as XskMap;
    expect(m.sysUpdate(u32(2), u32(5), 0)).toBe(0);
    expect(m.sysUpdate(u32(2), u32(5), 1)).toBe(-17);
    expect(m.sysUpdate(u32(1), u32(5), 2)).toBe(-2);
    expect(m.lookup(u32(2), 0)).not.toBe(0);
    expect(m.redirectTarget(2)).toEqual({ ifindex: 0, queue: 5 });
    expect(m.sysLookup(u32(2))).toBe(-95);
    expect(m.entries()).toEqual([]);
  });
});

describe('bloom filter', () => {
  it('sizes its bit array as the kernel does and answers push/peek', () => {
    const m = createMap(mapDef({ type: MapType.BLOOM_FILTER, keySize: 0, valueSize: 4, maxEntries: 100, flags: MapFlag.ZERO_SEED }), 0, env()) as BloomFilterMap;
    expect(m.hashes).toBe(5);
    expect(m.bitsetMask).toBe(1023); // 100 * 5 / 5 * 7 = 700 -> 1024 bits
    expect(m.push(u32(42), 0)).toBe(0);
    expect(m.push(u32(42), 2)).toBe(-22);
    expect(m.peekValue(u32(42))).toBe(0);
    expect(m.peekValue(u32(43))).toBe(-2);
    expect(m.update()).toBe(-95);
    expect(m.sysLookup()).toBe(-95);
  });

  it('hashes with the kernel\'s jhash (lookup3)', () => {
    expect(jhash(new Uint8Array(0), 0)).toBe(0xdeadbeef);
    expect(jhash2([], 0)).toBe(0xdeadbeef);
    // jhash and jhash2 agree on whole words.
    expect(jhash(u32(0x12345678), 7)).toBe(jhash2([0x12345678], 7));
    expect(jhash(new TextEncoder().encode('abcdefghijklm'), 1)).not.toBe(jhash(new TextEncoder().encode('abcdefghijkln'), 1));
  });
});

describe('devmap redirect targets', () => {
  it('follow updates and deletes, as the stored values say (the redirect reads them by the key number)', () => {
    for (const type of [MapType.DEVMAP, MapType.DEVMAP_HASH]) {
      const m = createMap(mapDef({ type, valueSize: 8, maxEntries: 4 }), 0, env()) as DevMap;
      const stored = (k: number): number | undefined => {
        const v = m.sysLookup(u32(k));
        return typeof v === 'number' ? undefined : new DataView(v.buffer, v.byteOffset).getUint32(0, true);
      };
      const script: Array<[number, number | undefined]> = [[1, 5], [2, 7], [1, 9], [3, 11], [2, undefined], [2, 13], [1, undefined]];
      for (const [k, ifindex] of script) {
        if (ifindex === undefined) expect(m.sysDelete(u32(k))).toBe(0);
        else expect(m.sysUpdate(u32(k), new Uint8Array([...u32(ifindex), 0, 0, 0, 0]), 0)).toBe(0);
        for (const key of [0, 1, 2, 3, 9, 0xffffffff]) expect(m.redirectTarget(key)?.ifindex, `${type} key ${key}`).toBe(stored(key));
      }
      expect(m.redirectTarget(3)).toEqual({ ifindex: 11 });
      expect(m.redirectTarget(1)).toBeUndefined();
    }
  });
});
