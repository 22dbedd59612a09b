/**
 * The zone (difference-bound) domain: constraints `x - y <= c` between numeric variables
 * (register values, pointer offsets, the proven packet size, loop counters). This is what proves
 * `data + off + 4 <= data_end` when `off` is a variable, bounds `i` through `i < n` when n is
 * bounded later, and relates a loop counter to the induction variable it shadows.
 *
 * Representation: a sparse graph kept *closed* (every implied difference is an explicit edge), so
 * join, widening and inclusion are edge-wise. Unary bounds are not stored here; the composed
 * domain keeps intervals beside the zone and passes them in (`Bounds`) where an operation needs the
 * differences they imply. Weights are doubles restricted to safe integers: a constraint whose
 * weight would leave that range is dropped, which only loses precision.
 */

export type Bounds = (v: number) => readonly [number, number];

const SAFE = Number.MAX_SAFE_INTEGER;
const ok = (w: number): boolean => w >= -SAFE && w <= SAFE;

export class Zone {
  /**
   * out.get(x).get(y) = c  means  x - y <= c ;  inn mirrors it (inn.get(y).get(x) = c).
   * Rows are shared between clones and copied on first write (`owned` holds this zone's own).
   */
  private constructor(
    private readonly out: Map<number, Map<number, number>>,
    private readonly inn: Map<number, Map<number, number>>,
    private readonly owned: Set<Map<number, number>> = new Set(),
  ) {}

  static top(): Zone {
    return new Zone(new Map(), new Map());
  }

  clone(): Zone {
    return new Zone(new Map(this.out), new Map(this.inn));
  }

  private row(table: Map<number, Map<number, number>>, k: number): Map<number, number> {
    let r = table.get(k);
    if (!r) {
      r = new Map();
      table.set(k, r);
      this.owned.add(r);
    } else if (!this.owned.has(r)) {
      r = new Map(r);
      table.set(k, r);
      this.owned.add(r);
    }
    return r;
  }

  get size(): number {
    let n = 0;
    for (const m of this.out.values()) n += m.size;
    return n;
  }

  /** The bound on x - y, or undefined for none. */
  get(x: number, y: number): number | undefined {
    return this.out.get(x)?.get(y);
  }

  /** Every constraint, as [x, y, c] meaning x - y <= c. */
  *edges(): IterableIterator<[number, number, number]> {
    for (const [x, m] of this.out) for (const [y, c] of m) yield [x, y, c];
  }

  /** Variables related to v: [u, c] with v - u <= c (out) and u - v <= c (in). */
  outOf(v: number): ReadonlyMap<number, number> | undefined {
    return this.out.get(v);
  }
  inTo(v: number): ReadonlyMap<number, number> | undefined {
    return this.inn.get(v);
  }

  private set(x: number, y: number, c: number): void {
    if (x === y) return;
    if (!ok(c)) {
      this.remove(x, y);
      return;
    }
    this.row(this.out, x).set(y, c);
    this.row(this.inn, y).set(x, c);
  }

  private remove(x: number, y: number): void {
    if (this.out.get(x)?.has(y)) {
      const o = this.row(this.out, x);
      o.delete(y);
      if (o.size === 0) this.out.delete(x);
    }
    if (this.inn.get(y)?.has(x)) {
      const i = this.row(this.inn, y);
      i.delete(x);
      if (i.size === 0) this.inn.delete(y);
    }
  }

  /**
   * Adds x - y <= c and restores closure incrementally (every path through the new edge).
   * Returns false when the constraints become contradictory (a negative cycle).
   */
  add(x: number, y: number, c: number): boolean {
    if (x === y) return c >= 0;
    if (!ok(c)) return true;
    const back = this.get(y, x);
    if (back !== undefined && back + c < 0) return false;
    const cur = this.get(x, y);
    if (cur !== undefined && cur <= c) return true;
    const srcs: Array<[number, number]> = [[x, 0]];
    for (const [u, w] of this.inn.get(x) ?? []) srcs.push([u, w]);
    const dsts: Array<[number, number]> = [[y, 0]];
    for (const [v, w] of this.out.get(y) ?? []) dsts.push([v, w]);
    const updates: Array<[number, number, number]> = [];
    for (const [u, a] of srcs) {
      for (const [v, b] of dsts) {
        const w = a + c + b;
        if (u === v) {
          if (w < 0) return false;
          continue;
        }
        const old = this.get(u, v);
        if (old === undefined || w < old) updates.push([u, v, w]);
      }
    }
    for (const [u, v, w] of updates) this.set(u, v, w);
    return true;
  }

  /** Drops every constraint on v. */
  forget(v: number): void {
    const o = this.out.get(v);
    if (o) for (const y of [...o.keys()]) this.remove(v, y);
    const i = this.inn.get(v);
    if (i) for (const x of [...i.keys()]) this.remove(x, v);
  }

  /** x := y + c (x and y distinct): x inherits y's relations, shifted. */
  assignShifted(x: number, y: number, c: number): void {
    if (x === y) {
      this.shift(x, c);
      return;
    }
    this.forget(x);
    for (const [v, w] of [...(this.out.get(y) ?? [])]) this.set(x, v, w + c);
    for (const [u, w] of [...(this.inn.get(y) ?? [])]) this.set(u, x, w - c);
    this.set(x, y, c);
    this.set(y, x, -c);
  }

  /** x := x + c */
  shift(x: number, c: number): void {
    for (const [v, w] of [...(this.out.get(x) ?? [])]) this.set(x, v, w + c);
    for (const [u, w] of [...(this.inn.get(x) ?? [])]) this.set(u, x, w - c);
  }

  /** Renames variable `from` to `to` (to must be unconstrained). */
  rename(from: number, to: number): void {
    if (from === to) return;
    this.forget(to);
    for (const [v, w] of [...(this.out.get(from) ?? [])]) this.set(to, v, w);
    for (const [u, w] of [...(this.inn.get(from) ?? [])]) this.set(u, to, w);
    this.forget(from);
  }

  /** Keeps only constraints whose two variables satisfy `keep`. */
  project(keep: (v: number) => boolean): void {
    for (const x of [...this.out.keys()]) {
      if (!keep(x)) this.forget(x);
    }
    for (const y of [...this.inn.keys()]) {
      if (!keep(y)) this.forget(y);
    }
  }

  /** Upper bound of x - y from an explicit edge or from the variables' own bounds. */
  static bound(z: Zone, x: number, y: number, bounds: Bounds): number {
    const e = z.get(x, y);
    const implied = bounds(x)[1] - bounds(y)[0];
    return e === undefined ? implied : Math.min(e, implied);
  }

  /** The least upper bound: each difference bounded in both, by the larger bound. */
  static join(a: Zone, b: Zone, ba: Bounds, bb: Bounds, extra: Iterable<readonly [number, number]> = []): Zone {
    const r = Zone.top();
    const visit = (x: number, y: number): void => {
      if (x === y || r.get(x, y) !== undefined) return;
      // each side's bounds asked once (Zone.bound, inlined, would ask again)
      const ax = ba(x)[1];
      const ay = ba(y)[0];
      const bx = bb(x)[1];
      const by = bb(y)[0];
      const ea = a.get(x, y);
      const eb = b.get(x, y);
      const wa = ea === undefined ? ax - ay : Math.min(ea, ax - ay);
      const wb = eb === undefined ? bx - by : Math.min(eb, bx - by);
      const w = Math.max(wa, wb);
      // a difference no tighter than what the joined bounds imply is not worth keeping
      const implied = Math.max(ax, bx) - Math.min(ay, by);
      if (Number.isFinite(w) && w < implied) r.set(x, y, w);
    };
    for (const [x, y] of a.edges()) visit(x, y);
    for (const [x, y] of b.edges()) visit(x, y);
    // pairs the caller wants related even when only the bounds relate them (a loop counter and
    // the registers at a loop head: 0 and 0 on entry, i+1 and c+1 on the back edge)
    for (const [x, y] of extra) {
      visit(x, y);
      visit(y, x);
    }
    return r;
  }

  /** Widening: a difference survives only if the new state does not loosen it. */
  static widen(older: Zone, newer: Zone, bo: Bounds, bn: Bounds): Zone {
    const r = Zone.top();
    const visit = (x: number, y: number): void => {
      if (r.get(x, y) !== undefined) return;
      const wo = Zone.bound(older, x, y, bo);
      const wn = Zone.bound(newer, x, y, bn);
      if (Number.isFinite(wo) && wn <= wo) r.set(x, y, wo);
    };
    for (const [x, y] of older.edges()) visit(x, y);
    for (const [x, y] of newer.edges()) visit(x, y);
    return r;
  }

  /** Narrowing: differences the older state lost (to widening) come back from the newer one. */
  static narrow(older: Zone, newer: Zone): Zone {
    const r = older.clone();
    for (const [x, y, c] of newer.edges()) if (r.get(x, y) === undefined) r.add(x, y, c);
    return r;
  }

  /** Inclusion: every constraint of b holds in a. */
  static leq(a: Zone, b: Zone, ba: Bounds): boolean {
    for (const [x, y, c] of b.edges()) if (Zone.bound(a, x, y, ba) > c) return false;
    return true;
  }

  toString(name: (v: number) => string): string {
    const parts: string[] = [];
    for (const [x, y, c] of this.edges()) parts.push(`${name(x)}-${name(y)}<=${c}`);
    return parts.join(' ');
  }
}
