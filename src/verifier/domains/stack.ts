/**
 * One stack frame as 512 byte cells. Each byte is uninitialised, initialised to something
 * unknown ("misc"), known zero, or part of a spilled register; spilled registers keep their
 * whole abstract value (pointer types included) so a fill gives back what was spilled.
 *
 * Byte i is at `fp - 512 + i`, the same numbering as the offset of a stack pointer.
 * Frames are immutable: every change returns a new frame (copy-on-write of 512 bytes).
 */
import { constValue } from './scalar.js';
import {
  isInitialized,
  isNumber,
  joinValue,
  leqValue,
  NUM_UNKNOWN,
  numValue,
  type RegValue,
  widenValue,
  equalValue,
} from './types.js';
import { scalarConst, truncate } from './scalar.js';

export const STACK_SIZE = 512;

export const Cell = { UNINIT: 0, MISC: 1, ZERO: 2, SPILL: 3 } as const;
export type Cell = (typeof Cell)[keyof typeof Cell];

export interface Spill {
  readonly size: 1 | 2 | 4 | 8;
  readonly value: RegValue;
}

export class StackFrame {
  private constructor(
    readonly cells: Uint8Array,
    /** Spills by the index of their first byte. */
    readonly spills: ReadonlyMap<number, Spill>,
  ) {}

  static readonly EMPTY = new StackFrame(new Uint8Array(STACK_SIZE), new Map());

  cell(i: number): Cell {
    return this.cells[i] as Cell;
  }

  private lowest = -1;

  /** Lowest initialised or spilled byte index, STACK_SIZE when none. */
  lowestUsed(): number {
    if (this.lowest < 0) {
      let i = 0;
      while (i < STACK_SIZE && this.cells[i] === Cell.UNINIT) i++;
      this.lowest = i;
    }
    return this.lowest;
  }

  /** The spill covering byte i, if any. */
  spillAt(i: number): [number, Spill] | undefined {
    for (let start = i; start > i - 8 && start >= 0; start--) {
      const s = this.spills.get(start);
      if (s && start + s.size > i) return [start, s];
    }
    return undefined;
  }

  /** True when every byte of [lo, hi) is initialised (or spilled). */
  initialized(lo: number, hi: number): boolean {
    for (let i = lo; i < hi; i++) if (this.cells[i] === Cell.UNINIT) return false;
    return true;
  }

  /** True when a spill overlaps [lo, hi) (spills are at most 8 bytes). */
  private spilledIn(lo: number, hi: number): boolean {
    for (let start = lo - 7; start < hi; start++) {
      const s = this.spills.get(start);
      if (s && start + s.size > lo) return true;
    }
    return false;
  }

  /** Spills that overlap [lo, hi). */
  spillsIn(lo: number, hi: number): Array<[number, Spill]> {
    const r: Array<[number, Spill]> = [];
    for (const [start, s] of this.spills) if (start < hi && start + s.size > lo) r.push([start, s]);
    return r;
  }

  /**
   * Writes `size` bytes at `at` (a fixed, aligned offset). A register value is kept as a spill
   * when it can be given back whole: any pointer at 8 bytes, any number at its own size.
   */
  write(at: number, size: 1 | 2 | 4 | 8, value: RegValue | undefined): StackFrame {
    const zero = value !== undefined && isNumber(value) && constValue(truncate(value.num, size)) === 0n;
    // the kernel keeps a spilled number only in an 8-byte aligned slot (check_stack_write_fixed_off);
    // elsewhere the bytes are just initialised, and a loop counter kept there is lost
    const spillable = size === 8 || (value !== undefined && isNumber(value) && at % 8 === 0);
    const spill = value !== undefined && !zero && spillable && isInitialized(value);
    // Frames never change their cells once built, so a write that leaves the bytes as they were
    // shares them (most stores respill a slot, or rewrite bytes of the same state)
    const old = this.spills.get(at);
    if (spill && old !== undefined && old.size === size) {
      const v = isNumber(value) ? numValue(truncate(value.num, size)) : value;
      const spills = new Map(this.spills);
      spills.set(at, { size, value: v });
      return new StackFrame(this.cells, spills);
    }
    if (!spill && !this.spilledIn(at, at + size)) {
      const cell = zero ? Cell.ZERO : Cell.MISC;
      let same = true;
      for (let i = at; i < at + size; i++) if (this.cells[i] !== cell) same = false;
      if (same) return this;
      const cells = new Uint8Array(this.cells);
      cells.fill(cell, at, at + size);
      return new StackFrame(cells, this.spills);
    }
    const cells = new Uint8Array(this.cells);
    const spills = new Map(this.spills);
    scrub(cells, spills, at, at + size);
    if (spill) {
      spills.set(at, { size, value: isNumber(value) ? numValue(truncate(value.num, size)) : value });
      cells.fill(Cell.SPILL, at, at + size);
    } else {
      cells.fill(zero ? Cell.ZERO : Cell.MISC, at, at + size);
    }
    return new StackFrame(cells, spills);
  }

  /** Bytes [lo, hi) become initialised but unknown (a helper wrote them, or a variable-offset store). */
  clobber(lo: number, hi: number, cell: Cell = Cell.MISC): StackFrame {
    const cells = new Uint8Array(this.cells);
    const spills = new Map(this.spills);
    scrub(cells, spills, lo, hi);
    cells.fill(cell, lo, hi);
    return new StackFrame(cells, spills);
  }

  /**
   * Reads `size` bytes at the fixed offset `at`: the spilled value when it is read back whole,
   * else a number (zero when every byte is known zero). The checker has already rejected a
   * partial read of a spilled pointer.
   */
  read(at: number, size: 1 | 2 | 4 | 8): RegValue {
    const s = this.spills.get(at);
    if (s && s.size === size) return s.value;
    if (s && isNumber(s.value) && size < s.size) {
      const c = constValue(s.value.num);
      // little-endian: the low bytes come first
      if (c !== undefined) return numValue(truncate(scalarConst(c), size));
    }
    let allZero = true;
    for (let i = at; i < at + size; i++) if (this.cells[i] !== Cell.ZERO) allZero = false;
    return allZero ? numValue(scalarConst(0n)) : NUM_UNKNOWN;
  }

  /** The same frame with the spill at `at` holding a refined value. */
  withSpillValue(at: number, value: RegValue): StackFrame {
    const s = this.spills.get(at);
    if (!s) return this;
    const spills = new Map(this.spills);
    spills.set(at, { size: s.size, value });
    return new StackFrame(this.cells, spills);
  }

  /** Applies f to every spilled value (null checks and reference releases reach spills too). */
  mapValues(f: (v: RegValue) => RegValue): StackFrame {
    let changed: Map<number, Spill> | undefined;
    for (const [at, s] of this.spills) {
      const v = f(s.value);
      if (v !== s.value) {
        changed ??= new Map(this.spills);
        changed.set(at, { size: s.size, value: v });
      }
    }
    return changed ? new StackFrame(this.cells, changed) : this;
  }

  values(): IterableIterator<Spill> {
    return this.spills.values();
  }

  static join(a: StackFrame, b: StackFrame, widenWith?: readonly bigint[]): StackFrame {
    if (a === b) return a;
    if (sameLayout(a, b)) {
      // the same bytes and slots: only spilled values can differ
      let spills: Map<number, Spill> | undefined;
      for (const [at, sa] of a.spills) {
        const sb = b.spills.get(at)!;
        if (sa.value === sb.value) continue;
        const v = widenWith ? widenValue(sa.value, sb.value, widenWith) : joinValue(sa.value, sb.value);
        if (v === sa.value) continue;
        spills ??= new Map(a.spills);
        spills.set(at, { size: sa.size, value: v });
      }
      return spills ? new StackFrame(a.cells, spills) : a;
    }
    // `p = NULL` on one path stored zero bytes where the other spilled the pointer: the slot
    // holds the pointer or NULL (`if (p && p->x)` after the paths meet)
    a = StackFrame.zeroesAsSpills(a, b);
    b = StackFrame.zeroesAsSpills(b, a);
    const cells = new Uint8Array(STACK_SIZE);
    const spills = new Map<number, Spill>();
    for (const [at, sa] of a.spills) {
      const sb = b.spills.get(at);
      if (sb && sb.size === sa.size) {
        spills.set(at, { size: sa.size, value: widenWith ? widenValue(sa.value, sb.value, widenWith) : joinValue(sa.value, sb.value) });
      }
    }
    for (let i = 0; i < STACK_SIZE; i++) {
      const x = a.cells[i]!;
      const y = b.cells[i]!;
      if (x === y) cells[i] = x;
      else if (x === Cell.UNINIT || y === Cell.UNINIT) cells[i] = Cell.UNINIT;
      else cells[i] = Cell.MISC;
    }
    // a spill kept on one side only is just initialised bytes now (owner: the spill covering
    // each byte, +1; 0 for none)
    const owner = new Int16Array(STACK_SIZE);
    for (const [at, sp] of spills) owner.fill(at + 1, at, at + sp.size);
    for (let i = 0; i < STACK_SIZE; i++) {
      if (cells[i] === Cell.SPILL) {
        if (owner[i] === 0) cells[i] = Cell.MISC;
      } else if (cells[i] !== Cell.UNINIT && owner[i] !== 0) {
        spills.delete(owner[i]! - 1);
      }
    }
    // a spill whose bytes are not all SPILL any more is dropped
    for (const [at, s] of [...spills]) {
      for (let i = at; i < at + s.size; i++) {
        if (cells[i] !== Cell.SPILL) {
          spills.delete(at);
          for (let j = at; j < at + s.size; j++) if (cells[j] === Cell.SPILL) cells[j] = Cell.MISC;
          break;
        }
      }
    }
    return new StackFrame(cells, spills);
  }

  /** x where the spills of `other` cover only known-zero bytes of x: those bytes as a spilled 0. */
  private static zeroesAsSpills(x: StackFrame, other: StackFrame): StackFrame {
    let cells: Uint8Array | undefined;
    let spills: Map<number, Spill> | undefined;
    for (const [at, so] of other.spills) {
      if (x.spills.has(at)) continue;
      let zero = true;
      for (let i = at; i < at + so.size && zero; i++) if (x.cells[i] !== Cell.ZERO) zero = false;
      if (!zero) continue;
      cells ??= new Uint8Array(x.cells);
      spills ??= new Map(x.spills);
      spills.set(at, { size: so.size, value: ZERO_VALUE });
      cells.fill(Cell.SPILL, at, at + so.size);
    }
    return cells && spills ? new StackFrame(cells, spills) : x;
  }

  static leq(a: StackFrame, b: StackFrame): boolean {
    if (a === b) return true;
    a = StackFrame.zeroesAsSpills(a, b);
    for (let i = 0; i < STACK_SIZE; i++) {
      const x = a.cells[i]!;
      const y = b.cells[i]!;
      if (x === y || y === Cell.UNINIT) continue;
      if (y === Cell.MISC && x !== Cell.UNINIT) continue;
      return false;
    }
    for (const [at, sb] of b.spills) {
      const sa = a.spills.get(at);
      if (!sa || sa.size !== sb.size || !leqValue(sa.value, sb.value)) return false;
    }
    return true;
  }

  static equal(a: StackFrame, b: StackFrame): boolean {
    if (a === b) return true;
    for (let i = 0; i < STACK_SIZE; i++) if (a.cells[i] !== b.cells[i]) return false;
    if (a.spills.size !== b.spills.size) return false;
    for (const [at, sa] of a.spills) {
      const sb = b.spills.get(at);
      if (!sb || sb.size !== sa.size || !equalValue(sa.value, sb.value)) return false;
    }
    return true;
  }

  /** Narrowing of spilled numbers. */
  static narrow(a: StackFrame, b: StackFrame, narrowValue: (x: RegValue, y: RegValue) => RegValue): StackFrame {
    let spills: Map<number, Spill> | undefined;
    for (const [at, sa] of a.spills) {
      const sb = b.spills.get(at);
      if (sb && sb.size === sa.size) {
        const v = narrowValue(sa.value, sb.value);
        if (v !== sa.value) {
          spills ??= new Map(a.spills);
          spills.set(at, { size: sa.size, value: v });
        }
      }
    }
    return spills ? new StackFrame(a.cells, spills) : a;
  }

  /** `fp-8: map_value(...)  fp-16..-9: misc` lines for the verbose log. */
  describe(show: (v: RegValue) => string): string[] {
    const out: string[] = [];
    let i = 0;
    while (i < STACK_SIZE) {
      const c = this.cells[i]!;
      if (c === Cell.UNINIT) {
        i++;
        continue;
      }
      const sp = this.spills.get(i);
      if (c === Cell.SPILL && sp) {
        out.push(`fp${i - STACK_SIZE}=${show(sp.value)}${sp.size !== 8 ? `/${sp.size}` : ''}`);
        i += sp.size;
        continue;
      }
      let j = i;
      while (j < STACK_SIZE && this.cells[j] === c && !this.spills.has(j)) j++;
      out.push(`fp${i - STACK_SIZE}..${j - 1 - STACK_SIZE}=${c === Cell.ZERO ? 'zero' : c === Cell.SPILL ? 'spill' : 'misc'}`);
      i = j;
    }
    return out;
  }
}

const ZERO_VALUE = numValue(scalarConst(0n));

/** Same cells and spills at the same places with the same sizes. */
function sameLayout(a: StackFrame, b: StackFrame): boolean {
  if (a.spills.size !== b.spills.size) return false;
  for (const [at, sa] of a.spills) if (b.spills.get(at)?.size !== sa.size) return false;
  if (a.cells === b.cells) return true;
  for (let i = 0; i < STACK_SIZE; i++) if (a.cells[i] !== b.cells[i]) return false;
  return true;
}

/** Removes spills overlapping [lo, hi); their bytes outside the range stay initialised. */
function scrub(cells: Uint8Array, spills: Map<number, Spill>, lo: number, hi: number): void {
  // a spill is at most 8 bytes: only those starting in (lo - 8, hi) can overlap
  for (let at = lo - 7; at < hi; at++) {
    const s = spills.get(at);
    if (s !== undefined && at + s.size > lo) {
      spills.delete(at);
      for (let i = at; i < at + s.size; i++) cells[i] = Cell.MISC;
    }
  }
}

