import { describe, expect, it } from 'vitest';
import { Errno } from '../../src/helpers/errno.js';
import { UpdateFlags } from '../../src/helpers/maps/map.js';
import { QueueStackMap } from '../../src/helpers/maps/queue-stack.js';
import { RingbufMap, RingbufQuery } from '../../src/helpers/maps/ringbuf.js';
import { MapType } from '../../src/loader/kinds.js';
import { env, hex, mapDef, u32 } from './util.js';

describe('queue and stack maps', () => {
  const make = (type: number, maxEntries = 3) => new QueueStackMap(mapDef({ type, keySize: 0, valueSize: 4, maxEntries }), 0, env());
  const pop = (m: QueueStackMap, peek = false) => {
    const r = m.pop(peek);
    return typeof r === 'number' ? r : new DataView(r.buffer).getUint32(0, true);
  };

  it('a queue pops oldest first; a stack newest first', () => {
    const q = make(MapType.QUEUE);
    const s = make(MapType.STACK);
    for (const v of [1, 2, 3]) {
      expect(q.push(u32(v), 0)).toBe(0);
      expect(s.push(u32(v), 0)).toBe(0);
    }
    expect([pop(q, true), pop(q), pop(q), pop(q)]).toEqual([1, 1, 2, 3]);
    expect([pop(s, true), pop(s), pop(s), pop(s)]).toEqual([3, 3, 2, 1]);
    expect(pop(q)).toBe(-Errno.ENOENT);
    expect(pop(s, true)).toBe(-Errno.ENOENT);
  });

  it('is -E2BIG when full, unless BPF_EXIST drops the oldest', () => {
    for (const type of [MapType.QUEUE, MapType.STACK]) {
      const m = make(type, 2);
      m.push(u32(1), 0);
      m.push(u32(2), 0);
      expect(m.push(u32(3), 0)).toBe(-Errno.E2BIG);
      expect(m.push(u32(3), UpdateFlags.EXIST)).toBe(0);
      expect(m.values().map((v) => v[0])).toEqual([2, 3]);
    }
  });

  it('refuses BPF_NOEXIST and unknown flags with -EINVAL', () => {
    const m = make(MapType.QUEUE);
    expect(m.push(u32(1), UpdateFlags.NOEXIST)).toBe(-Errno.EINVAL);
    expect(m.push(u32(1), 4)).toBe(-Errno.EINVAL);
  });

  it('maps the syscalls: lookup peeks, update pushes, delete is -EINVAL', () => {
    const m = make(MapType.QUEUE);
    expect(m.sysUpdate(new Uint8Array(0), u32(5), 0)).toBe(0);
    expect(hex(m.sysLookup(new Uint8Array(0)) as Uint8Array)).toBe('05000000');
    expect(m.length).toBe(1);
    expect(m.sysDelete(new Uint8Array(0))).toBe(-Errno.EINVAL);
  });
});

describe('ring buffer map', () => {
  const make = () => {
    const e = env();
    return { e, rb: new RingbufMap(mapDef({ type: MapType.RINGBUF, keySize: 0, valueSize: 0, maxEntries: 4096 }), 0, e) };
  };

  it('counts each record with its 8-byte header, rounded up to 8', () => {
    const { rb } = make();
    const a = rb.reserve(3);
    expect(a).not.toBe(0);
    expect(rb.query(RingbufQuery.PROD_POS)).toBe(16n);
    expect(rb.query(RingbufQuery.AVAIL_DATA)).toBe(16n);
    expect(rb.query(RingbufQuery.RING_SIZE)).toBe(4096n);
    expect(rb.query(RingbufQuery.CONS_POS)).toBe(0n);
    expect(rb.query(99)).toBe(0n);
  });

  it('gives records to the consumer in reservation order, skipping discarded ones', () => {
    const { e, rb } = make();
    const a = rb.reserve(4);
    const b = rb.reserve(4);
    const c = rb.reserve(4);
    e.memory.u8.set([1, 1, 1, 1], a);
    e.memory.u8.set([2, 2, 2, 2], b);
    e.memory.u8.set([3, 3, 3, 3], c);
    rb.commit(c, false);
    rb.commit(b, true);
    // the first record is still reserved: nothing is visible yet
    expect(rb.consume()).toEqual([]);
    rb.commit(a, false);
    expect(rb.consume().map(hex)).toEqual(['01010101', '03030303']);
    expect(rb.query(RingbufQuery.CONS_POS)).toBe(48n);
    expect(rb.query(RingbufQuery.AVAIL_DATA)).toBe(0n);
  });

  it('returns NULL when a record would pass the consumer, and wraps after consumption', () => {
    const { rb } = make();
    expect(rb.reserve(4096)).toBe(0);
    const big = rb.reserve(2000);
    const big2 = rb.reserve(2000);
    expect(big && big2).toBeTruthy();
    expect(rb.reserve(80)).toBe(0);
    const small = rb.reserve(64);
    expect(small).not.toBe(0);
    rb.commit(small, true);
    rb.commit(big, false);
    rb.commit(big2, false);
    expect(rb.consume()).toHaveLength(2);
    expect(rb.consume()).toHaveLength(0);
    // space is back; the next record starts where the producer is and may wrap
    const w = rb.reserve(2000);
    expect(w).not.toBe(0);
    expect(rb.commit(w, false)).toBe(true);
    expect(rb.commit(w, false)).toBe(false);
  });
});
