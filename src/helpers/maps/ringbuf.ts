import type { MapDef } from '../../loader/model.js';
import type { Region } from '../memory.js';
import { BpfMap, type MapEnv } from './map.js';

/** `flags` of the ring buffer helpers (wake-up hints: no effect on the data). */
export const RingbufFlags = { NO_WAKEUP: 1, FORCE_WAKEUP: 2 } as const;
/** `flags` of `bpf_ringbuf_query`. */
export const RingbufQuery = { AVAIL_DATA: 0, RING_SIZE: 1, CONS_POS: 2, PROD_POS: 3 } as const;

/** Bytes of the header before each record (length + busy/discard bits, page offset). */
export const RINGBUF_HDR_SZ = 8;
const RINGBUF_MAX_RECORD_SZ = 0x0fffffff;

interface Record {
  /** Position of the record's header in the ring (monotonic, like the kernel's producer position). */
  pos: number;
  addr: number;
  size: number;
  state: 'busy' | 'committed' | 'discarded';
}

/**
 * `BPF_MAP_TYPE_RINGBUF`: a `max_entries`-byte ring (a power of two, a multiple of the page size).
 * `bpf_ringbuf_reserve` hands out memory inside the ring for `size` bytes plus an 8-byte header,
 * rounded up to 8, and fails (NULL) when that would pass the consumer; output is reserve + copy +
 * commit (`-EAGAIN` when full). Records become visible to the consumer in reservation order once
 * committed; discarded ones are skipped. {@link consume} is the user-space side (libbpf's
 * `ring_buffer__consume`): it returns the submitted records and frees their space.
 *
 * The data area is mapped twice in the kernel so a record that wraps is contiguous; here the
 * region is twice the ring size and a record's bytes are read at its own address.
 */
export class RingbufMap extends BpfMap {
  readonly data: Region;
  private prod = 0;
  private cons = 0;
  private readonly pending: Record[] = [];

  constructor(def: MapDef, index: number, env: MapEnv) {
    super(def, index, env);
    this.data = env.memory.alloc(def.name, 'ringbuf', def.maxEntries * 2, { writable: true });
  }

  private get mask(): number {
    return this.maxEntries - 1;
  }

  /** Reserves `size` bytes; returns the sample's address or 0. */
  reserve(size: number): number {
    if (size > RINGBUF_MAX_RECORD_SZ) return 0;
    const len = Math.ceil((size + RINGBUF_HDR_SZ) / 8) * 8;
    if (len > this.maxEntries) return 0;
    const newProd = this.prod + len;
    // The consumer position only moves when user space consumes; records still pending count too.
    if (newProd - this.cons > this.mask) return 0;
    const at = this.prod & this.mask;
    const addr = this.data.start + at + RINGBUF_HDR_SZ;
    this.pending.push({ pos: this.prod, addr, size, state: 'busy' });
    this.prod = newProd;
    return addr;
  }

  /** Commits (or discards) the record whose sample is at `addr`; false when no record starts there. */
  commit(addr: number, discard: boolean): boolean {
    const r = this.pending.find((p) => p.addr === addr && p.state === 'busy');
    if (r === undefined) return false;
    r.state = discard ? 'discarded' : 'committed';
    return true;
  }

  /** `bpf_ringbuf_query`. */
  query(flags: number): bigint {
    switch (flags) {
      case RingbufQuery.AVAIL_DATA:
        return BigInt(this.prod - this.cons);
      case RingbufQuery.RING_SIZE:
        return BigInt(this.maxEntries);
      case RingbufQuery.CONS_POS:
        return BigInt(this.cons);
      case RingbufQuery.PROD_POS:
        return BigInt(this.prod);
      default:
        return 0n;
    }
  }

  /**
   * Takes every committed record from the front of the ring (stopping at the first one still
   * reserved, as the consumer does) and returns their bytes.
   */
  consume(): Uint8Array[] {
    const out: Uint8Array[] = [];
    while (this.pending.length > 0 && this.pending[0]!.state !== 'busy') {
      const r = this.pending.shift()!;
      if (r.state === 'committed') out.push(this.env.memory.u8.slice(r.addr, r.addr + r.size));
      this.cons = r.pos + Math.ceil((r.size + RINGBUF_HDR_SZ) / 8) * 8;
    }
    return out;
  }

  override entries(): Array<{ key: Uint8Array; value: Uint8Array }> {
    return [];
  }
}
