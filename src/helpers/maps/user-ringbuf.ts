import type { MapDef } from '../../loader/model.js';
import { Errno } from '../errno.js';
import type { Region } from '../memory.js';
import { BpfMap, type MapEntry, type MapEnv, type MapStatus } from './map.js';

const HDR_SZ = 8;
/** A dynptr holds at most 2^24 - 1 bytes (bpf_dynptr_check_size). */
const DYNPTR_MAX = (1 << 24) - 1;

/** A record user space submitted (or discarded) and the program has not drained yet. */
interface UserRecord {
  /** Position of its header in the ring (consumer side). */
  pos: number;
  size: number;
  discarded: boolean;
}

/**
 * `BPF_MAP_TYPE_USER_RINGBUF` (kernel/bpf/ringbuf.c): a ring buffer user space writes and programs
 * drain with bpf_user_ringbuf_drain. {@link submit} is libbpf's user_ring_buffer__reserve +
 * __submit (or __discard): the record goes into the ring with its 8-byte header, -ENOSPC when the
 * ring has no room; the program then sees each in order as a local dynptr, and the space comes back
 * as it drains. Lookups and updates are -ENOTSUPP, as for the kernel's ring buffers.
 */
export class UserRingbufMap extends BpfMap {
  readonly data: Region;
  private prod = 0;
  private cons = 0;
  private readonly queue: UserRecord[] = [];
  /** A drain is running (a nested drain of the same ring is -EBUSY). */
  busy = false;

  constructor(def: MapDef, index: number, env: MapEnv) {
    super(def, index, env);
    // Twice the size, as the kernel maps the data pages twice: a record never wraps.
    this.data = env.memory.alloc(def.name, 'ringbuf', def.maxEntries * 2, { writable: true });
  }

  /** Submits `bytes` as one record (`discard`: reserved then discarded); 0 or -ENOSPC / -E2BIG. */
  submit(bytes: Uint8Array, options: { discard?: boolean } = {}): MapStatus {
    if (bytes.length > DYNPTR_MAX) return -Errno.E2BIG;
    const total = Math.ceil((bytes.length + HDR_SZ) / 8) * 8;
    if (total > this.maxEntries - (this.prod - this.cons)) return -Errno.ENOSPC;
    const at = this.data.start + (this.prod & (this.maxEntries - 1));
    this.env.memory.dv.setUint32(at, bytes.length | (options.discard ? 1 << 30 : 0), true);
    this.env.memory.u8.set(bytes, at + HDR_SZ);
    this.queue.push({ pos: this.prod, size: bytes.length, discarded: options.discard === true });
    this.prod += total;
    return 0;
  }

  /** Records waiting to be drained. */
  get pending(): number {
    return this.queue.filter((r) => !r.discarded).length;
  }

  /** The next record (its sample's address and size, or a discarded one to skip), undefined when empty. */
  peek(): { addr: number; size: number; discarded: boolean } | undefined {
    const r = this.queue[0];
    if (r === undefined) return undefined;
    return { addr: this.data.start + (r.pos & (this.maxEntries - 1)) + HDR_SZ, size: r.size, discarded: r.discarded };
  }

  /** Gives the first record's space back to user space. */
  release(): void {
    const r = this.queue.shift();
    if (r !== undefined) this.cons = r.pos + Math.ceil((r.size + HDR_SZ) / 8) * 8;
  }

  override lookup(): number {
    return 0;
  }

  override sysLookup(): Uint8Array | MapStatus {
    return -Errno.ENOTSUPP;
  }

  override sysUpdate(): MapStatus {
    return -Errno.ENOTSUPP;
  }

  override entries(): MapEntry[] {
    return [];
  }
}
