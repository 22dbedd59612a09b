/** How the playground writes numbers, values, verdicts, packets and durations. */
import {
  decodePacket,
  SK_DROP,
  SK_PASS,
  TC_ACT_OK,
  TC_ACT_PIPE,
  TC_ACT_QUEUED,
  TC_ACT_RECLASSIFY,
  TC_ACT_REDIRECT,
  TC_ACT_REPEAT,
  TC_ACT_SHOT,
  TC_ACT_STOLEN,
  TC_ACT_UNSPEC,
  XDP_ABORTED,
  XDP_DROP,
  XDP_PASS,
  XDP_REDIRECT,
  XDP_TX,
  type BtfValue,
} from 'bpfkit/core';

const names = (pairs: ReadonlyArray<readonly [number, string]>): Map<number, string> => new Map(pairs.map(([v, n]) => [v >>> 0, n]));

const XDP = names([
  [XDP_ABORTED, 'XDP_ABORTED'],
  [XDP_DROP, 'XDP_DROP'],
  [XDP_PASS, 'XDP_PASS'],
  [XDP_TX, 'XDP_TX'],
  [XDP_REDIRECT, 'XDP_REDIRECT'],
]);
// retval is reported unsigned, so TC_ACT_UNSPEC (-1) comes back as 0xffffffff: `names` maps it so.
const TC = names([
  [TC_ACT_UNSPEC, 'TC_ACT_UNSPEC'],
  [TC_ACT_OK, 'TC_ACT_OK'],
  [TC_ACT_RECLASSIFY, 'TC_ACT_RECLASSIFY'],
  [TC_ACT_SHOT, 'TC_ACT_SHOT'],
  [TC_ACT_PIPE, 'TC_ACT_PIPE'],
  [TC_ACT_STOLEN, 'TC_ACT_STOLEN'],
  [TC_ACT_QUEUED, 'TC_ACT_QUEUED'],
  [TC_ACT_REPEAT, 'TC_ACT_REPEAT'],
  [TC_ACT_REDIRECT, 'TC_ACT_REDIRECT'],
]);
const SK = names([
  [SK_DROP, 'SK_DROP'],
  [SK_PASS, 'SK_PASS'],
]);

/** The name of a program's return value for its type (XDP, tc and cgroup verdicts), if it has one. */
export function verdictName(progType: string, retval: number): string | undefined {
  switch (progType) {
    case 'xdp':
      return XDP.get(retval);
    case 'sched_cls':
    case 'sched_act':
      return TC.get(retval);
    case 'cgroup_skb':
      return SK.get(retval);
    case 'socket_filter':
      return retval === 0 ? 'drop' : `keep ${retval} bytes`;
    default:
      return undefined;
  }
}

/** What a verdict means for the packet, for colouring: pass, drop or neutral. */
export function verdictTone(name: string | undefined): 'pass' | 'drop' | 'other' {
  if (name === undefined) return 'other';
  if (/PASS|_OK$|^keep/.test(name)) return 'pass';
  if (/DROP|SHOT|ABORTED|^drop$/.test(name)) return 'drop';
  return 'other';
}

export const hexByte = (b: number): string => b.toString(16).padStart(2, '0');
export const hexBytes = (bytes: Uint8Array, sep = ' '): string => Array.from(bytes, hexByte).join(sep);

/** Parses hex with any whitespace, colons or `0x` prefixes; undefined when it is not hex bytes. */
export function parseHex(text: string): Uint8Array | undefined {
  const clean = text.replace(/0x/gi, '').replace(/[\s:,]/g, '');
  if (clean.length % 2 !== 0 || /[^0-9a-f]/i.test(clean)) return undefined;
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/**
 * A BTF-typed value: `{ packets: 3, bytes: 180 }`, long arrays shortened. A value too long for
 * one line puts each top-level item on its own line (arrays of strings, big structs).
 */
export function formatValue(v: BtfValue): string {
  const flat = formatFlat(v);
  if (flat.length <= 100 || typeof v !== 'object') return flat;
  if (Array.isArray(v)) return `[\n  ${arrayItems(v).join(',\n  ')}\n]`;
  return `{\n  ${Object.entries(v)
    .map(([k, x]) => `${k}: ${formatFlat(x)}`)
    .join(',\n  ')}\n}`;
}

const MAX_ITEMS = 16;

function formatFlat(v: BtfValue): string {
  if (typeof v === 'bigint' || typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${arrayItems(v).join(', ')}]`;
  return `{ ${Object.entries(v)
    .map(([k, x]) => `${k}: ${formatFlat(x)}`)
    .join(', ')} }`;
}

/** An array's items, trailing zeroes folded: `[1, 2, 0 × 30]` reads better than 32 numbers. */
function arrayItems(v: readonly BtfValue[]): string[] {
  let end = v.length;
  while (end > 0 && isZero(v[end - 1]!)) end--;
  const shown = v.slice(0, Math.min(end, MAX_ITEMS)).map(formatFlat);
  if (end > MAX_ITEMS) shown.push(`… ${end - MAX_ITEMS} more`);
  if (end < v.length) shown.push(`0 × ${v.length - end}`);
  return shown;
}

export function isZero(v: BtfValue): boolean {
  if (typeof v === 'bigint') return v === 0n;
  if (typeof v === 'number') return v === 0;
  if (typeof v === 'boolean') return !v;
  if (typeof v === 'string') return v === '';
  if (Array.isArray(v)) return v.every(isZero);
  return Object.values(v).every(isZero);
}

/** A duration given in milliseconds, in the unit that reads best. */
export function formatDuration(ms: number): string {
  if (ms < 0.001) return `${(ms * 1e6).toFixed(0)} ns`;
  if (ms < 1) return `${(ms * 1000).toFixed(ms < 0.01 ? 2 : 1)} µs`;
  if (ms < 1000) return `${ms.toFixed(ms < 10 ? 2 : 0)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

const PROTO: Record<number, string> = { 1: 'ICMP', 6: 'TCP', 17: 'UDP', 58: 'ICMPv6' };

/** One line saying what a frame is: `VLAN 100 · IPv4 10.0.0.1 → 10.0.0.2 ttl 64 · UDP 4000 → 53`. */
export function describePacket(frame: Uint8Array): string {
  const d = decodePacket(frame);
  const parts: string[] = [];
  if (d.eth === undefined) return `${frame.length} bytes, shorter than an Ethernet header`;
  if (d.eth.vlans.length > 0) parts.push(`VLAN ${d.eth.vlans.join('/')}`);
  if (d.ipv4 !== undefined) {
    parts.push(`IPv4 ${d.ipv4.src} → ${d.ipv4.dst} ttl ${d.ipv4.ttl}${d.ipv4.checksumOk ? '' : ' (bad checksum)'}`);
  } else if (d.ipv6 !== undefined) {
    parts.push(`IPv6 ${d.ipv6.src} → ${d.ipv6.dst} hop limit ${d.ipv6.hopLimit}`);
  } else if (d.arp !== undefined) {
    parts.push(`ARP ${d.arp.op === 1 ? 'who-has' : 'reply'} ${d.arp.targetIp} tell ${d.arp.senderIp}`);
  } else {
    parts.push(`EtherType 0x${d.eth.type.toString(16).padStart(4, '0')}`);
  }
  if (d.udp !== undefined) parts.push(`UDP ${d.udp.sport} → ${d.udp.dport}${d.udp.checksumOk ? '' : ' (bad checksum)'}`);
  else if (d.tcp !== undefined) parts.push(`TCP ${d.tcp.sport} → ${d.tcp.dport}${d.tcp.checksumOk ? '' : ' (bad checksum)'}`);
  else if (d.icmp !== undefined) parts.push(`ICMP type ${d.icmp.type}`);
  else if (d.ipv4 !== undefined && PROTO[d.ipv4.protocol] !== undefined) parts.push(`${PROTO[d.ipv4.protocol]} (truncated)`);
  parts.push(`${frame.length} bytes`);
  return parts.join(' · ');
}
