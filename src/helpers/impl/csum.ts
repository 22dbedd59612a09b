import { Errno } from '../errno.js';
import type { SkbContext } from '../contexts/skb.js';
import type { FastHelperGroup, HelperGroup } from './group.js';
import { checkedAddress, lowAddress, u32 } from './args.js';
import { argIsZero, argPointer, argSmall, argU32 } from './fast-args.js';
import { skbCtx } from './packet.js';

/**
 * Internet checksum arithmetic as x86-64 Linux does it. Values are the raw memory words read
 * little-endian, like the kernel's `__wsum`/`__sum16` on x86: ones'-complement sums commute with
 * byte swapping, so working on raw words gives the kernel's bytes.
 */

/** csum_add: 32-bit add with end-around carry. */
export function csumAdd(a: number, b: number): number {
  const s = (a >>> 0) + (b >>> 0);
  return (s > 0xffffffff ? s - 0xffffffff : s) >>> 0;
}

export const csumSub = (a: number, b: number): number => csumAdd(a, ~b >>> 0);

/** csum_partial: the buffer as little-endian 32-bit words (the tail zero-padded) plus `seed`, folded to 32 bits. */
export const csumPartial = (bytes: Uint8Array, seed: number): number => csumPartialAt(bytes, 0, bytes.length, seed);

/** {@link csumPartial} of `bytes[start, start + n)`: nothing is allocated (bpf_csum_diff is a per-packet helper). */
function csumPartialAt(bytes: Uint8Array, start: number, n: number, seed: number): number {
  let sum = seed >>> 0;
  const end = start + n;
  let i = start;
  for (; i + 4 <= end; i += 4) sum = csumAdd(sum, bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24));
  if (i < end) {
    let w = 0;
    for (let j = 0; i + j < end; j++) w |= bytes[i + j]! << (8 * j);
    sum = csumAdd(sum, w);
  }
  return sum;
}

/** csum_fold: the 16-bit complement of the 32-bit sum folded. */
export function csumFold(sum: number): number {
  let s = (sum & 0xffff) + (sum >>> 16);
  s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

/** csum_from32to16: the 32-bit sum folded to 16 bits, not complemented (what bpf_csum_diff returns). */
export function csumFrom32to16(sum: number): number {
  let s = (sum & 0xffff) + (sum >>> 16);
  s = (s & 0xffff) + (s >>> 16);
  return s & 0xffff;
}

function csum16Add(csum: number, addend: number): number {
  const r = (csum & 0xffff) + (addend & 0xffff);
  return (r > 0xffff ? r - 0xffff : r) & 0xffff;
}
const csum16Sub = (csum: number, addend: number): number => csum16Add(csum, ~addend & 0xffff);

/** csum_replace2: incremental update of a checksum for a 16-bit change. */
export const csumReplace2 = (sum: number, from: number, to: number): number => ~csum16Add(csum16Sub(~sum & 0xffff, from), to) & 0xffff;

/** csum_replace4: incremental update for a 32-bit change. */
export function csumReplace4(sum: number, from: number, to: number): number {
  const tmp = csumSub(~sum >>> 0, from);
  return csumFold(csumAdd(tmp, to));
}

/** csum_replace_by_diff: applies a bpf_csum_diff result. */
export const csumReplaceByDiff = (sum: number, diff: number): number => csumFold(csumAdd(diff, ~sum >>> 0));

const BPF_F_HDR_FIELD_MASK = 0xf;
const BPF_F_PSEUDO_HDR = 1 << 4;
const BPF_F_MARK_MANGLED_0 = 1 << 5;
const BPF_F_MARK_ENFORCE = 1 << 6;
const BPF_F_IPV6 = 1 << 7;
const CSUM_MANGLED_0 = 0xffff;

/** bpf_csum_diff, l3_csum_replace, l4_csum_replace. */
export const csumHelpers: HelperGroup = (k) => ({
  csum_diff: (_rt, from, fromSize, to, toSize, seed) => {
    // Since Linux 6.13: any sizes, and a 16-bit folded result on every architecture.
    const fs = u32(fromSize);
    const ts = u32(toSize);
    // Both buffers are only read, and checked before either is summed: summed in place, no
    // copies. A NULL `from` sums as zeros, which add nothing.
    const toAt = ts ? checkedAddress(k.memory, to, ts) : -1;
    const fromAt = fs && lowAddress(from) !== 0 ? checkedAddress(k.memory, from, fs) : -1;
    return BigInt(csumDiff(k.memory.u8, fromAt, fs, toAt, ts, u32(seed)));
  },
  l3_csum_replace: (_rt, _skb, offset, from, to, flags) => {
    const skb = skbCtx(k, 'bpf_l3_csum_replace');
    // Valid flags fit in the low byte: anything else (whatever its high bits) is -EINVAL.
    const f = Number(flags);
    return BigInt(l3Replace(k.memory.dv, skb, u32(offset), from === 0n, u32(from), u32(to), f >= 0 && f <= 0xff ? f : -1));
  },
  l4_csum_replace: (_rt, _skb, offset, from, to, flags) => {
    const skb = skbCtx(k, 'bpf_l4_csum_replace');
    const f = Number(flags);
    return BigInt(l4Replace(k.memory.dv, skb, u32(offset), from === 0n, u32(from), u32(to), f >= 0 && f <= 0xff ? f : -1));
  },
});

/** The fast paths (FastHelperFn) of the three: the same cores, registers read as halves. */
export const csumFastHelpers: FastHelperGroup = (k) => ({
  csum_diff: (_rt, a) => {
    const m = k.memory;
    const fs = argU32(m, a, 2);
    const ts = argU32(m, a, 4);
    const toAt = ts ? argPointer(m, a, 3, ts, false) : -1;
    // Not NULL unless both halves are 0: a high half set is checked, and so faults.
    const fromAt = fs && !argIsZero(m, a, 1) ? argPointer(m, a, 1, fs, false) : -1;
    return csumDiff(m.u8, fromAt, fs, toAt, ts, argU32(m, a, 5));
  },
  l3_csum_replace: (_rt, a) => {
    const skb = skbCtx(k, 'bpf_l3_csum_replace');
    const m = k.memory;
    const f = argSmall(m, a, 5);
    return l3Replace(m.dv, skb, argU32(m, a, 2), argIsZero(m, a, 3), argU32(m, a, 3), argU32(m, a, 4), f <= 0xff ? f : -1);
  },
  l4_csum_replace: (_rt, a) => {
    const skb = skbCtx(k, 'bpf_l4_csum_replace');
    const m = k.memory;
    const f = argSmall(m, a, 5);
    return l4Replace(m.dv, skb, argU32(m, a, 2), argIsZero(m, a, 3), argU32(m, a, 3), argU32(m, a, 4), f <= 0xff ? f : -1);
  },
});

/**
 * bpf_csum_diff of `fs` bytes at `fromAt` (-1: NULL, zeros) and `ts` bytes at `toAt` (-1: none),
 * both already checked, with `seed`: the 16-bit folded result.
 */
function csumDiff(u8: Uint8Array, fromAt: number, fs: number, toAt: number, ts: number, seed: number): number {
  let ret = seed;
  if (toAt >= 0 && fs) ret = csumSub(csumPartialAt(u8, toAt, ts, ret), fromAt < 0 ? 0 : csumPartialAt(u8, fromAt, fs, 0));
  else if (toAt >= 0) ret = csumPartialAt(u8, toAt, ts, ret);
  else if (fs) ret = ~(fromAt < 0 ? ~ret >>> 0 : csumPartialAt(u8, fromAt, fs, ~ret >>> 0)) >>> 0;
  return csumFrom32to16(ret);
}

/** bpf_l3_csum_replace on numbers: `f` the flags when they fit a byte, else -1 (-EINVAL). */
function l3Replace(dv: DataView, skb: SkbContext, offset: number, fromZero: boolean, from: number, to: number, f: number): number {
  if (f < 0 || f & ~BPF_F_HDR_FIELD_MASK) return -Errno.EINVAL;
  const at = sumField(skb, offset);
  if (at < 0) return at;
  const sum = dv.getUint16(at, true);
  switch (f & BPF_F_HDR_FIELD_MASK) {
    case 0:
      if (!fromZero) return -Errno.EINVAL;
      dv.setUint16(at, csumReplaceByDiff(sum, to), true);
      break;
    case 2:
      dv.setUint16(at, csumReplace2(sum, from & 0xffff, to & 0xffff), true);
      break;
    case 4:
      dv.setUint16(at, csumReplace4(sum, from, to), true);
      break;
    default:
      return -Errno.EINVAL;
  }
  return 0;
}

/** bpf_l4_csum_replace on numbers, as {@link l3Replace}. */
function l4Replace(dv: DataView, skb: SkbContext, offset: number, fromZero: boolean, from: number, to: number, f: number): number {
  if (f < 0 || f & ~(BPF_F_MARK_MANGLED_0 | BPF_F_MARK_ENFORCE | BPF_F_PSEUDO_HDR | BPF_F_HDR_FIELD_MASK | BPF_F_IPV6)) return -Errno.EINVAL;
  const at = sumField(skb, offset);
  if (at < 0) return at;
  const mangled0 = (f & BPF_F_MARK_MANGLED_0) !== 0;
  const enforce = (f & BPF_F_MARK_ENFORCE) !== 0;
  const sum = dv.getUint16(at, true);
  // A zero UDP checksum means "none": leave it alone unless told to enforce.
  if (mangled0 && !enforce && sum === 0) return 0;
  // The test run's skb is CHECKSUM_NONE: the pseudo-header flag changes nothing in the packet.
  let next: number;
  switch (f & BPF_F_HDR_FIELD_MASK) {
    case 0:
      if (!fromZero) return -Errno.EINVAL;
      next = csumReplaceByDiff(sum, to);
      break;
    case 2:
      next = csumReplace4(sum, from & 0xffff, to & 0xffff);
      break;
    case 4:
      next = csumReplace4(sum, from, to);
      break;
    default:
      return -Errno.EINVAL;
  }
  if (mangled0 && next === 0) next = CSUM_MANGLED_0;
  dv.setUint16(at, next, true);
  return 0;
}

/** The checksum field at `off` from skb->data: -EFAULT for an odd or too large offset, or past the end. */
function sumField(skb: SkbContext, off: number): number {
  if (off > 0xffff || off & 1) return -Errno.EFAULT;
  const at = skb.range(off, 2);
  return at === undefined ? -Errno.EFAULT : at;
}
