import { BpfkitError, ErrorCode } from '../errors.js';

/** One captured frame of a pcap file. */
export interface PcapFrame {
  /** Capture time: seconds and nanoseconds since the epoch (microsecond files have ns = us * 1000). */
  sec: number;
  nsec: number;
  /** The captured bytes (may be shorter than `origLen` when the capture was truncated). */
  data: Uint8Array;
  /** The frame's length on the wire. */
  origLen: number;
}

/** A pcap file: its link type (1 = Ethernet) and frames. */
export interface Pcap {
  linkType: number;
  /** Timestamps in nanoseconds (magic a1b23c4d) rather than microseconds (a1b2c3d4). */
  nanosecond: boolean;
  snapLen: number;
  frames: PcapFrame[];
}

/** DLT_EN10MB: the only link type eBPF packet programs take. */
export const LINKTYPE_ETHERNET = 1;

const MAGIC_US = 0xa1b2c3d4;
const MAGIC_NS = 0xa1b23c4d;
const PCAPNG = 0x0a0d0d0a;

const bad = (why: string): never => {
  throw new BpfkitError(ErrorCode.BadInput, why);
};

/**
 * Reads a classic pcap file (libpcap format, either byte order, micro- or nanosecond timestamps).
 * pcapng is refused with a hint (`editcap -F pcap in.pcapng out.pcap` converts it).
 */
export function readPcap(bytes: Uint8Array): Pcap {
  if (bytes.length < 24) bad(`not a pcap file: ${bytes.length} bytes is shorter than a pcap header (24)`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magicLe = dv.getUint32(0, true);
  const magicBe = dv.getUint32(0, false);
  if (magicLe === PCAPNG) bad('pcapng is not supported; convert it with `editcap -F pcap IN.pcapng OUT.pcap`');
  let le: boolean;
  let nanosecond: boolean;
  if (magicLe === MAGIC_US || magicLe === MAGIC_NS) [le, nanosecond] = [true, magicLe === MAGIC_NS];
  else if (magicBe === MAGIC_US || magicBe === MAGIC_NS) [le, nanosecond] = [false, magicBe === MAGIC_NS];
  else return bad(`not a pcap file (magic 0x${magicBe.toString(16).padStart(8, '0')})`);
  const snapLen = dv.getUint32(16, le);
  const linkType = dv.getUint32(20, le) & 0x0fffffff;
  const frames: PcapFrame[] = [];
  let off = 24;
  while (off < bytes.length) {
    if (off + 16 > bytes.length) bad(`pcap frame ${frames.length + 1}: truncated record header at byte ${off}`);
    const sec = dv.getUint32(off, le);
    const frac = dv.getUint32(off + 4, le);
    const inclLen = dv.getUint32(off + 8, le);
    const origLen = dv.getUint32(off + 12, le);
    if (off + 16 + inclLen > bytes.length) bad(`pcap frame ${frames.length + 1}: ${inclLen} bytes announced, ${bytes.length - off - 16} left in the file`);
    frames.push({ sec, nsec: nanosecond ? frac : frac * 1000, data: bytes.slice(off + 16, off + 16 + inclLen), origLen });
    off += 16 + inclLen;
  }
  return { linkType, nanosecond, snapLen, frames };
}

/** Writes frames as a little-endian classic pcap file (microsecond timestamps unless `nanosecond`). */
export function writePcap(frames: readonly PcapFrame[], options: { linkType?: number; nanosecond?: boolean; snapLen?: number } = {}): Uint8Array {
  const nanosecond = options.nanosecond === true;
  const total = 24 + frames.reduce((n, f) => n + 16 + f.data.length, 0);
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, nanosecond ? MAGIC_NS : MAGIC_US, true);
  dv.setUint16(4, 2, true);
  dv.setUint16(6, 4, true);
  dv.setUint32(16, options.snapLen ?? 262144, true);
  dv.setUint32(20, options.linkType ?? LINKTYPE_ETHERNET, true);
  let off = 24;
  for (const f of frames) {
    dv.setUint32(off, f.sec, true);
    dv.setUint32(off + 4, nanosecond ? f.nsec : Math.floor(f.nsec / 1000), true);
    dv.setUint32(off + 8, f.data.length, true);
    dv.setUint32(off + 12, Math.max(f.origLen, f.data.length), true);
    out.set(f.data, off + 16);
    off += 16 + f.data.length;
  }
  return out;
}
