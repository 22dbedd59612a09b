import { BpfkitError, ErrorCode } from '../errors.js';
import {
  arp,
  ethernet,
  icmp,
  icmpv6,
  ipv4,
  ipv6,
  tcp,
  udp,
  type ChecksumOption,
  type EthernetOptions,
  type NetworkLayer,
  type TransportLayer,
} from './build.js';

/**
 * A frame from a one-line spec, built with the same builders as the API:
 *
 *     eth/ipv4(src=10.0.0.1,dst=10.0.0.2,ttl=64)/udp(dport=53)/"payload"
 *     eth(vlan=100)/ipv6(src=fd00::1,dst=fd00::2)/tcp(dport=443,flags=S)
 *     eth/arp(sip=10.0.0.1,tip=10.0.0.2)
 *
 * Layers are separated by `/`: `eth` first (optional: it is added when left out), then a network
 * layer (`ipv4`/`ip`, `ipv6`/`ip6`, `arp`), then a transport (`udp`, `tcp`, `icmp`, `icmpv6`),
 * then a payload: `"text"` (with \n, \t, \\, \" and \xHH escapes) or `0x` followed by hex bytes.
 * Numbers are decimal or 0x-hex. Unset addresses and ports have defaults (10.0.0.1 → 10.0.0.2,
 * fd00::1 → fd00::2, ports 12345 → 80); checksums are computed unless `checksum=bad` or a number.
 * Bad specs throw a BpfkitError (USAGE) saying which layer and key.
 */
export function packetFromSpec(spec: string): Uint8Array {
  try {
    return build(spec);
  } catch (e) {
    // Every error, the builders' own included (a bad address...), names the spec it came from.
    if (e instanceof BpfkitError) throw new BpfkitError(e.code, `packet spec '${spec}': ${e.message}`);
    throw e;
  }
}

function build(spec: string): Uint8Array {
  const layers = splitLayers(spec).map(parseLayer);
  if (layers.length === 0) fail(spec, 'empty packet spec');
  if (layers[0]!.name !== 'eth') layers.unshift({ name: 'eth', args: new Map(), text: 'eth' });
  const [eth, net, transport, payload, ...rest] = layers;
  if (rest.length > 0) fail(spec, `too many layers after the payload: ${rest.map((l) => l.text).join('/')}`);

  let payloadBytes: Uint8Array | undefined;
  let transportLayer: TransportLayer | undefined;
  let netLayer: NetworkLayer | Uint8Array | undefined;
  const tail = [net, transport, payload].filter((l): l is Layer => l !== undefined);
  // The last layer may be a payload wherever it stands (eth/"raw bytes" is a frame with a raw body).
  if (tail.length > 0 && tail[tail.length - 1]!.payload !== undefined) payloadBytes = tail.pop()!.payload;
  if (tail.some((l) => l.payload !== undefined)) fail(spec, 'a payload must be the last layer');
  const [n, t] = tail;
  if (t !== undefined) transportLayer = buildTransport(t, payloadBytes);
  else if (n !== undefined && TRANSPORTS.has(n.name)) fail(spec, `'${n.name}' needs a network layer before it (ipv4 or ipv6)`);
  if (n !== undefined) netLayer = buildNetwork(n, transportLayer ?? payloadBytes, t === undefined && payloadBytes !== undefined);
  else netLayer = payloadBytes;
  return buildEthernet(eth!, netLayer);
}

interface Layer {
  name: string;
  args: Map<string, string>;
  text: string;
  payload?: Uint8Array;
}

const ALIASES: Record<string, string> = { ether: 'eth', ethernet: 'eth', ip: 'ipv4', ip4: 'ipv4', ip6: 'ipv6', icmp6: 'icmpv6' };
const TRANSPORTS = new Set(['udp', 'tcp', 'icmp', 'icmpv6']);
const KEYS: Record<string, readonly string[]> = {
  eth: ['src', 'dst', 'vlan', 'prio', 'type', 'minlen'],
  ipv4: ['src', 'dst', 'ttl', 'tos', 'id', 'df', 'mf', 'frag', 'proto', 'checksum'],
  ipv6: ['src', 'dst', 'hlim', 'tc', 'flow', 'nh'],
  arp: ['op', 'smac', 'sip', 'tmac', 'tip'],
  udp: ['sport', 'dport', 'checksum'],
  tcp: ['sport', 'dport', 'seq', 'ack', 'flags', 'window', 'urg', 'checksum'],
  icmp: ['type', 'code', 'id', 'seq', 'checksum'],
  icmpv6: ['type', 'code', 'id', 'seq', 'checksum'],
};

/** A problem with the spec as a whole (`packetFromSpec` adds which spec). */
function fail(_spec: string, why: string): never {
  throw new BpfkitError(ErrorCode.Usage, why);
}

/** A problem with one layer: named by its text. */
function failLayer(layer: string, why: string): never {
  throw new BpfkitError(ErrorCode.Usage, `${layer}: ${why}`);
}

/** Splits at `/` outside quotes and parentheses. */
function splitLayers(spec: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quoted = false;
  let cur = '';
  for (let i = 0; i < spec.length; i++) {
    const c = spec[i]!;
    if (quoted) {
      cur += c;
      if (c === '\\' && i + 1 < spec.length) cur += spec[++i];
      else if (c === '"') quoted = false;
      continue;
    }
    if (c === '"') quoted = true;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    if (depth < 0) fail(spec, "unbalanced ')'");
    if (c === '/' && depth === 0) {
      out.push(cur.trim());
      cur = '';
    } else cur += c;
  }
  if (quoted) fail(spec, 'unterminated "string"');
  if (depth !== 0) fail(spec, "unbalanced '('");
  out.push(cur.trim());
  if (out.some((l) => l === '')) fail(spec, "an empty layer (two '/' in a row, or one at an end)");
  return out;
}

function parseLayer(text: string): Layer {
  if (text.startsWith('"')) return { name: 'payload', args: new Map(), text, payload: unquote(text) };
  if (/^0x/i.test(text)) {
    const hex = text.slice(2);
    if (!/^([0-9a-f]{2})*$/i.test(hex)) failLayer(text, 'a hex payload is 0x followed by pairs of hex digits');
    return { name: 'payload', args: new Map(), text, payload: Uint8Array.from(hex.match(/../g) ?? [], (b) => parseInt(b, 16)) };
  }
  const m = /^([a-z0-9]+)(?:\((.*)\))?$/i.exec(text);
  if (m === null) failLayer(text, 'a layer is NAME or NAME(key=value,...)');
  const name = ALIASES[m[1]!.toLowerCase()] ?? m[1]!.toLowerCase();
  const keys = KEYS[name];
  if (keys === undefined) failLayer(text, `unknown layer '${m[1]}' (layers: eth, ipv4, ipv6, arp, udp, tcp, icmp, icmpv6, "payload", 0xHEX)`);
  const args = new Map<string, string>();
  for (const part of (m[2] ?? '').split(',').map((p) => p.trim()).filter(Boolean)) {
    const kv = /^([a-z_]+)\s*=\s*(.+)$/i.exec(part);
    if (kv === null) failLayer(text, `'${part}' is not key=value`);
    const key = kv[1]!.toLowerCase();
    if (!keys.includes(key)) failLayer(text, `${name} has no key '${kv[1]}' (keys: ${keys.join(', ')})`);
    args.set(key, kv[2]!.trim());
  }
  return { name, args, text };
}

function unquote(text: string): Uint8Array {
  if (!text.endsWith('"') || text.length < 2) failLayer(text, 'unterminated "string"');
  const body = text.slice(1, -1);
  const bytes: number[] = [];
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== '\\') {
      for (const b of new TextEncoder().encode(c)) bytes.push(b);
      continue;
    }
    const e = body[++i];
    if (e === 'n') bytes.push(10);
    else if (e === 't') bytes.push(9);
    else if (e === 'r') bytes.push(13);
    else if (e === '0') bytes.push(0);
    else if (e === '\\' || e === '"') bytes.push(e.charCodeAt(0));
    else if (e === 'x' && /^[0-9a-f]{2}$/i.test(body.slice(i + 1, i + 3))) {
      bytes.push(parseInt(body.slice(i + 1, i + 3), 16));
      i += 2;
    } else failLayer(text, `unknown escape '\\${e ?? ''}'`);
  }
  return Uint8Array.from(bytes);
}

function num(l: Layer, key: string, max: number): number | undefined {
  const v = l.args.get(key);
  if (v === undefined) return undefined;
  const n = /^0x[0-9a-f]+$/i.test(v) ? parseInt(v, 16) : /^[0-9]+$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n > max) failLayer(l.text, `${key}=${v}: expected an integer from 0 to ${max}`);
  return n;
}

function flag(l: Layer, key: string): boolean | undefined {
  const v = l.args.get(key);
  if (v === undefined) return undefined;
  if (v === '1' || v === 'true') return true;
  if (v === '0' || v === 'false') return false;
  return failLayer(l.text, `${key}=${v}: expected 1/0 or true/false`);
}

function checksum(l: Layer): ChecksumOption | undefined {
  const v = l.args.get('checksum');
  if (v === undefined || v === 'auto') return v;
  if (v === 'bad') return 'bad';
  return num(l, 'checksum', 0xffff);
}

/** Sets `key` on `o` only when the value is defined (the builders' options are exact optional). */
function set<T extends object, K extends keyof T>(o: T, key: K, v: T[K] | undefined): void {
  if (v !== undefined) o[key] = v;
}

function buildTransport(l: Layer, payload: Uint8Array | undefined): TransportLayer {
  const sport = num(l, 'sport', 0xffff) ?? 12345;
  const dport = num(l, 'dport', 0xffff) ?? 80;
  switch (l.name) {
    case 'udp': {
      const o: Parameters<typeof udp>[0] = { sport, dport };
      set(o, 'payload', payload);
      set(o, 'checksum', checksum(l));
      return udp(o);
    }
    case 'tcp': {
      const o: Parameters<typeof tcp>[0] = { sport, dport };
      set(o, 'seq', num(l, 'seq', 0xffffffff));
      set(o, 'ack', num(l, 'ack', 0xffffffff));
      set(o, 'flags', l.args.get('flags'));
      set(o, 'window', num(l, 'window', 0xffff));
      set(o, 'urgent', num(l, 'urg', 0xffff));
      set(o, 'payload', payload);
      set(o, 'checksum', checksum(l));
      return tcp(o);
    }
    case 'icmp':
    case 'icmpv6': {
      const o: NonNullable<Parameters<typeof icmp>[0]> = {};
      set(o, 'type', num(l, 'type', 0xff));
      set(o, 'code', num(l, 'code', 0xff));
      set(o, 'id', num(l, 'id', 0xffff));
      set(o, 'seq', num(l, 'seq', 0xffff));
      set(o, 'payload', payload);
      set(o, 'checksum', checksum(l));
      return l.name === 'icmp' ? icmp(o) : icmpv6(o);
    }
    default:
      return failLayer(l.text, `'${l.name}' is not a transport layer (udp, tcp, icmp, icmpv6)`);
  }
}

function buildNetwork(l: Layer, payload: TransportLayer | Uint8Array | undefined, rawPayload: boolean): NetworkLayer {
  switch (l.name) {
    case 'ipv4': {
      const o: Parameters<typeof ipv4>[0] = { src: l.args.get('src') ?? '10.0.0.1', dst: l.args.get('dst') ?? '10.0.0.2' };
      set(o, 'payload', payload);
      set(o, 'ttl', num(l, 'ttl', 0xff));
      set(o, 'tos', num(l, 'tos', 0xff));
      set(o, 'id', num(l, 'id', 0xffff));
      set(o, 'df', flag(l, 'df'));
      set(o, 'moreFragments', flag(l, 'mf'));
      set(o, 'fragmentOffset', num(l, 'frag', 0x1fff));
      set(o, 'protocol', num(l, 'proto', 0xff));
      set(o, 'checksum', checksum(l));
      return ipv4(o);
    }
    case 'ipv6': {
      const o: Parameters<typeof ipv6>[0] = { src: l.args.get('src') ?? 'fd00::1', dst: l.args.get('dst') ?? 'fd00::2' };
      set(o, 'payload', payload);
      set(o, 'hopLimit', num(l, 'hlim', 0xff));
      set(o, 'trafficClass', num(l, 'tc', 0xff));
      set(o, 'flowLabel', num(l, 'flow', 0xfffff));
      set(o, 'nextHeader', num(l, 'nh', 0xff));
      return ipv6(o);
    }
    case 'arp': {
      if (payload !== undefined && !rawPayload) failLayer(l.text, 'arp carries no transport layer');
      const o: Parameters<typeof arp>[0] = { senderMac: l.args.get('smac') ?? '02:00:00:00:00:01', senderIp: l.args.get('sip') ?? '10.0.0.1', targetIp: l.args.get('tip') ?? '10.0.0.2' };
      set(o, 'targetMac', l.args.get('tmac'));
      set(o, 'op', num(l, 'op', 0xffff));
      return arp(o);
    }
    default:
      return failLayer(l.text, `'${l.name}' is not a network layer (ipv4, ipv6, arp)`);
  }
}

function buildEthernet(l: Layer, payload: NetworkLayer | Uint8Array | undefined): Uint8Array {
  const o: EthernetOptions = {};
  set(o, 'src', l.args.get('src'));
  set(o, 'dst', l.args.get('dst'));
  set(o, 'vlan', num(l, 'vlan', 0xfff));
  set(o, 'vlanPriority', num(l, 'prio', 7));
  set(o, 'etherType', num(l, 'type', 0xffff));
  set(o, 'minLength', num(l, 'minlen', 0xffff));
  set(o, 'payload', payload);
  return ethernet(o);
}
