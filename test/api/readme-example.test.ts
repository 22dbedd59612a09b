// The README's example, verbatim: a complete vitest test of the bundled XDP program.
import { describe, expect, it } from 'vitest';
import { XDP_PASS, decodePacket, ethernet, ipv4, loadObject, udp } from '../../src/node.js';

describe('xdp_counter', () => {
  const obj = loadObject('fixtures/build/xdp_counter.o');
  const prog = obj.program('xdp_counter');

  it('passes the verifier', () => {
    expect(prog.verify().accepted).toBe(true);
  });

  it('passes IPv4, decrements the TTL and counts the packet', () => {
    const packet = ethernet({ payload: ipv4({ src: '10.0.0.1', dst: '10.0.0.2', ttl: 64, payload: udp({ sport: 4000, dport: 53, payload: 'hello' }) }) });

    const r = prog.run({ packet });

    expect(r.error).toBeUndefined();
    expect(r.retval).toBe(XDP_PASS);
    const ip = decodePacket(r.packet!).ipv4!;
    expect(ip.ttl).toBe(63);
    expect(ip.checksumOk).toBe(true);
    expect(obj.map('proto_stats').lookup(17)).toEqual({ packets: 1n, bytes: BigInt(packet.length) });
  });
});
