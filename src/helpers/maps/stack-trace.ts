import type { MapDef } from '../../loader/model.js';
import { Errno } from '../errno.js';
import { jhash2 } from '../kernel/jhash.js';
import { BpfMap, u32Bytes, u32le, type MapEntry, type MapEnv, type MapStatus } from './map.js';

/** sysctl kernel.perf_event_max_stack (its default). */
export const PERF_MAX_STACK = 127;

const SKIP_MASK = 0xffn;
export const BPF_F_USER_STACK = 1n << 8n;
const BPF_F_FAST_STACK_CMP = 1n << 9n;
const BPF_F_REUSE_STACKID = 1n << 10n;

/** How many frames a stack walk keeps for a buffer of `size` bytes (stack_map_calculate_max_depth). */
export const maxDepth = (size: number, skip: number): number => Math.min(Math.floor(size / 8) + skip, PERF_MAX_STACK);

/**
 * `BPF_MAP_TYPE_STACK_TRACE` (kernel/bpf/stackmap.c): stacks by id, filled by bpf_get_stackid. The
 * id is the jhash2 of the (skipped, depth-limited) instruction pointers masked to the buckets
 * (max_entries rounded up to a power of two); a different stack in the same bucket is -EEXIST
 * unless BPF_F_REUSE_STACKID replaces it, BPF_F_FAST_STACK_CMP trusts the hash. User space reads a
 * stack zero-padded to value_size, deletes it (-ENOENT empty, -E2BIG past the buckets) and walks
 * the filled ids. Build-id stacks (BPF_F_STACK_BUILD_ID) are refused at creation.
 */
export class StackTraceMap extends BpfMap {
  readonly buckets: number;
  private readonly stacks: Array<{ hash: number; ips: bigint[] } | undefined>;

  constructor(def: MapDef, index: number, env: MapEnv) {
    super(def, index, env);
    let n = 1;
    while (n < def.maxEntries) n *= 2;
    this.buckets = n;
    this.stacks = new Array(n).fill(undefined);
  }

  /** bpf_get_stackid on the stack `frames` (innermost first): the id, or a negative errno. */
  stackId(frames: readonly bigint[], flags: bigint): number {
    if ((flags & ~(SKIP_MASK | BPF_F_USER_STACK | BPF_F_FAST_STACK_CMP | BPF_F_REUSE_STACKID)) !== 0n) return -Errno.EINVAL;
    const skip = Number(flags & SKIP_MASK);
    const depth = maxDepth(this.valueSize, skip);
    const nr = Math.min(frames.length, depth);
    if (nr <= skip) return -Errno.EFAULT;
    const ips = frames.slice(skip, nr).map((v) => BigInt.asUintN(64, v));
    const words = new Uint32Array(ips.length * 2);
    ips.forEach((ip, i) => {
      words[2 * i] = Number(ip & 0xffffffffn);
      words[2 * i + 1] = Number(ip >> 32n);
    });
    const hash = jhash2(words, 0);
    const id = hash & (this.buckets - 1);
    const bucket = this.stacks[id];
    const hashMatches = bucket !== undefined && bucket.hash === hash;
    if (hashMatches && (flags & BPF_F_FAST_STACK_CMP) !== 0n) return id;
    if (hashMatches && bucket.ips.length === ips.length && bucket.ips.every((v, i) => v === ips[i])) return id;
    if (bucket !== undefined && (flags & BPF_F_REUSE_STACKID) === 0n) return -Errno.EEXIST;
    this.stacks[id] = { hash, ips };
    return id;
  }

  override sysLookup(key: Uint8Array): Uint8Array | MapStatus {
    const id = u32le(key);
    const s = id < this.buckets ? this.stacks[id] : undefined;
    if (s === undefined) return -Errno.ENOENT;
    const out = new Uint8Array(this.valueSize);
    const dv = new DataView(out.buffer);
    s.ips.forEach((ip, i) => dv.setBigUint64(8 * i, ip, true));
    return out;
  }

  override delete(key: Uint8Array): MapStatus {
    const id = u32le(key);
    if (id >= this.buckets) return -Errno.E2BIG;
    if (this.stacks[id] === undefined) return -Errno.ENOENT;
    this.stacks[id] = undefined;
    return 0;
  }

  override update(): MapStatus {
    return -Errno.EINVAL;
  }

  override sysNextKey(key: Uint8Array | undefined): Uint8Array | undefined {
    let id = 0;
    if (key !== undefined) {
      const at = u32le(key);
      id = at >= this.buckets || this.stacks[at] === undefined ? 0 : at + 1;
    }
    while (id < this.buckets && this.stacks[id] === undefined) id++;
    return id < this.buckets ? u32Bytes(id) : undefined;
  }

  override entries(): MapEntry[] {
    const out: MapEntry[] = [];
    for (let key = this.sysNextKey(undefined); key !== undefined; key = this.sysNextKey(key)) {
      const v = this.sysLookup(key);
      if (typeof v !== 'number') out.push({ key, value: v });
    }
    return out;
  }
}
