import { Errno } from '../errno.js';
import type { KernelState } from '../kernel/state.js';
import type { SimSocket } from '../kernel/sockets.js';
import { copyIn, u32 } from './args.js';
import type { HelperGroup } from './group.js';

/** Offsets in `struct bpf_sock`. */
const BpfSock = { bound_dev_if: 0, family: 4, type: 8, protocol: 12, mark: 16, priority: 20, src_ip4: 24, src_ip6: 28, src_port: 44, dst_port: 48, dst_ip4: 52, dst_ip6: 56, state: 72, rx_queue_mapping: 76, size: 80 } as const;
const TUPLE_V4 = 12;
const TUPLE_V6 = 36;
const BPF_F_CURRENT_NETNS = 0xffffffffn;

const sockAddresses = new WeakMap<object, Map<SimSocket, number>>();

/** The `struct bpf_sock` of `s` in this run's memory (one per socket and run). */
function sockPointer(k: KernelState, s: SimSocket): number {
  let byRun = sockAddresses.get(k.run);
  if (byRun === undefined) {
    byRun = new Map();
    sockAddresses.set(k.run, byRun);
  }
  if (byRun.get(s) === undefined) {
    const r = k.memory.alloc('bpf_sock', 'ctx', BpfSock.size, { writable: false });
    const dv = k.memory.dv;
    const a = r.start;
    dv.setUint32(a + BpfSock.bound_dev_if, s.boundDevIf ?? 0, true);
    dv.setUint32(a + BpfSock.family, s.family, true);
    dv.setUint32(a + BpfSock.type, s.protocol === 'tcp' ? 1 : 2, true);
    dv.setUint32(a + BpfSock.protocol, s.protocol === 'tcp' ? 6 : 17, true);
    dv.setUint32(a + BpfSock.mark, s.mark ?? 0, true);
    dv.setUint32(a + BpfSock.priority, s.priority ?? 0, true);
    k.memory.u8.set(s.local, a + (s.family === 2 ? BpfSock.src_ip4 : BpfSock.src_ip6));
    dv.setUint32(a + BpfSock.src_port, s.localPort, true);
    dv.setUint16(a + BpfSock.dst_port, s.remotePort ?? 0, false);
    if (s.remote !== undefined) k.memory.u8.set(s.remote, a + (s.family === 2 ? BpfSock.dst_ip4 : BpfSock.dst_ip6));
    dv.setUint32(a + BpfSock.state, s.state, true);
    dv.setInt32(a + BpfSock.rx_queue_mapping, -1, true);
    byRun.set(s, a);
  }
  return byRun.get(s)!;
}

/**
 * Socket lookups against the simulated socket table (kernel/sockets.ts), as bpf_sk_lookup_tcp/udp
 * and bpf_skc_lookup_tcp answer: a tuple of 12 (IPv4) or 36 (IPv6) bytes, saddr/sport the remote
 * end and daddr/dport the local one; NULL for any other size, flags, or a network namespace other
 * than the current one (BPF_F_CURRENT_NETNS or 0 here). The socket comes back as a struct
 * bpf_sock; bpf_sk_release answers 0.
 */
export const socketHelpers: HelperGroup = (k) => {
  const lookup = (protocol: 'tcp' | 'udp', full: boolean) =>
    (_rt: unknown, _ctx: bigint, tuple: bigint, size: bigint, netns: bigint, flags: bigint): bigint => {
      const n = u32(size);
      if (flags !== 0n || (n !== TUPLE_V4 && n !== TUPLE_V6)) return 0n;
      const ns = BigInt.asUintN(64, netns);
      if (ns !== 0n && BigInt.asUintN(32, ns) !== BPF_F_CURRENT_NETNS) return 0n;
      const t = copyIn(k.memory, tuple, n);
      const alen = n === TUPLE_V4 ? 4 : 16;
      const dv = new DataView(t.buffer, t.byteOffset, n);
      const s = k.sockets.lookup(protocol, t.slice(0, alen), dv.getUint16(2 * alen, false), t.slice(alen, 2 * alen), dv.getUint16(2 * alen + 2, false), full);
      return s === undefined ? 0n : BigInt(sockPointer(k, s));
    };
  return {
    sk_lookup_tcp: lookup('tcp', true),
    sk_lookup_udp: lookup('udp', true),
    skc_lookup_tcp: lookup('tcp', false),
    sk_release: (_rt, sk) => (sk === 0n ? BigInt(-Errno.EINVAL) : 0n),
  };
};
