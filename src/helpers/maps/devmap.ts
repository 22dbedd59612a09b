import type { MapDef } from '../../loader/model.js';
import { MapType } from '../../loader/kinds.js';
import { Errno } from '../errno.js';
import { BpfMap, UpdateFlags, badUpdateFlags, hexOf, u32Bytes, u32le, type MapEnv, type MapStatus } from './map.js';
import type { RedirectMap } from './redirect-map.js';
import { SlotStore } from './slot-store.js';

/**
 * `BPF_MAP_TYPE_DEVMAP` / `DEVMAP_HASH`: interfaces for `bpf_redirect_map` from XDP. Values are
 * `struct bpf_devmap_val` (an ifindex, optionally a program fd); programs may look them up
 * (read-only). There are no devices here: any ifindex is accepted, and a redirect only reports
 * `XDP_REDIRECT` with its target, as the test run does.
 */
export class DevMap extends BpfMap implements RedirectMap {
  /** BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS. */
  readonly redirectFlagMask = (1n << 3n) | (1n << 4n);
  private readonly values: SlotStore;
  private readonly table = new Map<string, { key: Uint8Array; slot: number }>();
  /** The slots of `table` by the u32 of their key (4-byte keys, the kernel's only size): what a redirect asks, with no key string made. */
  private readonly slotOf = new Map<number, number>();
  private readonly isArray: boolean;

  constructor(def: MapDef, index: number, env: MapEnv) {
    super(def, index, env);
    this.isArray = def.type === MapType.DEVMAP;
    this.values = new SlotStore(env.memory, def.name, 'map-value', def.maxEntries, def.valueSize, 1, false);
  }

  override lookup(key: Uint8Array, _cpu: number): number {
    const e = this.table.get(hexOf(key.subarray(0, this.keySize)));
    return e === undefined ? 0 : this.values.addr(e.slot);
  }

  override update(key: Uint8Array, value: Uint8Array, flags: number, _cpu: number): MapStatus {
    if (badUpdateFlags(flags)) return -Errno.EINVAL;
    const k = hexOf(key.subarray(0, this.keySize));
    if (this.isArray && u32le(key) >= this.maxEntries) return -Errno.E2BIG;
    const old = this.table.get(k);
    if (old !== undefined && flags === UpdateFlags.NOEXIST) return -Errno.EEXIST;
    if (old === undefined && flags === UpdateFlags.EXIST) return -Errno.ENOENT;
    const slot = old?.slot ?? this.values.take();
    if (slot < 0) return -Errno.E2BIG;
    this.values.write(slot, 0, value);
    this.table.set(k, { key: key.slice(0, this.keySize), slot });
    if (this.keySize === 4) this.slotOf.set(u32le(key), slot);
    return 0;
  }

  override delete(key: Uint8Array): MapStatus {
    const k = hexOf(key.subarray(0, this.keySize));
    const e = this.table.get(k);
    if (e === undefined) return this.isArray && u32le(key) >= this.maxEntries ? -Errno.E2BIG : -Errno.ENOENT;
    this.table.delete(k);
    if (this.keySize === 4) this.slotOf.delete(u32le(key));
    this.values.give(e.slot);
    return 0;
  }

  /** The ifindex stored at `key`, or undefined. */
  target(key: number): number | undefined {
    if (this.keySize === 4) {
      const slot = this.slotOf.get(key >>> 0);
      return slot === undefined ? undefined : this.env.memory.dv.getUint32(this.values.addr(slot), true);
    }
    const e = this.table.get(hexOf(u32Bytes(key)));
    return e === undefined ? undefined : u32le(this.values.read(e.slot));
  }

  redirectTarget(key: number): { ifindex: number } | undefined {
    const ifindex = this.target(key);
    return ifindex === undefined ? undefined : { ifindex };
  }

  override sysNextKey(key: Uint8Array | undefined): Uint8Array | undefined {
    const keys = [...this.table.values()].map((e) => e.key).sort((a, b) => u32le(a) - u32le(b));
    if (key === undefined) return keys[0];
    return keys.find((k) => u32le(k) > u32le(key));
  }
}
