import type { MapDef } from '../../loader/model.js';
import { MapType } from '../../loader/kinds.js';
import { mapHandle } from '../abi.js';
import { Errno } from '../errno.js';
import { BpfMap, UpdateFlags, badUpdateFlags, hexOf, u32le, type MapEnv, type MapStatus } from './map.js';

/**
 * `BPF_MAP_TYPE_ARRAY_OF_MAPS` and `HASH_OF_MAPS`: values are maps (a map fd from user space —
 * here a map index —, a map pointer for programs). A program's lookup returns the inner map's
 * pointer, which it passes to the map helpers. Entries of an array of maps can be empty.
 */
export class MapInMap extends BpfMap {
  private readonly byKey = new Map<string, { key: Uint8Array; inner: number }>();
  private readonly isArray: boolean;

  constructor(def: MapDef, index: number, env: MapEnv) {
    super(def, index, env);
    this.isArray = def.type === MapType.ARRAY_OF_MAPS;
  }

  /** The map index stored at `key`, or undefined. */
  inner(key: Uint8Array): number | undefined {
    return this.byKey.get(hexOf(key.subarray(0, this.keySize)))?.inner;
  }

  /** A program's lookup: the inner map's handle (its pointer), or NULL. */
  override lookup(key: Uint8Array, _cpu: number): number {
    const i = this.inner(key);
    return i === undefined ? 0 : mapHandle(i);
  }

  /** Stores map `inner` (an index in the instance) at `key`. */
  setInner(key: Uint8Array, inner: number, flags = UpdateFlags.ANY as number): MapStatus {
    if (badUpdateFlags(flags)) return -Errno.EINVAL;
    const k = hexOf(key.subarray(0, this.keySize));
    if (this.isArray) {
      if (u32le(key) >= this.maxEntries) return -Errno.E2BIG;
      if (flags === UpdateFlags.NOEXIST) return -Errno.EEXIST;
    } else {
      const exists = this.byKey.has(k);
      if (exists && flags === UpdateFlags.NOEXIST) return -Errno.EEXIST;
      if (!exists && flags === UpdateFlags.EXIST) return -Errno.ENOENT;
      if (!exists && this.byKey.size >= this.maxEntries) return -Errno.E2BIG;
    }
    this.byKey.set(k, { key: key.slice(0, this.keySize), inner });
    return 0;
  }

  override update(_key: Uint8Array, _value: Uint8Array, _flags: number, _cpu: number): MapStatus {
    // Programs cannot store maps (the verifier refuses it).
    return -Errno.EINVAL;
  }

  override delete(key: Uint8Array): MapStatus {
    const k = hexOf(key.subarray(0, this.keySize));
    if (this.isArray && u32le(key) >= this.maxEntries) return -Errno.E2BIG;
    if (!this.byKey.delete(k)) return -Errno.ENOENT;
    return 0;
  }

  override sysLookup(key: Uint8Array): Uint8Array | MapStatus {
    // The kernel returns the inner map's id; the index stands in for it.
    const i = this.inner(key);
    if (i === undefined) return -Errno.ENOENT;
    const out = new Uint8Array(4);
    new DataView(out.buffer).setUint32(0, i, true);
    return out;
  }

  override sysUpdate(key: Uint8Array, value: Uint8Array, flags: number): MapStatus {
    return this.setInner(key, u32le(value), flags);
  }

  override sysNextKey(key: Uint8Array | undefined): Uint8Array | undefined {
    const keys = [...this.byKey.values()].map((e) => e.key);
    if (key === undefined) return keys[0];
    const at = keys.findIndex((k) => hexOf(k) === hexOf(key.subarray(0, this.keySize)));
    return keys[at + 1];
  }

  override entries(): Array<{ key: Uint8Array; value: Uint8Array }> {
    return [];
  }
}
