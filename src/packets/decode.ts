import { formatIpv4, formatIpv6, formatMac } from './addresses.js';
import { onesComplementSum, pseudoHeaderSum } from './checksum.js';
import { EtherType, IpProto } from './build.js';

/**
 * A decoded view of an Ethernet frame, for assertions in tests ("the program rewrote the TTL and
 * kept the checksum right"). Layers that are missing or truncated are undefined.
 */
export interface DecodedPacket {
  eth?: { dst: string; src: string; type: number; vlans: number[] };
  ipv4?: {
    src: string;
    dst: string;
    ttl: number;
    protocol: number;
    length: number;
    id: number;
    tos: number;
    headerLength: number;
    checksum: number;
    /** True when the header checksum verifies. */
    checksumOk: boolean;
  };
  ipv6?: { src: string; dst: string; nextHeader: number; hopLimit: number; payloadLength: number };
  arp?: { op: number; senderMac: string; senderIp: string; targetMac: string; targetIp: string };
  udp?: { sport: number; dport: number; length: number; checksum: number; checksumOk: boolean };
  tcp?: { sport: number; dport: number; seq: number; ack: number; flags: number; checksum: number; checksumOk: boolean };
  icmp?: { type: number; code: number; checksum: number; checksumOk: boolean };
  /** Bytes after the last decoded header. */
  payload: Uint8Array;
}

const get16 = (b: Uint8Array, at: number): number => (b[at]! << 8) | b[at + 1]!;
const get32 = (b: Uint8Array, at: number): number => ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;

/** Decodes Ethernet (with VLAN tags), ARP, IPv4, IPv6, TCP, UDP and ICMP headers. */
export function decodePacket(frame: Uint8Array): DecodedPacket {
  const out: DecodedPacket = { payload: new Uint8Array(0) };
  if (frame.length < 14) {
    out.payload = frame;
    return out;
  }
  let at = 12;
  let type = get16(frame, at);
  const vlans: number[] = [];
  while ((type === EtherType.VLAN || type === EtherType.QINQ) && at + 6 <= frame.length) {
    vlans.push(get16(frame, at + 2) & 0xfff);
    at += 4;
    type = get16(frame, at);
  }
  at += 2;
  out.eth = { dst: formatMac(frame.subarray(0, 6)), src: formatMac(frame.subarray(6, 12)), type, vlans };
  let l4: { proto: number; start: number; end: number; pseudo?: { src: Uint8Array; dst: Uint8Array } } | undefined;
  if (type === EtherType.IPV4 && at + 20 <= frame.length) {
    const ihl = (frame[at]! & 0x0f) * 4;
    const total = get16(frame, at + 2);
    const header = frame.subarray(at, at + ihl);
    out.ipv4 = {
      src: formatIpv4(frame.subarray(at + 12, at + 16)),
      dst: formatIpv4(frame.subarray(at + 16, at + 20)),
      ttl: frame[at + 8]!,
      protocol: frame[at + 9]!,
      length: total,
      id: get16(frame, at + 4),
      tos: frame[at + 1]!,
      headerLength: ihl,
      checksum: get16(frame, at + 10),
      checksumOk: header.length === ihl && onesComplementSum(header) === 0xffff,
    };
    l4 = {
      proto: frame[at + 9]!,
      start: at + ihl,
      end: Math.min(frame.length, at + total),
      pseudo: { src: frame.slice(at + 12, at + 16), dst: frame.slice(at + 16, at + 20) },
    };
  } else if (type === EtherType.IPV6 && at + 40 <= frame.length) {
    const plen = get16(frame, at + 4);
    out.ipv6 = {
      src: formatIpv6(frame.subarray(at + 8, at + 24)),
      dst: formatIpv6(frame.subarray(at + 24, at + 40)),
      nextHeader: frame[at + 6]!,
      hopLimit: frame[at + 7]!,
      payloadLength: plen,
    };
    l4 = {
      proto: frame[at + 6]!,
      start: at + 40,
      end: Math.min(frame.length, at + 40 + plen),
      pseudo: { src: frame.slice(at + 8, at + 24), dst: frame.slice(at + 24, at + 40) },
    };
  } else if (type === EtherType.ARP && at + 28 <= frame.length) {
    out.arp = {
      op: get16(frame, at + 6),
      senderMac: formatMac(frame.subarray(at + 8, at + 14)),
      senderIp: formatIpv4(frame.subarray(at + 14, at + 18)),
      targetMac: formatMac(frame.subarray(at + 18, at + 24)),
      targetIp: formatIpv4(frame.subarray(at + 24, at + 28)),
    };
    out.payload = frame.subarray(at + 28);
    return out;
  } else {
    out.payload = frame.subarray(at);
    return out;
  }
  const seg = frame.subarray(l4.start, l4.end);
  const pseudoOk = (proto: number): boolean =>
    l4 !== undefined && l4.pseudo !== undefined && onesComplementSum(seg, pseudoHeaderSum(l4.pseudo.src, l4.pseudo.dst, proto, seg.length)) === 0xffff;
  if (l4.proto === IpProto.UDP && seg.length >= 8) {
    const checksum = get16(seg, 6);
    out.udp = {
      sport: get16(seg, 0),
      dport: get16(seg, 2),
      length: get16(seg, 4),
      checksum,
      checksumOk: (checksum === 0 && out.ipv4 !== undefined) || pseudoOk(IpProto.UDP),
    };
    out.payload = seg.subarray(8);
  } else if (l4.proto === IpProto.TCP && seg.length >= 20) {
    const off = (seg[12]! >> 4) * 4;
    out.tcp = {
      sport: get16(seg, 0),
      dport: get16(seg, 2),
      seq: get32(seg, 4),
      ack: get32(seg, 8),
      flags: seg[13]!,
      checksum: get16(seg, 16),
      checksumOk: pseudoOk(IpProto.TCP),
    };
    out.payload = seg.subarray(off);
  } else if ((l4.proto === IpProto.ICMP || l4.proto === IpProto.ICMPV6) && seg.length >= 8) {
    out.icmp = {
      type: seg[0]!,
      code: seg[1]!,
      checksum: get16(seg, 2),
      checksumOk: l4.proto === IpProto.ICMP ? onesComplementSum(seg) === 0xffff : pseudoOk(IpProto.ICMPV6),
    };
    out.payload = seg.subarray(8);
  } else {
    out.payload = seg;
  }
  return out;
}
