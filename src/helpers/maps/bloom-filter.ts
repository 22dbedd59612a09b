import type { MapDef } from '../../loader/model.js';
import { MapFlag } from '../../loader/kinds.js';
import { Errno } from '../errno.js';
import { jhash2Bytes, jhashBytes } from '../kernel/jhash.js';
import { BpfMap, type MapEntry, type MapEnv, type MapStatus } from './map.js';

/** The hash functions a bloom filter uses when map_extra does not say (kernel/bpf/bloom_filter.c). */
const DEFAULT_HASHES = 5;

/**
 * `BPF_MAP_TYPE_BLOOM_FILTER` as kernel/bpf/bloom_filter.c builds it: a bit array of
 * roundup_pow_of_two(max_entries * hashes * 7 / 5) bits (at least 64), `map_extra` hash functions
 * (default 5), each jhash2 (values a multiple of 4 bytes) or jhash of the value with seed
 * `seed + i`. push (BPF_ANY only) sets the bits, peek answers 0 (maybe present) or -ENOENT
 * (absent); lookup, update, delete and pop are -EOPNOTSUPP and nothing can be listed. The seed is
 * 0 with BPF_F_ZERO_SEED — then false positives are the kernel's exactly — and otherwise drawn
 * from the instance's seeded PRNG (the kernel draws a random one).
 */
export class BloomFilterMap extends BpfMap {
  readonly hashes: number;
  readonly bitsetMask: number;
  private readonly bits: Uint8Array;
  private readonly seed: number;

  constructor(def: MapDef, index: number, env: MapEnv, seed: number) {
    super(def, index, env);
    this.hashes = (def.mapExtra ?? 0) & 0xf || DEFAULT_HASHES;
    const product = def.maxEntries * this.hashes;
    let nrBits = product > 0xffffffff ? Infinity : Math.floor(product / 5) * 7;
    if (nrBits > 2 ** 31) {
      this.bitsetMask = 0xffffffff;
      nrBits = 2 ** 32;
    } else {
      nrBits = nrBits <= 64 ? 64 : 2 ** Math.ceil(Math.log2(nrBits));
      this.bitsetMask = nrBits - 1;
    }
    this.bits = new Uint8Array(Math.ceil(nrBits / 8));
    this.seed = def.flags & MapFlag.ZERO_SEED ? 0 : seed >>> 0;
  }

  /** Hash function `i` of `value` (no view or word list per call: pushes and peeks hash `hashes` times). */
  private hash(value: Uint8Array, i: number): number {
    const initval = (this.seed + i) >>> 0;
    const n = value.length;
    const h = n % 4 === 0 ? jhash2Bytes(value, 0, n >>> 2, initval) : jhashBytes(value, 0, n, initval);
    return (h & this.bitsetMask) >>> 0;
  }

  override push(value: Uint8Array, flags: number): MapStatus {
    if (flags !== 0) return -Errno.EINVAL;
    for (let i = 0; i < this.hashes; i++) {
      const h = this.hash(value, i);
      this.bits[h >>> 3]! |= 1 << (h & 7);
    }
    return 0;
  }

  override pop(_peek: boolean): Uint8Array | MapStatus {
    return -Errno.EOPNOTSUPP;
  }

  /** bpf_map_peek_elem: 0 when every bit of `value` is set, else -ENOENT. */
  peekValue(value: Uint8Array): MapStatus {
    for (let i = 0; i < this.hashes; i++) {
      const h = this.hash(value, i);
      if (!(this.bits[h >>> 3]! & (1 << (h & 7)))) return -Errno.ENOENT;
    }
    return 0;
  }

  override update(): MapStatus {
    return -Errno.EOPNOTSUPP;
  }
  override delete(): MapStatus {
    return -Errno.EOPNOTSUPP;
  }
  override sysLookup(): Uint8Array | MapStatus {
    return -Errno.EOPNOTSUPP;
  }
  override entries(): MapEntry[] {
    return [];
  }
}
