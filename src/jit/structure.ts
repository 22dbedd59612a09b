/**
 * Structured control flow for the direct back end, after Norman Ramsey's "Beyond Relooper"
 * (ICFP 2022): on a reducible graph, the dominator tree says where each block's code goes.
 * A block with two or more forward predecessors (a merge node) is placed after a WebAssembly
 * `block` that encloses all of its predecessors, which reach it by `br`; a loop header wraps its
 * dominator subtree in a `loop`, which back edges reach by `br`; any other block is placed inline
 * at its only predecessor's branch. One pass, no block copies, no label variable: every jump is a
 * branch to an enclosing label, and a hot loop is a WebAssembly loop V8 sees as one.
 *
 * An irreducible graph (a loop with two entries) has no such layout; the caller then uses the
 * br_table dispatch loop instead.
 */
import type { Expr } from './types.js';
import type { CodeBuilder } from './wasm-builder.js';

export interface FlowGraph {
  readonly entry: number;
  /** The node's statements, without its outgoing branches. */
  code(node: number): Expr[];
  /** Outgoing edges: [target, condition] with condition 0 for "otherwise" (at most two). */
  edges(node: number): ReadonlyArray<readonly [number, Expr]>;
  /** Statements run on each entry into loop header `node` from outside its loop (none by default). */
  preheader?(node: number): Expr[];
}

/** The function body for `g`, or undefined when the graph is irreducible (or too deep to lay out). */
export function structure(m: CodeBuilder, g: FlowGraph): Expr[] | undefined {
  // Depth-first postorder, iteratively (functions may have many thousands of blocks).
  const edgeCache = new Map<number, ReadonlyArray<readonly [number, Expr]>>();
  // Each node's distinct targets, worked out once (the walks below ask for them several times).
  const targetCache = new Map<number, number[]>();
  const targets = (n: number): number[] => {
    let ts = targetCache.get(n);
    if (ts === undefined) {
      let e = edgeCache.get(n);
      if (e === undefined) {
        e = g.edges(n);
        edgeCache.set(n, e);
      }
      ts = [];
      for (const [t] of e) if (!ts.includes(t)) ts.push(t);
      targetCache.set(n, ts);
    }
    return ts;
  };
  const order: number[] = [];
  const seen = new Set<number>([g.entry]);
  const stack: Array<[number, number]> = [[g.entry, 0]];
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const ts = targets(top[0]);
    if (top[1] < ts.length) {
      const t = ts[top[1]++]!;
      if (!seen.has(t)) {
        seen.add(t);
        stack.push([t, 0]);
      }
    } else {
      order.push(top[0]);
      stack.pop();
    }
  }
  order.reverse();
  const rpo = new Map<number, number>();
  order.forEach((n, i) => rpo.set(n, i));
  const preds = new Map<number, number[]>();
  for (const n of order) preds.set(n, []);
  for (const n of order) for (const t of targets(n)) preds.get(t)!.push(n);

  // Immediate dominators (Cooper, Harvey and Kennedy), by rpo index.
  const idom = new Int32Array(order.length).fill(-1);
  idom[0] = 0;
  const intersect = (a: number, b: number): number => {
    while (a !== b) {
      while (a > b) a = idom[a]!;
      while (b > a) b = idom[b]!;
    }
    return a;
  };
  for (let changed = true; changed; ) {
    changed = false;
    for (let i = 1; i < order.length; i++) {
      let d = -1;
      for (const p of preds.get(order[i]!)!) {
        const pi = rpo.get(p)!;
        if (idom[pi] === -1) continue;
        d = d === -1 ? pi : intersect(pi, d);
      }
      if (d !== idom[i]) {
        idom[i] = d;
        changed = true;
      }
    }
  }
  const dominates = (a: number, b: number): boolean => {
    while (b > a) b = idom[b]!;
    return a === b;
  };

  const header = new Set<number>();
  const forwardIn = new Int32Array(order.length);
  for (let i = 0; i < order.length; i++) {
    for (const t of targets(order[i]!)) {
      const ti = rpo.get(t)!;
      if (ti <= i) {
        if (!dominates(ti, i)) return undefined;
        header.add(ti);
      } else {
        forwardIn[ti]!++;
      }
    }
  }
  const children: number[][] = order.map(() => []);
  for (let i = 1; i < order.length; i++) children[idom[i]!]!.push(i);

  const name = (prefix: string, i: number): string => `${prefix}${order[i]}`;
  // Each step appends to `out`: a chain of blocks is one flat list, built in linear time. Code in
  // tail position (after a node's last block, a lone successor placed inline) continues in a loop
  // rather than a recursive call, so a long chain of blocks costs no stack.
  const mergeChildren = (i: number): number[] => {
    // Merge children, the latest in reverse postorder first: its block is the outermost.
    const ys = children[i]!.filter((c) => forwardIn[c]! >= 2);
    return ys.length > 1 ? ys.sort((a, b) => b - a) : ys;
  };
  /** Appends a branch from `from` to `to`; returns `to` when its code goes right here (tail), else -1. */
  const branchTo = (from: number, to: number, out: Expr[]): number => {
    if (to <= from) out.push(m.br(name('H', to)));
    else if (forwardIn[to]! >= 2) out.push(m.br(name('M', to)));
    else return to;
    return -1;
  };
  const doBranch = (from: number, to: number, out: Expr[]): void => {
    const next = branchTo(from, to, out);
    if (next >= 0) doTree(next, out);
  };
  /** Appends node `i`'s code and outgoing branches; returns the node to continue with, or -1. */
  const codeAndBranches = (i: number, out: Expr[]): number => {
    for (const e of g.code(order[i]!)) out.push(e);
    const es = edgeCache.get(order[i]!)!;
    if (es.length === 0) return -1;
    const t0 = rpo.get(es[0]![0])!;
    if (es.length === 1) return branchTo(i, t0, out);
    const t1 = rpo.get(es[1]![0])!;
    const taken: Expr[] = [];
    const fall: Expr[] = [];
    doBranch(i, t0, taken);
    doBranch(i, t1, fall);
    out.push(m.if(es[0]![1], m.block(null, taken), m.block(null, fall)));
    return -1;
  };
  /** Node `i` inside the blocks of its merge children ys[k..]; returns the node to continue with. */
  const nodeWithin = (i: number, ys: readonly number[], k: number, out: Expr[]): number => {
    if (k === ys.length) return codeAndBranches(i, out);
    const y = ys[k]!;
    const inner: Expr[] = [];
    const next = nodeWithin(i, ys, k + 1, inner);
    if (next >= 0) doTree(next, inner);
    out.push(m.block(name('M', y), inner));
    return y;
  };
  const doTree = (start: number, out: Expr[]): void => {
    for (let i = start; i >= 0; ) {
      const ys = mergeChildren(i);
      if (!header.has(i)) {
        i = nodeWithin(i, ys, 0, out);
        continue;
      }
      const inner: Expr[] = [];
      const next = nodeWithin(i, ys, 0, inner);
      if (next >= 0) doTree(next, inner);
      // Every forward edge into a header ends here (by falling in, or at the end of a merge block).
      if (g.preheader !== undefined) for (const e of g.preheader(order[i]!)) out.push(e);
      out.push(m.loop(name('H', i), m.block(null, inner)));
      return;
    }
  };
  try {
    const out: Expr[] = [];
    doTree(0, out);
    return out;
  } catch (e) {
    if (e instanceof RangeError) return undefined;
    throw e;
  }
}
