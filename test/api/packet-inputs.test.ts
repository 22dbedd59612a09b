// Inputs a user has: a one-line packet spec built with the same builders as the API, and pcap
// files (read in both byte orders and both timestamp resolutions, written back).
import { describe, expect, it } from 'vitest';
import { decodePacket, ethernet, icmp, ipv4, ipv6, packetFromSpec, readPcap, tcp, udp, writePcap } from '../../src/index.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('packetFromSpec', () => {
  it('builds the same bytes as the builders', () => {
    expect(hex(packetFromSpec('eth/ipv4(src=10.0.0.1,dst=10.0.0.2,ttl=64)/udp(dport=53)/"payload"'))).toBe(
      hex(ethernet({ payload: ipv4({ src: '10.0.0.1', dst: '10.0.0.2', ttl: 64, payload: udp({ sport: 12345, dport: 53, payload: 'payload' }) }) })),
    );
    expect(hex(packetFromSpec('ipv6(src=fd00::1,dst=fd00::9,hlim=3)/tcp(sport=1,dport=443,flags=SA,seq=0x10)'))).toBe(
      hex(ethernet({ payload: ipv6({ src: 'fd00::1', dst: 'fd00::9', hopLimit: 3, payload: tcp({ sport: 1, dport: 443, flags: 'SA', seq: 16 }) }) })),
    );
    expect(hex(packetFromSpec('eth(src=02:00:00:00:00:aa,vlan=100)/ip/icmp(type=0,id=7)/0xdeadbeef'))).toBe(
      hex(ethernet({ src: '02:00:00:00:00:aa', vlan: 100, payload: ipv4({ src: '10.0.0.1', dst: '10.0.0.2', payload: icmp({ type: 0, id: 7, payload: new Uint8Array([0xde, 0xad, 0xbe, 0xef]) }) }) })),
    );
  });

  it('decodes back to what it says', () => {
    const d = decodePacket(packetFromSpec('eth/ipv4(src=192.0.2.1,dst=198.51.100.7,ttl=9,df=1)/udp(sport=5000,dport=53,checksum=bad)/"a/b\\"c\\x00"'));
    expect(d.ipv4).toMatchObject({ src: '192.0.2.1', dst: '198.51.100.7', ttl: 9, checksumOk: true });
    expect(d.udp).toMatchObject({ sport: 5000, dport: 53, checksumOk: false });
    expect(Buffer.from(d.payload!).toString('latin1')).toBe('a/b"c\0');
    expect(decodePacket(packetFromSpec('eth/arp(sip=10.0.0.5,tip=10.0.0.6)')).arp).toMatchObject({ senderIp: '10.0.0.5', targetIp: '10.0.0.6' });
  });

  it.each([
    ['eth/ipv4(foo=1)', "packet spec 'eth/ipv4(foo=1)': ipv4(foo=1): ipv4 has no key 'foo' (keys: src, dst, ttl, tos, id, df, mf, frag, proto, checksum)"],
    ['eth/udp', "packet spec 'eth/udp': 'udp' needs a network layer before it (ipv4 or ipv6)"],
    ['eth/ipv4(src=10.0.0.300)', "packet spec 'eth/ipv4(src=10.0.0.300)': invalid IPv4 address '10.0.0.300'"],
    ['eth/ipv4(ttl=300)', "packet spec 'eth/ipv4(ttl=300)': ipv4(ttl=300): ttl=300: expected an integer from 0 to 255"],
    ['eth/frob', "packet spec 'eth/frob': frob: unknown layer 'frob' (layers: eth, ipv4, ipv6, arp, udp, tcp, icmp, icmpv6, \"payload\", 0xHEX)"],
    ['eth/ipv4/udp/"x', `packet spec 'eth/ipv4/udp/"x': unterminated "string"`],
    ['eth//ipv4', "packet spec 'eth//ipv4': an empty layer (two '/' in a row, or one at an end)"],
    ['eth/"x"/ipv4', "packet spec 'eth/\"x\"/ipv4': a payload must be the last layer"],
  ])('refuses %s with one clear line', (spec, message) => {
    expect(() => packetFromSpec(spec)).toThrow(message);
  });
});

describe('pcap', () => {
  const frames = [
    { sec: 1_700_000_000, nsec: 5_000, data: packetFromSpec('eth/ipv4/udp/"one"'), origLen: 0 },
    { sec: 1_700_000_001, nsec: 999_999_000, data: packetFromSpec('eth/ipv6/tcp'), origLen: 0 },
  ];

  it('round-trips frames and timestamps', () => {
    const back = readPcap(writePcap(frames));
    expect(back.linkType).toBe(1);
    expect(back.frames.map((f) => [f.sec, f.nsec, hex(f.data), f.origLen])).toEqual(frames.map((f) => [f.sec, f.nsec, hex(f.data), f.data.length]));
  });

  it('reads a big-endian nanosecond capture written byte by byte', () => {
    const data = new Uint8Array([1, 2, 3, 4, 5]);
    // magic a1b23c4d (ns), v2.4, snaplen 65535, linktype 1; one record: 7 s, 42 ns, 5 of 60 bytes
    const bytes = Buffer.concat([
      Buffer.from('a1b23c4d00020004000000000000000000' + '00ffff' + '00000001', 'hex'),
      Buffer.from('00000007' + '0000002a' + '00000005' + '0000003c', 'hex'),
      Buffer.from(data),
    ]);
    const p = readPcap(new Uint8Array(bytes));
    expect(p).toMatchObject({ linkType: 1, nanosecond: true, snapLen: 65535 });
    expect(p.frames).toEqual([{ sec: 7, nsec: 42, data, origLen: 60 }]);
  });

  it('refuses pcapng, foreign files and truncated records with one clear line', () => {
    expect(() => readPcap(new Uint8Array(Buffer.from('0a0d0d0a' + '00'.repeat(28), 'hex')))).toThrow('pcapng is not supported; convert it with `editcap -F pcap IN.pcapng OUT.pcap`');
    expect(() => readPcap(new Uint8Array(32))).toThrow('not a pcap file (magic 0x00000000)');
    const cut = writePcap(frames).subarray(0, 24 + 16 + 10);
    expect(() => readPcap(cut)).toThrow(/^pcap frame 1: \d+ bytes announced, 10 left in the file$/);
  });
});
