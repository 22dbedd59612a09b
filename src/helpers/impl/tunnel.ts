import { SkbContext, type TunnelInfo } from '../contexts/skb.js';
import { Errno } from '../errno.js';
import { FaultSignal } from '../fault.js';
import type { KernelState } from '../kernel/state.js';
import { checkedAddress, u32, view } from './args.js';
import { argHi, argPointer, argU32 } from './fast-args.js';
import type { FastHelperGroup, HelperGroup } from './group.js';

/** struct bpf_tunnel_key (44 bytes) and the older sizes the kernel still takes. */
const Key = { tunnel_id: 0, remote: 4, tos: 20, ttl: 21, ext: 22, label: 24, local: 28, size: 44 } as const;
const COMPAT_SIZES = new Set([Key.local, Key.label, Key.ext, 8]);

const F_TUNINFO_IPV6 = 1n;
const F_ZERO_CSUM_TX = 2n;
const F_DONT_FRAGMENT = 4n;
const F_SEQ_NUMBER = 8n;
/** BPF_F_NO_TUNNEL_KEY (set) and BPF_F_TUNINFO_FLAGS (get) share bit 4. */
const F_BIT4 = 16n;

/** IP_TUNNEL_*_BIT (uapi linux/if_tunnel.h). */
const Bit = { CSUM: 0, KEY: 2, SEQ: 3, DONT_FRAGMENT: 8, GENEVE_OPT: 11, VXLAN_OPT: 12, NOCACHE: 13, ERSPAN_OPT: 14, GTP_OPT: 15, PFCP_OPT: 17 } as const;
const OPTIONS_PRESENT = (1 << Bit.GENEVE_OPT) | (1 << Bit.VXLAN_OPT) | (1 << Bit.ERSPAN_OPT) | (1 << Bit.GTP_OPT) | (1 << Bit.PFCP_OPT);
/** IP_TUNNEL_OPTS_MAX: options_len is a u8. */
const OPTS_MAX = 255;
const be32 = (b: Uint8Array): number => ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;

/** The context of a tunnel helper, or the fault naming it. */
function tunnelSkb(k: KernelState, name: string): SkbContext {
  const c = k.run.context;
  if (!(c instanceof SkbContext)) throw new FaultSignal('helper', `${name}: not an __sk_buff context`);
  return c;
}

/** set_tunnel_key's checks before it reads its key: `f` the flags when below 2^32, else -1. */
function setKeyChecks(f: number, size: number): number {
  if (f < 0 || (f & ~Number(F_TUNINFO_IPV6 | F_ZERO_CSUM_TX | F_DONT_FRAGMENT | F_SEQ_NUMBER | F_BIT4)) !== 0) return -Errno.EINVAL;
  if (size !== Key.size && !COMPAT_SIZES.has(size)) return -Errno.EINVAL;
  return 0;
}

/** The struct bpf_tunnel_key a helper reads or writes, whole: one buffer for every call (the older sizes are its prefixes). */
const KEY = new Uint8Array(Key.size);
const KEY_DV = new DataView(KEY.buffer);

/** set_tunnel_key once checked, with the `size` key bytes at `at` of `u8`. */
function setKey(skb: SkbContext, u8: Uint8Array, at: number, size: number, f: number): number {
  KEY.fill(0);
  for (let i = 0; i < size; i++) KEY[i] = u8[at + i]!;
  const dv = KEY_DV;
  const ipv6 = (f & Number(F_TUNINFO_IPV6)) !== 0;
  if ((!ipv6 && dv.getUint32(Key.label, true) !== 0) || dv.getUint16(Key.ext, true) !== 0) return -Errno.EINVAL;
  let bits = 1 << Bit.NOCACHE;
  if (f & Number(F_DONT_FRAGMENT)) bits |= 1 << Bit.DONT_FRAGMENT;
  if (!(f & Number(F_ZERO_CSUM_TX))) bits |= 1 << Bit.CSUM;
  if (f & Number(F_SEQ_NUMBER)) bits |= 1 << Bit.SEQ;
  if (!(f & Number(F_BIT4))) bits |= 1 << Bit.KEY;
  const beOf = (v: number): Uint8Array => new Uint8Array([v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff]);
  skb.tunnel = {
    ipv6,
    id: BigInt(dv.getUint32(Key.tunnel_id, true)),
    tos: KEY[Key.tos]!,
    ttl: KEY[Key.ttl]!,
    label: ipv6 ? dv.getUint32(Key.label, true) & 0xfffff : 0,
    dst: ipv6 ? KEY.slice(Key.remote, Key.remote + 16) : beOf(dv.getUint32(Key.remote, true)),
    src: ipv6 ? KEY.slice(Key.local, Key.local + 16) : beOf(dv.getUint32(Key.local, true)),
    flags: bits,
    options: new Uint8Array(0),
  };
  return 0;
}

/** get_tunnel_key into the `size` bytes at `at` of `u8` (checked): `f` the flags when below 2^32, else -1. Errors zero them. */
function getKey(skb: SkbContext, u8: Uint8Array, at: number, size: number, f: number): number {
  const info: TunnelInfo | undefined = skb.tunnel;
  const ipv6 = f >= 0 && (f & Number(F_TUNINFO_IPV6)) !== 0;
  let errno = 0;
  if (info === undefined || f < 0 || (f & ~Number(F_TUNINFO_IPV6 | F_BIT4)) !== 0) errno = Errno.EINVAL;
  else if (info.ipv6 !== ipv6) errno = Errno.EPROTO;
  else if (size !== Key.size && (!COMPAT_SIZES.has(size) || (size === 8 && info.ipv6))) errno = Errno.EINVAL;
  if (errno !== 0 || info === undefined) {
    u8.fill(0, at, at + size);
    return -errno;
  }
  KEY.fill(0);
  const dv = KEY_DV;
  dv.setUint32(Key.tunnel_id, Number(info.id & 0xffffffffn), true);
  KEY[Key.tos] = info.tos;
  KEY[Key.ttl] = info.ttl;
  // tunnel_flags: tun_flags bits 0..15 as a big-endian u16; else tunnel_ext 0.
  if (f & Number(F_BIT4)) dv.setUint16(Key.ext, info.flags & 0xffff, false);
  if (ipv6) {
    KEY.set(info.src, Key.remote);
    KEY.set(info.dst, Key.local);
    dv.setUint32(Key.label, info.label, true);
  } else {
    dv.setUint32(Key.remote, be32(info.src), true);
    dv.setUint32(Key.local, be32(info.dst), true);
  }
  for (let i = 0; i < size; i++) u8[at + i] = KEY[i]!;
  return 0;
}

/** Fast paths (FastHelperFn) of the two key helpers: the same cores, registers read as halves. */
export const tunnelFastHelpers: FastHelperGroup = (k) => ({
  skb_set_tunnel_key: (_rt, a) => {
    const skb = tunnelSkb(k, 'bpf_skb_set_tunnel_key');
    const m = k.memory;
    const size = argU32(m, a, 3);
    const bad = setKeyChecks(argHi(m, a, 4) !== 0 ? -1 : argU32(m, a, 4), size);
    if (bad !== 0) return bad;
    return setKey(skb, m.u8, argPointer(m, a, 2, size, false), size, argU32(m, a, 4));
  },
  skb_get_tunnel_key: (_rt, a) => {
    const skb = tunnelSkb(k, 'bpf_skb_get_tunnel_key');
    const m = k.memory;
    const size = argU32(m, a, 3);
    const at = size === 0 ? 0 : argPointer(m, a, 2, size, true);
    return getKey(skb, m.u8, at, size, argHi(m, a, 4) !== 0 ? -1 : argU32(m, a, 4));
  },
});

/**
 * Tunnel metadata helpers of tc (and lwt) programs, with the kernel's checks and answers
 * (net/core/filter.c): bpf_skb_set_tunnel_key attaches a transmit key to the skb (flags: IPv6,
 * zero checksum, don't fragment, sequence numbers, no key; the older struct sizes are taken and
 * zero-filled; a label without IPv6 or a non-zero tunnel_ext is -EINVAL); bpf_skb_get_tunnel_key
 * reads it back as a receive key (so local and remote come back swapped), -EINVAL without
 * metadata or for unknown flags, -EPROTO for the other family, with tunnel_flags on request;
 * _opt set (multiples of 4, at most 255 bytes, only on this metadata) and get (-ENOENT without
 * options, -ENOMEM for a short buffer) the options. Errors zero the destination as the kernel does.
 */
export const tunnelHelpers: HelperGroup = (k) => {
  const skbOf = (name: string): SkbContext => tunnelSkb(k, name);
  return {
    skb_set_tunnel_key: (_rt, _ctx, from, sizeArg, flagsArg) => {
      const skb = skbOf('bpf_skb_set_tunnel_key');
      const flags = BigInt.asUintN(64, flagsArg);
      const f = flags > 0xffffffffn ? -1 : Number(flags);
      const size = u32(sizeArg);
      const bad = setKeyChecks(f, size);
      if (bad !== 0) return BigInt(bad);
      return BigInt(setKey(skb, k.memory.u8, checkedAddress(k.memory, from, size), size, f));
    },
    skb_get_tunnel_key: (_rt, _ctx, to, sizeArg, flagsArg) => {
      const skb = skbOf('bpf_skb_get_tunnel_key');
      const size = u32(sizeArg);
      const at = size === 0 ? 0 : checkedAddress(k.memory, to, size, true);
      const flags = BigInt.asUintN(64, flagsArg);
      return BigInt(getKey(skb, k.memory.u8, at, size, flags > 0xffffffffn ? -1 : Number(flags)));
    },
    skb_set_tunnel_opt: (_rt, _ctx, from, sizeArg) => {
      const skb = skbOf('bpf_skb_set_tunnel_opt');
      const size = u32(sizeArg);
      if (skb.tunnel === undefined || (size & 3) !== 0) return BigInt(-Errno.EINVAL);
      if (size > OPTS_MAX) return BigInt(-Errno.ENOMEM);
      skb.tunnel.options = view(k.memory, from, size).slice();
      if (size > 0) skb.tunnel.flags |= OPTIONS_PRESENT;
      return 0n;
    },
    skb_get_tunnel_opt: (_rt, _ctx, to, sizeArg) => {
      const skb = skbOf('bpf_skb_get_tunnel_opt');
      const size = u32(sizeArg);
      const out = view(k.memory, to, size, true);
      const info = skb.tunnel;
      if (info === undefined || (info.flags & OPTIONS_PRESENT) === 0) {
        out.fill(0);
        return BigInt(-Errno.ENOENT);
      }
      if (size < info.options.length) {
        out.fill(0);
        return BigInt(-Errno.ENOMEM);
      }
      out.set(info.options);
      out.fill(0, info.options.length);
      return BigInt(info.options.length);
    },
  };
};
