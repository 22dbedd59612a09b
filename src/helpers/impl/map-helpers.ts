import { Errno } from '../errno.js';
import { BloomFilterMap } from '../maps/bloom-filter.js';
import { SockMapBase } from '../maps/sockmap.js';
import { sockMapLookup, sockMapUpdate } from './sockmap-helpers.js';
import type { HelperGroup } from './group.js';
import { addressArg, copyIn, copyOut, u32, zeroOut } from './args.js';

/** Map access from programs: lookup/update/delete, the queue/stack push/pop/peek, per-CPU lookup. */
export const mapHelpers: HelperGroup = (k) => ({
  map_lookup_elem: (_rt, m, key) => {
    const map = k.mapArg(m, 'bpf_map_lookup_elem');
    // A socket map answers with a socket, not a value.
    if (map instanceof SockMapBase) return sockMapLookup(k, map, copyIn(k.memory, key, map.keySize));
    return BigInt(map.lookupAt(addressArg(k.memory, key, map.keySize), k.cpu));
  },
  map_update_elem: (_rt, m, key, value, flags) => {
    const map = k.mapArg(m, 'bpf_map_update_elem');
    const f = flags > 0xffffffffn ? -1 : Number(flags);
    if (map instanceof SockMapBase) return sockMapUpdate(k, map, copyIn(k.memory, key, map.keySize), value, f);
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
