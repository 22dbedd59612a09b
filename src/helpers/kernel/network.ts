import type { NetDevice } from './state.js';

/** What kind of route: unicast forwards; the others answer bpf_fib_lookup with their BPF_FIB_LKUP_RET_* code. */
export type RouteType = 'unicast' | 'local' | 'blackhole' | 'unreachable' | 'prohibit';

/** One route of the simulated routing table, as `ip route add` would write it. */
export interface Route {
  /** Destination prefix: `10.1.0.0/16`, `2001:db8::/32`, `0.0.0.0/0` (default route). */
  dst: string;
  /** Next hop; absent for a directly connected network (the destination itself is the neighbour). */
  via?: string;
  /** Output device. */
  dev: number;
  type?: RouteType;
  /** Priority (lower wins among equal prefixes); bpf_fib_lookup returns it in rt_metric. */
  metric?: number;
  /** Route MTU (default: the device's). */
  mtu?: number;
  /** Preferred source address (BPF_FIB_LOOKUP_SRC). */
  src?: string;
  /** Routing table id (default 254, main; BPF_FIB_LOOKUP_DIRECT|TBID pick another). */
  table?: number;
}

/** A neighbour (ARP/NDP) entry: the MAC address of an IP address on a device. */
export interface Neighbour {
  ip: string;
  dev: number;
  mac: string;
}

/** A parsed address: 4 or 16 bytes. */
export type Addr = Uint8Array;

export function parseAddress(text: string): Addr {
  if (text.includes(':')) return parseIpv6(text);
  const parts = text.split('.').map((p) => Number(p));
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new RangeError(`'${text}' is not an IPv4 address`);
  return new Uint8Array(parts);
}

function parseIpv6(text: string): Addr {
  const out = new Uint8Array(16);
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const groups = (s: string | undefined): number[] => (s ? s.split(':').map((g) => parseInt(g, 16)) : []);
  const h = groups(head);
  const t = groups(tail);
  if (tail === undefined && h.length !== 8) throw new RangeError(`'${text}' is not an IPv6 address`);
  const all = [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
  if (all.length !== 8 || all.some((g) => !Number.isInteger(g) || g < 0 || g > 0xffff)) throw new RangeError(`'${text}' is not an IPv6 address`);
  all.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  return out;
}

export function parseMac(text: string): Uint8Array {
  const parts = text.split(':').map((p) => parseInt(p, 16));
  if (parts.length !== 6 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new RangeError(`'${text}' is not a MAC address`);
  return new Uint8Array(parts);
}

interface ParsedRoute {
  route: Route;
  prefix: Addr;
  bits: number;
}

function matches(prefix: Addr, bits: number, addr: Addr): boolean {
  if (prefix.length !== addr.length) return false;
  for (let i = 0; i < bits; i++) {
    const bit = 0x80 >> (i & 7);
    if ((prefix[i >> 3]! & bit) !== (addr[i >> 3]! & bit)) return false;
  }
  return true;
}

const key = (dev: number, a: Addr): string => `${dev}/${[...a].join('.')}`;

/**
 * The simulated network stack behind bpf_fib_lookup and bpf_check_mtu: devices (kept by the
 * kernel state), routes by table (longest prefix, then lowest metric) and neighbours. The test
 * configures it; nothing is there by default but the loopback device.
 */
export class SimNetwork {
  private readonly routes: ParsedRoute[] = [];
  private readonly neighbours = new Map<string, Uint8Array>();
  /** Whether devices forward (net.ipv4.ip_forward / ipv6 forwarding); off: bpf_fib_lookup answers FWD_DISABLED. */
  forwarding = true;

  constructor(readonly devices: Map<number, NetDevice>) {}

  addDevice(dev: NetDevice): this {
    this.devices.set(dev.ifindex, dev);
    return this;
  }

  addRoute(route: Route): this {
    const [addr, len] = route.dst.split('/');
    const prefix = parseAddress(addr!);
    const bits = len === undefined ? prefix.length * 8 : Number(len);
    if (!Number.isInteger(bits) || bits < 0 || bits > prefix.length * 8) throw new RangeError(`'${route.dst}' has a bad prefix length`);
    this.routes.push({ route, prefix, bits });
    return this;
  }

  addNeighbour(n: Neighbour): this {
    this.neighbours.set(key(n.dev, parseAddress(n.ip)), parseMac(n.mac));
    return this;
  }

  /** The route for `dst` in `table`: longest prefix, then lowest metric, then first added. */
  lookup(dst: Addr, table = 254): Route | undefined {
    let best: ParsedRoute | undefined;
    for (const r of this.routes) {
      if ((r.route.table ?? 254) !== table || !matches(r.prefix, r.bits, dst)) continue;
      if (best === undefined || r.bits > best.bits || (r.bits === best.bits && (r.route.metric ?? 0) < (best.route.metric ?? 0))) best = r;
    }
    return best?.route;
  }

  neighbour(dev: number, ip: Addr): Uint8Array | undefined {
    return this.neighbours.get(key(dev, ip));
  }
}
