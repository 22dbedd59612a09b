/**
 * The fixpoint iterator: Bourdoncle's recursive strategy over a weak topological order. It knows
 * nothing about eBPF: only lattice operations and a block transformer. Loops are iterated until
 * their head is stable, joining for the first few rounds, widening after, then narrowed a few
 * times to recover bounds that widening threw away.
 */
import type { WtoElement } from './cfg/wto.js';

export interface Lattice<S> {
  /** `undefined` is bottom. */
  join(a: S | undefined, b: S | undefined): S | undefined;
  /** The join of many (a block's predecessors); defaults to folding join. */
  joinAll?(states: ReadonlyArray<S | undefined>, v: number): S | undefined;
  /** The join at a loop head while widening is delayed (defaults to join). */
  delayedJoin?(older: S | undefined, newer: S | undefined): S | undefined;
  widen(older: S | undefined, newer: S | undefined): S | undefined;
  narrow(older: S | undefined, newer: S | undefined): S | undefined;
  leq(a: S | undefined, b: S | undefined): boolean;
}

export interface FixpointProblem<S> {
  readonly entry: number;
  readonly init: S;
  readonly wto: readonly WtoElement[];
  preds(v: number): readonly number[];
  /**
   * The block's effect. `final` is true when this is the block's one and only visit (it is in no
   * loop), so its pre-state is already the stable one: a client may check it right there.
   */
  transform(v: number, pre: S | undefined, final: boolean): S | undefined;
  readonly lattice: Lattice<S>;
  /**
   * Rounds of plain joins at a loop head before widening starts (per head). Joins alone follow
   * a short counting loop exactly, the way the kernel walks it; widening then guarantees an end.
   */
  readonly widenDelay?: number | ((head: number) => number);
  readonly narrowRounds?: number;
  /**
   * Loops are first followed iteration by iteration, each round from the states the previous
   * round's back edges produced (no join with the entry), the way the kernel walks them; when the
   * back edges become unreachable within this many rounds, the loop's states are the joins of
   * its rounds and no widening is needed (a loop that stops because its value shrinks, or at the
   * first of two exits). 0 turns it off.
   */
  readonly unrollRounds?: number;
  /** Block visits all unrolled loops together may spend before falling back to widening. */
  readonly unrollBudget?: number;
  /** Gives up (throws) after this many rounds at one head; a safety net, never reached normally. */
  readonly maxRounds?: number;
}

export interface FixpointResult<S> {
  readonly pre: Map<number, S | undefined>;
  readonly post: Map<number, S | undefined>;
}

export class FixpointDiverged extends Error {}

export function fixpoint<S>(p: FixpointProblem<S>): FixpointResult<S> {
  const pre = new Map<number, S | undefined>();
  const post = new Map<number, S | undefined>();
  const L = p.lattice;
  const delayOf = typeof p.widenDelay === 'function' ? p.widenDelay : (): number => (p.widenDelay as number | undefined) ?? 2;
  const narrowRounds = p.narrowRounds ?? 2;
  const maxRounds = p.maxRounds ?? 500;

  const incoming = (v: number): S | undefined => {
    const preds = p.preds(v);
    const first: S | undefined = v === p.entry ? p.init : undefined;
    if (L.joinAll && preds.length > 1) return L.joinAll([first, ...preds.map((u) => post.get(u))], v);
    let s = first;
    for (const u of preds) s = L.join(s, post.get(u));
    return s;
  };

  const visitVertex = (v: number, final: boolean): void => {
    const s = incoming(v);
    pre.set(v, s);
    post.set(v, p.transform(v, s, final));
  };

  const unrollRounds = p.unrollRounds ?? 0;
  let budget = p.unrollBudget ?? 0;
  const membersOf = (head: number, body: readonly WtoElement[]): Set<number> => {
    const out = new Set<number>([head]);
    const walk = (es: readonly WtoElement[]): void => {
      for (const e of es) {
        if (e.kind === 'vertex') out.add(e.v);
        else {
          out.add(e.head);
          walk(e.body);
        }
      }
    };
    walk(body);
    return out;
  };

  /** Follows the loop round by round; true when its back edges died out (its states are set). */
  const unroll = (head: number, body: readonly WtoElement[]): boolean => {
    const members = membersOf(head, body);
    const preds = p.preds(head);
    const outside = preds.filter((u) => !members.has(u));
    const inside = preds.filter((u) => members.has(u));
    const gather = (us: readonly number[], first: S | undefined): S | undefined => {
      if (L.joinAll && us.length + (first === undefined ? 0 : 1) > 1) return L.joinAll([first, ...us.map((u) => post.get(u))], head);
      let r = first;
      for (const u of us) r = L.join(r, post.get(u));
      return r;
    };
    // each block's states over the rounds, joined once at the end
    const accPre = new Map<number, Array<S | undefined>>();
    const accPost = new Map<number, Array<S | undefined>>();
    const joinList = (v: number, xs: ReadonlyArray<S | undefined> | undefined): S | undefined => {
      if (!xs) return undefined;
      if (L.joinAll) return L.joinAll(xs, v);
      let r: S | undefined;
      for (const x of xs) r = L.join(r, x);
      return r;
    };
    const saved = new Map<number, [S | undefined, S | undefined]>();
    for (const v of members) saved.set(v, [pre.get(v), post.get(v)]);
    let cur = gather(outside, head === p.entry ? p.init : undefined);
    let prev: S | undefined;
    for (let round = 0; round <= unrollRounds; round++) {
      if (cur === undefined) {
        for (const v of members) {
          pre.set(v, joinList(v, accPre.get(v)));
          post.set(v, joinList(v, accPost.get(v)));
        }
        return true;
      }
      // a round that starts where the previous one did never ends: leave it to widening
      if (round === unrollRounds || budget < members.size || (prev !== undefined && L.leq(cur, prev))) break;
      budget -= members.size;
      prev = cur;
      pre.set(head, cur);
      post.set(head, p.transform(head, cur, false));
      for (const e of body) visit(e, false);
      for (const v of members) {
        const a = pre.get(v);
        const b = post.get(v);
        if (a !== undefined) (accPre.get(v) ?? accPre.set(v, []).get(v)!).push(a);
        if (b !== undefined) (accPost.get(v) ?? accPost.set(v, []).get(v)!).push(b);
      }
      cur = gather(inside, undefined);
    }
    for (const [v, [a, b]] of saved) {
      pre.set(v, a);
      post.set(v, b);
    }
    return false;
  };

  const visitComponent = (head: number, body: readonly WtoElement[]): void => {
    if (unrollRounds > 0 && unroll(head, body)) return;
    let round = 0;
    const delay = delayOf(head);
    let cur = incoming(head);
    for (;;) {
      pre.set(head, cur);
      post.set(head, p.transform(head, cur, false));
      for (const e of body) visit(e, false);
      const next = incoming(head);
      if (L.leq(next, cur)) break;
      round++;
      if (round > maxRounds) throw new FixpointDiverged(`no fixpoint after ${maxRounds} rounds at block ${head}`);
      cur = round <= delay ? (L.delayedJoin ?? L.join)(cur, next) : L.widen(cur, L.join(cur, next));
    }
    for (let k = 0; k < narrowRounds; k++) {
      const next = incoming(head);
      const narrowed = L.narrow(cur, next);
      if (L.leq(cur, narrowed)) break;
      cur = narrowed;
      pre.set(head, cur);
      post.set(head, p.transform(head, cur, false));
      for (const e of body) visit(e, false);
    }
  };

  const visit = (e: WtoElement, top: boolean): void => {
    if (e.kind === 'vertex') visitVertex(e.v, top);
    else visitComponent(e.head, e.body);
  };

  for (const e of p.wto) visit(e, true);
  return { pre, post };
}
