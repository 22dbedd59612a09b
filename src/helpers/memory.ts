import { FaultSignal } from './fault.js';

/** What a region holds; used in fault messages and by tools that show memory. */
export type RegionKind = 'stack' | 'ctx' | 'packet' | 'map-value' | 'global' | 'ringbuf' | 'mem' | 'scratch' | 'kernel';

/**
 * A contiguous range of the linear memory that programs may touch. A region with `stride` is an
 * array of elements (map values): an access must stay inside one element's first `elemSize` bytes,
 * the way the kernel confines a map value pointer to its value.
 */
export interface Region {
  readonly name: string;
  readonly kind: RegionKind;
  /** First address. For the stack this moves with the call depth (see {@link Memory.setStackDepth}). */
  start: number;
  end: number;
  writable: boolean;
  readonly stride: number;
  readonly elemSize: number;
  /**
   * For a region whose bounds move (a packet inside its buffer): the buffer it may move in. Lookups
   * use it so an access just outside the current bounds names the region instead of "no region".
   */
  span?: { readonly start: number; readonly end: number };
}

export interface RegionOptions {
  writable?: boolean;
  /** Element stride for arrays of values; 0 (default) for a plain region. */
  stride?: number;
  /** Usable bytes per element (<= stride). */
  elemSize?: number;
  /** Alignment of the start address (default 8). */
  align?: number;
  /**
   * Zero-fill the bytes (default true). False only for a region whose owner writes or zeroes every
   * byte a program can reach before it runs (an XDP frame: its packet is copied in, its headroom
   * zeroed; the rest is reachable only through helpers that zero what they expose).
   */
  zero?: boolean;
}

/** What {@link Memory.mark} returns: the allocation state to go back to. */
export interface MemoryMark {
  readonly regions: number;
  readonly top: number;
}

/** Bytes per stack frame, as in the kernel. */
export const STACK_FRAME_SIZE = 512;
/** Call frames a program may use, the entry function included (kernel's MAX_CALL_FRAMES). */
export const MAX_CALL_FRAMES = 8;
/** Addresses below this are never mapped, so a NULL dereference always faults. */
export const NULL_GUARD = 0x10000;

const PAGE = 65536;

/**
 * What a probe load of memory no region holds resolves to (see Memory.probeNullReads): the engines
 * then read the first 8 bytes of the never-mapped page, which nothing writes, as the kernel's
 * exception fixup leaves 0 in the destination register.
 */
export const PROBE_ZERO: Region = { name: 'unmapped (probe load reads 0)', kind: 'kernel', start: 0, end: 8, writable: false, stride: 0, elemSize: 0 };
/** The slab {@link Memory.copyOut} cuts small copies from (shared by every memory; never reused once full). */
const SLAB_SIZE = 32768;
let slab = new Uint8Array(SLAB_SIZE);
let slab32 = new Int32Array(slab.buffer);
let slabAt = 0;

/**
 * The one linear memory both engines run on. It is (or wraps) a `WebAssembly.Memory`, so the JIT
 * shares it without copies; an eBPF pointer is an address into it, and every access is checked
 * against the region it falls in.
 */
export class Memory {
  readonly wasm: WebAssembly.Memory;
  u8!: Uint8Array;
  dv!: DataView;
  /** The memory as 32-bit words (little-endian hosts, as WebAssembly): {@link copyOut}'s aligned copies, the JIT's helper results. */
  i32!: Int32Array;
  private readonly regions: Region[] = [];
  private top = NULL_GUARD;
  /**
   * Bumped whenever a region is added, dropped or moved: engines that mirror the region list (the
   * JIT's region table) rewrite their copy only when it changed. Never goes back.
   */
  layout = 0;
  /**
   * Reads of memory no region holds (NULL and below {@link NULL_GUARD}, any other unmapped address,
   * 64-bit kernel addresses) give zeros instead of faulting, as the kernel's BPF_PROBE_MEM loads
   * through BTF pointers do: `task->mm->...` with a NULL or stale `mm` reads 0 (the exception
   * fixup zeroes the destination). Set for the runs of tracing programs; writes there still fault.
   * {@link check} then returns {@link PROBE_ZERO}, and the engines load from its address instead.
   */
  probeNullReads = false;
  /** The stack: frame 0 at the top; deeper frames below. */
  readonly stack: Region;
  /** Address one past frame 0 (the entry function's r10). */
  readonly stackTop: number;

  constructor(initialPages = 4) {
    this.wasm = new WebAssembly.Memory({ initial: initialPages, maximum: 65536 });
    this.refreshViews();
    const size = STACK_FRAME_SIZE * MAX_CALL_FRAMES;
    this.stack = this.alloc('stack', 'stack', size, { writable: true, align: 16 });
    this.stackTop = this.stack.end;
    this.setStackDepth(0);
  }

  /** Re-reads the views after the memory grew (a grow detaches the old ArrayBuffer). */
  refreshViews(): void {
    this.u8 = new Uint8Array(this.wasm.buffer);
    this.dv = new DataView(this.wasm.buffer);
    this.i32 = new Int32Array(this.wasm.buffer);
  }

  /** Allocates a region of `size` bytes (zero-filled) and registers it. */
  alloc(name: string, kind: RegionKind, size: number, options: RegionOptions = {}): Region {
    const align = options.align ?? 8;
    const start = Math.ceil(this.top / align) * align;
    const end = start + size;
    // A one-byte gap between regions keeps an access that runs off one region from landing in the next.
    this.top = end + 8;
    this.ensure(this.top);
    if (options.zero !== false) this.u8.fill(0, start, end);
    const region: Region = {
      name,
      kind,
      start,
      end,
      writable: options.writable ?? true,
      stride: options.stride ?? 0,
      elemSize: options.elemSize ?? options.stride ?? 0,
    };
    this.regions.push(region);
    this.layout++;
    return region;
  }

  /** Allocates a region and fills it with `bytes`. */
  allocBytes(name: string, kind: RegionKind, bytes: Uint8Array, options: RegionOptions = {}): Region {
    const r = this.alloc(name, kind, bytes.length, options);
    this.u8.set(bytes, r.start);
    return r;
  }

  private ensure(limit: number): void {
    // The view's length, not wasm.buffer (a slow API call): only ensure() grows the memory.
    const have = this.u8.length;
    if (limit <= have) return;
    this.wasm.grow(Math.ceil((limit - have) / PAGE));
    this.refreshViews();
  }

  /** Sets how many frames below frame 0 are live, which moves the stack's lower bound. */
  setStackDepth(depth: number): void {
    this.stack.start = this.stackTop - STACK_FRAME_SIZE * (depth + 1);
  }

  /** Frame pointer (r10) of frame `depth`. */
  framePointer(depth: number): number {
    return this.stackTop - STACK_FRAME_SIZE * depth;
  }

  /** The region containing `addr`, if any (ignores element bounds). */
  regionAt(addr: number): Region | undefined {
    // Regions are allocated in increasing address order, so a binary search finds the candidate.
    const rs = this.regions;
    let lo = 0;
    let hi = rs.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const r = rs[mid]!;
      const lower = r === this.stack ? this.stackTop - STACK_FRAME_SIZE * MAX_CALL_FRAMES : (r.span?.start ?? r.start);
      if (addr < lower) hi = mid - 1;
      else if (addr >= (r.span?.end ?? r.end)) lo = mid + 1;
      else return r;
    }
    return undefined;
  }

  /**
   * Checks an access of `size` bytes at the 64-bit address `hi:lo` and returns the usable bounds
   * `[start, end)` that contain it (an element for strided regions), or throws a FaultSignal that
   * names the access and the region.
   */
  check(lo: number, hi: number, size: number, write: boolean): Region {
    const addr = lo >>> 0;
    // Helpers' pointer arguments (map keys and values) are on the stack nearly always: no search.
    const st = this.stack;
    if (hi === 0 && addr >= st.start && addr + size <= st.end && (!write || st.writable)) return st;
    const r = hi === 0 ? this.regionAt(addr) : undefined;
    // The common case: inside one region, within one element, writable if written. Messages are
    // built only on the way to a fault. `addr >= r.start` matters for the stack (below the current
    // frame) and for regions whose bounds moved inside their span (a packet after adjust_head).
    if (
      r !== undefined &&
      addr >= r.start &&
      addr + size <= r.end &&
      (r.stride === 0 || ((addr - r.start) % r.stride) + size <= r.elemSize) &&
      (!write || r.writable)
    ) {
      return r;
    }
    return this.checkFailed(lo, hi, size, write, r);
  }

  /**
   * {@link check} past its common case: a probe load's zeros, else the fault. Apart, so that check
   * stays small enough for V8 to inline into the engines and helpers that call it on every access.
   */
  private checkFailed(lo: number, hi: number, size: number, write: boolean, r: Region | undefined): Region {
    const addr = lo >>> 0;
    if (r === undefined && this.probeNullReads && !write && size <= 8) return PROBE_ZERO;
    const what = `${write ? 'write' : 'read'} of ${size} byte${size === 1 ? '' : 's'} at ${hexAddr(lo, hi)}`;
    if (hi !== 0) throw new FaultSignal('memory', `invalid memory access: ${what} is outside every region`);
    if (r === undefined) {
      const why = addr < NULL_GUARD ? ' (null pointer)' : '';
      throw new FaultSignal('memory', `invalid memory access: ${what} is outside every region${why}`);
    }
    if (r === this.stack && addr < r.start) {
      throw new FaultSignal(
        'memory',
        `invalid memory access: ${what} is below the current stack frame (stack is [${hexAddr(r.start, 0)}, ${hexAddr(r.end, 0)}))`,
      );
    }
    if (r.span !== undefined && addr < r.start) {
      throw new FaultSignal(
        'memory',
        `invalid memory access: ${what} is before the start of region '${r.name}' [${hexAddr(r.start, 0)}, ${hexAddr(r.end, 0)})`,
      );
    }
    if (addr + size > r.end) {
      throw new FaultSignal(
        'memory',
        `invalid memory access: ${what} runs past the end of region '${r.name}' [${hexAddr(r.start, 0)}, ${hexAddr(r.end, 0)})`,
      );
    }
    if (r.stride > 0) {
      const inElem = (addr - r.start) % r.stride;
      if (inElem + size > r.elemSize) {
        throw new FaultSignal(
          'memory',
          `invalid memory access: ${what} runs past the end of a ${r.elemSize}-byte value in '${r.name}'`,
        );
      }
    }
    if (write && !r.writable) {
      throw new FaultSignal('memory', `invalid memory access: ${what} is in read-only region '${r.name}'`);
    }
    return r;
  }

  /** Checked view of `size` bytes at `addr`, for helpers. */
  bytes(addr: number, size: number, write = false): Uint8Array {
    if (size === 0) return new Uint8Array(0);
    this.check(addr, 0, size, write);
    return this.u8.subarray(addr, addr + size);
  }

  /** Reads a NUL-terminated string of at most `max` bytes (checked byte by byte, as the kernel's strncpy). */
  cString(addr: number, max: number): string {
    let s = '';
    for (let i = 0; i < max; i++) {
      this.check(addr + i, 0, 1, false);
      const c = this.u8[addr + i]!;
      if (c === 0) break;
      s += String.fromCharCode(c);
    }
    return s;
  }

  /**
   * A point in the allocation history. Regions allocated after it (a run's context and packet) are
   * dropped by {@link release}, so repeated runs do not grow the memory.
   */
  mark(): MemoryMark {
    return { regions: this.regions.length, top: this.top };
  }

  /** True when nothing has been allocated or released since `mark` was taken (no allocation, unlike comparing with a new mark). */
  isAt(mark: MemoryMark): boolean {
    return this.top === mark.top && this.regions.length === mark.regions;
  }

  /** Drops every region allocated after `mark` and reuses their addresses. */
  release(mark: MemoryMark): void {
    if (mark.regions > this.regions.length || mark.top > this.top) throw new Error('memory mark released out of order');
    const regions = this.regions;
    if (regions.length !== mark.regions) this.layout++;
    // pop() rather than a length store, which goes through the runtime (this runs twice per run).
    while (regions.length > mark.regions) regions.pop();
    this.top = mark.top;
  }

  /**
   * A copy of the bytes [start, end) that outlives the run (a result's packet). Small copies share
   * one slab (a fresh typed array over 64 bytes costs a backing-store allocation, 0.3–1 µs), so
   * the copy's `byteOffset` is not 0: read it through `byteOffset`, as every copy should be.
   */
  copyOut(start: number, end: number): Uint8Array {
    const n = end - start;
    if (n > SLAB_SIZE / 8) return this.u8.slice(start, end);
    if (slabAt + n > SLAB_SIZE) {
      slab = new Uint8Array(SLAB_SIZE);
      slab32 = new Int32Array(slab.buffer);
      slabAt = 0;
    }
    const at = slabAt;
    if ((start & 3) === 0) {
      // Word by word then the odd bytes: set() of a subarray makes a typed array per copy, which
      // cost more than the copy itself (this is every run's packet).
      const words = n >> 2;
      const d = at >> 2;
      const s = start >> 2;
      const src32 = this.i32;
      for (let i = 0; i < words; i++) slab32[d + i] = src32[s + i]!;
      const u8 = this.u8;
      for (let i = words << 2; i < n; i++) slab[at + i] = u8[start + i]!;
    } else slab.set(this.u8.subarray(start, end), at);
    // 8-byte aligned, so a DataView or Float64Array over a copy stays aligned.
    slabAt = (at + n + 7) & ~7;
    return slab.subarray(at, at + n);
  }

  /**
   * Moves the bounds of `region` inside the span it was allocated with (`[spanStart, spanEnd)`),
   * the way `bpf_xdp_adjust_head`/`adjust_tail` move a packet inside its buffer. Regions stay in
   * address order because the span belongs to the region alone.
   */
  setBounds(region: Region, start: number, end: number, span: { start: number; end: number }): void {
    if (start < span.start || end > span.end || start > end) {
      throw new Error(`region '${region.name}' bounds [${start}, ${end}) leave its span [${span.start}, ${span.end})`);
    }
    region.span ??= { start: span.start, end: span.end };
    region.start = start;
    region.end = end;
    this.layout++;
  }

  /** All regions, in address order (for tools and tests). */
  listRegions(): readonly Region[] {
    return this.regions;
  }
}

export function hexAddr(lo: number, hi: number): string {
  if (hi === 0) return `0x${(lo >>> 0).toString(16)}`;
  return `0x${(hi >>> 0).toString(16)}${(lo >>> 0).toString(16).padStart(8, '0')}`;
}
