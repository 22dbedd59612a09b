import { Errno } from '../errno.js';
import { BloomFilterMap } from '../maps/bloom-filter.js';
import { QueueStackMap } from '../maps/queue-stack.js';
import { SockMapBase } from '../maps/sockmap.js';
import { sockMapLookup, sockMapUpdate } from './sockmap-helpers.js';
import { mapAt } from './fast-args.js';
import type { KernelState } from '../kernel/state.js';
import type { FastHelperGroup, HelperGroup } from './group.js';
import { addressArg, copyIn, copyOut, u32, zeroOut } from './args.js';

/** Map access from programs: lookup/update/delete, the queue/stack push/pop/peek, per-CPU lookup. */
export const mapHelpers: HelperGroup = (k) => ({
  map_lookup_elem: (_rt, m, key) => {
    const map = k.mapArg(m, 'bpf_map_lookup_elem');
    // A socket map answers with a socket, not a value.
    if (map.holdsSockets && map instanceof SockMapBase) return sockMapLookup(k, map, copyIn(k.memory, key, map.keySize));
    return BigInt(map.lookupAt(addressArg(k.memory, key, map.keySize), k.cpu));
  },
  map_update_elem: (_rt, m, key, value, flags) => {
    const map = k.mapArg(m, 'bpf_map_update_elem');
    const f = flags > 0xffffffffn ? -1 : Number(flags);
    if (map.holdsSockets && map instanceof SockMapBase) return sockMapUpdate(k, map, copyIn(k.memory, key, map.keySize), value, f);
    const keyAddr = addressArg(k.memory, key, map.keySize);
    return status(map.updateAt(keyAddr, addressArg(k.memory, value, map.valueSize), f, k.cpu));
  },
  map_delete_elem: (_rt, m, key) => {
    const map = k.mapArg(m, 'bpf_map_delete_elem');
    return status(map.deleteAt(addressArg(k.memory, key, map.keySize)));
  },
  map_push_elem: (_rt, m, value, flags) => {
    const map = k.mapArg(m, 'bpf_map_push_elem');
    const f = flags > 0xffffffffn ? -1 : Number(flags);
    return BigInt(map.push(copyIn(k.memory, value, map.valueSize), f));
  },
  map_pop_elem: (_rt, m, value) => popInto(k, m, value, false, 'bpf_map_pop_elem'),
  map_peek_elem: (_rt, m, value) => {
    const map = k.mapArg(m, 'bpf_map_peek_elem');
    // A bloom filter's peek takes the value to test instead of filling it.
    if (map instanceof BloomFilterMap) return BigInt(map.peekValue(copyIn(k.memory, value, map.valueSize)));
    return popInto(k, m, value, true, 'bpf_map_peek_elem');
  },
  map_lookup_percpu_elem: (_rt, m, key, cpu) => {
    const map = k.mapArg(m, 'bpf_map_lookup_percpu_elem');
    const c = u32(cpu);
    if (c >= k.cpus) return 0n;
    return BigInt(map.lookupAt(addressArg(k.memory, key, map.keySize), c));
  },
});

/**
 * The fast paths of the map operations: arguments read as 32-bit halves where the engine put them,
 * results as numbers. Each does what its HelperFn above does, check for check and fault for fault.
 */
export const mapFastHelpers: FastHelperGroup = (k) => ({
  map_lookup_elem: (_rt, a) => {
    const map = mapAt(k, a, 'bpf_map_lookup_elem');
    if (map.holdsSockets && map instanceof SockMapBase) return sockMapLookup(k, map, k.memory.u8.slice(...sliceOf(k, a + 8, map.keySize)));
    return map.lookupAt(pointerAt(k, a + 8, map.keySize), k.cpu);
  },
  map_update_elem: (_rt, a) => {
    const map = mapAt(k, a, 'bpf_map_update_elem');
    const dv = k.memory.dv;
    const f = dv.getUint32(a + 28, true) !== 0 ? -1 : dv.getUint32(a + 24, true);
    if (map.holdsSockets && map instanceof SockMapBase) {
      const key = k.memory.u8.slice(...sliceOf(k, a + 8, map.keySize));
      return sockMapUpdate(k, map, key, dv.getBigUint64(a + 16, true), f);
    }
    const keyAddr = pointerAt(k, a + 8, map.keySize);
    return map.updateAt(keyAddr, pointerAt(k, a + 16, map.valueSize), f, k.cpu);
  },
  map_delete_elem: (_rt, a) => {
    const map = mapAt(k, a, 'bpf_map_delete_elem');
    return map.deleteAt(pointerAt(k, a + 8, map.keySize));
  },
  map_push_elem: (_rt, a) => {
    const map = mapAt(k, a, 'bpf_map_push_elem');
    const dv = k.memory.dv;
    const f = dv.getUint32(a + 20, true) !== 0 ? -1 : dv.getUint32(a + 16, true);
    // The value is checked before the flags, as copyIn checks it first.
    if (map.valueSize === 0) return map.push(new Uint8Array(0), f);
    return map.pushAt(pointerAt(k, a + 8, map.valueSize), f);
  },
  map_pop_elem: (_rt, a) => popFast(k, a, false, 'bpf_map_pop_elem'),
  map_peek_elem: (_rt, a) => popFast(k, a, true, 'bpf_map_peek_elem'),
  map_lookup_percpu_elem: (_rt, a) => {
    const map = mapAt(k, a, 'bpf_map_lookup_percpu_elem');
    const c = k.memory.dv.getUint32(a + 16, true);
    if (c >= k.cpus) return 0;
    return map.lookupAt(pointerAt(k, a + 8, map.keySize), c);
  },
});

/**
 * popInto of the fast paths: a queue or stack pops straight into the destination; the value is
 * taken before the destination is checked, as the HelperFn takes it, so a fault leaves the map alike.
 */
function popFast(k: KernelState, a: number, peek: boolean, name: string): number {
  const map = mapAt(k, a, name);
  const size = map.valueSize;
  if (map instanceof QueueStackMap && size !== 0) {
    if (map.length === 0) {
      const at = pointerWrite(k, a + 8, size);
      k.memory.u8.fill(0, at, at + size);
      return -Errno.ENOENT;
    }
    let dst: number;
    try {
      dst = pointerWrite(k, a + 8, size);
    } catch (e) {
      map.pop(peek);
      throw e;
    }
    map.popAt(dst, peek);
    return 0;
  }
  if (peek && map instanceof BloomFilterMap) return map.peekValue(k.memory.u8.slice(...sliceOf(k, a + 8, size)));
  const r = map.pop(peek);
  if (typeof r === 'number') {
    if (r === -Errno.ENOENT && size !== 0) {
      const at = pointerWrite(k, a + 8, size);
      k.memory.u8.fill(0, at, at + size);
    }
    return r;
  }
  if (r.length !== 0) k.memory.u8.set(r, pointerWrite(k, a + 8, r.length));
  return 0;
}

/** The pointer (u64 at `at`) to `size` (> 0) bytes written, checked as view checks a write. */
function pointerWrite(k: KernelState, at: number, size: number): number {
  const dv = k.memory.dv;
  const lo = dv.getUint32(at, true);
  k.memory.check(lo, dv.getInt32(at + 4, true), size, true);
  return lo;
}

/** The pointer (u64 at `at`) to `size` bytes, checked as addressArg checks it. */
function pointerAt(k: KernelState, at: number, size: number): number {
  const dv = k.memory.dv;
  const lo = dv.getUint32(at, true);
  if (size !== 0) k.memory.check(lo, dv.getUint32(at + 4, true), size, false);
  return lo;
}

/** [start, end) of the checked `size` bytes the pointer at `at` points to. */
function sliceOf(k: KernelState, at: number, size: number): [number, number] {
  const p = pointerAt(k, at, size);
  return [p, p + size];
}

/** 0 and the negative errnos as BigInts made once: a map operation's status costs no allocation. */
const STATUS: readonly bigint[] = Array.from({ length: 256 }, (_, i) => BigInt(-i));
const status = (r: number): bigint => (r <= 0 && r > -256 ? STATUS[-r]! : BigInt(r));

/** pop/peek copy the value out; on failure the kernel zeroes the destination. */
function popInto(k: Parameters<HelperGroup>[0], m: bigint, value: bigint, peek: boolean, name: string): bigint {
  const map = k.mapArg(m, name);
  const r = map.pop(peek);
  if (typeof r === 'number') {
    if (r === -Errno.ENOENT) zeroOut(k.memory, value, map.valueSize);
    return BigInt(r);
  }
  copyOut(k.memory, value, r);
  return 0n;
}
