import { describe, expect, it } from 'vitest';
import { mapHandle } from '../../src/helpers/abi.js';
import { Errno } from '../../src/helpers/errno.js';
import { MapFlag, MapType } from '../../src/loader/kinds.js';
import { harness, hex, mapDef, readU32, readU64, u32, u64 } from './util.js';

const M0 = mapHandle(0);
const M1 = mapHandle(1);

describe('map helpers', () => {
  it('bpf_map_lookup_elem returns the value address or NULL; update and delete return the map errors', () => {
    const h = harness([mapDef({ type: MapType.HASH, maxEntries: 1 })]);
    const key = h.buf(u32(7));
    const other = h.buf(u32(8));
    const val = h.buf(u64(99));
    expect(h.call('map_lookup_elem', M0, key)).toBe(0n);
    expect(h.call('map_update_elem', M0, key, val, 0)).toBe(0n);
    const at = Number(h.call('map_lookup_elem', M0, key));
    expect(readU64(h.read(at, 8))).toBe(99n);
    expect(h.call('map_update_elem', M0, other, val, 0)).toBe(BigInt(-Errno.E2BIG));
    expect(h.call('map_update_elem', M0, key, val, 1)).toBe(BigInt(-Errno.EEXIST));
    expect(h.call('map_update_elem', M0, key, val, 1n << 40n)).toBe(BigInt(-Errno.EINVAL));
    expect(h.call('map_delete_elem', M0, other)).toBe(BigInt(-Errno.ENOENT));
    expect(h.call('map_delete_elem', M0, key)).toBe(0n);
  });

  it('faults on a map pointer that is not one, and on a key it cannot read', () => {
    const h = harness([mapDef({ type: MapType.HASH })]);
    expect(() => h.call('map_lookup_elem', 0x1234, h.buf(4))).toThrow('bpf_map_lookup_elem: 0x1234 is not a map pointer');
    expect(() => h.call('map_lookup_elem', M0, 16)).toThrow(/invalid memory access: read of 4 bytes at 0x10/);
    // the key must be readable in full
    expect(() => h.call('map_lookup_elem', M0, h.buf(2))).toThrow(/runs past the end/);
  });

  it('push/pop/peek work on queues and zero the destination when empty', () => {
    const h = harness([mapDef({ type: MapType.QUEUE, keySize: 0, valueSize: 4, maxEntries: 1 })]);
    const v = h.buf(u32(5));
    const out = h.buf(u32(0xdead));
    expect(h.call('map_peek_elem', M0, out)).toBe(BigInt(-Errno.ENOENT));
    expect(readU32(h.read(out, 4))).toBe(0);
    expect(h.call('map_push_elem', M0, v, 0)).toBe(0n);
    expect(h.call('map_push_elem', M0, v, 0)).toBe(BigInt(-Errno.E2BIG));
    expect(h.call('map_push_elem', M0, v, 1)).toBe(BigInt(-Errno.EINVAL));
    expect(h.call('map_pop_elem', M0, out)).toBe(0n);
    expect(readU32(h.read(out, 4))).toBe(5);
    // pop/push on a map that is not a queue or stack
    const h2 = harness([mapDef({ type: MapType.HASH })]);
    expect(h2.call('map_push_elem', M0, h2.buf(8), 0)).toBe(BigInt(-Errno.ENOTSUPP));
  });

  it('bpf_map_lookup_percpu_elem reads any CPU, NULL past the last', () => {
    const h = harness([mapDef({ type: MapType.PERCPU_ARRAY, maxEntries: 1 })], { cpus: 2 });
    h.instance.map('m').set(0, u64(1));
    const key = h.buf(u32(0));
    const a0 = Number(h.call('map_lookup_percpu_elem', M0, key, 0));
    const a1 = Number(h.call('map_lookup_percpu_elem', M0, key, 1));
    expect(a0).not.toBe(a1);
    expect(h.call('map_lookup_percpu_elem', M0, key, 2)).toBe(0n);
    // the current CPU's copy for a plain lookup
    h.instance.kernel.cpu = 1;
    expect(Number(h.call('map_lookup_elem', M0, key))).toBe(a1);
  });

  it('looks up inner maps of a map of maps and uses them', () => {
    const inner = mapDef({ type: MapType.ARRAY, name: 'inner', maxEntries: 2 });
    const outer = mapDef({ type: MapType.ARRAY_OF_MAPS, name: 'outer', valueSize: 4, maxEntries: 2, inner, initialSlots: [{ index: 1, name: 'inner' }] });
    const h = harness([outer, inner]);
    expect(h.call('map_lookup_elem', M0, h.buf(u32(0)))).toBe(0n);
    const m = h.call('map_lookup_elem', M0, h.buf(u32(1)));
    expect(m).toBe(BigInt(M1));
    expect(h.call('map_update_elem', m, h.buf(u32(1)), h.buf(u64(5)), 0)).toBe(0n);
    expect(hex(h.instance.map('inner').get(1)!)).toBe('0500000000000000');
  });

  it('LPM tries: a lookup from a program matches the longest prefix', () => {
    const h = harness([mapDef({ type: MapType.LPM_TRIE, keySize: 8, valueSize: 4, flags: MapFlag.NO_PREALLOC })]);
    const key = (len: number, ...a: number[]) => {
      const k = new Uint8Array(8);
      k.set(u32(len));
      k.set(a, 4);
      return h.buf(k);
    };
    expect(h.call('map_update_elem', M0, key(8, 10), h.buf(u32(8)), 0)).toBe(0n);
    expect(h.call('map_update_elem', M0, key(33, 10), h.buf(u32(8)), 0)).toBe(BigInt(-Errno.EINVAL));
    const at = Number(h.call('map_lookup_elem', M0, key(32, 10, 1, 2, 3)));
    expect(readU32(h.read(at, 4))).toBe(8);
  });
});
