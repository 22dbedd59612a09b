import { Errno } from '../errno.js';
import { RingbufMap } from '../maps/ringbuf.js';
import { FaultSignal } from '../fault.js';
import type { KernelState } from '../kernel/state.js';
import { checkedAddress, copyIn, copyOut, u32, view } from './args.js';
import type { HelperGroup } from './group.js';

/**
 * Dynamic pointers (`struct bpf_dynptr`, 16 bytes on the stack) as kernel/bpf/helpers.c lays out
 * struct bpf_dynptr_kern: the data pointer (u64), then size (low 24 bits) with the type in bits
 * 28..30 and read-only in bit 31, then the offset (u32). A NULL dynptr is all zeroes. Local
 * (bpf_dynptr_from_mem) and ring buffer (bpf_ringbuf_reserve_dynptr) dynptrs are modelled.
 */
const DYNPTR_MAX_SIZE = (1 << 24) - 1;
const TYPE_SHIFT = 28;
const RDONLY_BIT = 1 << 31;
export const DynptrType = { INVALID: 0, LOCAL: 1, RINGBUF: 2 } as const;

interface Dynptr {
  data: number;
  size: number;
  type: number;
  rdonly: boolean;
  offset: number;
}

function readDynptr(k: KernelState, ptr: bigint): Dynptr {
  // Read in place through the memory's view: no view, DataView or BigInt per call.
  const at = checkedAddress(k.memory, ptr, 16);
  const dv = k.memory.dv;
  const info = dv.getUint32(at + 8, true);
  return { data: dv.getUint32(at, true), size: info & DYNPTR_MAX_SIZE, type: (info >>> TYPE_SHIFT) & 7, rdonly: (info & RDONLY_BIT) !== 0, offset: dv.getUint32(at + 12, true) };
}

function writeDynptr(k: KernelState, ptr: bigint, d: Dynptr | undefined): void {
  const at = checkedAddress(k.memory, ptr, 16, true);
  k.memory.u8.fill(0, at, at + 16);
  if (d === undefined) return;
  const dv = k.memory.dv;
  // Data addresses lie below 2^32: the pointer's high half stays 0.
  dv.setUint32(at, d.data, true);
  dv.setUint32(at + 8, (d.size | (d.type << TYPE_SHIFT) | (d.rdonly ? RDONLY_BIT : 0)) >>> 0, true);
  dv.setUint32(at + 12, d.offset, true);
}

/** bpf_dynptr_check_off_len: -E2BIG when [offset, offset+len) leaves the dynptr. */
const outOfRange = (d: Dynptr, offset: number, len: number): boolean => offset > d.size || len > d.size - offset;

export const dynptrHelpers: HelperGroup = (k) => {
  const commit = (ptr: bigint, discard: boolean, name: string): bigint => {
    const d = readDynptr(k, ptr);
    if (d.data === 0) return 0n;
    if (d.type !== DynptrType.RINGBUF) throw new FaultSignal('helper', `${name}: not a ring buffer dynptr`);
    const at = d.data;
    for (const m of k.maps) if (m instanceof RingbufMap && m.commit(at, discard)) break;
    writeDynptr(k, ptr, undefined);
    return 0n;
  };
  return {
    dynptr_from_mem: (_rt, data, size, flags, ptr) => {
      const n = u32(size);
      if (flags !== 0n) {
        writeDynptr(k, ptr, undefined);
        return BigInt(-Errno.EINVAL);
      }
      if (n > DYNPTR_MAX_SIZE) {
        writeDynptr(k, ptr, undefined);
        return BigInt(-Errno.E2BIG);
      }
      view(k.memory, data, n);
      writeDynptr(k, ptr, { data: Number(BigInt.asUintN(32, data)), size: n, type: DynptrType.LOCAL, rdonly: false, offset: 0 });
      return 0n;
    },
    ringbuf_reserve_dynptr: (_rt, m, size, flags, ptr) => {
      const map = k.mapArg(m, 'bpf_ringbuf_reserve_dynptr');
      if (!(map instanceof RingbufMap)) throw new FaultSignal('helper', `bpf_ringbuf_reserve_dynptr: map '${map.name}' is not a ring buffer`);
      const n = u32(size);
      writeDynptr(k, ptr, undefined);
      if (n > DYNPTR_MAX_SIZE) return BigInt(-Errno.E2BIG);
      if (flags !== 0n) return BigInt(-Errno.EINVAL);
      const at = map.reserve(n);
      if (at === 0) return BigInt(-Errno.ENOMEM);
      writeDynptr(k, ptr, { data: at, size: n, type: DynptrType.RINGBUF, rdonly: false, offset: 0 });
      return 0n;
    },
    ringbuf_submit_dynptr: (_rt, ptr) => commit(ptr, false, 'bpf_ringbuf_submit_dynptr'),
    ringbuf_discard_dynptr: (_rt, ptr) => commit(ptr, true, 'bpf_ringbuf_discard_dynptr'),
    dynptr_read: (_rt, dst, len, src, offset, flags) => {
      const d = readDynptr(k, src);
      const n = u32(len);
      const off = u32(offset);
      if (d.data === 0 || flags !== 0n) return BigInt(-Errno.EINVAL);
      if (outOfRange(d, off, n)) return BigInt(-Errno.E2BIG);
      copyOut(k.memory, dst, k.memory.u8.slice(d.data + d.offset + off, d.data + d.offset + off + n));
      return 0n;
    },
    dynptr_write: (_rt, dst, offset, src, len, flags) => {
      const d = readDynptr(k, dst);
      const n = u32(len);
      const off = u32(offset);
      if (d.data === 0 || d.rdonly || flags !== 0n) return BigInt(-Errno.EINVAL);
      if (outOfRange(d, off, n)) return BigInt(-Errno.E2BIG);
      k.memory.u8.set(copyIn(k.memory, src, n), d.data + d.offset + off);
      return 0n;
    },
    dynptr_data: (_rt, ptr, offset, len) => {
      const d = readDynptr(k, ptr);
      const n = u32(len);
      const off = u32(offset);
      if (d.data === 0 || d.rdonly || outOfRange(d, off, n)) return 0n;
      return BigInt(d.data + d.offset + off);
    },
  };
};
