import { describe, expect, it } from 'vitest';
import { cTypeName } from '../../src/btf/index.js';
import { PseudoLd } from '../../src/isa/opcodes.js';
import { loadObject, MapFlag, MapType } from '../../src/loader/index.js';
import type { MapDef } from '../../src/loader/index.js';
import { readObject } from '../elf/facts.js';

const pick = (m: MapDef) => ({ name: m.name, type: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, flags: m.flags, origin: m.origin });

describe('BTF-defined maps (maps.c): every type, key/value as types and as sizes, flags', () => {
  const obj = loadObject(readObject('maps'));
  const map = (name: string) => obj.maps.find((m) => m.name === name)!;
  const btf = obj.btfTypes!;

  it('declares one map of each kind with the fields written in the source', () => {
    expect(obj.maps.map(pick)).toEqual([
      { name: 'inner_a', type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 1, flags: 0, origin: 'btf' },
      { name: 'inner_b', type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 1, flags: 0, origin: 'btf' },
      { name: 'outer_arr', type: MapType.ARRAY_OF_MAPS, keySize: 4, valueSize: 4, maxEntries: 4, flags: 0, origin: 'btf' },
      { name: 'outer_hash', type: MapType.HASH_OF_MAPS, keySize: 4, valueSize: 4, maxEntries: 8, flags: 0, origin: 'btf' },
      { name: 'jump_table', type: MapType.PROG_ARRAY, keySize: 4, valueSize: 4, maxEntries: 4, flags: 0, origin: 'btf' },
      { name: 'arr', type: MapType.ARRAY, keySize: 4, valueSize: 16, maxEntries: 16, flags: 0, origin: 'btf' },
      { name: 'pcpu_arr', type: MapType.PERCPU_ARRAY, keySize: 4, valueSize: 8, maxEntries: 4, flags: 0, origin: 'btf' },
      { name: 'flows', type: MapType.HASH, keySize: 16, valueSize: 16, maxEntries: 1024, flags: MapFlag.NO_PREALLOC, origin: 'btf' },
      { name: 'pcpu_hash', type: MapType.PERCPU_HASH, keySize: 4, valueSize: 8, maxEntries: 128, flags: 0, origin: 'btf' },
      { name: 'lru', type: MapType.LRU_HASH, keySize: 16, valueSize: 8, maxEntries: 256, flags: 0, origin: 'btf' },
      { name: 'lru_pcpu', type: MapType.LRU_PERCPU_HASH, keySize: 4, valueSize: 16, maxEntries: 256, flags: MapFlag.NO_COMMON_LRU, origin: 'btf' },
      { name: 'events_queue', type: MapType.QUEUE, keySize: 0, valueSize: 4, maxEntries: 32, flags: 0, origin: 'btf' },
      { name: 'events_stack', type: MapType.STACK, keySize: 0, valueSize: 8, maxEntries: 32, flags: 0, origin: 'btf' },
      { name: 'rb', type: MapType.RINGBUF, keySize: 0, valueSize: 0, maxEntries: 4096, flags: 0, origin: 'btf' },
      { name: 'perf_events', type: MapType.PERF_EVENT_ARRAY, keySize: 4, valueSize: 4, maxEntries: 8, flags: 0, origin: 'btf' },
      { name: 'routes', type: MapType.LPM_TRIE, keySize: 8, valueSize: 4, maxEntries: 64, flags: MapFlag.NO_PREALLOC, origin: 'btf' },
    ]);
  });

  it('keeps BTF key/value types when given as types, none when given as sizes', () => {
    expect(cTypeName(btf, map('flows').btfKeyTypeId)).toBe('struct flow_key');
    expect(cTypeName(btf, map('flows').btfValueTypeId)).toBe('struct counters');
    expect(cTypeName(btf, map('routes').btfKeyTypeId)).toBe('struct lpm_v4_key');
    expect([map('pcpu_arr').btfKeyTypeId, map('pcpu_arr').btfValueTypeId]).toEqual([0, 0]);
    expect(cTypeName(btf, map('events_queue').btfValueTypeId)).toBe('__u32');
    expect(map('events_queue').btfKeyTypeId).toBe(0);
  });

  it('map-in-maps carry their inner map and the .values initialisers', () => {
    expect(pick(map('outer_arr').inner!)).toEqual({ name: 'outer_arr.inner', type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 1, flags: 0, origin: 'btf' });
    expect(map('outer_hash').inner!.name).toBe('outer_hash.inner');
    expect(map('outer_arr').initialSlots).toEqual([{ index: 0, name: 'inner_a' }, { index: 3, name: 'inner_b' }]);
    expect(map('outer_hash').initialSlots).toEqual([{ index: 1, name: 'inner_b' }]);
  });

  it('a prog array initialised in .values names its programs', () => {
    expect(map('jump_table').initialSlots).toEqual([{ index: 0, name: 'tail_a' }, { index: 2, name: 'tail_b' }]);
    expect(map('jump_table').inner).toBeUndefined();
  });

  it('map loads become src=1 with imm = map index and name the map', () => {
    const demo = obj.programs.find((p) => p.name === 'maps_demo')!;
    const loads = demo.instructions.filter((i) => i.opcode === 0x18 && i.src === PseudoLd.MAP_FD);
    expect(new Set(loads.map((i) => i.meta?.map))).toEqual(new Set(obj.maps.map((m) => m.name).filter((n) => !n.startsWith('inner'))));
    for (const l of loads) expect(obj.maps[l.imm]!.name).toBe(l.meta!.map);
  });
});

describe('legacy maps (legacy_maps.c): struct bpf_map_def in SEC("maps")', () => {
  const obj = loadObject(readObject('legacy_maps'));
  it('reads each definition, legacy maps first as libbpf 0.x ordered them, then .maps, then global data', () => {
    expect(obj.maps.map(pick)).toEqual([
      { name: 'pkt_count', type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 4, flags: 0, origin: 'legacy' },
      { name: 'flow_table', type: MapType.HASH, keySize: 8, valueSize: 16, maxEntries: 1024, flags: MapFlag.NO_PREALLOC, origin: 'legacy' },
      { name: 'modern', type: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 2, flags: 0, origin: 'btf' },
      { name: '.bss', type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 1, flags: MapFlag.MMAPABLE, origin: 'bss' },
    ]);
    expect([obj.maps[0]!.btfKeyTypeId, obj.maps[0]!.btfValueTypeId]).toEqual([0, 0]);
  });
  it('keeps the kernel version section', () => {
    expect(obj.kernelVersion).toBe(0x050a00);
    expect(loadObject(readObject('legacy_maps.eb')).kernelVersion).toBe(0x050a00);
  });
  it('relocates loads of legacy maps like BTF ones', () => {
    const loads = obj.programs[0]!.instructions.filter((i) => i.opcode === 0x18 && i.src === PseudoLd.MAP_FD);
    expect(loads.map((i) => [i.imm, i.meta?.map])).toEqual([
      [0, 'pkt_count'],
      [1, 'flow_table'],
      [2, 'modern'],
    ]);
  });
});

describe('global data (globals.c): one internal map per section', () => {
  const obj = loadObject(readObject('globals'));
  const le = (n: number, bytes: number) => Array.from({ length: bytes }, (_, i) => (n >>> (8 * i)) & 0xff);

  it('names each map after its section, in section order, ARRAY key 4 max_entries 1 value = section', () => {
    expect(obj.maps.map(pick)).toEqual([
      { name: '.data', type: MapType.ARRAY, keySize: 4, valueSize: 20, maxEntries: 1, flags: MapFlag.MMAPABLE, origin: 'data' },
      { name: '.rodata', type: MapType.ARRAY, keySize: 4, valueSize: 14, maxEntries: 1, flags: MapFlag.RDONLY_PROG | MapFlag.MMAPABLE, origin: 'rodata' },
      { name: '.data.custom', type: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1, flags: MapFlag.MMAPABLE, origin: 'data' },
      { name: '.bss', type: MapType.ARRAY, keySize: 4, valueSize: 20, maxEntries: 1, flags: MapFlag.MMAPABLE, origin: 'bss' },
      { name: '.rodata.str1.1', type: MapType.ARRAY, keySize: 4, valueSize: 16, maxEntries: 1, flags: MapFlag.RDONLY_PROG, origin: 'rodata' },
    ]);
  });

  it('initial values are the section bytes (zeroes for .bss)', () => {
    const init = (name: string) => Array.from(obj.maps.find((m) => m.name === name)!.initialValue!);
    expect(init('.data')).toEqual([...le(100, 4), ...le(1, 4), ...le(2, 4), ...le(3, 4), ...le(4, 4)]);
    expect(init('.rodata')).toEqual([...le(1, 4), ...le(8080, 2), ...Array.from(new TextEncoder().encode('bpfkit!\0'))]);
    expect(init('.data.custom')).toEqual(le(0xc0ffee, 4));
    expect(init('.bss')).toEqual(new Array(20).fill(0));
    expect(new TextDecoder().decode(obj.maps[4]!.initialValue!)).toBe('len %u port %u\n\0');
  });

  it('lists the variables with their section, offset, size and type', () => {
    expect(obj.globals!.map((g) => [g.section, g.offset, g.size, g.name, cTypeName(obj.btfTypes!, g.btfTypeId!)])).toEqual([
      ['.data', 0, 4, 'threshold', 'int'],
      ['.data', 4, 16, 'weights', '__u32[4]'],
      ['.rodata', 0, 4, 'cfg_verbose', 'const volatile __u32'],
      ['.rodata', 4, 2, 'cfg_port', 'const volatile __u16'],
      ['.rodata', 6, 8, 'banner', 'const char[8]'],
      ['.data.custom', 0, 4, 'tagged', '__u32'],
      ['.bss', 0, 16, 'totals', 'struct totals'],
      ['.bss', 16, 4, 'last_len', '__u32'],
    ]);
  });

  it('lddw of a global becomes src=2 with imm = map index and immHi = offset into the value', () => {
    const loads = obj.programs[0]!.instructions.filter((i) => i.opcode === 0x18);
    expect(loads.map((i) => [i.src, obj.maps[i.imm]!.name, i.immHi, i.meta?.map])).toEqual([
      [2, '.bss', 0, '.bss'], // totals
      [2, '.data', 4, '.data'], // weights
      [2, '.data.custom', 0, '.data.custom'], // tagged
      [2, '.bss', 16, '.bss'], // last_len
      [2, '.rodata', 0, '.rodata'], // cfg_verbose
      [2, '.rodata', 4, '.rodata'], // cfg_port
      [2, '.rodata.str1.1', 0, '.rodata.str1.1'], // the format string
      [2, '.data', 0, '.data'], // threshold
    ]);
  });

  it('DATASEC sizes and variable offsets are fixed up from the ELF as libbpf does', () => {
    const ds = obj.btfTypes!.find('.data', 'DATASEC')!;
    expect(ds.size).toBe(20);
    expect(ds.vars.map((v) => v.offset)).toEqual([0, 4]);
  });
});
