/**
 * The abstract state of the eBPF machine at one program point, composed from the domains of this
 * folder: per call frame the registers (type + {@link Scalar}) and the stack (byte cells), one zone
 * over all numeric variables, intervals for the variables that are not registers (packet size,
 * loop counters), and the references (ring buffer reservations) that may be held.
 *
 * The fixpoint sees only the lattice operations at the bottom of this file; the transformer and
 * the checker read and change states through an {@link Editor}.
 * `undefined` stands for bottom (no execution reaches the point).
 */
import { meet as scalarMeet, scalarSignedRange, signedBoundsAsNumbers } from './scalar.js';
import { StackFrame } from './stack.js';
import {
  isInitialized,
  joinValue,
  Kind,
  leqValue,
  narrowValue,
  type RegValue,
  UNINIT,
  valueToString,
  widenValue,
  equalValue,
} from './types.js';
import { type Bounds, Zone } from './zone.js';

export const REG_COUNT = 11;
export const MAX_FRAMES = 8;

/** Zone variable of a register of a frame. */
export const regVar = (frame: number, reg: number): number => frame * REG_COUNT + reg;
/** The packet's size: `data_end - data`. Packet-end pointers are equal to it. */
export const PKT_SIZE = 1000;
/** The metadata area's size: `data - data_meta`. */
export const META_SIZE = 1001;
/** Loop counter k (iterations of the k-th loop head so far). */
export const counterVar = (k: number): number => 2000 + k;
/** An 8-byte spill slot of a frame (byte index of the slot's first byte, a multiple of 8). */
export const stackVar = (frame: number, index: number): number => 3000 + frame * 64 + (index >> 3);
/**
 * `stride` times loop counter k. A pointer stepping 8 bytes per iteration keeps a constant
 * difference with it, which the zone can hold (p - 8c = start), where p - c cannot be.
 */
export const scaledCounterVar = (k: number, stride: number): number => 10000 + k * 1024 + (stride + 512);
const isStackVar = (v: number): boolean => v >= 3000 && v < 4000;
const isCounterVar = (v: number): boolean => v >= 2000 && v < 3000;
const isScaledVar = (v: number): boolean => v >= 10000;
const isGlobalVar = (v: number): boolean => (v >= PKT_SIZE && v < 3000) || v >= 10000;
const counterOfScaled = (v: number): number => 2000 + ((v - 10000) >> 10);
const strideOfScaled = (v: number): number => ((v - 10000) & 1023) - 512;

/** Bounds of a zone variable from the non-relational parts of a state. */
function varBounds(frames: readonly Frame[], globals: ReadonlyMap<number, readonly [number, number]>, v: number): readonly [number, number] {
  if (isStackVar(v)) {
    const f = frames[(v - 3000) >> 6];
    const sp = f?.stack.spills.get(((v - 3000) & 63) * 8);
    if (!sp || sp.size !== 8 || sp.value.kinds === Kind.UNINIT) return UNBOUNDED_RANGE;
    return signedBoundsAsNumbers(sp.value.num);
  }
  if (isGlobalVar(v)) return globals.get(v) ?? globalRange(v);
  const f = frames[Math.floor(v / REG_COUNT)];
  if (!f) return UNBOUNDED_RANGE;
  const r = f.regs[v % REG_COUNT]!;
  if (r.kinds === Kind.UNINIT) return UNBOUNDED_RANGE;
  return signedBoundsAsNumbers(r.num);
}

/**
 * The range each non-register variable lives in. Sizes have no useful upper bound: a socket
 * buffer's linear data may exceed 64 KiB, and assuming less would prune a branch that runs.
 */
export function globalRange(v: number): readonly [number, number] {
  // a scaled counter with a negative stride goes down from 0
  return isScaledVar(v) ? UNBOUNDED_RANGE : NON_NEGATIVE_RANGE;
}
/** Shared, never changed: asked for at every join and every zone bound. */
const UNBOUNDED_RANGE: readonly [number, number] = Object.freeze([-Infinity, Infinity] as [number, number]);
const NON_NEGATIVE_RANGE: readonly [number, number] = Object.freeze([0, Infinity] as [number, number]);

export interface Frame {
  readonly regs: readonly RegValue[];
  readonly stack: StackFrame;
  /** Slot of the function this frame runs (for stack-depth accounting). */
  readonly fn: number;
}

export interface RefInfo {
  /** pc of the acquiring call. */
  readonly pc: number;
  readonly what: string;
}

/** Read access to a state, shared by stable states and states being changed (the checker reads both). */
export interface StateView {
  readonly frames: readonly Frame[];
  readonly zone: Zone;
  readonly globals: ReadonlyMap<number, readonly [number, number]>;
  readonly refs: ReadonlyMap<number, RefInfo>;
  readonly depth: number;
  reg(r: number): RegValue;
  readonly bounds: Bounds;
}

export class AbsState implements StateView {
  constructor(
    readonly frames: readonly Frame[],
    readonly zone: Zone,
    readonly globals: ReadonlyMap<number, readonly [number, number]>,
    readonly refs: ReadonlyMap<number, RefInfo>,
  ) {}

  get depth(): number {
    return this.frames.length - 1;
  }
  get top(): Frame {
    return this.frames[this.frames.length - 1]!;
  }
  reg(r: number): RegValue {
    return this.top.regs[r]!;
  }

  /** Bounds of a zone variable from the non-relational parts of the state. */
  private boundsCache?: Map<number, readonly [number, number]>;
  /** Bounds of a zone variable (memoised: states are immutable). */
  readonly bounds: Bounds = (v: number) => {
    const cache = (this.boundsCache ??= new Map());
    let b = cache.get(v);
    if (!b) {
      b = varBounds(this.frames, this.globals, v);
      cache.set(v, b);
    }
    return b;
  };

  edit(): Editor {
    return new Editor(this);
  }

  toLines(mapName?: (i: number) => string): string[] {
    const lines: string[] = [];
    this.frames.forEach((f, fi) => {
      const prefix = this.frames.length > 1 ? `frame ${fi}: ` : '';
      const regs = f.regs
        .map((v, i) => (isInitialized(v) || v.kinds !== Kind.UNINIT ? `R${i}=${valueToString(v, mapName)}` : ''))
        .filter((s) => s && !s.endsWith('=uninit'));
      lines.push(prefix + regs.join(' '));
      const st = f.stack.describe((v) => valueToString(v, mapName));
      if (st.length) lines.push(`${prefix}stack: ${st.join(' ')}`);
    });
    const names = (v: number): string => varName(v);
    const z = this.zone.toString(names);
    if (z) lines.push(`relations: ${z}`);
    const g: string[] = [];
    for (const [v, [lo, hi]] of this.globals) g.push(`${varName(v)}=[${lo}, ${hi === Infinity ? '+oo' : hi}]`);
    if (g.length) lines.push(g.join(' '));
    if (this.refs.size) lines.push(`references held: ${[...this.refs].map(([id, r]) => `#${id} (${r.what} at pc ${r.pc})`).join(', ')}`);
    return lines;
  }
}

export function varName(v: number): string {
  if (v === PKT_SIZE) return 'packet_size';
  if (v === META_SIZE) return 'meta_size';
  if (isScaledVar(v)) return `${strideOfScaled(v)}*loop${counterOfScaled(v) - 2000}`;
  if (isCounterVar(v)) return `loop${v - 2000}`;
  if (isStackVar(v)) return `f${(v - 3000) >> 6}.fp${((v - 3000) & 63) * 8 - 512}`;
  const f = Math.floor(v / REG_COUNT);
  return f > 0 ? `f${f}.r${v % REG_COUNT}` : `r${v % REG_COUNT}`;
}

/** The state at program entry: r1 = the context, r10 = the frame pointer, nothing else. */
export function entryState(r1: RegValue, r10: RegValue, fn = 0): AbsState {
  const regs: RegValue[] = new Array<RegValue>(REG_COUNT).fill(UNINIT);
  regs[1] = r1;
  regs[10] = r10;
  return new AbsState([{ regs, stack: StackFrame.EMPTY, fn }], Zone.top(), new Map(), new Map());
}

/**
 * Changes one state into the next. Registers and frames are copied on first write; the zone is
 * cloned on first change. `contradiction()` marks the result as bottom.
 */
export class Editor implements StateView {
  private _frames: Frame[];
  private framesCopied = false;
  private regsCopied = new Set<number>();
  private _zone: Zone;
  private zoneCopied = false;
  private _globals: Map<number, readonly [number, number]> | ReadonlyMap<number, readonly [number, number]>;
  private globalsCopied = false;
  private _refs: Map<number, RefInfo> | ReadonlyMap<number, RefInfo>;
  private refsCopied = false;
  private dead = false;

  constructor(private readonly base: AbsState) {
    this._frames = base.frames as Frame[];
    this._zone = base.zone;
    this._globals = base.globals;
    this._refs = base.refs;
  }

  get frames(): readonly Frame[] {
    return this._frames;
  }
  get zone(): Zone {
    return this._zone;
  }
  get globals(): ReadonlyMap<number, readonly [number, number]> {
    return this._globals;
  }
  get refs(): ReadonlyMap<number, RefInfo> {
    return this._refs;
  }

  get depth(): number {
    return this._frames.length - 1;
  }
  get isDead(): boolean {
    return this.dead;
  }
  contradiction(): void {
    this.dead = true;
  }

  frame(f: number = this.depth): Frame {
    return this._frames[f]!;
  }
  reg(r: number, f: number = this.depth): RegValue {
    return this._frames[f]!.regs[r]!;
  }
  refsHeld(): ReadonlyMap<number, RefInfo> {
    return this._refs;
  }
  global(v: number): readonly [number, number] {
    return this._globals.get(v) ?? globalRange(v);
  }

  private writableFrames(): Frame[] {
    if (!this.framesCopied) {
      this._frames = [...this._frames];
      this.framesCopied = true;
    }
    return this._frames;
  }

  private writableRegs(f: number): RegValue[] {
    const frames = this.writableFrames();
    if (!this.regsCopied.has(f)) {
      frames[f] = { ...frames[f]!, regs: [...frames[f]!.regs] };
      this.regsCopied.add(f);
    }
    return frames[f]!.regs as RegValue[];
  }

  private writableZone(): Zone {
    if (!this.zoneCopied) {
      this._zone = this._zone.clone();
      this.zoneCopied = true;
    }
    return this._zone;
  }

  /** Sets a register to a value with no relation to anything else. */
  setReg(r: number, v: RegValue, f: number = this.depth): void {
    this.writableRegs(f)[r] = v;
    const z = this._zone;
    const x = regVar(f, r);
    if (z.outOf(x) || z.inTo(x)) this.writableZone().forget(x);
  }

  /** Replaces a register's value keeping its relations (the caller refined it consistently). */
  refineReg(r: number, v: RegValue, f: number = this.depth): void {
    this.writableRegs(f)[r] = v;
  }

  /** Records dst = src + c (after setReg of dst's value): dst inherits src's relations. */
  relate(dstVar: number, srcVar: number, c: number): void {
    this.writableZone().assignShifted(dstVar, srcVar, c);
  }

  /** dst = dst + c in the zone (the value was already updated). */
  shiftVar(v: number, c: number): void {
    const z = this._zone;
    if (z.outOf(v) || z.inTo(v)) this.writableZone().shift(v, c);
  }

  forgetVar(v: number): void {
    const z = this._zone;
    if (z.outOf(v) || z.inTo(v)) this.writableZone().forget(v);
  }

  setGlobal(v: number, range: readonly [number, number]): void {
    if (!this.globalsCopied) {
      this._globals = new Map(this._globals);
      this.globalsCopied = true;
    }
    (this._globals as Map<number, readonly [number, number]>).set(v, range);
    if (range[0] > range[1]) this.dead = true;
  }

  readonly bounds: Bounds = (v: number) => varBounds(this._frames, this._globals, v);

  /** Upper bound of x - y from the zone and the variables' bounds. */
  diffBound(x: number, y: number): number {
    return Zone.bound(this._zone, x, y, (v) => this.bounds(v));
  }

  /** Adds x - y <= c, then tightens the bounds of every variable it touches. */
  constrain(x: number, y: number, c: number): void {
    if (this.dead) return;
    // a constraint already implied by the bounds changes nothing
    if (this.bounds(x)[1] - this.bounds(y)[0] <= c) return;
    if (!this.writableZone().add(x, y, c)) {
      this.dead = true;
      return;
    }
    this.tighten([x, y]);
  }

  /** Propagates zone constraints into the bounds of vars and of their neighbours. */
  tighten(vars: Iterable<number>): void {
    const todo = new Set<number>();
    for (const v of vars) {
      todo.add(v);
      for (const u of this._zone.outOf(v)?.keys() ?? []) todo.add(u);
      for (const u of this._zone.inTo(v)?.keys() ?? []) todo.add(u);
    }
    for (let round = 0; round < 2 && !this.dead; round++) {
      for (const v of todo) {
        const [lo, hi] = this.bounds(v);
        let nlo = lo;
        let nhi = hi;
        for (const [y, c] of this._zone.outOf(v) ?? []) nhi = Math.min(nhi, c + this.bounds(y)[1]);
        for (const [u, c] of this._zone.inTo(v) ?? []) nlo = Math.max(nlo, this.bounds(u)[0] - c);
        if (nlo > nhi) {
          this.dead = true;
          return;
        }
        if (nlo !== lo || nhi !== hi) {
          this.setBounds(v, nlo, nhi);
          if (isCounterVar(v) || isScaledVar(v)) this.syncScaled(isScaledVar(v) ? counterOfScaled(v) : v, todo);
        }
      }
    }
  }

  /** Keeps a counter and its scaled copies consistent: s = stride * c. */
  private syncScaled(counter: number, todo: Set<number>): void {
    const scaled = [...this._globals.keys()].filter((g) => isScaledVar(g) && counterOfScaled(g) === counter);
    if (!scaled.length) return;
    let [clo, chi] = this.global(counter);
    for (const sv of scaled) {
      const k = strideOfScaled(sv);
      const [slo, shi] = this.global(sv);
      // s = k * c: dividing by a negative stride swaps the bounds
      clo = Math.max(clo, Math.ceil((k > 0 ? slo : shi) / k));
      chi = Math.min(chi, Math.floor((k > 0 ? shi : slo) / k));
    }
    if (clo > chi) {
      this.dead = true;
      return;
    }
    this.setGlobal(counter, [clo, chi]);
    for (const sv of scaled) {
      const k = strideOfScaled(sv);
      const [slo, shi] = this.global(sv);
      const nlo = Math.max(slo, k > 0 ? clo * k : chi * k);
      const nhi = Math.min(shi, k > 0 ? chi * k : clo * k);
      if (nlo !== slo || nhi !== shi) {
        this.setGlobal(sv, [nlo, nhi]);
        todo.add(sv);
      }
    }
  }

  private setBounds(v: number, lo: number, hi: number): void {
    const toBig = (x: number, dflt: bigint): bigint => (Number.isFinite(x) ? BigInt(x) : dflt);
    const range = scalarSignedRange(toBig(lo, -(1n << 63n)), toBig(hi, (1n << 63n) - 1n));
    if (isStackVar(v)) {
      const f = (v - 3000) >> 6;
      const at = ((v - 3000) & 63) * 8;
      const stack = this._frames[f]?.stack;
      const sp = stack?.spills.get(at);
      if (!stack || !sp) return;
      const num = scalarMeet(sp.value.num, range);
      if (!num) {
        this.dead = true;
        return;
      }
      this.setStack(f, stack.withSpillValue(at, { ...sp.value, num }));
      return;
    }
    if (isGlobalVar(v)) {
      const [glo, ghi] = globalRange(v);
      this.setGlobal(v, [Math.max(lo, glo), Math.min(hi, ghi)]);
      return;
    }
    const f = Math.floor(v / REG_COUNT);
    const r = v % REG_COUNT;
    const cur = this.reg(r, f);
    if (cur.kinds === Kind.UNINIT) return;
    const num = scalarMeet(cur.num, range);
    if (!num) {
      this.dead = true;
      return;
    }
    this.writableRegs(f)[r] = { ...cur, num };
  }

  setStack(f: number, stack: StackFrame): void {
    const frames = this.writableFrames();
    frames[f] = { ...frames[f]!, stack };
    // regs array is shared with the old frame object unless already copied: keep the flag honest
  }

  pushFrame(regs: RegValue[], fn: number): void {
    this.writableFrames().push({ regs, stack: StackFrame.EMPTY, fn });
    this.regsCopied.add(this._frames.length - 1);
  }

  /** Drops the top frame and every relation of its registers. */
  popFrame(): Frame {
    const f = this.depth;
    for (let r = 0; r < REG_COUNT; r++) this.forgetVar(regVar(f, r));
    for (let slot = 0; slot < 64; slot++) this.forgetVar(stackVar(f, slot * 8));
    const frames = this.writableFrames();
    this.regsCopied.delete(f);
    return frames.pop()!;
  }

  /** Applies f to every register and spilled value of every frame. */
  mapValues(fn: (v: RegValue) => RegValue): void {
    for (let f = 0; f < this._frames.length; f++) {
      const frame = this._frames[f]!;
      for (let r = 0; r < REG_COUNT; r++) {
        const v = frame.regs[r]!;
        const nv = fn(v);
        if (nv !== v) {
          if (nv.kinds !== v.kinds || nv.num !== v.num) this.setReg(r, nv, f);
          else this.refineReg(r, nv, f);
        }
      }
      const st = this._frames[f]!.stack.mapValues(fn);
      if (st !== this._frames[f]!.stack) this.setStack(f, st);
    }
  }

  acquire(id: number, info: RefInfo): void {
    if (!this.refsCopied) {
      this._refs = new Map(this._refs);
      this.refsCopied = true;
    }
    (this._refs as Map<number, RefInfo>).set(id, info);
  }

  release(id: number): void {
    if (!this._refs.has(id)) return;
    if (!this.refsCopied) {
      this._refs = new Map(this._refs);
      this.refsCopied = true;
    }
    (this._refs as Map<number, RefInfo>).delete(id);
  }

  done(): AbsState | undefined {
    if (this.dead) return undefined;
    if (!this.framesCopied && !this.zoneCopied && !this.globalsCopied && !this.refsCopied) return this.base;
    return new AbsState(this._frames, this._zone, this._globals, this._refs);
  }
}

// ---------------------------------------------------------------------------------------------
// Lattice operations (all that the fixpoint knows)

export type Domain = AbsState | undefined;

function combineFrames(
  a: AbsState,
  b: AbsState,
  value: (x: RegValue, y: RegValue) => RegValue,
  stack: (x: StackFrame, y: StackFrame) => StackFrame,
): Frame[] {
  return a.frames.map((fa, i) => {
    const fb = b.frames[i]!;
    if (fa === fb) return fa;
    const regs = fa.regs.map((ra, r) => value(ra, fb.regs[r]!));
    const st = stack(fa.stack, fb.stack);
    // a frame that already holds the other's is the result itself (identity short-cuts later joins)
    if (st === fa.stack && regs.every((v, r) => v === fa.regs[r])) return fa;
    return { regs, stack: st, fn: fa.fn };
  });
}

function combineGlobals(
  a: AbsState,
  b: AbsState,
  f: (x: readonly [number, number], y: readonly [number, number], range: readonly [number, number]) => readonly [number, number],
): Map<number, readonly [number, number]> {
  const r = new Map<number, readonly [number, number]>();
  for (const v of new Set([...a.globals.keys(), ...b.globals.keys()])) {
    const range = globalRange(v);
    const g = f(a.globals.get(v) ?? range, b.globals.get(v) ?? range, range);
    if (g[0] !== range[0] || g[1] !== range[1]) r.set(v, g);
  }
  return r;
}

function unionRefs(a: AbsState, b: AbsState): ReadonlyMap<number, RefInfo> {
  if (b.refs.size === 0) return a.refs;
  if (a.refs.size === 0) return b.refs;
  const r = new Map(a.refs);
  for (const [k, v] of b.refs) if (!r.has(k)) r.set(k, v);
  return r;
}

/** Frames of different depths meet only in malformed CFGs; keep the deeper-typed side sound by bottoming. */
function compatible(a: AbsState, b: AbsState): boolean {
  return a.frames.length === b.frames.length;
}

export function join(a: Domain, b: Domain): Domain {
  if (!a) return b;
  if (!b || a === b) return a;
  return reduce(joinRaw(a, b));
}

/** The join of many states (a block with many predecessors), reduced once at the end. */
export function joinAll(states: readonly Domain[]): Domain {
  let r: AbsState | undefined;
  let n = 0;
  for (const s of states) {
    if (!s || s === r) continue;
    r = r ? joinRaw(r, s) : s;
    n++;
  }
  return n > 1 && r ? reduce(r) : r;
}

function joinRaw(a: AbsState, b: AbsState): AbsState {
  if (a === b) return a;
  if (!compatible(a, b)) throw new Error('join of states with different call depths');
  const frames = combineFrames(a, b, joinValue, (x, y) => StackFrame.join(x, y));
  const zone = Zone.join(a.zone, b.zone, a.bounds, b.bounds, [...counterPairs(a, b), ...packetPairs(a, b)]);
  const globals = combineGlobals(a, b, (x, y) => [Math.min(x[0], y[0]), Math.max(x[1], y[1])]);
  return new AbsState(frames, zone, globals, unionRefs(a, b));
}

/** Loop counters paired with the registers of the current frame (and each other). */
function counterPairs(a: AbsState, b: AbsState): Array<readonly [number, number]> {
  const counters = new Set<number>();
  for (const v of a.globals.keys()) if (isCounterVar(v) || isScaledVar(v)) counters.add(v);
  for (const v of b.globals.keys()) if (isCounterVar(v) || isScaledVar(v)) counters.add(v);
  if (counters.size === 0) return [];
  const f = a.depth;
  const fa = a.frames[f]!;
  const fb = b.frames[f]!;
  // only registers that differ between the two states gain anything from a counter relation
  const changed: number[] = [];
  for (let r = 0; r < REG_COUNT - 1; r++) {
    const x = fa.regs[r]!;
    const y = fb.regs[r]!;
    if (x !== y && x.kinds !== Kind.UNINIT && y.kinds !== Kind.UNINIT && !equalValue(x, y)) changed.push(regVar(f, r));
  }
  const pairs: Array<readonly [number, number]> = [];
  for (const c of counters) for (const v of changed) pairs.push([c, v]);
  return pairs;
}

/**
 * Packet pointers of the current frame paired with the packet size: each side may prove
 * `p + n <= data_end` through the bounds alone (p at a known offset), with no explicit relation,
 * and the join must still keep it when p's offset differs between the sides (a loop's rounds).
 */
function packetPairs(a: AbsState, b: AbsState): Array<readonly [number, number]> {
  const f = a.depth;
  const fa = a.frames[f]!;
  const fb = b.frames[f]!;
  const pairs: Array<readonly [number, number]> = [];
  for (let r = 0; r < REG_COUNT - 1; r++) {
    const x = fa.regs[r]!;
    const y = fb.regs[r]!;
    if (x !== y && x.kinds === Kind.PACKET && y.kinds === Kind.PACKET) pairs.push([regVar(f, r), PKT_SIZE]);
  }
  return pairs;
}

/**
 * The join used at a loop head before widening starts: a plain join, except that once the
 * non-relational part has stopped growing, relations that still loosen are widened (a difference
 * like r7 - loop = 2*loop would otherwise creep up by one step per round).
 */
export function delayedJoin(a: Domain, b: Domain): Domain {
  const j = join(a, b);
  if (!a || !j || a === j) return j;
  const stable = a.frames.every((fa, i) => {
    const fj = j.frames[i]!;
    return fa === fj || (fa.regs.every((r, k) => leqValue(fj.regs[k]!, r)) && StackFrame.leq(fj.stack, fa.stack));
  });
  if (!stable) return j;
  for (const [v, [lo, hi]] of j.globals) {
    const [alo, ahi] = a.globals.get(v) ?? globalRange(v);
    if (lo < alo || hi > ahi) return j;
  }
  return new AbsState(j.frames, Zone.widen(a.zone, j.zone, a.bounds, j.bounds), j.globals, j.refs);
}

export function widen(a: Domain, b: Domain, thresholds: readonly bigint[]): Domain {
  if (!a) return b;
  if (!b) return a;
  const frames = combineFrames(
    a,
    b,
    (x, y) => widenValue(x, y, thresholds),
    (x, y) => StackFrame.join(x, y, thresholds),
  );
  const zone = Zone.widen(a.zone, b.zone, a.bounds, b.bounds);
  const globals = combineGlobals(a, b, (x, y, range) => [y[0] < x[0] ? range[0] : x[0], y[1] > x[1] ? range[1] : x[1]]);
  // no reduction here: tightening bounds from the zone right after widening would undo it and
  // the loop would crawl up one step per round; narrowing recovers them afterwards
  return new AbsState(frames, zone, globals, unionRefs(a, b));
}

export function narrow(a: Domain, b: Domain): Domain {
  if (!a || !b) return b;
  const frames = a.frames.map((fa, i) => {
    const fb = b.frames[i]!;
    return { regs: fa.regs.map((ra, r) => narrowValue(ra, fb.regs[r]!)), stack: StackFrame.narrow(fa.stack, fb.stack, narrowValue), fn: fa.fn };
  });
  const zone = Zone.narrow(a.zone, b.zone);
  const globals = combineGlobals(a, b, (x, y, range) => [x[0] === range[0] ? y[0] : x[0], x[1] === range[1] ? y[1] : x[1]]);
  return reduce(new AbsState(frames, zone, globals, a.refs));
}

export function leq(a: Domain, b: Domain): boolean {
  if (!a) return true;
  if (!b) return false;
  if (a === b) return true;
  if (!compatible(a, b)) return false;
  for (let f = 0; f < a.frames.length; f++) {
    const fa = a.frames[f]!;
    const fb = b.frames[f]!;
    if (fa === fb) continue;
    for (let r = 0; r < REG_COUNT; r++) if (!leqValue(fa.regs[r]!, fb.regs[r]!)) return false;
    if (!StackFrame.leq(fa.stack, fb.stack)) return false;
  }
  for (const [v, [lo, hi]] of b.globals) {
    const [alo, ahi] = a.globals.get(v) ?? globalRange(v);
    if (alo < lo || ahi > hi) return false;
  }
  for (const k of a.refs.keys()) if (!b.refs.has(k)) return false;
  return Zone.leq(a.zone, b.zone, a.bounds);
}

export function equal(a: Domain, b: Domain): boolean {
  if (a === b) return true;
  if (!a || !b) return false;
  for (let f = 0; f < a.frames.length; f++) {
    const fa = a.frames[f]!;
    const fb = b.frames[f]!;
    if (fa === fb) continue;
    for (let r = 0; r < REG_COUNT; r++) if (!equalValue(fa.regs[r]!, fb.regs[r]!)) return false;
    if (!StackFrame.equal(fa.stack, fb.stack)) return false;
  }
  return leq(a, b) && leq(b, a);
}

/** Tightens every variable's bounds from the zone (after a join or widening loosened them). */
export function reduce(s: AbsState): Domain {
  if (s.zone.size === 0) return s;
  const e = s.edit();
  const vars = new Set<number>();
  for (const [x, y] of s.zone.edges()) {
    vars.add(x);
    vars.add(y);
  }
  e.tighten(vars);
  return e.done();
}
