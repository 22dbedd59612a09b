import { Errno } from '../errno.js';
import type { Memory } from '../memory.js';
import type { ProgramContext } from './context.js';

/** NF_INET_* hooks and NFPROTO_* families the test run takes. */
export const NfHook = { PRE_ROUTING: 0, LOCAL_IN: 1, FORWARD: 2, LOCAL_OUT: 3, POST_ROUTING: 4 } as const;
const NFPROTO_IPV4 = 2;
const NFPROTO_IPV6 = 10;

/** sizeof(struct nf_hook_state) on x86-64: hook, pf, then in, out, sk, net, okfn pointers. */
export const NF_HOOK_STATE_SIZE = 48;

/**
 * The `struct sk_buff` fields bpfkit fills, at their offsets in the 6.18 x86-64 kernel (from its
 * BTF): a program reads them through ctx->skb with BTF-checked loads. Other fields read 0.
 */
export const SkBuff = { dev: 16, len: 112, data_len: 116, protocol: 176, transport_header: 178, network_header: 180, mac_header: 182, tail: 184, end: 188, head: 192, data: 200, size: 224 } as const;

/** What a netfilter hook runs on, as a test describes it (encoded as the test run's struct nf_hook_state). */
export interface NetfilterInput {
  /** NF_INET_* (default LOCAL_OUT, as the test run). */
  hook?: number;
  /** NFPROTO_IPV4 (2, default) or NFPROTO_IPV6 (10). */
  pf?: number;
}

/** The test run's ctx_in for `input`. */
export const netfilterStateBytes = (input: NetfilterInput): Uint8Array => new Uint8Array([input.hook ?? NfHook.LOCAL_OUT, input.pf ?? NFPROTO_IPV4]);

const ETH_HLEN = 14;
/** NET_SKB_PAD + NET_IP_ALIGN on x86-64: where the test run's skb data starts. */
const HEADROOM = 64;
const SHARED_INFO = 320;
const MAX_DATA = 4096 - HEADROOM - SHARED_INFO;

/** The skb and hook state bpf_prog_test_run_nf builds, or its refusal (errno, reason), in its order of checks. */
export function netfilterSetup(packet: Uint8Array, ctx: Uint8Array | undefined): { errno: number; reason: string } | { hook: number; pf: number; pulled: boolean; protocol: number } {
  if (packet.length < 20) return { errno: -Errno.EINVAL, reason: `a ${packet.length}-byte packet is shorter than an IPv4 header` };
  if (packet.length > MAX_DATA) return { errno: -Errno.EINVAL, reason: `a ${packet.length}-byte packet is over the ${MAX_DATA} bytes of the test run's skb` };
  let hook: number = NfHook.LOCAL_OUT;
  let pf = NFPROTO_IPV4;
  if (ctx !== undefined && ctx.length > 0) {
    if (ctx.length > NF_HOOK_STATE_SIZE && ctx.subarray(NF_HOOK_STATE_SIZE).some((b) => b !== 0)) return { errno: -Errno.E2BIG, reason: `bytes past the ${NF_HOOK_STATE_SIZE} of struct nf_hook_state are not zero` };
    const state = new Uint8Array(NF_HOOK_STATE_SIZE);
    state.set(ctx.subarray(0, NF_HOOK_STATE_SIZE));
    if (state.subarray(8).some((b) => b !== 0)) return { errno: -Errno.EINVAL, reason: 'in, out, sk, net and okfn of struct nf_hook_state must be NULL' };
    if (state[1] !== NFPROTO_IPV4 && state[1] !== NFPROTO_IPV6) return { errno: -Errno.EINVAL, reason: `pf ${state[1]} is neither NFPROTO_IPV4 nor NFPROTO_IPV6` };
    hook = state[0]!;
    pf = state[1]!;
  }
  if (hook === NfHook.LOCAL_OUT) return { hook, pf, pulled: false, protocol: pf === NFPROTO_IPV4 ? 0x0800 : 0x86dd };
  if (packet.length < ETH_HLEN + 20) return { errno: -Errno.EINVAL, reason: 'a frame shorter than an Ethernet and an IPv4 header' };
  const proto = (packet[12]! << 8) | packet[13]!;
  if (proto === 0x0800) {
    if (pf !== NFPROTO_IPV4) return { errno: -Errno.EINVAL, reason: 'an IPv4 frame for an NFPROTO_IPV6 hook' };
  } else if (proto === 0x86dd) {
    if (packet.length < ETH_HLEN + 40) return { errno: -Errno.EINVAL, reason: 'an IPv6 frame shorter than its header' };
    if (pf !== NFPROTO_IPV6) return { errno: -Errno.EINVAL, reason: 'an IPv6 frame for an NFPROTO_IPV4 hook' };
  } else return { errno: -Errno.EPROTO, reason: `Ethernet type 0x${proto.toString(16).padStart(4, '0')} is neither IPv4 nor IPv6` };
  return { hook, pf, pulled: true, protocol: proto };
}

/** How the test run sets a netfilter context up (see netfilterSetup). */
export interface NetfilterSetup {
  hook: number;
  pf: number;
  pulled: boolean;
  protocol: number;
}

/**
 * `struct bpf_nf_ctx` of a netfilter program as BPF_PROG_TEST_RUN builds it: `state`, a
 * struct nf_hook_state with the hook and family of ctx_in (default NF_INET_LOCAL_OUT, IPv4; its
 * device, socket and net pointers NULL in bpfkit, where the kernel points in/out at the loopback
 * device), and `skb`, a struct sk_buff over the packet: for LOCAL_OUT the data as given and
 * protocol by family, otherwise the frame through eth_type_trans (data and len past the Ethernet
 * header, mac and network header offsets set). Kernel memory: read-only. No packet or context
 * comes back (the test run returns r0 only).
 */
export class NetfilterContext implements ProgramContext {
  readonly kind = 'netfilter' as const;
  readonly address: number;

  private readonly memory: Memory;
  private readonly state: number;
  private readonly head: number;
  private readonly skb: number;
  private readonly length: number;

  constructor(memory: Memory, packet: Uint8Array, setup: NetfilterSetup) {
    this.memory = memory;
    this.length = packet.length;
    this.state = memory.alloc('nf_hook_state', 'kernel', NF_HOOK_STATE_SIZE, { writable: false }).start;
    this.head = memory.alloc('skb data', 'kernel', HEADROOM + packet.length + SHARED_INFO, { writable: false }).start;
    this.skb = memory.alloc('sk_buff', 'kernel', SkBuff.size, { writable: false }).start;
    this.address = memory.alloc('bpf_nf_ctx', 'ctx', 16, { writable: false }).start;
    this.fill(packet, setup);
  }

  /** Makes this a fresh context on `packet`; false when it is of another length (the skb's buffer size differs). */
  reset(packet: Uint8Array, setup: NetfilterSetup): boolean {
    if (packet.length !== this.length) return false;
    // Kernel memory the program cannot write: the buffer is rewritten whole, as a new one is zeroed.
    this.memory.u8.fill(0, this.head, this.head + HEADROOM + packet.length + SHARED_INFO);
    this.fill(packet, setup);
    return true;
  }

  private fill(packet: Uint8Array, setup: NetfilterSetup): void {
    const memory = this.memory;
    const dv = memory.dv;
    const { state, head, skb } = this;
    const bufSize = HEADROOM + packet.length + SHARED_INFO;
    memory.u8.fill(0, state, state + NF_HOOK_STATE_SIZE);
    memory.u8[state] = setup.hook;
    memory.u8[state + 1] = setup.pf;
    memory.u8.set(packet, head + HEADROOM);
    memory.u8.fill(0, skb, skb + SkBuff.size);
    const dataOff = HEADROOM + (setup.pulled ? ETH_HLEN : 0);
    dv.setUint32(skb + SkBuff.len, packet.length - (setup.pulled ? ETH_HLEN : 0), true);
    dv.setUint16(skb + SkBuff.protocol, setup.protocol, false);
    dv.setUint16(skb + SkBuff.transport_header, 0xffff, true);
    dv.setUint16(skb + SkBuff.network_header, setup.pulled ? dataOff : 0, true);
    dv.setUint16(skb + SkBuff.mac_header, setup.pulled ? HEADROOM : 0xffff, true);
    dv.setUint32(skb + SkBuff.tail, HEADROOM + packet.length, true);
    dv.setUint32(skb + SkBuff.end, bufSize - SHARED_INFO, true);
    dv.setBigUint64(skb + SkBuff.head, BigInt(head), true);
    dv.setBigUint64(skb + SkBuff.data, BigInt(head + dataOff), true);
    dv.setBigUint64(this.address, BigInt(state), true);
    dv.setBigUint64(this.address + 8, BigInt(skb), true);
  }

  packetOut(): undefined {
    return undefined;
  }
}
