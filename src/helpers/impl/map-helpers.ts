import { Errno } from '../errno.js';
import { BloomFilterMap } from '../maps/bloom-filter.js';
import { QueueStackMap } from '../maps/queue-stack.js';
import { SockMapBase } from '../maps/sockmap.js';
import { sockMapLookup, sockMapUpdate } from './sockmap-helpers.js';
import { argPointer, argSmall, argU32, mapAt } from './fast-args.js';
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
    if (map.holdsSockets && map instanceof SockMapBase) return sockMapLookup(k, map, bytesCopy(k, a, 2, map.keySize));
    return map.lookupAt(bytesArg(k, a, 2, map.keySize), k.cpu);
  },
  map_update_elem: (_rt, a) => {
    const map = mapAt(k, a, 'bpf_map_update_elem');
    const f = argSmall(k.memory, a, 4);
    if (map.holdsSockets && map instanceof SockMapBase) {
      return sockMapUpdate(k, map, bytesCopy(k, a, 2, map.keySize), k.memory.dv.getBigUint64(a + 16, true), f);
    }
    const keyAddr = bytesArg(k, a, 2, map.keySize);
    return map.updateAt(keyAddr, bytesArg(k, a, 3, map.valueSize), f, k.cpu);
  },
  map_delete_elem: (_rt, a) => {
    const map = mapAt(k, a, 'bpf_map_delete_elem');
    return map.deleteAt(bytesArg(k, a, 2, map.keySize));
  },
  map_push_elem: (_rt, a) => {
    const map = mapAt(k, a, 'bpf_map_push_elem');
    const f = argSmall(k.memory, a, 3);
    // The value is checked before the flags, as copyIn checks it first.
    if (map.valueSize === 0) return map.push(new Uint8Array(0), f);
    return map.pushAt(bytesArg(k, a, 2, map.valueSize), f);
  },
  map_pop_elem: (_rt, a) => popFast(k, a, false, 'bpf_map_pop_elem'),
  map_peek_elem: (_rt, a) => popFast(k, a, true, 'bpf_map_peek_elem'),
  map_lookup_percpu_elem: (_rt, a) => {
    const map = mapAt(k, a, 'bpf_map_lookup_percpu_elem');
    const c = argU32(k.memory, a, 3);
    if (c >= k.cpus) return 0;
    return map.lookupAt(bytesArg(k, a, 2, map.keySize), c);
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
      const at = argPointer(k.memory, a, 2, size, true);
      k.memory.u8.fill(0, at, at + size);
      return -Errno.ENOENT;
    }
    let dst: number;
    try {
      dst = argPointer(k.memory, a, 2, size, true);
    } catch (e) {
      map.pop(peek);
      throw e;
    }
    map.popAt(dst, peek);
    return 0;
  }
  if (peek && map instanceof BloomFilterMap) return map.peekValue(bytesCopy(k, a, 2, size));
  const r = map.pop(peek);
  if (typeof r === 'number') {
    if (r === -Errno.ENOENT && size !== 0) {
      const at = argPointer(k.memory, a, 2, size, true);
      k.memory.u8.fill(0, at, at + size);
    }
    return r;
  }
  if (r.length !== 0) k.memory.u8.set(r, argPointer(k.memory, a, 2, r.length, true));
  return 0;
}

/** The pointer in register `i` to `size` bytes, checked as addressArg checks it (nothing to check for none). */
function bytesArg(k: KernelState, a: number, i: number, size: number): number {
  return size !== 0 ? argPointer(k.memory, a, i, size, false) : argU32(k.memory, a, i);
}

/** A copy of the `size` bytes register `i` points to (the socket maps' keys). */
function bytesCopy(k: KernelState, a: number, i: number, size: number): Uint8Array {
  const p = bytesArg(k, a, i, size);
  return k.memory.u8.slice(p, p + size);
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
