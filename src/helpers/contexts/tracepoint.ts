import type { Memory } from '../memory.js';
import type { ProgramContext } from './context.js';

/**
 * Tracepoint contexts, which the kernel cannot test-run (tracepoint) or runs on given arguments
 * (raw tracepoint):
 * - `tracepoint/...`: the event's record as bytes the test gives (the 8-byte common header —
 *   type, flags, preempt count, pid — then the fields of its format file), read-only;
 * - `raw_tracepoint/...`: `struct bpf_raw_tracepoint_args`, the tracepoint's arguments as u64s.
 */
export class TracepointContext implements ProgramContext {
  readonly kind: 'tracepoint' | 'raw-tracepoint';
  readonly address: number;

  private readonly memory: Memory;
  private readonly size: number;

  constructor(memory: Memory, kind: 'tracepoint' | 'raw-tracepoint', bytes: Uint8Array) {
    this.kind = kind;
    this.memory = memory;
    this.size = Math.max(bytes.length, 1);
    const region = memory.alloc(kind === 'tracepoint' ? 'tracepoint' : 'bpf_raw_tracepoint_args', 'ctx', this.size, { writable: false });
    memory.u8.set(bytes, region.start);
    this.address = region.start;
  }

  /** Makes this a fresh context on `bytes` of the same kind; false when they need a region of another size. */
  reset(kind: 'tracepoint' | 'raw-tracepoint', bytes: Uint8Array): boolean {
    if (kind !== this.kind || Math.max(bytes.length, 1) !== this.size) return false;
    // An empty record's one byte is zero, as a new region's is.
    if (bytes.length === 0) this.memory.u8[this.address] = 0;
    this.memory.u8.set(bytes, this.address);
    return true;
  }

  packetOut(): undefined {
    return undefined;
  }
}

/** The context bytes of a raw tracepoint with these arguments. */
export function rawTracepointArgs(args: readonly bigint[]): Uint8Array {
  const out = new Uint8Array(args.length * 8);
  const dv = new DataView(out.buffer);
  args.forEach((a, i) => dv.setBigUint64(i * 8, BigInt.asUintN(64, a), true));
  return out;
}
