import { describe, expect, it } from 'vitest';
import { BpfkitError } from '../../src/errors.js';
import { createMap, mapDefProblem, SUPPORTED_MAP_TYPES } from '../../src/helpers/maps/create.js';
import { MapFlag, MapType } from '../../src/loader/kinds.js';
import { asmInstance, env, mapDef } from './util.js';

describe('map creation', () => {
  it('refuses a map type it does not simulate, naming it', () => {
    expect(() => createMap(mapDef({ type: MapType.ARENA, name: 'seen', keySize: 0, valueSize: 0 }), 0, env())).toThrow(
      "map 'seen': map type arena (33) is not supported",
    );
    expect(() => createMap(mapDef({ type: MapType.STRUCT_OPS }), 0, env())).toThrow(BpfkitError);
  });

  it('refuses definitions the kernel refuses, and flags a type does not take', () => {
    const bad = (over: Parameters<typeof mapDef>[0]) => () => createMap(mapDef(over), 0, env());
    expect(bad({ type: MapType.ARRAY, keySize: 8 })).toThrow(/key_size must be 4/);
    expect(bad({ type: MapType.HASH, maxEntries: 0 })).toThrow(/must not be 0/);
    expect(bad({ type: MapType.HASH, flags: MapFlag.NO_COMMON_LRU })).toThrow(/only valid for LRU/);
    expect(bad({ type: MapType.LRU_HASH, flags: MapFlag.NO_PREALLOC })).toThrow(/preallocated/);
    expect(bad({ type: MapType.LPM_TRIE, keySize: 8 })).toThrow(/BPF_F_NO_PREALLOC/);
    expect(bad({ type: MapType.QUEUE, keySize: 4 })).toThrow(/key_size must be 0/);
    expect(bad({ type: MapType.RINGBUF, keySize: 0, valueSize: 0, maxEntries: 5000 })).toThrow(/power of 2/);
    expect(bad({ type: MapType.ARRAY, flags: 1 << 20 })).toThrow(/flag 0x100000 is not valid for a array map/);
    expect(bad({ type: MapType.PERCPU_ARRAY, flags: MapFlag.MMAPABLE })).toThrow(/MMAPABLE/);
    expect(bad({ type: MapType.HASH, maxEntries: 1 << 30 })).toThrow(/MiB/);
  });

  it('accepts what the kernel accepts', () => {
    expect(mapDefProblem(mapDef({ type: MapType.ARRAY, flags: MapFlag.MMAPABLE | MapFlag.RDONLY_PROG }), 2)).toBeUndefined();
    expect(mapDefProblem(mapDef({ type: MapType.RINGBUF, keySize: 0, valueSize: 0, maxEntries: 8192 }), 2)).toBeUndefined();
    expect(mapDefProblem(mapDef({ type: MapType.BLOOM_FILTER, keySize: 0, mapExtra: 3, flags: MapFlag.ZERO_SEED }), 2)).toBeUndefined();
    expect(mapDefProblem(mapDef({ type: MapType.BLOOM_FILTER, keySize: 0, mapExtra: 16 }), 2)).toMatch(/map_extra/);
    expect(mapDefProblem(mapDef({ type: MapType.CPUMAP, valueSize: 8 }), 2)).toBeUndefined();
    expect(mapDefProblem(mapDef({ type: MapType.XSKMAP, valueSize: 8 }), 2)).toMatch(/value_size must be 4/);
    for (const t of [MapType.CPUMAP, MapType.XSKMAP, MapType.BLOOM_FILTER]) expect(SUPPORTED_MAP_TYPES).toContain(t);
  });

  describe('max_entries 0: what the loader does before the kernel sees it', () => {
    const exit = [{ asm: 'mov %r0, 0\nexit' }];
    const sizes = (maps: Parameters<typeof mapDef>[0][], options = {}) => {
      const inst = asmInstance(exit, maps.map(mapDef), { cpus: 3, ...options });
      return maps.map((m) => inst.map(m.name ?? 'm').map.def.maxEntries);
    };

    it('a perf event array gets one entry per CPU (libbpf), other BTF maps are refused as the kernel refuses them', () => {
      expect(sizes([{ name: 'events', type: MapType.PERF_EVENT_ARRAY, valueSize: 4, maxEntries: 0 }])).toEqual([3]);
      expect(() => sizes([{ name: 'scratch', type: MapType.ARRAY, maxEntries: 0 }])).toThrow(/'scratch'.*max_entries must not be 0.*-EINVAL/);
    });

    it("maps of the legacy maps section get one entry per CPU, as their own loader (falco's) sizes them", () => {
      const legacy = { origin: 'legacy' as const, maxEntries: 0 };
      expect(
        sizes([
          { name: 'perf_map', type: MapType.PERF_EVENT_ARRAY, valueSize: 4, ...legacy },
          { name: 'frame_scratch_map', type: MapType.ARRAY, valueSize: 262144, ...legacy },
          { name: 'local_state_map', type: MapType.ARRAY, valueSize: 77, ...legacy },
          { name: 'settings_map', type: MapType.ARRAY, origin: 'legacy', maxEntries: 1 },
        ]),
      ).toEqual([3, 3, 3, 1]);
    });

    it('an explicit size comes first (bpf_map__set_max_entries), and must name a map and be a u32', () => {
      expect(sizes([{ name: 'scratch', type: MapType.ARRAY, maxEntries: 0 }, { name: 'h', type: MapType.HASH }], { maxEntries: { scratch: 8, h: 100 } })).toEqual([8, 100]);
      expect(() => sizes([{ name: 'h', type: MapType.HASH }], { maxEntries: { h: 0 } })).toThrow(/must not be 0/);
      expect(() => sizes([{ name: 'h', type: MapType.HASH }], { maxEntries: { nope: 1 } })).toThrow("maxEntries: the object has no map 'nope' (maps: h)");
      expect(() => sizes([{ name: 'h', type: MapType.HASH }], { maxEntries: { h: -1 } })).toThrow(/not a u32/);
    });
  });
});
