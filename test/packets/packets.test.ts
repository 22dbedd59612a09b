import { describe, expect, it } from 'vitest';
import {
  arp, decodePacket, ethernet, formatIpv6, icmp, icmpv6, ipv4, ipv6, ipv6Address, tcp, udp,
} from '../../src/packets/index.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('packet builders', () => {
  it('builds an IPv4/UDP frame byte for byte with correct checksums', () => {
    const f = ethernet({
      dst: 'ff:ff:ff:ff:ff:ff',
      src: '00:11:22:33:44:55',
      payload: ipv4({ src: '192.168.1.1', dst: '192.168.1.2', id: 1, df: false, payload: udp({ sport: 1234, dport: 53, payload: 'hi' }) }),
    });
    // Header checksum 0xf77a computed independently (RFC 1071 sum of the ten header words).
    expect(hex(f.subarray(0, 14))).toBe('ffffffffffff0011223344550800');
    expect(hex(f.subarray(14, 34))).toBe('4500001e000100004011f77ac0a80101c0a80102');
    const d = decodePacket(f);
    expect(d.ipv4?.checksumOk).toBe(true);
    expect(d.udp).toMatchObject({ sport: 1234, dport: 53, length: 10, checksumOk: true });
    expect(new TextDecoder().decode(d.payload)).toBe('hi');
  });

  it('marks deliberately bad checksums as bad', () => {
    const f = ethernet({ payload: ipv4({ src: '10.0.0.1', dst: '10.0.0.2', checksum: 'bad', payload: tcp({ sport: 1, dport: 2, checksum: 'bad' }) }) });
    const d = decodePacket(f);
    expect(d.ipv4?.checksumOk).toBe(false);
    expect(d.tcp?.checksumOk).toBe(false);
  });

  it('builds TCP with flags and options, ICMP, IPv4 options', () => {
    const f = ethernet({
      payload: ipv4({ src: '10.0.0.1', dst: '10.0.0.2', options: new Uint8Array([1, 1, 1, 0]), payload: tcp({ sport: 80, dport: 4000, flags: 'SA', seq: 7, options: new Uint8Array([2, 4, 5, 0xb4]) }) }),
    });
    const d = decodePacket(f);
    expect(d.ipv4?.headerLength).toBe(24);
    expect(d.ipv4?.checksumOk).toBe(true);
    expect(d.tcp).toMatchObject({ sport: 80, dport: 4000, seq: 7, flags: 0x12, checksumOk: true });
    const e = decodePacket(ethernet({ payload: ipv4({ src: '1.1.1.1', dst: '2.2.2.2', payload: icmp({ id: 9, seq: 1, payload: 'ping' }) }) }));
    expect(e.icmp).toMatchObject({ type: 8, code: 0, checksumOk: true });
  });

  it('builds IPv6 with ICMPv6 and UDP, VLAN tags, ARP and minimum-size frames', () => {
    const f = ethernet({ vlan: [100, 200], payload: ipv6({ src: '2001:db8::1', dst: 'fe80::1:2', payload: udp({ sport: 5, dport: 6, payload: 'x' }) }) });
    const d = decodePacket(f);
    expect(d.eth?.vlans).toEqual([100, 200]);
    expect(d.ipv6).toMatchObject({ src: '2001:db8::1', dst: 'fe80::1:2', nextHeader: 17 });
    expect(d.udp?.checksumOk).toBe(true);
    expect(decodePacket(ethernet({ payload: ipv6({ src: '::1', dst: '::2', payload: icmpv6() }) })).icmp?.checksumOk).toBe(true);
    const a = decodePacket(ethernet({ dst: 'ff:ff:ff:ff:ff:ff', payload: arp({ senderMac: '02:00:00:00:00:01', senderIp: '10.0.0.1', targetIp: '10.0.0.2' }), minLength: 60 }));
    expect(a.arp).toMatchObject({ op: 1, senderIp: '10.0.0.1', targetIp: '10.0.0.2' });
    expect(ethernet({ payload: arp({ senderMac: '02:00:00:00:00:01', senderIp: '10.0.0.1', targetIp: '10.0.0.2' }), minLength: 60 }).length).toBe(60);
  });

  it('parses and prints IPv6 addresses', () => {
    expect(formatIpv6(ipv6Address('2001:0db8:0000:0000:0000:ff00:0042:8329'))).toBe('2001:db8::ff00:42:8329');
    expect(formatIpv6(ipv6Address('::ffff:10.0.0.1'))).toBe('::ffff:a00:1');
    expect(formatIpv6(ipv6Address('::'))).toBe('::');
    expect(() => ipv6Address('1::2::3')).toThrow(/invalid IPv6 address/);
  });
});
