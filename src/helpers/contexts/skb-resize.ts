import { Errno } from '../errno.js';
import { BPF_SKB_MAX_LEN, type SkbContext } from './skb.js';

/**
 * The socket-buffer resizing and translation helpers as net/core/filter.c does them, checked
 * against the kernel with kernel-run (fixtures/kernel-cases/src/skb_resize.c): the same limits,
 * the same order of checks, the same errno (`-ENOTSUPP` is the kernel-internal 524). The packet
 * moves to a larger buffer when its head- or tailroom runs out, as pskb_expand_head moves it.
 */

const ETH_P_IP = 0x0800;
const ETH_P_IPV6 = 0x86dd;
const ETH_P_8021Q = 0x8100;
const ETH_P_8021AD = 0x88a8;
const IPV4_HLEN = 20;
const IPV6_HLEN = 40;
const ETH_HLEN = 14;

/** bpf_skb_adjust_room flags. */
export const AdjRoom = {
  FIXED_GSO: 1n << 0n,
  ENCAP_L3_IPV4: 1n << 1n,
  ENCAP_L3_IPV6: 1n << 2n,
  ENCAP_L4_GRE: 1n << 3n,
  ENCAP_L4_UDP: 1n << 4n,
  NO_CSUM_RESET: 1n << 5n,
  ENCAP_L2_ETH: 1n << 6n,
  DECAP_L3_IPV4: 1n << 7n,
  DECAP_L3_IPV6: 1n << 8n,
} as const;
const ENCAP_L2_SHIFT = 56n;
const ENCAP_L2_MASK = 0xffn << ENCAP_L2_SHIFT;
const ENCAP_L3_MASK = AdjRoom.ENCAP_L3_IPV4 | AdjRoom.ENCAP_L3_IPV6;
const DECAP_L3_MASK = AdjRoom.DECAP_L3_IPV4 | AdjRoom.DECAP_L3_IPV6;
const ADJ_ROOM_MASK =
  AdjRoom.FIXED_GSO | ENCAP_L3_MASK | AdjRoom.ENCAP_L4_GRE | AdjRoom.ENCAP_L4_UDP | AdjRoom.ENCAP_L2_ETH | ENCAP_L2_MASK | DECAP_L3_MASK;
const BPF_ADJ_ROOM_NET = 0;
const BPF_ADJ_ROOM_MAC = 1;

/** skb_network_offset: the network header from skb->data. */
const networkOffset = (skb: SkbContext): number => skb.networkHeader - skb.data;

/** bpf_skb_net_base_len: the IPv4 or IPv6 header's fixed length, 0 for anything else. */
function netBaseLen(skb: SkbContext): number {
  if (skb.protocol === ETH_P_IP) return IPV4_HLEN;
  if (skb.protocol === ETH_P_IPV6) return IPV6_HLEN;
  return 0;
}

/** bpf_skb_generic_push + the header moves of bpf_skb_net_hdr_push: `len` zero bytes at `off` from skb->data. */
function hdrPush(skb: SkbContext, off: number, len: number): void {
  skb.reserve(len, 0);
  const u8 = skb.mem.u8;
  skb.data -= len;
  skb.len += len;
  u8.copyWithin(skb.data, skb.data + len, skb.data + len + off);
  u8.fill(0, skb.data + off, skb.data + off + len);
  skb.macHeader -= len;
  skb.networkHeader -= len;
}

/** bpf_skb_generic_pop + bpf_skb_net_hdr_pop: removes `len` bytes at `off`; -ENOMEM when they are not there. */
function hdrPop(skb: SkbContext, off: number, len: number): number {
  if (off + len > skb.len) return -Errno.ENOMEM;
  skb.mem.u8.copyWithin(skb.data + len, skb.data, skb.data + off);
  skb.data += len;
  skb.len -= len;
  skb.macHeader += len;
  skb.networkHeader += len;
  return 0;
}

/** __bpf_skb_min_len: the network offset (no transport header is set in a test run). */
const minLen = (skb: SkbContext): number => Math.max(networkOffset(skb), 0);

/** bpf_skb_change_tail: 0, or -EINVAL for flags or a length outside [min, BPF_SKB_MAX_LEN]. */
export function changeTail(skb: SkbContext, newLen: number, flags: bigint): number {
  if (flags !== 0n || newLen > BPF_SKB_MAX_LEN || newLen < minLen(skb)) return -Errno.EINVAL;
  if (skb.encapsulation) return -Errno.ENOTSUPP;
  if (newLen > skb.len) skb.reserve(0, newLen - skb.len);
  skb.len = newLen;
  skb.sync();
  return 0;
}

/** bpf_skb_change_head: `room` zero bytes in front; the MAC header starts there. */
export function changeHead(skb: SkbContext, room: number, flags: bigint): number {
  const newLen = (skb.len + room) >>> 0;
  if (flags !== 0n || newLen > BPF_SKB_MAX_LEN || newLen < skb.len) return -Errno.EINVAL;
  skb.reserve(room, 0);
  skb.data -= room;
  skb.len += room;
  skb.mem.u8.fill(0, skb.data, skb.data + room);
  skb.macHeader = skb.data;
  skb.sync();
  return 0;
}

/** bpf_skb_adjust_room: grows or shrinks room after the MAC header (MAC mode) or after the IP header (NET mode). */
export function adjustRoom(skb: SkbContext, lenDiff: number, mode: number, flags: bigint): number {
  const r = adjustRoomInner(skb, lenDiff, mode, flags);
  skb.sync();
  return r;
}

function adjustRoomInner(skb: SkbContext, lenDiff: number, mode: number, flags: bigint): number {
  const abs = Math.abs(lenDiff);
  let lenMin = netBaseLen(skb);
  const shrink = lenDiff < 0;
  if (flags & ~(ADJ_ROOM_MASK | AdjRoom.NO_CSUM_RESET)) return -Errno.EINVAL;
  if (abs > 0xfff) return -Errno.EFAULT;
  if (skb.protocol !== ETH_P_IP && skb.protocol !== ETH_P_IPV6) return -Errno.ENOTSUPP;
  let off = skb.networkHeader - skb.macHeader;
  if (mode === BPF_ADJ_ROOM_NET) off += netBaseLen(skb);
  else if (mode !== BPF_ADJ_ROOM_MAC) return -Errno.ENOTSUPP;
  if (flags & DECAP_L3_MASK) {
    if (!shrink) return -Errno.EINVAL;
    const decap = flags & DECAP_L3_MASK;
    if (decap === AdjRoom.DECAP_L3_IPV4) lenMin = IPV4_HLEN;
    else if (decap === AdjRoom.DECAP_L3_IPV6) lenMin = IPV6_HLEN;
    else return -Errno.EINVAL;
  }
  const lenCur = skb.len - networkOffset(skb);
  if (shrink && (abs >= lenCur || lenCur - abs < lenMin)) return -Errno.ENOTSUPP;
  if (!shrink && skb.len + abs > BPF_SKB_MAX_LEN) return -Errno.ENOTSUPP;
  const r = shrink ? netShrink(skb, off, abs, flags) : netGrow(skb, off, abs, flags);
  if (r === 0 && !(flags & AdjRoom.NO_CSUM_RESET)) skb.csumReset();
  return r;
}

function netGrow(skb: SkbContext, off: number, len: number, flags: bigint): number {
  const encap = (flags & ENCAP_L3_MASK) !== 0n;
  const innerMacLen = Number((flags & ENCAP_L2_MASK) >> ENCAP_L2_SHIFT);
  let macLen = 0;
  if (encap) {
    if (flags & AdjRoom.ENCAP_L3_IPV4 && flags & AdjRoom.ENCAP_L3_IPV6) return -Errno.EINVAL;
    if (flags & AdjRoom.ENCAP_L4_GRE && flags & AdjRoom.ENCAP_L4_UDP) return -Errno.EINVAL;
    if (flags & AdjRoom.ENCAP_L2_ETH && innerMacLen !== ETH_HLEN) return -Errno.EINVAL;
    if (skb.encapsulation) return -Errno.EALREADY;
    macLen = skb.networkHeader - skb.macHeader;
    if (innerMacLen > len) return -Errno.EINVAL;
  }
  hdrPush(skb, off, len);
  if (encap) {
    skb.encapsulation = true;
    skb.networkHeader = skb.data + macLen;
    if (skb.protocol === ETH_P_IP && flags & AdjRoom.ENCAP_L3_IPV6) skb.protocol = ETH_P_IPV6;
    else if (skb.protocol === ETH_P_IPV6 && flags & AdjRoom.ENCAP_L3_IPV4) skb.protocol = ETH_P_IP;
  }
  return 0;
}

function netShrink(skb: SkbContext, off: number, len: number, flags: bigint): number {
  if (flags & ~(AdjRoom.FIXED_GSO | DECAP_L3_MASK | AdjRoom.NO_CSUM_RESET)) return -Errno.EINVAL;
  const r = hdrPop(skb, off, len);
  if (r < 0) return r;
  if (skb.protocol === ETH_P_IP && flags & AdjRoom.DECAP_L3_IPV6) skb.protocol = ETH_P_IPV6;
  else if (skb.protocol === ETH_P_IPV6 && flags & AdjRoom.DECAP_L3_IPV4) skb.protocol = ETH_P_IP;
  return 0;
}

/**
 * bpf_skb_change_proto: IPv4 -> IPv6 makes 20 bytes of room after the MAC header, IPv6 -> IPv4
 * removes 20 there (the program writes the new header); the hash is cleared. Anything else is
 * -ENOTSUPP.
 */
export function changeProto(skb: SkbContext, protoBe: number, flags: bigint): number {
  if (flags !== 0n) return -Errno.EINVAL;
  const to = ((protoBe & 0xff) << 8) | ((protoBe >> 8) & 0xff);
  const off = skb.networkHeader - skb.macHeader;
  let r: number;
  if (skb.protocol === ETH_P_IP && to === ETH_P_IPV6) {
    hdrPush(skb, off, IPV6_HLEN - IPV4_HLEN);
    skb.protocol = ETH_P_IPV6;
    r = 0;
  } else if (skb.protocol === ETH_P_IPV6 && to === ETH_P_IP) {
    r = hdrPop(skb, off, IPV6_HLEN - IPV4_HLEN);
    if (r === 0) skb.protocol = ETH_P_IP;
  } else {
    return -Errno.ENOTSUPP;
  }
  if (r === 0) {
    skb.hash = 0;
    skb.swHash = false;
  }
  skb.sync();
  return r;
}

/** bpf_skb_change_type: only PACKET_HOST..PACKET_OTHERHOST (0..3), from and to. */
export function changeType(skb: SkbContext, type: number): number {
  if (skb.pktType > 3 || type > 3) return -Errno.EINVAL;
  skb.pktType = type;
  return 0;
}

/**
 * bpf_skb_ecn_set_ce: marks Congestion Experienced in an ECN-capable IPv4 (checksum updated) or
 * IPv6 header at the network header; 1 when the packet is (now) CE, 0 otherwise. Behind a VLAN
 * tag the kernel looks at the encapsulated protocol but still at the network header.
 */
export function ecnSetCe(skb: SkbContext): number {
  const u8 = skb.mem.u8;
  let proto = skb.protocol;
  if ((proto === ETH_P_8021Q || proto === ETH_P_8021AD) && skb.macHeader + 18 <= skb.tail) {
    proto = (u8[skb.macHeader + 16]! << 8) | u8[skb.macHeader + 17]!;
  }
  const nh = skb.networkHeader;
  const headLen = skb.tail - skb.data;
  if (proto === ETH_P_IP) {
    if (headLen < IPV4_HLEN || nh + IPV4_HLEN > skb.tail) return 0;
    const tos = u8[nh + 1]!;
    const ecn = (tos + 1) & 3;
    if (!(ecn & 2)) return ecn === 0 ? 1 : 0;
    // iph->check = csum16_add(iph->check, htons(0xFFFB) + htons(ecn)) on the raw little-endian words.
    const dv = skb.mem.dv;
    const add = (0xfbff + (ecn << 8)) & 0xffff;
    let sum = dv.getUint16(nh + 10, true) + add;
    sum = (sum & 0xffff) + (sum >>> 16);
    dv.setUint16(nh + 10, sum & 0xffff, true);
    u8[nh + 1] = tos | 3;
    return 1;
  }
  if (proto === ETH_P_IPV6) {
    if (headLen < IPV6_HLEN || nh + IPV6_HLEN > skb.tail) return 0;
    const dsfield = ((u8[nh]! << 8) | u8[nh + 1]!) >> 4;
    if ((dsfield & 3) === 0) return 0;
    u8[nh + 1] = u8[nh + 1]! | 0x30;
    return 1;
  }
  return 0;
}
