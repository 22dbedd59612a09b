/**
 * Bourdoncle's weak topological ordering: the graph's vertices in an order where every loop is a
 * nested component `(head body...)`. The fixpoint iterates components until their head is stable
 * (widening there) and visits everything else once.
 *
 * F. Bourdoncle, "Efficient chaotic iteration strategies with widenings", 1993. Written with an
 * explicit stack: programs of thousands of blocks would overflow the call stack otherwise.
 */

export type WtoElement = { readonly kind: 'vertex'; readonly v: number } | { readonly kind: 'component'; readonly head: number; readonly body: WtoElement[] };

export interface Wto {
  readonly elements: WtoElement[];
  /** For each vertex in a loop: the heads of the components containing it, outermost first. */
  readonly nesting: Map<number, number[]>;
}

/** Computes the WTO of the vertices reachable from `entry`. */
export function weakTopologicalOrder(entry: number, succs: (v: number) => readonly number[]): Wto {
  const dfn = new Map<number, number>();
  const stack: number[] = [];
  let num = 0;
  const INF = Number.POSITIVE_INFINITY;

  // Recursive formulation, turned into frames: visit(v) and component(v).
  type VisitFrame = { kind: 'visit'; v: number; head: number; loop: boolean; i: number; out: WtoElement[] };
  type CompFrame = { kind: 'component'; v: number; i: number; body: WtoElement[]; out: WtoElement[]; ret: number };
  type Frame = VisitFrame | CompFrame;

  const top: WtoElement[] = [];
  const frames: Frame[] = [];
  let ret = 0; // value returned by the last finished visit

  const startVisit = (v: number, out: WtoElement[]): void => {
    stack.push(v);
    num++;
    dfn.set(v, num);
    frames.push({ kind: 'visit', v, head: num, loop: false, i: 0, out });
  };

  startVisit(entry, top);
  let returning = false;
  while (frames.length > 0) {
    const f = frames[frames.length - 1]!;
    if (f.kind === 'visit') {
      if (returning) {
        // a child visit returned `ret`
        returning = false;
        if (ret <= f.head) {
          f.head = ret;
          f.loop = true;
        }
      }
      const ss = succs(f.v);
      let descended = false;
      while (f.i < ss.length) {
        const w = ss[f.i++]!;
        const d = dfn.get(w) ?? 0;
        if (d === 0) {
          startVisit(w, f.out);
          descended = true;
          break;
        }
        if (d <= f.head) {
          f.head = d;
          f.loop = true;
        }
      }
      if (descended) continue;
      // all successors done
      if (f.head === dfn.get(f.v)) {
        dfn.set(f.v, INF);
        let element = stack.pop()!;
        if (f.loop) {
          while (element !== f.v) {
            dfn.set(element, 0);
            element = stack.pop()!;
          }
          frames.pop();
          frames.push({ kind: 'component', v: f.v, i: 0, body: [], out: f.out, ret: f.head });
          continue;
        }
        f.out.unshift({ kind: 'vertex', v: f.v });
      }
      frames.pop();
      ret = f.head;
      returning = true;
      continue;
    }
    // component frame: visit unvisited successors of the head into the body
    if (returning) returning = false;
    const ss = succs(f.v);
    let descended = false;
    while (f.i < ss.length) {
      const w = ss[f.i++]!;
      if ((dfn.get(w) ?? 0) === 0) {
        startVisit(w, f.body);
        descended = true;
        break;
      }
    }
    if (descended) continue;
    f.out.unshift({ kind: 'component', head: f.v, body: f.body });
    frames.pop();
    // the visit that turned into this component returns its head's number
    ret = f.ret;
    returning = true;
  }

  const nesting = new Map<number, number[]>();
  const walk = (els: WtoElement[], heads: number[]): void => {
    for (const e of els) {
      if (e.kind === 'vertex') {
        if (heads.length) nesting.set(e.v, heads);
      } else {
        const inner = [...heads, e.head];
        nesting.set(e.head, inner);
        walk(e.body, inner);
      }
    }
  };
  walk(top, []);
  return { elements: top, nesting };
}

/** Text form `1 2 (3 4 (5 6)) 7`, for tests and the verbose log. */
export function wtoToString(elements: readonly WtoElement[]): string {
  return elements.map((e) => (e.kind === 'vertex' ? `${e.v}` : `(${e.head}${e.body.length ? ' ' + wtoToString(e.body) : ''})`)).join(' ');
}
