import { ipv4Address, ipv6Address, mac } from './addresses.js';
import { internetChecksum, pseudoHeaderSum } from './checksum.js';

/**
 * Packet builders for tests: each layer is a value that knows how to encode itself once its
 * enclosing layer tells it the addresses (TCP, UDP and ICMPv6 checksums cover a pseudo header).
 * Checksums are right unless a test asks for a wrong one.
 */

/** Checksum choice: computed (default), a fixed value, or deliberately wrong. */
export type ChecksumOption = 'auto' | 'bad' | number;

/** What an upper layer learns from the IP layer that carries it. */
export interface PseudoHeader {
  src: Uint8Array;
  dst: Uint8Array;
}

/** A transport-layer payload of IPv4/IPv6. */
export interface TransportLayer {
  readonly protocol: number;
  encode(pseudo: PseudoHeader): Uint8Array;
}

/** A network-layer payload of Ethernet. */
export interface NetworkLayer {
  readonly etherType: number;
  encode(): Uint8Array;
}

export const EtherType = { IPV4: 0x0800, ARP: 0x0806, VLAN: 0x8100, QINQ: 0x88a8, IPV6: 0x86dd } as const;
export const IpProto = { ICMP: 1, TCP: 6, UDP: 17, ICMPV6: 58 } as const;

const bytesOf = (p: Uint8Array | string | undefined): Uint8Array =>
  p === undefined ? new Uint8Array(0) : typeof p === 'string' ? new TextEncoder().encode(p) : p;

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const put16 = (b: Uint8Array, at: number, v: number): void => {
  b[at] = (v >> 8) & 0xff;
  b[at + 1] = v & 0xff;
};
const put32 = (b: Uint8Array, at: number, v: number): void => {
  put16(b, at, (v >>> 16) & 0xffff);
  put16(b, at + 2, v & 0xffff);
};

function applyChecksum(b: Uint8Array, at: number, option: ChecksumOption, compute: () => number): void {
  if (typeof option === 'number') {
    put16(b, at, option);
    return;
  }
  const sum = compute();
  put16(b, at, option === 'bad' ? (sum ^ 0xffff) || 0x1234 : sum);
}

export interface UdpOptions {
  sport: number;
  dport: number;
  payload?: Uint8Array | string;
  checksum?: ChecksumOption;
}

/** A UDP datagram. */
export function udp(o: UdpOptions): TransportLayer {
  return {
    protocol: IpProto.UDP,
    encode(pseudo) {
      const payload = bytesOf(o.payload);
      const b = new Uint8Array(8 + payload.length);
      put16(b, 0, o.sport);
      put16(b, 2, o.dport);
      put16(b, 4, b.length);
      b.set(payload, 8);
      applyChecksum(b, 6, o.checksum ?? 'auto', () => {
        const c = internetChecksum(b, pseudoHeaderSum(pseudo.src, pseudo.dst, IpProto.UDP, b.length));
        // A computed zero is sent as all ones: zero means "no checksum" in UDP over IPv4.
        return c === 0 ? 0xffff : c;
      });
      return b;
    },
  };
}

export interface TcpOptions {
  sport: number;
  dport: number;
  seq?: number;
  ack?: number;
  /** Flag letters, e.g. 'S', 'SA', 'A', 'FA', 'R', 'PA'. */
  flags?: string;
  window?: number;
  urgent?: number;
  /** TCP options, padded to a multiple of 4 bytes. */
  options?: Uint8Array;
  payload?: Uint8Array | string;
  checksum?: ChecksumOption;
}

const TCP_FLAG_BITS: Record<string, number> = { F: 0x01, S: 0x02, R: 0x04, P: 0x08, A: 0x10, U: 0x20, E: 0x40, C: 0x80 };

/** A TCP segment. */
export function tcp(o: TcpOptions): TransportLayer {
  return {
    protocol: IpProto.TCP,
    encode(pseudo) {
      const opts = bytesOf(o.options);
      const optLen = Math.ceil(opts.length / 4) * 4;
      const payload = bytesOf(o.payload);
      const hdr = 20 + optLen;
      const b = new Uint8Array(hdr + payload.length);
      put16(b, 0, o.sport);
      put16(b, 2, o.dport);
      put32(b, 4, o.seq ?? 0);
      put32(b, 8, o.ack ?? 0);
      b[12] = (hdr / 4) << 4;
      b[13] = [...(o.flags ?? 'S')].reduce((f, c) => f | (TCP_FLAG_BITS[c.toUpperCase()] ?? 0), 0);
      put16(b, 14, o.window ?? 65535);
      put16(b, 18, o.urgent ?? 0);
      b.set(opts, 20);
      b.set(payload, hdr);
      applyChecksum(b, 16, o.checksum ?? 'auto', () =>
        internetChecksum(b, pseudoHeaderSum(pseudo.src, pseudo.dst, IpProto.TCP, b.length)),
      );
      return b;
    },
  };
}

export interface IcmpOptions {
  type?: number;
  code?: number;
  /** Identifier and sequence (echo) or the rest-of-header word. */
  id?: number;
  seq?: number;
  payload?: Uint8Array | string;
  checksum?: ChecksumOption;
}

/**
 * An ICMP-style message: type, code, checksum, a 32-bit rest-of-header (id and sequence for
 * echo) and the payload. ICMPv6's checksum also covers the IPv6 pseudo header; ICMP's does not.
 */
function icmpMessage(protocol: number, defaultType: number, o: IcmpOptions): TransportLayer {
  return {
    protocol,
    encode(pseudo) {
      const payload = bytesOf(o.payload);
      const b = new Uint8Array(8 + payload.length);
      b[0] = o.type ?? defaultType;
      b[1] = o.code ?? 0;
      put16(b, 4, o.id ?? 0);
      put16(b, 6, o.seq ?? 0);
      b.set(payload, 8);
      const initial = protocol === IpProto.ICMPV6 ? pseudoHeaderSum(pseudo.src, pseudo.dst, protocol, b.length) : 0;
      applyChecksum(b, 2, o.checksum ?? 'auto', () => internetChecksum(b, initial));
      return b;
    },
  };
}

/** An ICMP message (echo request by default). */
export const icmp = (o: IcmpOptions = {}): TransportLayer => icmpMessage(IpProto.ICMP, 8, o);

/** An ICMPv6 message (echo request by default). */
export const icmpv6 = (o: IcmpOptions = {}): TransportLayer => icmpMessage(IpProto.ICMPV6, 128, o);

/** Raw bytes as a transport payload, with an explicit protocol number. */
export function rawTransport(protocol: number, bytes: Uint8Array | string): TransportLayer {
  return { protocol, encode: () => bytesOf(bytes) };
}

/** The IP payload's bytes, and its protocol number when it is a transport layer (not raw bytes). */
function transportBytes(payload: TransportLayer | Uint8Array | undefined, pseudo: PseudoHeader): { body: Uint8Array; protocol?: number } {
  if (payload === undefined) return { body: new Uint8Array(0) };
  if (payload instanceof Uint8Array) return { body: payload };
  return { body: payload.encode(pseudo), protocol: payload.protocol };
}

export interface Ipv4Options {
  src: string;
  dst: string;
  payload?: TransportLayer | Uint8Array;
  /** Protocol number when the payload is raw bytes. */
  protocol?: number;
  ttl?: number;
  tos?: number;
  id?: number;
  /** Don't-fragment flag (default true, as Linux sends). */
  df?: boolean;
  moreFragments?: boolean;
  fragmentOffset?: number;
  /** IP options, padded to a multiple of 4 bytes. */
  options?: Uint8Array;
  checksum?: ChecksumOption;
}

/** An IPv4 packet with a correct header checksum (unless asked otherwise). */
export function ipv4(o: Ipv4Options): NetworkLayer {
  return {
    etherType: EtherType.IPV4,
    encode() {
      const src = ipv4Address(o.src);
      const dst = ipv4Address(o.dst);
      const { body, protocol } = transportBytes(o.payload, { src, dst });
      const opts = bytesOf(o.options);
      const ihl = 5 + Math.ceil(opts.length / 4);
      const b = new Uint8Array(ihl * 4 + body.length);
      b[0] = 0x40 | ihl;
      b[1] = o.tos ?? 0;
      put16(b, 2, b.length);
      put16(b, 4, o.id ?? 0);
      const flags = (o.df ?? true ? 0x4000 : 0) | (o.moreFragments ? 0x2000 : 0) | ((o.fragmentOffset ?? 0) & 0x1fff);
      put16(b, 6, flags);
      b[8] = o.ttl ?? 64;
      b[9] = protocol ?? o.protocol ?? 0;
      b.set(src, 12);
      b.set(dst, 16);
      b.set(opts, 20);
      applyChecksum(b, 10, o.checksum ?? 'auto', () => internetChecksum(b.subarray(0, ihl * 4)));
      b.set(body, ihl * 4);
      return b;
    },
  };
}

export interface Ipv6Options {
  src: string;
  dst: string;
  payload?: TransportLayer | Uint8Array;
  nextHeader?: number;
  hopLimit?: number;
  trafficClass?: number;
  flowLabel?: number;
}

/** An IPv6 packet. */
export function ipv6(o: Ipv6Options): NetworkLayer {
  return {
    etherType: EtherType.IPV6,
    encode() {
      const src = ipv6Address(o.src);
      const dst = ipv6Address(o.dst);
      const { body, protocol } = transportBytes(o.payload, { src, dst });
      const b = new Uint8Array(40 + body.length);
      const tc = o.trafficClass ?? 0;
      put32(b, 0, ((6 << 28) | (tc << 20) | ((o.flowLabel ?? 0) & 0xfffff)) >>> 0);
      put16(b, 4, body.length);
      b[6] = protocol ?? o.nextHeader ?? 59;
      b[7] = o.hopLimit ?? 64;
      b.set(src, 8);
      b.set(dst, 24);
      b.set(body, 40);
      return b;
    },
  };
}

export interface ArpOptions {
  /** 1 = request (default), 2 = reply. */
  op?: number;
  senderMac: string;
  senderIp: string;
  targetMac?: string;
  targetIp: string;
}

/** An ARP packet for IPv4 over Ethernet. */
export function arp(o: ArpOptions): NetworkLayer {
  return {
    etherType: EtherType.ARP,
    encode() {
      const b = new Uint8Array(28);
      put16(b, 0, 1);
      put16(b, 2, EtherType.IPV4);
      b[4] = 6;
      b[5] = 4;
      put16(b, 6, o.op ?? 1);
      b.set(mac(o.senderMac), 8);
      b.set(ipv4Address(o.senderIp), 14);
      b.set(mac(o.targetMac ?? '00:00:00:00:00:00'), 18);
      b.set(ipv4Address(o.targetIp), 24);
      return b;
    },
  };
}

export interface EthernetOptions {
  dst?: string;
  src?: string;
  /** VLAN ids to push, outermost first (802.1Q tags). */
  vlan?: number | readonly number[];
  /** Priority (PCP) for the VLAN tags. */
  vlanPriority?: number;
  payload?: NetworkLayer | Uint8Array;
  /** EtherType when the payload is raw bytes. */
  etherType?: number;
  /** Pad the frame with zeroes to at least this many bytes (e.g. 60, the Ethernet minimum). */
  minLength?: number;
}

/** An Ethernet II frame (no FCS), as `BPF_PROG_TEST_RUN` and XDP see it. */
export function ethernet(o: EthernetOptions = {}): Uint8Array {
  const tags = o.vlan === undefined ? [] : typeof o.vlan === 'number' ? [o.vlan] : [...o.vlan];
  const isLayer = o.payload !== undefined && !(o.payload instanceof Uint8Array);
  const body = o.payload === undefined ? new Uint8Array(0) : o.payload instanceof Uint8Array ? o.payload : o.payload.encode();
  const type = isLayer ? (o.payload as NetworkLayer).etherType : (o.etherType ?? EtherType.IPV4);
  const head = new Uint8Array(14 + 4 * tags.length);
  head.set(mac(o.dst ?? '02:00:00:00:00:02'), 0);
  head.set(mac(o.src ?? '02:00:00:00:00:01'), 6);
  let at = 12;
  for (const id of tags) {
    put16(head, at, EtherType.VLAN);
    put16(head, at + 2, (((o.vlanPriority ?? 0) & 7) << 13) | (id & 0xfff));
    at += 4;
  }
  put16(head, at, type);
  const frame = concat(head, body);
  if (o.minLength !== undefined && frame.length < o.minLength) return concat(frame, new Uint8Array(o.minLength - frame.length));
  return frame;
}
