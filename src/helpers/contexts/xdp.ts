import { Errno } from '../errno.js';
import type { Memory, Region } from '../memory.js';
import type { ProgramContext } from './context.js';

/**
 * The XDP context of BPF_PROG_TEST_RUN (net/bpf/test_run.c): one 4096-byte frame with the packet
 * at XDP_PACKET_HEADROOM (256) and the skb_shared_info (320 bytes) reserved at its end, so a
 * packet can hold at most 3520 bytes. `struct xdp_md` holds the real addresses of data, data_end
 * and data_meta (bpfkit addresses fit in 32 bits), ingress_ifindex 1 (the loopback device the test
 * run uses) and rx_queue_index 0. The packet region the program may touch is [data_meta, data_end).
 *
 * The limits of the adjust helpers are the kernel's: the head may move down to the end of the
 * struct xdp_frame kept at the start of the frame (40 bytes) plus the metadata, and must leave an
 * Ethernet header; the tail may grow to the shared info and shrink to 14 bytes (grown bytes are
 * zeroed); metadata is a multiple of 4 bytes, at most 255.
 */
export const XDP_PACKET_HEADROOM = 256;
export const XDP_FRAME_SIZE = 4096;
/** SKB_DATA_ALIGN(sizeof(struct skb_shared_info)) on x86-64. */
export const SKB_SHARED_INFO_SIZE = 320;
/** The largest packet a test run takes without fragments. */
export const XDP_MAX_PACKET = XDP_FRAME_SIZE - XDP_PACKET_HEADROOM - SKB_SHARED_INFO_SIZE;
/** sizeof(struct xdp_frame): kept at the start of the frame, below which data_meta cannot go. */
const XDP_FRAME_STRUCT = 40;
const ETH_HLEN = 14;
const XDP_META_MAX = 255;

/** Offsets in `struct xdp_md`. */
export const XdpMd = { data: 0, data_end: 4, data_meta: 8, ingress_ifindex: 12, rx_queue_index: 16, egress_ifindex: 20, size: 24 } as const;

export interface XdpOptions {
  /** ingress_ifindex (default 1, the loopback device). */
  ingressIfindex?: number;
  rxQueueIndex?: number;
}

export class XdpContext implements ProgramContext {
  readonly kind = 'xdp' as const;
  readonly address: number;
  readonly packet: Region;
  private readonly memory: Memory;
  private readonly frame: { start: number; end: number };
  data: number;
  dataEnd: number;
  dataMeta: number;
  /**
   * Whether a run may have written below the packet's first byte (the head or metadata moved
   * down): until then the zeroed headroom is still zero and a reset need not zero it again.
   */
  private headroomDirty = true;

  constructor(memory: Memory, packet: Uint8Array, options: XdpOptions = {}) {
    this.memory = memory;
    // Only the headroom is zeroed (the test run's buffer is zeroed; the packet is copied over its
    // part, and adjust_tail zeroes what it grows): 4 KiB of zeroes per run cost more than the rest.
    const region = memory.alloc('packet', 'packet', XDP_FRAME_SIZE, { writable: true, align: 64, zero: false });
    this.frame = { start: region.start, end: region.end };
    this.packet = region;
    this.address = memory.alloc('xdp_md', 'ctx', XdpMd.size, { writable: false }).start;
    this.data = this.dataMeta = this.dataEnd = 0;
    this.reset(packet, options);
  }

  /**
   * Puts the context back as a fresh one on `packet`: what a later run of the same memory layout
   * uses instead of a new context (the regions stay where they are, so nothing is re-allocated).
   */
  reset(packet: Uint8Array, options?: XdpOptions): void {
    const start = this.frame.start;
    this.data = start + XDP_PACKET_HEADROOM;
    this.dataMeta = this.data;
    this.dataEnd = this.data + packet.length;
    const u8 = this.memory.u8;
    if (this.headroomDirty) u8.fill(0, start, this.data);
    this.headroomDirty = false;
    u8.set(packet, this.data);
    const dv = this.memory.dv;
    // No default `{}`: a run without options (the common one) allocates nothing here.
    dv.setUint32(this.address + XdpMd.ingress_ifindex, options?.ingressIfindex ?? 1, true);
    dv.setUint32(this.address + XdpMd.rx_queue_index, options?.rxQueueIndex ?? 0, true);
    this.sync();
  }

  /** Writes the pointers into xdp_md and moves the packet region's bounds. */
  private sync(): void {
    const dv = this.memory.dv;
    dv.setUint32(this.address + XdpMd.data, this.data, true);
    dv.setUint32(this.address + XdpMd.data_end, this.dataEnd, true);
    dv.setUint32(this.address + XdpMd.data_meta, this.dataMeta, true);
    // Bounds already in place leave the layout as it is (engines that mirror it then skip a rewrite).
    if (this.packet.start !== this.dataMeta || this.packet.end !== this.dataEnd || this.packet.span === undefined) {
      this.memory.setBounds(this.packet, this.dataMeta, this.dataEnd, this.frame);
    }
  }

  get length(): number {
    return this.dataEnd - this.data;
  }

  private get hardEnd(): number {
    return this.frame.start + XDP_FRAME_SIZE - SKB_SHARED_INFO_SIZE;
  }

  /** bpf_xdp_adjust_head: 0 or -EINVAL. The metadata moves with the head. */
  adjustHead(offset: number): number {
    const metalen = this.data - this.dataMeta;
    const dataStart = this.frame.start + XDP_FRAME_STRUCT + metalen;
    const data = this.data + offset;
    if (data < dataStart || data > this.dataEnd - ETH_HLEN) return -Errno.EINVAL;
    if (metalen) this.memory.u8.copyWithin(this.dataMeta + offset, this.dataMeta, this.data);
    this.dataMeta += offset;
    this.data = data;
    if (this.dataMeta < this.frame.start + XDP_PACKET_HEADROOM) this.headroomDirty = true;
    this.sync();
    return 0;
  }

  /** bpf_xdp_adjust_tail: 0 or -EINVAL; grown bytes are zeroed. */
  adjustTail(offset: number): number {
    const end = this.dataEnd + offset;
    if (end > this.hardEnd || end < this.data + ETH_HLEN) return -Errno.EINVAL;
    if (offset > 0) this.memory.u8.fill(0, this.dataEnd, end);
    this.dataEnd = end;
    this.sync();
    return 0;
  }

  /** bpf_xdp_adjust_meta: 0, -EINVAL (outside the frame) or -EACCES (a bad length). */
  adjustMeta(offset: number): number {
    const meta = this.dataMeta + offset;
    const metalen = this.data - meta;
    if (meta < this.frame.start + XDP_FRAME_STRUCT || meta > this.data) return -Errno.EINVAL;
    if (metalen % 4 !== 0 || metalen > XDP_META_MAX) return -Errno.EACCES;
    this.dataMeta = meta;
    if (meta < this.frame.start + XDP_PACKET_HEADROOM) this.headroomDirty = true;
    this.sync();
    return 0;
  }

  /** The frame as the test run copies it out: metadata, then the packet. */
  packetOut(): Uint8Array {
    return this.memory.copyOut(this.dataMeta, this.dataEnd);
  }
}
