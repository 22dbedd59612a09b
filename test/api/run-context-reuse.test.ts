/**
 * Runs of one program type reuse the last run's context (its regions stay, only the packet is
 * copied in): each run must still start from a fresh context. Every run on a long-lived object is
 * compared with the same run on an object of its own, on both engines, with programs that move
 * the head, tail and metadata (what a stale context would show first).
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadJit, loadObject } from '../../src/node.js';
import type { ProgramRunResult } from '../../src/node.js';

const PATH = 'fixtures/kernel-cases/build/xdp_adjust.o';
const PACKETS = ['ipv4_udp.bin', 'min14.bin', 'big1514.bin', 'arp.bin', 'ipv6_udp.bin'].map(
  (f) => new Uint8Array(readFileSync(`fixtures/kernel-cases/packets/${f}`)),
);
const PROGRAMS = ['xdp_encap', 'xdp_decap', 'xdp_limits', 'xdp_meta', 'xdp_bytes'];

beforeAll(async () => {
  await loadJit();
});

const plain = (r: ProgramRunResult): unknown => ({ retval: r.retval, packet: r.packet === undefined ? undefined : [...r.packet], error: r.error?.message, executed: r.executed });

describe('context reuse across runs', () => {
  for (const engine of ['interp', 'jit'] as const) {
    it(`${engine}: a long-lived object gives what fresh objects give, run after run`, () => {
      const shared = loadObject(PATH);
      let step = 0;
      for (let round = 0; round < 2; round++) {
        for (const name of PROGRAMS) {
          for (const packet of PACKETS) {
            step++;
            const fresh = loadObject(PATH);
            // The fresh object's maps start from the shared one's, so only the context differs.
            fresh.map<number, bigint>('.bss').update(0, shared.map<number, bigint>('.bss').lookup(0)!);
            const options = { packet, engine, xdp: { rxQueueIndex: step % 3 } };
            const a = shared.program(name).run(options);
            const b = fresh.program(name).run(options);
            expect(plain(a), `${name} packet ${packet.length} step ${step}`).toEqual(plain(b));
            expect(shared.map('.bss').lookup(0)).toEqual(fresh.map('.bss').lookup(0));
          }
        }
      }
    });
  }

  it('a refused input or kernel objects made between runs leave the next run as it was', () => {
    const obj = loadObject(PATH);
    const packet = PACKETS[0]!;
    const first = obj.program('xdp_bytes').run({ packet });
    expect(() => obj.program('xdp_bytes').run({ packet: new Uint8Array(3) })).toThrow(/shorter than an Ethernet header/);
    expect(obj.program('xdp_bytes').run({ packet })).toEqual(first);
    // Kernel objects outlive runs: they go in below the kept context, which then moves.
    const task = obj.kernel.object('xdp_md', { ingress_ifindex: 7 });
    expect(obj.program('xdp_bytes').run({ packet })).toEqual(first);
    expect(obj.kernel.object('xdp_md', { ingress_ifindex: 8 })).not.toBe(task);
    expect(obj.program('xdp_bytes').run({ packet })).toEqual(first);
  });
});
