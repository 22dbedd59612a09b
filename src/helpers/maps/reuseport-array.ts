import type { MapDef } from '../../loader/model.js';
import { Errno } from '../errno.js';
import { TcpState, type SimSocket } from '../kernel/sockets.js';
import { u32le, UpdateFlags, type MapEnv, type MapStatus } from './map.js';
import { SockMapBase } from './sockmap.js';

/** Sockets in some reuseport array (the kernel marks them through sk_user_data): a second array is -EBUSY. */
const placed = new WeakSet<SimSocket>();

/**
 * `BPF_MAP_TYPE_REUSEPORT_SOCKARRAY` (kernel/bpf/reuseport_array.c): SO_REUSEPORT sockets by index,
 * for bpf_sk_select_reuseport in sk_reuseport programs (which bpfkit does not run). User space
 * places sockets with {@link placeSocket} under the kernel's checks, in its order: flags, index
 * (-E2BIG), existing entry (-EEXIST / -ENOENT), a socket that is not a TCP/UDP socket
 * (-ENOTSUPP), one not in a reuseport group or not hashed (TCP listening, UDP bound: -EINVAL), one
 * already in an array (-EBUSY). Reads give the socket's cookie (value_size 8, else -ENOSPC);
 * deletes are -E2BIG past the end and -ENOENT on an empty slot.
 */
export class ReuseportArrayMap extends SockMapBase {
  private readonly slots: Array<SimSocket | undefined>;

  constructor(def: MapDef, index: number, env: MapEnv) {
    super(def, index, env);
    this.slots = new Array<SimSocket | undefined>(def.maxEntries).fill(undefined);
  }

  socketAt(key: Uint8Array): SimSocket | undefined {
    const i = u32le(key);
    return i < this.maxEntries ? this.slots[i] : undefined;
  }

  override updateSocket(key: Uint8Array, s: SimSocket, flags: number): MapStatus {
    if (flags < 0 || flags > UpdateFlags.EXIST) return -Errno.EINVAL;
    const i = u32le(key);
    if (i >= this.maxEntries) return -Errno.E2BIG;
    const old = this.slots[i];
    if (old !== undefined && flags === UpdateFlags.NOEXIST) return -Errno.EEXIST;
    if (old === undefined && flags === UpdateFlags.EXIST) return -Errno.ENOENT;
    const hashed = s.protocol === 'tcp' ? s.state === TcpState.LISTEN : s.localPort !== 0;
    if (!hashed || s.reuseport !== true) return -Errno.EINVAL;
    if (placed.has(s)) return -Errno.EBUSY;
    if (old !== undefined) placed.delete(old);
    placed.add(s);
    this.slots[i] = s;
    return 0;
  }

  protected store(): MapStatus {
    return -Errno.EINVAL;
  }

  override delete(key: Uint8Array): MapStatus {
    const i = u32le(key);
    if (i >= this.maxEntries) return -Errno.E2BIG;
    const s = this.slots[i];
    if (s === undefined) return -Errno.ENOENT;
    placed.delete(s);
    this.slots[i] = undefined;
    return 0;
  }

  override sysNextKey(key: Uint8Array | undefined): Uint8Array | undefined {
    const i = key === undefined ? 0xffffffff : u32le(key);
    if (i >= this.maxEntries) return this.maxEntries > 0 ? new Uint8Array(4) : undefined;
    if (i === this.maxEntries - 1) return undefined;
    const next = new Uint8Array(4);
    new DataView(next.buffer).setUint32(0, i + 1, true);
    return next;
  }
}
