import { SkbContext, type TunnelInfo } from '../contexts/skb.js';
import { Errno } from '../errno.js';
import { FaultSignal } from '../fault.js';
import { u32, view } from './args.js';
import type { HelperGroup } from './group.js';

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
  const skbOf = (name: string): SkbContext => {
    const c = k.run.context;
    if (!(c instanceof SkbContext)) throw new FaultSignal('helper', `${name}: not an __sk_buff context`);
    return c;
  };
  return {
    skb_set_tunnel_key: (_rt, _ctx, from, sizeArg, flagsArg) => {
      const skb = skbOf('bpf_skb_set_tunnel_key');
      const flags = BigInt.asUintN(64, flagsArg);
      if ((flags & ~(F_TUNINFO_IPV6 | F_ZERO_CSUM_TX | F_DONT_FRAGMENT | F_SEQ_NUMBER | F_BIT4)) !== 0n) return BigInt(-Errno.EINVAL);
      const size = u32(sizeArg);
      if (size !== Key.size && !COMPAT_SIZES.has(size)) return BigInt(-Errno.EINVAL);
      const key = new Uint8Array(Key.size);
      key.set(view(k.memory, from, size));
      const dv = new DataView(key.buffer);
      const ipv6 = (flags & F_TUNINFO_IPV6) !== 0n;
      if ((!ipv6 && dv.getUint32(Key.label, true) !== 0) || dv.getUint16(Key.ext, true) !== 0) return BigInt(-Errno.EINVAL);
      let bits = 1 << Bit.NOCACHE;
      if (flags & F_DONT_FRAGMENT) bits |= 1 << Bit.DONT_FRAGMENT;
      if (!(flags & F_ZERO_CSUM_TX)) bits |= 1 << Bit.CSUM;
      if (flags & F_SEQ_NUMBER) bits |= 1 << Bit.SEQ;
      if (!(flags & F_BIT4)) bits |= 1 << Bit.KEY;
      const beOf = (v: number): Uint8Array => new Uint8Array([v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff]);
      skb.tunnel = {
        ipv6,
        id: BigInt(dv.getUint32(Key.tunnel_id, true)),
        tos: key[Key.tos]!,
        ttl: key[Key.ttl]!,
        label: ipv6 ? dv.getUint32(Key.label, true) & 0xfffff : 0,
        dst: ipv6 ? key.slice(Key.remote, Key.remote + 16) : beOf(dv.getUint32(Key.remote, true)),
        src: ipv6 ? key.slice(Key.local, Key.local + 16) : beOf(dv.getUint32(Key.local, true)),
        flags: bits,
        options: new Uint8Array(0),
      };
      return 0n;
    },
    skb_get_tunnel_key: (_rt, _ctx, to, sizeArg, flagsArg) => {
      const skb = skbOf('bpf_skb_get_tunnel_key');
      const size = u32(sizeArg);
      const out = view(k.memory, to, size, true);
      const fail = (errno: number): bigint => {
        out.fill(0);
        return BigInt(-errno);
      };
      const flags = BigInt.asUintN(64, flagsArg);
      const info: TunnelInfo | undefined = skb.tunnel;
      if (info === undefined || (flags & ~(F_TUNINFO_IPV6 | F_BIT4)) !== 0n) return fail(Errno.EINVAL);
      const ipv6 = (flags & F_TUNINFO_IPV6) !== 0n;
      if (info.ipv6 !== ipv6) return fail(Errno.EPROTO);
      if (size !== Key.size && (!COMPAT_SIZES.has(size) || (size === 8 && info.ipv6))) return fail(Errno.EINVAL);
      const key = new Uint8Array(Key.size);
      const dv = new DataView(key.buffer);
      dv.setUint32(Key.tunnel_id, Number(info.id & 0xffffffffn), true);
      key[Key.tos] = info.tos;
      key[Key.ttl] = info.ttl;
      // tunnel_flags: tun_flags bits 0..15 as a big-endian u16; else tunnel_ext 0.
      if (flags & F_BIT4) dv.setUint16(Key.ext, info.flags & 0xffff, false);
      if (ipv6) {
        key.set(info.src, Key.remote);
        key.set(info.dst, Key.local);
        dv.setUint32(Key.label, info.label, true);
      } else {
        dv.setUint32(Key.remote, be32(info.src), true);
        dv.setUint32(Key.local, be32(info.dst), true);
      }
      out.set(key.subarray(0, size));
      return 0n;
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
