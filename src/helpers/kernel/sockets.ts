import { parseAddress, type Addr } from './network.js';

/** TCP states as the kernel numbers them (bpf_sock.state). */
export const TcpState = { ESTABLISHED: 1, SYN_SENT: 2, SYN_RECV: 3, TIME_WAIT: 6, CLOSE: 7, LISTEN: 10 } as const;

/** A socket of the simulated socket table, as a test describes it. */
export interface SimSocketSpec {
  protocol: 'tcp' | 'udp';
  /** Local address (`0.0.0.0` / `::` for any) and port. */
  localIp: string;
  localPort: number;
  /** Remote address and port of a connected socket. */
  remoteIp?: string;
  remotePort?: number;
  /** TCP state; default LISTEN without a remote address, ESTABLISHED with one (UDP: CLOSE / ESTABLISHED). */
  state?: number;
  /** SO_MARK and SO_PRIORITY. */
  mark?: number;
  priority?: number;
  boundDevIf?: number;
  /** SO_REUSEPORT: the socket is in a reuseport group (bpf_sk_assign from sk_lookup then needs BPF_SK_LOOKUP_F_NO_REUSEPORT in a test run). */
  reuseport?: boolean;
  /** IPV6_V6ONLY on an IPv6 socket. */
  v6only?: boolean;
}

export interface SimSocket extends SimSocketSpec {
  family: 2 | 10;
  local: Addr;
  remote: Addr | undefined;
  state: number;
  /** sock_gen_cookie's value, given the first time something asks. */
  cookie?: bigint;
}

const isAny = (a: Addr): boolean => a.every((b) => b === 0);
const same = (a: Addr, b: Addr): boolean => a.length === b.length && a.every((v, i) => v === b[i]);

/**
 * The sockets bpf_sk_lookup_tcp/udp and bpf_skc_lookup_tcp find, as __inet_lookup does: a
 * connected socket matching the 4-tuple first, then a listening (TCP) or bound (UDP) socket on
 * the local address or the wildcard and the local port.
 */
export class SocketTable {
  readonly sockets: SimSocket[] = [];

  add(spec: SimSocketSpec): SimSocket {
    const local = parseAddress(spec.localIp);
    const remote = spec.remoteIp === undefined ? undefined : parseAddress(spec.remoteIp);
    const connected = remote !== undefined;
    const state = spec.state ?? (spec.protocol === 'tcp' ? (connected ? TcpState.ESTABLISHED : TcpState.LISTEN) : connected ? TcpState.ESTABLISHED : TcpState.CLOSE);
    const s: SimSocket = { ...spec, family: local.length === 4 ? 2 : 10, local, remote, state };
    this.sockets.push(s);
    return s;
  }

  /** The socket a packet from (saddr, sport) to (daddr, dport) belongs to; `full` skips TIME_WAIT and request sockets. */
  lookup(protocol: 'tcp' | 'udp', saddr: Addr, sport: number, daddr: Addr, dport: number, full: boolean): SimSocket | undefined {
    const candidates = this.sockets.filter((s) => s.protocol === protocol && s.local.length === daddr.length && s.localPort === dport);
    const connected = candidates.find(
      (s) => s.remote !== undefined && same(s.remote, saddr) && s.remotePort === sport && same(s.local, daddr) && (!full || (s.state !== TcpState.TIME_WAIT && s.state !== TcpState.SYN_RECV)),
    );
    if (connected !== undefined) return connected;
    const bound = (s: SimSocket): boolean => s.remote === undefined && (protocol === 'udp' || s.state === TcpState.LISTEN);
    return candidates.find((s) => bound(s) && same(s.local, daddr)) ?? candidates.find((s) => bound(s) && isAny(s.local));
  }
}
