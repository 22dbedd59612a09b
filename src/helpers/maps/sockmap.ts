import type { MapDef } from '../../loader/model.js';
import { MapType } from '../../loader/kinds.js';
import { Errno } from '../errno.js';
import { SocketTable, TcpState, type SimSocket, type SimSocketSpec } from '../kernel/sockets.js';
import { BpfMap, hexOf, u32Bytes, u32le, UpdateFlags, type MapEntry, type MapEnv, type MapStatus } from './map.js';

/** Whether the kernel lets socket `s` into a sockmap or sockhash (sock_map_sk_state_allowed). */
export function sockMapAllows(s: SimSocket): boolean {
  if (s.protocol === 'tcp') return s.state === TcpState.ESTABLISHED || s.state === TcpState.LISTEN;
  // A UDP socket must be hashed: bound to a port.
  return s.localPort !== 0;
}

/** Whether a redirect to `s` may go ahead (sock_map_redirect_allowed): not to a listener; UDP only when connected. */
export const sockRedirectAllowed = (s: SimSocket): boolean => (s.protocol === 'tcp' ? s.state !== TcpState.LISTEN : s.state === TcpState.ESTABLISHED);

/**
 * `BPF_MAP_TYPE_SOCKMAP` and `BPF_MAP_TYPE_SOCKHASH` (net/core/sock_map.c): sockets by index or by
 * key, for sk_skb/sk_msg redirects and sk_lookup/tc lookups. The sockets are simulated sockets
 * (kernel/sockets.ts): user space places one with {@link SockMapBase.placeSocket} (where the
 * kernel takes a socket fd) under the kernel's rules: TCP established or listening, UDP bound,
 * else -EOPNOTSUPP; flags as for any update. A program's lookup gives the socket (a referenced
 * struct bpf_sock; the helper builds it), a program's update takes a socket pointer. User space
 * reads the socket's cookie back when value_size is 8 (-ENOSPC for 4), as the kernel answers.
 */
export abstract class SockMapBase extends BpfMap {
  private readonly nextCookie: () => bigint;

  constructor(def: MapDef, index: number, env: MapEnv) {
    super(def, index, env, true);
    let own = 0n;
    this.nextCookie = env.nextCookie ?? (() => ++own);
  }

  /** The socket under `key`, or undefined. */
  abstract socketAt(key: Uint8Array): SimSocket | undefined;
  /** Stores `s` under `key` with update `flags` (the caller checked the socket). */
  protected abstract store(key: Uint8Array, s: SimSocket, flags: number): MapStatus;

  /** `bpf_map_update_elem` with a socket: from a program (its pointer resolved) or user space. */
  updateSocket(key: Uint8Array, s: SimSocket, flags: number): MapStatus {
    if (!sockMapAllows(s)) return -Errno.EOPNOTSUPP;
    if (flags < 0 || flags > UpdateFlags.EXIST) return -Errno.EINVAL;
    return this.store(key, s, flags);
  }

  /** Places a socket as user space's BPF_MAP_UPDATE_ELEM with its fd would; the socket comes back. */
  placeSocket(key: Uint8Array, spec: SimSocketSpec | SimSocket, flags = 0): { status: MapStatus; socket: SimSocket } {
    const socket = 'family' in spec ? spec : new SocketTable().add(spec);
    return { status: this.updateSocket(key, socket, flags), socket };
  }

  /** The cookie user space reads for `s` (sock_gen_cookie: given once). */
  cookieOf(s: SimSocket): bigint {
    s.cookie ??= this.nextCookie();
    return s.cookie;
  }

  override lookup(_key: Uint8Array, _cpu: number): number {
    // Programs get a socket pointer through bpf_map_lookup_elem's socket path; there is no value memory.
    return 0;
  }

  override update(_key: Uint8Array, _value: Uint8Array, _flags: number, _cpu: number): MapStatus {
    // A program's update passes a socket, resolved by the helper (updateSocket).
    return -Errno.EINVAL;
  }

  override sysLookup(key: Uint8Array): Uint8Array | MapStatus {
    if (this.valueSize !== 8) return -Errno.ENOSPC;
    const s = this.socketAt(key);
    if (s === undefined) return -Errno.ENOENT;
    const out = new Uint8Array(8);
    new DataView(out.buffer).setBigUint64(0, this.cookieOf(s), true);
    return out;
  }

  override sysUpdate(_key: Uint8Array, _value: Uint8Array, _flags: number): MapStatus {
    // The kernel takes a socket fd; there are no fds here: placeSocket is the way in.
    return -Errno.EBADF;
  }

  override entries(): MapEntry[] {
    const out: MapEntry[] = [];
    if (this.valueSize !== 8) return out;
    for (let key = this.sysNextKey(undefined); key !== undefined; key = this.sysNextKey(key)) {
      const v = this.sysLookup(key);
      if (typeof v !== 'number') out.push({ key, value: v });
    }
    return out;
  }
}

export class SockMap extends SockMapBase {
  private readonly slots: Array<SimSocket | undefined>;

  constructor(def: MapDef, index: number, env: MapEnv) {
    super(def, index, env);
    this.slots = new Array<SimSocket | undefined>(def.maxEntries).fill(undefined);
  }

  socketAt(key: Uint8Array): SimSocket | undefined {
    const i = u32le(key);
    return i < this.maxEntries ? this.slots[i] : undefined;
  }

  protected store(key: Uint8Array, s: SimSocket, flags: number): MapStatus {
    const i = u32le(key);
    if (i >= this.maxEntries) return -Errno.E2BIG;
    const old = this.slots[i];
    if (old !== undefined && flags === UpdateFlags.NOEXIST) return -Errno.EEXIST;
    if (old === undefined && flags === UpdateFlags.EXIST) return -Errno.ENOENT;
    this.slots[i] = s;
    return 0;
  }

  override delete(key: Uint8Array): MapStatus {
    const i = u32le(key);
    if (i >= this.maxEntries) return -Errno.EINVAL;
    // An empty slot is -EINVAL in a sockmap (__sock_map_delete), not -ENOENT.
    if (this.slots[i] === undefined) return -Errno.EINVAL;
    this.slots[i] = undefined;
    return 0;
  }

  override sysNextKey(key: Uint8Array | undefined): Uint8Array | undefined {
    const i = key === undefined ? 0xffffffff : u32le(key);
    if (i === this.maxEntries - 1) return undefined;
    return u32Bytes(i >= this.maxEntries ? 0 : i + 1);
  }
}

export class SockHash extends SockMapBase {
  private readonly byKey = new Map<string, { key: Uint8Array; socket: SimSocket }>();

  socketAt(key: Uint8Array): SimSocket | undefined {
    return this.byKey.get(hexOf(key.subarray(0, this.keySize)))?.socket;
  }

  protected store(key: Uint8Array, s: SimSocket, flags: number): MapStatus {
    const k = hexOf(key.subarray(0, this.keySize));
    const old = this.byKey.get(k);
    if (old !== undefined && flags === UpdateFlags.NOEXIST) return -Errno.EEXIST;
    if (old === undefined && flags === UpdateFlags.EXIST) return -Errno.ENOENT;
    if (old === undefined && this.byKey.size >= this.maxEntries) return -Errno.E2BIG;
    // The kernel puts a new element at the head of its bucket; the order here is insertion order.
    this.byKey.set(k, { key: key.slice(0, this.keySize), socket: s });
    return 0;
  }

  override delete(key: Uint8Array): MapStatus {
    return this.byKey.delete(hexOf(key.subarray(0, this.keySize))) ? 0 : -Errno.ENOENT;
  }

  override sysNextKey(key: Uint8Array | undefined): Uint8Array | undefined {
    const keys = [...this.byKey.values()].map((e) => e.key);
    if (key === undefined) return keys[0];
    const at = keys.findIndex((k) => hexOf(k) === hexOf(key));
    return at < 0 ? keys[0] : keys[at + 1];
  }
}

export const isSockMapType = (t: number): boolean => t === MapType.SOCKMAP || t === MapType.SOCKHASH;
