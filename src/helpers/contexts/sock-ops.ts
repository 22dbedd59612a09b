import { BpfkitError, ErrorCode } from '../../errors.js';
import type { SimSocket, SimSocketSpec } from '../kernel/sockets.js';
import type { Memory } from '../memory.js';
import { BpfSock, simSocket, writeBpfSock } from './sock.js';
import type { ContextWithOutput } from './user-ctx.js';

/** Offsets in `struct bpf_sock_ops` (uapi linux/bpf.h; 216 bytes). */
export const SockOps = {
  op: 0, args: 4, reply: 4, family: 20, remote_ip4: 24, local_ip4: 28, remote_ip6: 32, local_ip6: 48, remote_port: 64, local_port: 68,
  is_fullsock: 72, snd_cwnd: 76, srtt_us: 80, bpf_sock_ops_cb_flags: 84, state: 88, rtt_min: 92, snd_ssthresh: 96, rcv_nxt: 100,
  snd_nxt: 104, snd_una: 108, mss_cache: 112, sk: 184, skb_data: 192, skb_data_end: 200, skb_len: 208, size: 216,
} as const;

/** What a sock_ops program is called for besides the socket. */
export interface SockOpsInput {
  /** BPF_SOCK_OPS_* (e.g. 4 ACTIVE_ESTABLISHED_CB, 5 PASSIVE_ESTABLISHED_CB, 10 STATE_CB). */
  op: number;
  /** args[0..3] (STATE_CB: old and new state; RTO_CB, RETRANS_CB: theirs). */
  args?: readonly number[];
  /** TCP fields of the socket the callbacks read (default 0; snd_cwnd 10, mss_cache 536 as a new socket has). */
  tcp?: Partial<Record<'snd_cwnd' | 'srtt_us' | 'rtt_min' | 'snd_ssthresh' | 'rcv_nxt' | 'snd_nxt' | 'snd_una' | 'mss_cache', number>>;
}

const u32ok = (v: number): boolean => Number.isInteger(v) && v >= 0 && v <= 0xffffffff;

/** The socket of a sock_ops run, after the checks of its input (in the order they were always made). */
function sockOpsSocket(spec: SimSocketSpec, input: SockOpsInput): SimSocket {
  if (spec.protocol !== 'tcp') throw new BpfkitError(ErrorCode.Usage, 'a sock_ops program runs on a TCP socket (protocol: tcp)');
  if (!u32ok(input.op)) throw new BpfkitError(ErrorCode.Usage, `sock_ops op ${input.op} is not a u32`);
  const args = input.args ?? [];
  if (args.length > 4 || !args.every(u32ok)) throw new BpfkitError(ErrorCode.Usage, 'sock_ops args are up to 4 u32 values');
  const s = simSocket(spec);
  for (const [field, value] of Object.entries({ snd_cwnd: 10, mss_cache: 536, ...input.tcp })) {
    if (value !== undefined && !u32ok(value)) throw new BpfkitError(ErrorCode.Usage, `sock_ops ${field} ${value} is not a u32`);
  }
  return s;
}

/**
 * `struct bpf_sock_ops` for a sock_ops program (TCP callbacks; the kernel has no test run for
 * them), filled from a full TCP socket: addresses in network order, remote_port in network order
 * in the upper 16 bits (as the kernel's context rewrite shifts it), local_port in host order, sk a
 * `struct bpf_sock` of the same socket. No skb comes with these callbacks (skb_data = skb_data_end
 * = 0). The program answers through reply (the result's ctx) and r0.
 */
export class SockOpsContext implements ContextWithOutput {
  readonly kind = 'sock-ops' as const;
  readonly address: number;
  private readonly memory: Memory;
  /** The socket the callback runs on (bpf_sock_map_update/bpf_sock_hash_update store it). */
  socket: SimSocket;
  /** The `struct bpf_sock` of the socket (what sk points to). */
  private readonly sk: number;

  constructor(memory: Memory, spec: SimSocketSpec, input: SockOpsInput) {
    this.memory = memory;
    this.socket = sockOpsSocket(spec, input);
    this.address = memory.alloc('bpf_sock_ops', 'ctx', SockOps.size, { writable: true }).start;
    this.sk = memory.alloc('bpf_sock', 'ctx', BpfSock.size, { writable: false }).start;
    this.fill(input);
  }

  /** Makes this a fresh context for `input` on the socket `spec` describes (refused as the constructor refuses them). */
  reset(spec: SimSocketSpec, input: SockOpsInput): void {
    this.socket = sockOpsSocket(spec, input);
    this.memory.u8.fill(0, this.address, this.address + SockOps.size);
    this.memory.u8.fill(0, this.sk, this.sk + BpfSock.size);
    this.fill(input);
  }

  private fill(input: SockOpsInput): void {
    const memory = this.memory;
    const s = this.socket;
    const a = this.address;
    const dv = memory.dv;
    dv.setUint32(a + SockOps.op, input.op, true);
    (input.args ?? []).forEach((v, i) => dv.setUint32(a + SockOps.args + 4 * i, v, true));
    dv.setUint32(a + SockOps.family, s.family, true);
    const v4 = s.family === 2;
    if (s.remote !== undefined) memory.u8.set(s.remote, a + (v4 ? SockOps.remote_ip4 : SockOps.remote_ip6));
    memory.u8.set(s.local, a + (v4 ? SockOps.local_ip4 : SockOps.local_ip6));
    dv.setUint16(a + SockOps.remote_port + 2, s.remotePort ?? 0, false);
    dv.setUint32(a + SockOps.local_port, s.localPort, true);
    dv.setUint32(a + SockOps.is_fullsock, 1, true);
    dv.setUint32(a + SockOps.state, s.state, true);
    const tcp = { snd_cwnd: 10, mss_cache: 536, ...input.tcp };
    for (const [field, value] of Object.entries(tcp)) {
      if (value !== undefined) dv.setUint32(a + SockOps[field as keyof typeof tcp], value, true);
    }
    writeBpfSock(memory, this.sk, s);
    dv.setBigUint64(a + SockOps.sk, BigInt(this.sk), true);
  }

  packetOut(): undefined {
    return undefined;
  }

  ctxOut(): Uint8Array {
    return this.memory.u8.slice(this.address, this.address + SockOps.size);
  }
}
