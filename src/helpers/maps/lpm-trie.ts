import { Errno } from '../errno.js';
import type { MapDef } from '../../loader/model.js';
import { BpfMap, UpdateFlags, badUpdateFlags, type MapEnv, type MapStatus } from './map.js';
import { SlotStore } from './slot-store.js';

interface Prefix {
  /** Prefix length in bits. */
  len: number;
  /** The key's data bytes as given (bits past the prefix kept, as the kernel keeps them). */
  data: Uint8Array;
  slot: number;
}

/**
 * `BPF_MAP_TYPE_LPM_TRIE`: keys are `struct bpf_lpm_trie_key` — a u32 prefix length (host
 * order) then `key_size - 4` data bytes (network order). A lookup returns the value of the longest
 * stored prefix that matches the first `prefixlen` bits of the key; update and delete address an
 * exact (length, masked data) pair. A prefix length past `8 * (key_size - 4)` is `-EINVAL`, a new
 * prefix in a full trie `-ENOSPC`, `BPF_NOEXIST`/`BPF_EXIST` give `-EEXIST`/`-ENOENT`.
 *
 * Stored as a flat list scanned per lookup: tries in tests are small, and the answers are the
 * trie's. `get_next_key` walks the kernel's order (post-order: longer prefixes before the shorter
 * ones that contain them).
 */
export class LpmTrieMap extends BpfMap {
  private readonly values: SlotStore;
  private readonly prefixes: Prefix[] = [];
  private readonly dataSize: number;
  private readonly keys: SlotStore;

  constructor(def: MapDef, index: number, env: MapEnv) {
    super(def, index, env);
    this.dataSize = def.keySize - 4;
    this.values = new SlotStore(env.memory, def.name, 'map-value', def.maxEntries, def.valueSize, 1, true);
    this.keys = new SlotStore(env.memory, `${def.name}:keys`, 'map-value', def.maxEntries, def.keySize, 1, false);
  }

  get maxPrefixLen(): number {
    return this.dataSize * 8;
  }

  private parse(key: Uint8Array): { len: number; data: Uint8Array } {
    const len = (key[0]! | (key[1]! << 8) | (key[2]! << 16) | (key[3]! << 24)) >>> 0;
    return { len, data: key.slice(4, 4 + this.dataSize) };
  }

  /** True when the first `bits` bits of `a` and of `b` from `bOff` agree. */
  private static samePrefix(a: Uint8Array, b: Uint8Array, bits: number, bOff = 0): boolean {
    const whole = bits >> 3;
    for (let i = 0; i < whole; i++) if (a[i] !== b[bOff + i]) return false;
    const rest = bits & 7;
    if (rest === 0) return true;
    const mask = (0xff << (8 - rest)) & 0xff;
    return ((a[whole]! ^ b[bOff + whole]!) & mask) === 0;
  }

  /** The index in `list` of the stored prefix (len, data), or -1. */
  private static indexIn(list: readonly Prefix[], len: number, data: Uint8Array): number {
    for (let i = 0; i < list.length; i++) {
      const p = list[i]!;
      if (p.len === len && LpmTrieMap.samePrefix(p.data, data, len)) return i;
    }
    return -1;
  }

  /** The longest matching prefix, compared against the key's data in place (a lookup allocates nothing). */
  private best(key: Uint8Array): Prefix | undefined {
    const len = (key[0]! | (key[1]! << 8) | (key[2]! << 16) | (key[3]! << 24)) >>> 0;
    const max = this.maxPrefixLen;
    const prefixes = this.prefixes;
    let best: Prefix | undefined;
    for (let i = 0; i < prefixes.length; i++) {
      const p = prefixes[i]!;
      if (p.len > len || p.len > max) continue;
      if (best !== undefined && p.len <= best.len) continue;
      if (LpmTrieMap.samePrefix(p.data, key, p.len, 4)) best = p;
    }
    return best;
  }

  override lookup(key: Uint8Array, _cpu: number): number {
    const p = this.best(key);
    return p === undefined ? 0 : this.values.addr(p.slot);
  }

  override update(key: Uint8Array, value: Uint8Array, flags: number, _cpu: number): MapStatus {
    if (badUpdateFlags(flags)) return -Errno.EINVAL;
    const { len, data } = this.parse(key);
    if (len > this.maxPrefixLen) return -Errno.EINVAL;
    const old = this.prefixes[LpmTrieMap.indexIn(this.prefixes, len, data)];
    if (old !== undefined) {
      if (flags === UpdateFlags.NOEXIST) return -Errno.EEXIST;
      // The kernel replaces the node: the stored key bytes become the new key's.
      old.data = data;
      this.values.write(old.slot, 0, value);
      this.keys.write(old.slot, 0, key);
      return 0;
    }
    if (flags === UpdateFlags.EXIST) return -Errno.ENOENT;
    if (this.prefixes.length >= this.maxEntries) return -Errno.ENOSPC;
    const slot = this.values.take();
    this.keys.take();
    this.values.write(slot, 0, value);
    this.keys.write(slot, 0, key);
    this.prefixes.push({ len, data, slot });
    return 0;
  }

  override delete(key: Uint8Array): MapStatus {
    const { len, data } = this.parse(key);
    if (len > this.maxPrefixLen) return -Errno.EINVAL;
    const at = LpmTrieMap.indexIn(this.prefixes, len, data);
    if (at < 0) return -Errno.ENOENT;
    const [p] = this.prefixes.splice(at, 1);
    this.values.give(p!.slot);
    this.keys.give(p!.slot);
    return 0;
  }

  /** The key bytes of a stored prefix: length then data, as get_next_key returns them. */
  private keyOf(p: Prefix): Uint8Array {
    const k = new Uint8Array(4 + this.dataSize);
    new DataView(k.buffer).setUint32(0, p.len, true);
    k.set(p.data, 4);
    return k;
  }

  /**
   * The trie's post-order: a prefix comes after every longer prefix it contains, and siblings
   * come in bit order (0 before 1).
   */
  private ordered(): Prefix[] {
    const bitAt = (d: Uint8Array, i: number): number => (d[i >> 3]! >> (7 - (i & 7))) & 1;
    const cmp = (a: Prefix, b: Prefix): number => {
      const n = Math.min(a.len, b.len);
      for (let i = 0; i < n; i++) {
        const d = bitAt(a.data, i) - bitAt(b.data, i);
        if (d !== 0) return d;
      }
      // One contains the other: the longer (more specific) comes first.
      return b.len - a.len;
    };
    return [...this.prefixes].sort(cmp);
  }

  override sysNextKey(key: Uint8Array | undefined): Uint8Array | undefined {
    const order = this.ordered();
    if (key === undefined) return order[0] === undefined ? undefined : this.keyOf(order[0]);
    const { len, data } = this.parse(key);
    const at = LpmTrieMap.indexIn(order, len, data);
    if (at < 0) return order[0] === undefined ? undefined : this.keyOf(order[0]);
    const next = order[at + 1];
    return next === undefined ? undefined : this.keyOf(next);
  }

  override entries(): Array<{ key: Uint8Array; value: Uint8Array }> {
    return this.ordered().map((p) => ({ key: this.keyOf(p), value: this.values.read(p.slot) }));
  }
}
