import { Errno } from '../errno.js';
import type { Memory, Region } from '../memory.js';
import { be16AsLoaded, type ProgramContext } from './context.js';

/**
 * `struct ip_tunnel_info` of a metadata dst as bpf_skb_set_tunnel_key fills it: addresses in network
 * order (dst the remote end, src the local one: a transmit key), tun_flags as the kernel's bit
 * numbers (IP_TUNNEL_*_BIT), options bytes once bpf_skb_set_tunnel_opt set them.
 */
export interface TunnelInfo {
  ipv6: boolean;
  /** tun_id in host order (a u32 from bpf_tunnel_key). */
  id: bigint;
  tos: number;
  ttl: number;
  /** The IPv6 flow label, host order (20 bits). */
  label: number;
  src: Uint8Array;
  dst: Uint8Array;
  /** tun_flags as a bitmap of IP_TUNNEL_*_BIT. */
  flags: number;
  options: Uint8Array;
}

/**
 * The `struct __sk_buff` context of BPF_PROG_TEST_RUN for tc (sched_cls/sched_act) and socket
 * filters, built as net/bpf/test_run.c builds its skb — behaviour checked against the kernel with
 * kernel-run:
 * - the frame goes through eth_type_trans() on the loopback device: `protocol` is the Ethernet
 *   type, `pkt_type` is PACKET_MULTICAST (2) for a group destination address (broadcast included:
 *   the loopback device's broadcast address is all zeroes), PACKET_HOST (0) for 00:00:00:00:00:00
 *   and PACKET_OTHERHOST (3) otherwise; `ifindex` is 1, `ingress_ifindex` 0, `hash`, `mark`,
 *   `priority`, `tc_index`, `cb[]`, `tstamp`, `wire_len`, `gso_*` are 0;
 * - tc programs see the packet from the MAC header; socket filters from the network header (len is
 *   14 less), and the test run gives their packet back with a zeroed MAC header in front;
 * - an IPv4 frame shorter than its 20-byte header or an IPv6 one shorter than 40 is refused
 *   (-EINVAL), as is a frame under 14 bytes or over 3712;
 * - VLAN tags pushed with bpf_skb_vlan_push go to the skb's VLAN metadata (vlan_present, vlan_tci,
 *   vlan_proto); only a second push moves the first tag into the packet.
 * data, data_end and data_meta hold real addresses. The memory holds every field, so writes a
 * program makes to mark, priority, cb[], tc_index, tc_classid, queue_mapping read back.
 */
export const SkbField = {
  len: 0,
  pkt_type: 4,
  mark: 8,
  queue_mapping: 12,
  protocol: 16,
  vlan_present: 20,
  vlan_tci: 24,
  vlan_proto: 28,
  priority: 32,
  ingress_ifindex: 36,
  ifindex: 40,
  tc_index: 44,
  cb: 48,
  hash: 68,
  tc_classid: 72,
  data: 76,
  data_end: 80,
  napi_id: 84,
  family: 88,
  remote_ip4: 92,
  local_ip4: 96,
  remote_ip6: 100,
  local_ip6: 116,
  remote_port: 132,
  local_port: 136,
  data_meta: 140,
  flow_keys: 144,
  tstamp: 152,
  wire_len: 160,
  gso_segs: 164,
  sk: 168,
  gso_size: 176,
  tstamp_type: 180,
  hwtstamp: 184,
  size: 192,
} as const;

const ETH_HLEN = 14;
const VLAN_HLEN = 4;
/** NET_SKB_PAD + NET_IP_ALIGN on x86-64: the headroom of the test run's skb. */
const SKB_HEADROOM = 64;
const SKB_SHARED_INFO_SIZE = 320;
/** The largest frame the test run takes: a page minus headroom and shared info. */
export const SKB_MAX_PACKET = 4096 - SKB_HEADROOM - SKB_SHARED_INFO_SIZE;
/** Extra headroom bpfkit keeps so VLAN pushes never need the kernel's reallocation. */
const EXTRA_HEADROOM = 256;
const ETH_P_IP = 0x0800;
const ETH_P_IPV6 = 0x86dd;
const ETH_P_8021Q = 0x8100;
const ETH_P_8021AD = 0x88a8;
const SKF_NET_OFF = -0x100000;
const SKF_LL_OFF = -0x200000;

/** Offsets in `struct bpf_sock` (what `skb->sk` points to). */
const BpfSock = { family: 4, state: 72, rx_queue_mapping: 76, src_ip4: 24, src_ip6: 28, dst_ip4: 52, dst_ip6: 56, size: 80 } as const;

export interface SkbOptions {
  /** tc programs (sched_cls/sched_act) see the MAC header; socket filters do not. */
  l2: boolean;
  /** Direct packet access (data/data_end valid): tc and LWT programs. */
  directAccess: boolean;
}

/** Why BPF_PROG_TEST_RUN refuses this frame for an skb program, or undefined. */
export function skbPacketProblem(packet: Uint8Array): { errno: number; reason: string } | undefined {
  if (packet.length < ETH_HLEN) return { errno: -Errno.EINVAL, reason: `a ${packet.length}-byte frame is shorter than an Ethernet header` };
  if (packet.length > SKB_MAX_PACKET) return { errno: -Errno.EINVAL, reason: `a ${packet.length}-byte frame is over the ${SKB_MAX_PACKET} bytes an skb test run takes` };
  const proto = (packet[12]! << 8) | packet[13]!;
  if (proto === ETH_P_IP && packet.length - ETH_HLEN < 20) return { errno: -Errno.EINVAL, reason: 'an IPv4 frame shorter than its 20-byte header' };
  if (proto === ETH_P_IPV6 && packet.length - ETH_HLEN < 40) return { errno: -Errno.EINVAL, reason: 'an IPv6 frame shorter than its 40-byte header' };
  return undefined;
}

const isVlan = (proto: number): boolean => proto === ETH_P_8021Q || proto === ETH_P_8021AD;

/** The largest skb the resizing helpers make (BPF_SKB_MAX_LEN = SKB_MAX_ALLOC on x86-64). */
export const BPF_SKB_MAX_LEN = 16064;
/** skb->ip_summed values the test run's skb goes through. */
const CHECKSUM_NONE = 0;
const CHECKSUM_UNNECESSARY = 1;
const SKB_MAX_CSUM_LEVEL = 3;

/** The test run's skb buffer for a frame of `length` bytes: headroom, the frame rounded up to 64, shared info. */
const skbBufferSize = (length: number): number => EXTRA_HEADROOM + SKB_HEADROOM + Math.ceil(Math.max(length, 1) / 64) * 64 + SKB_SHARED_INFO_SIZE;

export class SkbContext implements ProgramContext {
  readonly kind = 'skb' as const;
  readonly address: number;
  /** The packet buffer; replaced when a resizing helper needs more room (pskb_expand_head). */
  packet: Region;
  readonly l2: boolean;
  private readonly memory: Memory;
  private buf: { start: number; end: number };
  /** skb->data and skb->len: the linear data the program sees. */
  data: number;
  len: number;
  macHeader: number;
  networkHeader: number;
  /** skb->protocol, host order. */
  protocol: number;
  vlanPresent = false;
  vlanTci = 0;
  /** Host order. */
  vlanProto = 0;
  /** skb->ip_summed (CHECKSUM_NONE in a test run) and skb->csum_level. */
  ipSummed = CHECKSUM_NONE;
  csumLevel = 0;
  /** skb->encapsulation, set by bpf_skb_adjust_room with an encap flag. */
  encapsulation = false;
  /** A hash set by bpf_set_hash (skb->sw_hash): bpf_get_hash_recalc returns it as is. */
  swHash = false;
  /** The test run's socket's cookie, given out on the first bpf_get_socket_cookie. */
  cookie: bigint | undefined;
  /** Tunnel metadata bpf_skb_set_tunnel_key attached (the skb's metadata dst), if any. */
  tunnel: TunnelInfo | undefined;
  readonly legacyLoad: (offset: number, size: 1 | 2 | 4) => number | undefined;

  /** The packet region as made, its buffer, and its size (a reset puts them back: reserve() may replace them). */
  private readonly home: Region;
  private readonly homeBuf: { start: number; end: number };
  private readonly homeSize: number;
  /** The test run's socket (`struct bpf_sock`, what skb->sk points to). */
  private readonly sock: number;

  constructor(memory: Memory, frame: Uint8Array, options: SkbOptions) {
    this.memory = memory;
    this.l2 = options.l2;
    const total = skbBufferSize(frame.length);
    const region = memory.alloc('packet', 'packet', total, { writable: true, align: 64 });
    this.packet = this.home = region;
    this.homeSize = total;
    this.buf = this.homeBuf = { start: region.start, end: region.end - SKB_SHARED_INFO_SIZE };
    this.address = memory.alloc('__sk_buff', 'ctx', SkbField.size, { writable: true }).start;
    this.sock = memory.alloc('bpf_sock', 'ctx', BpfSock.size, { writable: false }).start;
    this.macHeader = this.networkHeader = this.data = this.len = this.protocol = 0;
    this.fill(frame);
    this.legacyLoad = (offset, size) => this.loadAbs(offset, size);
  }

  /**
   * Makes this a fresh context on `frame`, as the constructor would make it in the same memory
   * layout (every byte a program or helper can reach rewritten), without allocating; false when the
   * frame needs a buffer of another size (then a new context is made). The frame was checked by
   * the caller as for the constructor.
   */
  reset(frame: Uint8Array): boolean {
    if (skbBufferSize(frame.length) !== this.homeSize) return false;
    const u8 = this.memory.u8;
    const start = this.homeBuf.start;
    u8.fill(0, start, start + this.homeSize);
    u8.fill(0, this.address, this.address + SkbField.size);
    u8.fill(0, this.sock, this.sock + BpfSock.size);
    this.packet = this.home;
    this.buf = this.homeBuf;
    this.vlanPresent = false;
    this.vlanTci = 0;
    this.vlanProto = 0;
    this.ipSummed = CHECKSUM_NONE;
    this.csumLevel = 0;
    this.encapsulation = false;
    this.swHash = false;
    this.cookie = undefined;
    this.tunnel = undefined;
    this.fill(frame);
    return true;
  }

  /** Lays `frame` out in zeroed memory: the packet, the socket, the fields the test run sets. */
  private fill(frame: Uint8Array): void {
    const memory = this.memory;
    this.macHeader = this.homeBuf.start + EXTRA_HEADROOM + SKB_HEADROOM;
    memory.u8.set(frame, this.macHeader);
    // eth_type_trans pulls the MAC header; tc programs get it pushed back.
    this.networkHeader = this.macHeader + ETH_HLEN;
    this.protocol = ethType(frame);
    this.data = this.l2 ? this.macHeader : this.networkHeader;
    this.len = this.l2 ? frame.length : frame.length - ETH_HLEN;
    const dv = memory.dv;
    dv.setUint32(this.address + SkbField.pkt_type, pktType(frame), true);
    dv.setUint32(this.address + SkbField.ifindex, 1, true);
    this.fillSock(frame);
    dv.setUint32(this.address + SkbField.sk, this.sock, true);
    this.fillSocketFields(frame);
    this.sync();
  }

  /** The dummy socket the test run attaches (sk_alloc with AF_UNSPEC, addresses from the IP header). */
  private fillSock(frame: Uint8Array): void {
    const memory = this.memory;
    const at = this.sock;
    const dv = memory.dv;
    const proto = (frame[12]! << 8) | frame[13]!;
    let family = 0;
    if (proto === ETH_P_IP) {
      family = 2;
      memory.u8.set(frame.subarray(ETH_HLEN + 12, ETH_HLEN + 16), at + BpfSock.src_ip4);
      memory.u8.set(frame.subarray(ETH_HLEN + 16, ETH_HLEN + 20), at + BpfSock.dst_ip4);
    } else if (proto === ETH_P_IPV6) {
      family = 10;
      memory.u8.set(frame.subarray(ETH_HLEN + 8, ETH_HLEN + 24), at + BpfSock.src_ip6);
      memory.u8.set(frame.subarray(ETH_HLEN + 24, ETH_HLEN + 40), at + BpfSock.dst_ip6);
    }
    dv.setUint32(at + BpfSock.family, family, true);
    dv.setUint32(at + BpfSock.state, 7, true); // TCP_CLOSE, as sock_init_data leaves it
    dv.setInt32(at + BpfSock.rx_queue_mapping, -1, true);
  }

  /**
   * family, local_ip4/6 and remote_ip4/6 read the test run's socket (cgroup_skb and sk_skb programs
   * may read them): the packet's source address is the socket's local one, its destination the
   * remote one; the ports are 0, as the test run leaves them. Other program types cannot read them.
   */
  private fillSocketFields(frame: Uint8Array): void {
    const a = this.address;
    const u8 = this.memory.u8;
    const proto = (frame[12]! << 8) | frame[13]!;
    if (proto === ETH_P_IP) {
      this.memory.dv.setUint32(a + SkbField.family, 2, true);
      u8.set(frame.subarray(ETH_HLEN + 12, ETH_HLEN + 16), a + SkbField.local_ip4);
      u8.set(frame.subarray(ETH_HLEN + 16, ETH_HLEN + 20), a + SkbField.remote_ip4);
    } else if (proto === ETH_P_IPV6) {
      this.memory.dv.setUint32(a + SkbField.family, 10, true);
      u8.set(frame.subarray(ETH_HLEN + 8, ETH_HLEN + 24), a + SkbField.local_ip6);
      u8.set(frame.subarray(ETH_HLEN + 24, ETH_HLEN + 40), a + SkbField.remote_ip6);
    }
  }

  /** Writes the fields the kernel derives from the skb, and the packet region's bounds. */
  sync(): void {
    const dv = this.memory.dv;
    const a = this.address;
    dv.setUint32(a + SkbField.len, this.len, true);
    dv.setUint32(a + SkbField.protocol, be16AsLoaded(this.protocol >> 8, this.protocol & 0xff), true);
    dv.setUint32(a + SkbField.vlan_present, this.vlanPresent ? 1 : 0, true);
    dv.setUint32(a + SkbField.vlan_tci, this.vlanTci, true);
    dv.setUint32(a + SkbField.vlan_proto, be16AsLoaded(this.vlanProto >> 8, this.vlanProto & 0xff), true);
    dv.setUint32(a + SkbField.data, this.data, true);
    dv.setUint32(a + SkbField.data_end, this.data + this.len, true);
    dv.setUint32(a + SkbField.data_meta, this.data, true);
    this.memory.setBounds(this.packet, this.data, this.data + this.len, this.buf);
  }

  /** The memory the skb lives in (for the resizing helpers of skb-resize.ts). */
  get mem(): Memory {
    return this.memory;
  }

  /** Bytes free before skb->data and after the tail. */
  get headroom(): number {
    return this.data - this.buf.start;
  }
  get tailroom(): number {
    return this.buf.end - this.tail;
  }

  /**
   * Makes at least `head` bytes of headroom and `tail` bytes of tailroom, moving the packet to a
   * larger buffer when they are missing (the kernel's pskb_expand_head). Packet pointers a program
   * holds die with the old buffer, as the verifier makes them die after these helpers; what the
   * old buffer had past the tail is not carried over.
   */
  reserve(head: number, tail: number): void {
    if (this.headroom >= head && this.tailroom >= tail) return;
    const newHead = Math.max(head, this.headroom) + SKB_HEADROOM;
    const size = newHead + this.len + Math.max(tail, 0) + 64;
    const old = this.packet;
    const oldData = this.data;
    const region = this.memory.alloc('packet', 'packet', Math.ceil(size / 64) * 64 + SKB_SHARED_INFO_SIZE, { writable: true, align: 64 });
    const data = region.start + newHead;
    const u8 = this.memory.u8;
    const from = Math.min(this.macHeader, oldData);
    u8.copyWithin(data - (oldData - from), from, this.tail);
    const delta = data - oldData;
    this.data += delta;
    this.macHeader += delta;
    this.networkHeader += delta;
    const span = old.span ?? { start: old.start, end: old.end };
    this.memory.setBounds(old, span.start, span.start, span);
    this.packet = region;
    this.buf = { start: region.start, end: region.end - SKB_SHARED_INFO_SIZE };
  }

  /** skb->pkt_type as the context holds it. */
  get pktType(): number {
    return this.memory.dv.getUint32(this.address + SkbField.pkt_type, true);
  }
  set pktType(t: number) {
    this.memory.dv.setUint32(this.address + SkbField.pkt_type, t, true);
  }

  /** skb->hash (read-only to programs). */
  get hash(): number {
    return this.memory.dv.getUint32(this.address + SkbField.hash, true);
  }
  set hash(h: number) {
    this.memory.dv.setUint32(this.address + SkbField.hash, h >>> 0, true);
  }

  /** __skb_incr/decr/reset_checksum_unnecessary. */
  csumIncr(): void {
    if (this.ipSummed === CHECKSUM_UNNECESSARY) {
      if (this.csumLevel < SKB_MAX_CSUM_LEVEL) this.csumLevel++;
    } else if (this.ipSummed === CHECKSUM_NONE) {
      this.ipSummed = CHECKSUM_UNNECESSARY;
      this.csumLevel = 0;
    }
  }
  csumDecr(): void {
    if (this.ipSummed !== CHECKSUM_UNNECESSARY) return;
    if (this.csumLevel === 0) this.ipSummed = CHECKSUM_NONE;
    else this.csumLevel--;
  }
  csumReset(): void {
    if (this.ipSummed !== CHECKSUM_UNNECESSARY) return;
    this.ipSummed = CHECKSUM_NONE;
    this.csumLevel = 0;
  }
  /** The csum_level, or -EACCES unless the skb is CHECKSUM_UNNECESSARY. */
  csumQuery(): number {
    return this.ipSummed === CHECKSUM_UNNECESSARY ? this.csumLevel : -Errno.EACCES;
  }

  get tail(): number {
    return this.data + this.len;
  }

  /** `len` bytes at `offset` from skb->data, or undefined when they run past the linear data. */
  range(offset: number, len: number): number | undefined {
    if (offset < 0 || offset + len > this.len) return undefined;
    return this.data + offset;
  }

  /** LD_ABS/LD_IND: offsets from skb->data, SKF_NET_OFF/SKF_LL_OFF from the headers. */
  private loadAbs(offset: number, size: 1 | 2 | 4): number | undefined {
    let at: number;
    if (offset >= 0) {
      if (offset + size > this.len) return undefined;
      at = this.data + offset;
    } else if (offset >= SKF_NET_OFF) {
      at = this.networkHeader + offset - SKF_NET_OFF;
    } else if (offset >= SKF_LL_OFF) {
      at = this.macHeader + offset - SKF_LL_OFF;
    } else {
      return undefined;
    }
    if (offset < 0 && (at < this.buf.start || at + size > this.tail)) return undefined;
    const u8 = this.memory.u8;
    if (size === 1) return u8[at]!;
    if (size === 2) return (u8[at]! << 8) | u8[at + 1]!;
    return ((u8[at]! << 24) | (u8[at + 1]! << 16) | (u8[at + 2]! << 8) | u8[at + 3]!) >>> 0;
  }

  /** Inserts a VLAN header after the MAC addresses (the kernel's __vlan_insert_tag). */
  private insertTag(proto: number, tci: number): void {
    // skb_cow_head: tags pushed run after run (a repeated test run keeps its skb) outgrow the headroom.
    this.reserve(VLAN_HLEN, 0);
    const u8 = this.memory.u8;
    const mac = this.macHeader;
    u8.copyWithin(mac - VLAN_HLEN, mac, mac + 12);
    this.macHeader -= VLAN_HLEN;
    this.data -= VLAN_HLEN;
    this.len += VLAN_HLEN;
    const t = this.macHeader + 12;
    u8[t] = proto >> 8;
    u8[t + 1] = proto & 0xff;
    u8[t + 2] = tci >> 8;
    u8[t + 3] = tci & 0xff;
  }

  /** bpf_skb_vlan_push: 0; the protocol is forced to 802.1Q unless it is 802.1ad. */
  vlanPush(protoBe: number, tci: number): number {
    let proto = ((protoBe & 0xff) << 8) | ((protoBe >> 8) & 0xff);
    if (!isVlan(proto)) proto = ETH_P_8021Q;
    if (this.vlanPresent) {
      if (this.data !== this.macHeader) return -Errno.EINVAL;
      this.insertTag(this.vlanProto, this.vlanTci);
      this.protocol = this.vlanProto;
      this.networkHeader -= VLAN_HLEN;
    }
    this.vlanPresent = true;
    this.vlanProto = proto;
    this.vlanTci = tci & 0xffff;
    this.sync();
    return 0;
  }

  /** Removes the in-packet tag after the MAC addresses (the kernel's __skb_vlan_pop); returns the TCI or an errno. */
  private popInPacket(): number {
    if (this.data !== this.macHeader) return -Errno.EINVAL;
    if (this.len < ETH_HLEN + VLAN_HLEN) return -Errno.ENOMEM;
    const u8 = this.memory.u8;
    const t = this.macHeader + 12;
    const tci = (u8[t + 2]! << 8) | u8[t + 3]!;
    u8.copyWithin(this.macHeader + VLAN_HLEN, this.macHeader, this.macHeader + 12);
    this.macHeader += VLAN_HLEN;
    this.data += VLAN_HLEN;
    this.len -= VLAN_HLEN;
    this.networkHeader = Math.max(this.networkHeader, this.macHeader + ETH_HLEN);
    this.protocol = (u8[this.macHeader + 12]! << 8) | u8[this.macHeader + 13]!;
    return tci;
  }

  /** bpf_skb_vlan_pop (skb_vlan_pop): clears the metadata tag, or pops one from the packet; an inner tag moves to the metadata. */
  vlanPop(): number {
    if (this.vlanPresent) {
      this.vlanPresent = false;
      this.vlanTci = 0;
      this.vlanProto = 0;
    } else {
      if (!isVlan(this.protocol)) {
        this.sync();
        return 0;
      }
      const r = this.popInPacket();
      if (r < 0) return r;
    }
    if (isVlan(this.protocol)) {
      const proto = this.protocol;
      const tci = this.popInPacket();
      if (tci < 0) return tci;
      this.vlanPresent = true;
      this.vlanProto = proto;
      this.vlanTci = tci;
    }
    this.sync();
    return 0;
  }

  /** The frame as the test run returns it: socket filters get a zeroed MAC header pushed back. */
  packetOut(): Uint8Array {
    if (this.l2) return this.memory.copyOut(this.data, this.data + this.len);
    // The copy is the caller's own: its first bytes become the zeroed MAC header.
    const out = this.memory.copyOut(this.data - ETH_HLEN, this.data + this.len);
    out.fill(0, 0, ETH_HLEN);
    return out;
  }
}

/** eth_type_trans's protocol: the Ethernet type, or 802.3/802.2 for a length field. */
function ethType(frame: Uint8Array): number {
  const t = (frame[12]! << 8) | frame[13]!;
  if (t >= 0x600) return t;
  if (frame.length >= ETH_HLEN + 2 && frame[14] === 0xff && frame[15] === 0xff) return 0x0001;
  return 0x0004;
}

/** eth_type_trans's pkt_type against the loopback device (address and broadcast both all zeroes). */
function pktType(frame: Uint8Array): number {
  if (frame[0]! & 1) return 2;
  for (let i = 0; i < 6; i++) if (frame[i] !== 0) return 3;
  return 0;
}
