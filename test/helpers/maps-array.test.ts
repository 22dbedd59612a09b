import { describe, expect, it } from 'vitest';
import { Errno } from '../../src/helpers/errno.js';
import { ArrayMap } from '../../src/helpers/maps/array.js';
import { UpdateFlags } from '../../src/helpers/maps/map.js';
import { MapType } from '../../src/loader/kinds.js';
import { env, hex, mapDef, readU64, u32, u64 } from './util.js';

describe('array map', () => {
  const make = (over = {}) => new ArrayMap(mapDef({ type: MapType.ARRAY, maxEntries: 4, valueSize: 12, ...over }), 0, env());

  it('has every index from creation, zeroed, and no others', () => {
    const m = make();
    expect(m.lookup(u32(3), 0)).not.toBe(0);
    expect(m.lookup(u32(4), 0)).toBe(0);
    expect(hex(m.sysLookup(u32(0)) as Uint8Array)).toBe('00'.repeat(12));
    expect(m.sysLookup(u32(4))).toBe(-Errno.ENOENT);
    expect(m.entries().map((e) => hex(e.key))).toEqual(['00000000', '01000000', '02000000', '03000000']);
  });

  it('reads keys and values in place (the helpers path) as the byte API does', () => {
    for (const type of [MapType.ARRAY, MapType.PERCPU_ARRAY]) {
      const e = env();
      const m = new ArrayMap(mapDef({ type, maxEntries: 4, valueSize: 12 }), 0, e);
      const b = e.memory.alloc('args', 'mem', 16).start;
      const v = new Uint8Array(12).map((_, i) => i + 1);
      e.memory.u8.set(v, b + 4);
      for (const [k, flags, want] of [
        [2, UpdateFlags.ANY, 0],
        [3, UpdateFlags.EXIST, 0],
        [1, UpdateFlags.NOEXIST, -Errno.EEXIST],
        [4, UpdateFlags.ANY, -Errno.E2BIG],
        [0, 7, -Errno.EINVAL],
      ] as const) {
        e.memory.dv.setUint32(b, k, true);
        expect(m.updateAt(b, b + 4, flags, 1)).toBe(want);
        expect(m.lookupAt(b, 1)).toBe(m.lookup(u32(k), 1));
      }
      expect(hex(e.memory.u8.slice(m.lookup(u32(3), 1), m.lookup(u32(3), 1) + 12))).toBe(hex(v));
      expect(m.lookup(u32(3), 0) === m.lookup(u32(3), 1)).toBe(type === MapType.ARRAY);
    }
  });

  it('updates with the kernel error codes', () => {
    const m = make();
    const v = new Uint8Array(12).fill(7);
    expect(m.update(u32(1), v, UpdateFlags.ANY, 0)).toBe(0);
    expect(m.update(u32(1), v, UpdateFlags.EXIST, 0)).toBe(0);
    expect(m.update(u32(1), v, UpdateFlags.NOEXIST, 0)).toBe(-Errno.EEXIST);
    expect(m.update(u32(4), v, UpdateFlags.ANY, 0)).toBe(-Errno.E2BIG);
    expect(m.update(u32(1), v, 3, 0)).toBe(-Errno.EINVAL);
    expect(m.update(u32(1), v, UpdateFlags.F_LOCK, 0)).toBe(-Errno.EINVAL);
    expect(m.delete(u32(1))).toBe(-Errno.EINVAL);
    expect(hex(m.sysLookup(u32(1)) as Uint8Array)).toBe('07'.repeat(12));
  });

  it('keeps a value where a program pointer sees it (values in the shared memory, 8-byte stride)', () => {
    const m = make();
    const a0 = m.lookup(u32(0), 0);
    const a1 = m.lookup(u32(1), 0);
    expect(a1 - a0).toBe(16);
    m.update(u32(1), new Uint8Array(12).fill(9), 0, 0);
    expect(m.values.region.stride).toBe(16);
    expect(m.values.region.elemSize).toBe(12);
  });

  it('walks keys like BPF_MAP_GET_NEXT_KEY', () => {
    const m = make();
    expect(hex(m.sysNextKey(undefined)!)).toBe('00000000');
    expect(hex(m.sysNextKey(u32(2))!)).toBe('03000000');
    expect(m.sysNextKey(u32(3))).toBeUndefined();
    expect(hex(m.sysNextKey(u32(99))!)).toBe('00000000');
  });

  it('visits every element for bpf_for_each_map_elem and stops when asked', () => {
    const e = env();
    const m = new ArrayMap(mapDef({ type: MapType.ARRAY, maxEntries: 4 }), 0, e);
    const seen: number[] = [];
    expect(m.forEach(0, (k) => (seen.push(e.memory.dv.getUint32(k, true)), seen.length === 2))).toBe(2);
    expect(seen).toEqual([0, 1]);
  });

  it('starts global data from the section bytes', () => {
    const m = new ArrayMap(mapDef({ type: MapType.ARRAY, name: '.data', origin: 'data', maxEntries: 1, valueSize: 5, initialValue: new Uint8Array([1, 2, 3, 4, 5]) }), 0, env());
    expect(hex(m.sysLookup(u32(0)) as Uint8Array)).toBe('0102030405');
    expect(m.values.region.kind).toBe('global');
  });

  it('makes .rodata read-only to programs', () => {
    const m = new ArrayMap(mapDef({ type: MapType.ARRAY, name: '.rodata', origin: 'rodata', maxEntries: 1 }), 0, env(), { readOnlyForPrograms: true });
    expect(m.values.region.writable).toBe(false);
  });
});

describe('per-CPU array map', () => {
  const make = () => new ArrayMap(mapDef({ type: MapType.PERCPU_ARRAY, maxEntries: 2, valueSize: 4 }), 0, env(3));

  it('gives each CPU its own copy; a program writes the current CPU', () => {
    const m = make();
    expect(m.lookup(u32(0), 0)).not.toBe(m.lookup(u32(0), 1));
    expect(m.update(u32(0), u32(5), 0, 1)).toBe(0);
    // user space sees every CPU's copy, each rounded up to 8 bytes
    expect(hex(m.sysLookup(u32(0)) as Uint8Array)).toBe('0000000000000000' + '0500000000000000' + '0000000000000000');
    expect(m.entries(1).map((e) => hex(e.value))).toEqual(['05000000', '00000000']);
  });

  it('takes all CPUs from user space, or one value for all', () => {
    const m = make();
    expect(m.sysUpdate(u32(1), u32(9), 0)).toBe(0);
    expect(m.entries(2)[1]!.value).toEqual(u32(9));
    const all = new Uint8Array(24);
    all.set(u32(1), 0);
    all.set(u32(2), 8);
    all.set(u32(3), 16);
    expect(m.sysUpdate(u32(1), all, 0)).toBe(0);
    expect([0, 1, 2].map((c) => m.entries(c)[1]!.value[0])).toEqual([1, 2, 3]);
    expect(m.sysUpdate(u32(2), all, 0)).toBe(-Errno.E2BIG);
  });

  it('reads as a number through readU64 helpers', () => {
    const m = new ArrayMap(mapDef({ type: MapType.PERCPU_ARRAY, maxEntries: 1, valueSize: 8 }), 0, env(1));
    m.update(u32(0), u64(123n), 0, 0);
    expect(readU64(m.sysLookup(u32(0)) as Uint8Array)).toBe(123n);
  });
});
