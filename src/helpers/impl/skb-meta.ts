import { SkbContext } from '../contexts/skb.js';
import { adjustRoom, changeHead, changeProto, changeTail, changeType, ecnSetCe } from '../contexts/skb-resize.js';
import { Errno } from '../errno.js';
import { jhash2 } from '../kernel/jhash.js';
import type { KernelState } from '../kernel/state.js';
import { lowAddress, s32, u32 } from './args.js';
import type { HelperGroup } from './group.js';
import { skbCtx, TcAct } from './packet.js';

const BPF_F_INGRESS = 1n;
/** sizeof(struct bpf_redir_neigh). */
const REDIR_NEIGH_SIZE = 20;
/** The uid bpf_get_socket_uid returns without a full socket (overflowuid). */
const OVERFLOW_UID = 65534n;
const CSUM_LEVEL = { QUERY: 0n, INC: 1n, DEC: 2n, RESET: 3n } as const;

/**
 * A flow hash for bpf_get_hash_recalc when no hash is set. The kernel's (flow dissector + siphash
 * keyed at boot) differs from boot to boot; bpfkit's is jhash2 of the packet's bytes from the
 * network header (at most 40) — stable, and never 0.
 */
function flowHash(skb: SkbContext): number {
  const u8 = skb.mem.u8;
  const n = Math.max(0, Math.min(40, skb.tail - skb.networkHeader)) & ~3;
  const words: number[] = [];
  for (let i = 0; i < n; i += 4) words.push((u8[skb.networkHeader + i]! | (u8[skb.networkHeader + i + 1]! << 8) | (u8[skb.networkHeader + i + 2]! << 16) | (u8[skb.networkHeader + i + 3]! << 24)) >>> 0);
  return jhash2(words, skb.protocol) || 1;
}

/** The socket's cookie (sock_gen_cookie: given once, then the same). */
export function skbCookie(k: KernelState, skb: SkbContext): bigint {
  skb.cookie ??= k.nextCookie();
  return skb.cookie;
}

/**
 * Socket-buffer helpers beyond the bytes: resizing and protocol translation (skb-resize.ts), the
 * hash, the checksum level, ECN, the socket's uid and cookie, and the tc redirects that need no
 * map (redirect_peer, redirect_neigh, clone_redirect; the target is recorded in the result).
 */
export const skbMetaHelpers: HelperGroup = (k) => ({
  skb_change_tail: (_rt, _skb, len, flags) => BigInt(changeTail(skbCtx(k, 'bpf_skb_change_tail'), u32(len), BigInt.asUintN(64, flags))),
  skb_change_head: (_rt, _skb, room, flags) => BigInt(changeHead(skbCtx(k, 'bpf_skb_change_head'), u32(room), BigInt.asUintN(64, flags))),
  skb_adjust_room: (_rt, _skb, diff, mode, flags) =>
    BigInt(adjustRoom(skbCtx(k, 'bpf_skb_adjust_room'), s32(diff), u32(mode), BigInt.asUintN(64, flags))),
  skb_change_proto: (_rt, _skb, proto, flags) =>
    BigInt(changeProto(skbCtx(k, 'bpf_skb_change_proto'), u32(proto) & 0xffff, BigInt.asUintN(64, flags))),
  skb_change_type: (_rt, _skb, type) => BigInt(changeType(skbCtx(k, 'bpf_skb_change_type'), u32(type))),
  skb_ecn_set_ce: () => BigInt(ecnSetCe(skbCtx(k, 'bpf_skb_ecn_set_ce'))),

  set_hash: (_rt, _skb, hash) => {
    const skb = skbCtx(k, 'bpf_set_hash');
    skb.hash = u32(hash);
    skb.swHash = true;
    return 0n;
  },
  set_hash_invalid: () => {
    const skb = skbCtx(k, 'bpf_set_hash_invalid');
    skb.hash = 0;
    skb.swHash = false;
    return 0n;
  },
  get_hash_recalc: () => {
    const skb = skbCtx(k, 'bpf_get_hash_recalc');
    if (!skb.swHash) {
      skb.hash = flowHash(skb);
      skb.swHash = true;
    }
    return BigInt(skb.hash);
  },
  csum_level: (_rt, _skb, level) => {
    const skb = skbCtx(k, 'bpf_csum_level');
    switch (BigInt.asUintN(64, level)) {
      case CSUM_LEVEL.INC:
        skb.csumIncr();
        return 0n;
      case CSUM_LEVEL.DEC:
        skb.csumDecr();
        return 0n;
      case CSUM_LEVEL.RESET:
        skb.csumReset();
        return 0n;
      case CSUM_LEVEL.QUERY:
        return BigInt(skb.csumQuery());
      default:
        return BigInt(-Errno.EINVAL);
    }
  },
  // The test run's skb is never CHECKSUM_COMPLETE, the only state csum_update changes.
  csum_update: () => {
    skbCtx(k, 'bpf_csum_update');
    return BigInt(-Errno.ENOTSUPP);
  },

  get_socket_cookie: () => {
    const c = k.run.context;
    return c instanceof SkbContext ? skbCookie(k, c) : 0n;
  },
  // The test run's socket is a full socket made by sock_init_data without a file: uid 0.
  get_socket_uid: () => {
    const c = k.run.context;
    return c instanceof SkbContext ? 0n : OVERFLOW_UID;
  },

  redirect_peer: (_rt, ifindex, flags) => {
    if (flags !== 0n) return BigInt(TcAct.SHOT);
    k.run.redirect = { ifindex: u32(ifindex), flags: 0, via: 'peer' };
    return BigInt(TcAct.REDIRECT);
  },
  redirect_neigh: (_rt, ifindex, params, plen, flags) => {
    const len = u32(plen);
    if ((len !== 0 && len < REDIR_NEIGH_SIZE) || flags !== 0n) return BigInt(TcAct.SHOT);
    k.run.redirect = { ifindex: u32(ifindex), flags: 0, via: 'neigh', ...(len !== 0 && lowAddress(params) > 0 ? { nexthop: true } : {}) };
    return BigInt(TcAct.REDIRECT);
  },
  clone_redirect: (_rt, _skb, ifindex, flags) => {
    const skb = skbCtx(k, 'bpf_clone_redirect');
    const f = BigInt.asUintN(64, flags);
    if (f & ~BPF_F_INGRESS) return BigInt(-Errno.EINVAL);
    const dev = k.devices.get(u32(ifindex));
    if (dev === undefined) return BigInt(-Errno.EINVAL);
    k.run.clones.push({ ifindex: dev.ifindex, flags: Number(f), packet: skb.packetOut() });
    return 0n;
  },
});
