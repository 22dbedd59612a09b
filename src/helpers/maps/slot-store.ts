import type { Memory, Region, RegionKind } from '../memory.js';
import { round8 } from './map.js';

/**
 * Fixed-size slots of a map's values (or keys) in the shared memory, preallocated as the kernel
 * preallocates map elements. A slot holds `copies` consecutive values (one per CPU for per-CPU
 * maps), each `stride` = size rounded up to 8 bytes, and the region's stride confines a program's
 * access to one value, as the verifier confines a map value pointer.
 */
export class SlotStore {
  readonly region: Region;
  readonly size: number;
  readonly stride: number;
  readonly copies: number;
  readonly count: number;
  private readonly freeList: number[] = [];
  private memory: Memory;

  constructor(memory: Memory, name: string, kind: RegionKind, count: number, size: number, copies: number, writable: boolean) {
    this.memory = memory;
    this.size = size;
    this.stride = round8(Math.max(size, 1));
    this.copies = copies;
    this.count = count;
    this.region = memory.alloc(name, kind, Math.max(count * copies * this.stride, 1), {
      writable,
      stride: this.stride,
      elemSize: size,
    });
    // Pop order: slot 0 first.
    for (let i = count - 1; i >= 0; i--) this.freeList.push(i);
  }

  addr(slot: number, copy = 0): number {
    return this.region.start + (slot * this.copies + copy) * this.stride;
  }

  /** Takes a free slot, or returns -1 when every slot is in use. */
  take(): number {
    return this.freeList.pop() ?? -1;
  }

  give(slot: number): void {
    this.freeList.push(slot);
  }

  get free(): number {
    return this.freeList.length;
  }

  read(slot: number, copy = 0): Uint8Array {
    const a = this.addr(slot, copy);
    return this.memory.u8.slice(a, a + this.size);
  }

  write(slot: number, copy: number, bytes: Uint8Array): void {
    const a = this.addr(slot, copy);
    const u8 = this.memory.u8;
    // Short values by a loop: a subarray and set cost ~8x more than the copy itself.
    if (bytes.length <= 16 && this.size <= 16) {
      const n = bytes.length < this.size ? bytes.length : this.size;
      for (let i = 0; i < n; i++) u8[a + i] = bytes[i]!;
    } else u8.set(bytes.subarray(0, this.size), a);
    // The padding of a value is zero, as in the kernel's zeroed allocations.
    if (bytes.length < this.size) this.memory.u8.fill(0, a + bytes.length, a + this.size);
  }

  /**
   * Copies `len` bytes of `src` from `off` into a slot (zeroing the rest of the value), without a
   * view or a copy of the source: the map helpers' path, where `src` is the memory itself. A
   * source in the same memory is either this very value or disjoint from it (a checked value
   * pointer spans one whole element), so a forward copy is exact.
   */
  writeFrom(slot: number, copy: number, src: Uint8Array, off: number, len: number): void {
    const a = this.addr(slot, copy);
    const size = this.size;
    const n = len < size ? len : size;
    if (n > 64) {
      this.memory.u8.set(src.subarray(off, off + n), a);
    } else if (src === this.memory.u8 && (n & 3) === 0) {
      // From the memory itself (a helper's argument): 32-bit words, which V8 does fastest here.
      const dv = this.memory.dv;
      for (let i = 0; i < n; i += 4) dv.setInt32(a + i, dv.getInt32(off + i, true), true);
      if (n === size) return;
    } else {
      const u8 = this.memory.u8;
      for (let i = 0; i < n; i++) u8[a + i] = src[off + i]!;
    }
    const u8 = this.memory.u8;
    for (let i = n; i < size; i++) u8[a + i] = 0;
  }

  zero(slot: number, copy?: number): void {
    const a = this.addr(slot, copy ?? 0);
    const n = copy !== undefined ? this.stride : this.stride * this.copies;
    if (n > 256) {
      this.memory.u8.fill(0, a, a + n);
      return;
    }
    // Strides are multiples of 8 and slots 8-aligned: by words (fill() is a runtime call, ~30 ns).
    const dv = this.memory.dv;
    for (let i = 0; i < n; i += 4) dv.setInt32(a + i, 0, true);
  }
}
