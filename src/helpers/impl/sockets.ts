import { BpfSock, writeBpfSock } from '../contexts/sock.js';
import { Errno } from '../errno.js';
import type { KernelState } from '../kernel/state.js';
import type { SimSocket } from '../kernel/sockets.js';
import { copyIn, u32 } from './args.js';
import type { HelperGroup } from './group.js';

const TUPLE_V4 = 12;
const TUPLE_V6 = 36;
const BPF_F_CURRENT_NETNS = 0xffffffffn;

const sockAddresses = new WeakMap<object, Map<SimSocket, number>>();
const socketsByAddress = new WeakMap<object, Map<number, SimSocket>>();

/** The simulated socket whose `struct bpf_sock` is at `address` in this run (undefined: not a socket). */
export function socketAt(k: KernelState, address: number): SimSocket | undefined {
  return socketsByAddress.get(k.run)?.get(address);
}

/** The `struct bpf_sock` of `s` in this run's memory (one per socket and run). */
export function sockPointer(k: KernelState, s: SimSocket): number {
  let byRun = sockAddresses.get(k.run);
  if (byRun === undefined) {
    byRun = new Map();
    sockAddresses.set(k.run, byRun);
  }
  if (byRun.get(s) === undefined) {
    const a = k.memory.alloc('bpf_sock', 'ctx', BpfSock.size, { writable: false }).start;
    writeBpfSock(k.memory, a, s);
    byRun.set(s, a);
    let back = socketsByAddress.get(k.run);
    if (back === undefined) {
      back = new Map();
      socketsByAddress.set(k.run, back);
    }
    back.set(a, s);
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
