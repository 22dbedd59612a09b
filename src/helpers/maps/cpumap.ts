import type { MapDef } from '../../loader/model.js';
import { Errno } from '../errno.js';
import { BpfMap, UpdateFlags, u32Bytes, u32le, type MapEnv, type MapStatus } from './map.js';
import type { RedirectMap } from './redirect-map.js';
import { SlotStore } from './slot-store.js';

/**
 * `BPF_MAP_TYPE_CPUMAP`: CPUs an XDP program redirects frames to (kernel/bpf/cpumap.c). A slot
 * holds `struct bpf_cpumap_val` (the queue size, optionally a program fd); user space fills it, a
 * queue size of 0 empties it; a key must be a possible CPU (-ENODEV). Programs only redirect to
 * it: bpf_redirect_map returns XDP_REDIRECT for a filled slot and records the CPU, and the
 * fallback action for an empty one. The frame is not run again on that CPU.
 */
export class CpuMap extends BpfMap implements RedirectMap {
  readonly redirectFlagMask = 0n;
  private readonly values: SlotStore;
  private readonly filled: boolean[];

  constructor(def: MapDef, index: number, env: MapEnv) {
    super(def, index, env);
    this.values = new SlotStore(env.memory, def.name, 'map-value', def.maxEntries, def.valueSize, 1, false);
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
    if (flags === UpdateFlags.NOEXIST) return -Errno.EEXIST;
    if (i >= this.env.cpus) return -Errno.ENODEV;
    const qsize = u32le(value);
    this.filled[i] = qsize !== 0;
    this.values.write(i, 0, qsize === 0 ? new Uint8Array(this.valueSize) : value.subarray(0, this.valueSize));
    return 0;
  }

  override delete(key: Uint8Array): MapStatus {
    const i = u32le(key);
    if (i >= this.maxEntries) return -Errno.EINVAL;
    this.filled[i] = false;
    return 0;
  }

  override sysNextKey(key: Uint8Array | undefined): Uint8Array | undefined {
    const next = key === undefined || u32le(key) >= this.maxEntries ? 0 : u32le(key) + 1;
    return next < this.maxEntries ? u32Bytes(next) : undefined;
  }

  redirectTarget(key: number): { ifindex: number; cpu: number } | undefined {
    return key < this.maxEntries && this.filled[key] ? { ifindex: 0, cpu: key } : undefined;
  }
}
