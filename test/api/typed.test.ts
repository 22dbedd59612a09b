// The types `bpfkit gen types` writes for fixtures/api/build/typed.o (structs, nested and array
// members, strings, enums, per-CPU maps, global data, ring-buffer records), used as a user would.
// gen-types.test.ts type-checks this file with tsc: the @ts-expect-error lines must stay errors.
import { describe, expect, it } from 'vitest';
import { ethernet, ipv4, udp, XDP_PASS } from '../../dist/src/node.js';
import { load, Verdict, type Event, type FlowKey, type FlowStats } from './generated/typed.bpf.js';

const packet = ethernet({ payload: ipv4({ src: '10.0.0.1', dst: '10.0.0.2', payload: udp({ sport: 1000, dport: 53, payload: 'hi' }) }) });
const key: FlowKey = { proto: 17, pad: [0, 0, 0], port: 53, family: 2 };

describe('generated types in use', () => {
  it('runs the program and reads typed maps, global data and records', () => {
    const { programs, maps, object } = load('fixtures/api/build/typed.o', { cpus: 4, cpu: 2 });
    const r = programs.flow_stats.run({ packet });
    expect(r.retval).toBe(XDP_PASS);

    const stats: FlowStats | undefined = maps.flows.lookup(key);
    expect(stats).toEqual({
      packets: 1n,
      bytes: BigInt(packet.length),
      last: Verdict.VERDICT_PASS,
      sizes: [0, 0, 0, 0].map((_, i) => (i === (packet.length & 3) ? 1 : 0)),
      tag: 'new',
      len: { min: packet.length, max: packet.length },
    });
    const packets: bigint = stats!.packets;
    // @ts-expect-error: packets is a bigint (a __u64), not a number
    const wrong: number = stats!.packets;
    void wrong;
    // @ts-expect-error: a key is a FlowKey, not a string
    const badKey = (): unknown => maps.flows.lookup('udp/53');
    void badKey;

    // Per-CPU: the run was on CPU 2 of 4.
    expect(maps.cpu_packets.lookupAll(0)).toEqual([0n, 0n, 1n, 0n]);
    expect(maps.cpu_packets.lookup(0, 2)).toBe(1n);

    expect(maps.bss.lookup(0)?.total_bytes).toBe(BigInt(packet.length));
    expect(maps.data.lookup(0)?.last_verdict).toBe(Verdict.VERDICT_PASS);
    expect(maps.rodata.lookup(0)?.limit).toBe(100);

    const events: Event[] = r.ringbuf.decode<Event>('struct event');
    expect(events).toEqual([{ ts: 7n, len: packet.length, verdict: Verdict.VERDICT_PASS, comm: 'flow', mac: [1, 2, 3, 4, 5, 6] }]);
    expect(object.decode<Event>('event', r.ringbuf[0]!).comm).toBe('flow');
    expect(packets).toBe(1n);
  });

  it('writes typed values back', () => {
    const { programs, maps } = load('fixtures/api/build/typed.o');
    maps.flows.update(key, { packets: 100n, bytes: 0n, last: Verdict.VERDICT_PASS, sizes: [0, 0, 0, 0], tag: 'old', len: { min: 1, max: 1 } });
    const r = programs.flow_stats.run({ packet });
    expect(r.ringbuf.decode<Event>('struct event')[0]!.verdict).toBe(Verdict.VERDICT_LIMIT);
    expect(maps.flows.lookup(key)?.last).toBe(Verdict.VERDICT_LIMIT);
    expect(maps.flows.lookup(key)?.tag).toBe('old');
  });

  it('names the types an object has when asked for one it lacks', () => {
    const { programs } = load('fixtures/api/build/typed.o');
    const r = programs.flow_stats.run({ packet });
    expect(() => r.ringbuf.decode('struct nope')).toThrow(/the object's BTF has no type 'struct nope' \(structs: .*struct event/);
  });
});
