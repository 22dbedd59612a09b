import type { MapDef } from '../../loader/model.js';
import { Errno } from '../errno.js';
import { BpfMap, UpdateFlags, u32Bytes, u32le, type MapEntry, type MapEnv, type MapStatus } from './map.js';
import type { RedirectMap } from './redirect-map.js';
import { SlotStore } from './slot-store.js';

/**
 * `BPF_MAP_TYPE_XSKMAP`: AF_XDP sockets an XDP program redirects frames to (net/xdp/xskmap.c).
 * There are no sockets here: user space places one by writing the queue id it is bound to, and a
 * program's lookup returns `struct bpf_xdp_sock` ({ queue_id }). bpf_redirect_map returns
 * XDP_REDIRECT for a filled slot (the queue is recorded) and the fallback action for an empty one.
 * User space cannot read the map back (-EOPNOTSUPP), as in the kernel.
 */
export class XskMap extends BpfMap implements RedirectMap {
  readonly redirectFlagMask = 0n;
  private readonly values: SlotStore;
  private readonly filled: boolean[];

  constructor(def: MapDef, index: number, env: MapEnv) {
    super(def, index, env);
    this.values = new SlotStore(env.memory, def.name, 'map-value', def.maxEntries, 4, 1, false);
    this.filled = new Array<boolean>(def.maxEntries).fill(false);
  }

  override lookup(key: Uint8Array, _cpu: number): number {
    const i = u32le(key);
    return i < this.maxEntries && this.filled[i] ? this.values.addr(i) : 0;
  }

  override update(key: Uint8Array, value: Uint8Array, flags: number, _cpu: number): MapStatus {
    const i = u32le(key);
    if (flags < 0 || flags > UpdateFlags.EXIST) return -Errno.EINVAL;
    if (i >= this.maxEntries) return -Errno.E2BIG;
    if (this.filled[i] && flags === UpdateFlags.NOEXIST) return -Errno.EEXIST;
    if (!this.filled[i] && flags === UpdateFlags.EXIST) return -Errno.ENOENT;
    this.filled[i] = true;
    this.values.write(i, 0, value.subarray(0, 4));
    return 0;
  }

  override delete(key: Uint8Array): MapStatus {
    const i = u32le(key);
    if (i >= this.maxEntries) return -Errno.EINVAL;
    this.filled[i] = false;
    return 0;
  }

  override sysLookup(_key: Uint8Array): Uint8Array | MapStatus {
    return -Errno.EOPNOTSUPP;
  }

  override sysNextKey(key: Uint8Array | undefined): Uint8Array | undefined {
    const next = key === undefined || u32le(key) >= this.maxEntries ? 0 : u32le(key) + 1;
    return next < this.maxEntries ? u32Bytes(next) : undefined;
  }

  override entries(): MapEntry[] {
    return [];
  }

  redirectTarget(key: number): { ifindex: number; queue: number } | undefined {
    if (key >= this.maxEntries || !this.filled[key]) return undefined;
    return { ifindex: 0, queue: u32le(this.values.read(key)) };
  }
}
