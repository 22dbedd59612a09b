/**
 * What a run hands back outlives the run: results of successive runs never share bytes or arrays,
 * on either engine (the per-call path copies packets from a shared slab and hands the run state's
 * arrays over without copies, so this is what keeps it honest).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ethernet, ipv4, loadJit, loadObject, udp } from '../../src/node.js';

const frame = (ttl: number, bytes = 0): Uint8Array =>
  ethernet({ payload: ipv4({ src: '10.0.0.1', dst: '10.0.0.2', ttl, payload: udp({ sport: 1, dport: 2, payload: new Uint8Array(bytes).fill(ttl) }) }) });

beforeAll(async () => {
  await loadJit();
});

describe.each(['interp', 'jit'] as const)('run results (%s)', (engine) => {
  it('each packet is a copy of its own: a later run leaves an earlier result alone', () => {
    const p = loadObject('fixtures/build/xdp_counter.o').program('xdp_counter');
    // Small frames (slab copies) and one over the slab's share (a copy of its own).
    const sizes = [0, 10, 30, 3000];
    const results = sizes.map((n, i) => ({ n, ttl: 10 + i, r: p.run({ packet: frame(10 + i, n), engine }) }));
    for (const { n, ttl, r } of results) {
      const out = r.packet!;
      expect(out.length).toBe(42 + n);
      // xdp_counter decrements the TTL (byte 22) of what it forwards.
      expect(out[22]).toBe(ttl - 1);
      expect(out.subarray(42).every((b) => b === ttl)).toBe(true);
      // Read through byteOffset as every view should be.
      const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
      expect(dv.getUint16(12)).toBe(0x0800);
    }
    // Writing into one result's packet touches no other.
    results[0]!.r.packet!.fill(0xee);
    expect(results[1]!.r.packet![22]).toBe(10);
  });

  it('records arrays are plain arrays with decode, fresh each run', () => {
    const p = loadObject('fixtures/build/xdp_counter.o').program('xdp_counter');
    const a = p.run({ packet: frame(5), engine });
    const b = p.run({ packet: frame(5), engine });
    expect(a.ringbuf).toStrictEqual([]);
    expect(a.perf).toStrictEqual([]);
    expect(Array.isArray(a.ringbuf)).toBe(true);
    expect(Object.keys(a.ringbuf)).toEqual([]);
    expect(typeof a.ringbuf.decode).toBe('function');
    expect(typeof a.perf.decode).toBe('function');
    expect(a.ringbuf).not.toBe(b.ringbuf);
    expect(a.printk).not.toBe(b.printk);
    expect(a.clones).not.toBe(b.clones);
    expect(JSON.stringify({ r: a.ringbuf, p: a.perf })).toBe('{"r":[],"p":[]}');
    // map() of the records gives a plain array.
    expect(a.ringbuf.map((x) => x).constructor).toBe(Array);
  });
});

describe('retval', () => {
  it('is the low 32 bits of r0, unsigned, whatever r0 holds', async () => {
    const { u32Of } = await import('../../src/run/program.js');
    expect(u32Of(0n)).toBe(0);
    expect(u32Of(5n)).toBe(5);
    expect(u32Of(0xffffffffn)).toBe(0xffffffff);
    expect(u32Of(0x100000000n)).toBe(0);
    expect(u32Of(0x1_0000_0005n)).toBe(5);
    expect(u32Of(0xffff_ffff_8000_0001n)).toBe(0x80000001);
    expect(u32Of(-1n)).toBe(0xffffffff);
    expect(u32Of(-0x1_0000_0000n)).toBe(0);
  });
});
