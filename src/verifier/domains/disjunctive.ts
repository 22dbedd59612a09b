/**
 * A small disjunction of states, partitioned by the small constants the registers hold.
 *
 * Joining two paths where a function returned 0 (failure, its out-pointer never written) and 1
 * (success, the pointer written) into one state loses the link between the status and the
 * pointer: `if (!parse(..., &p)) return; use(p)` would be rejected, where the kernel, walking
 * each path on its own, accepts. Keeping one state per combination of registers holding -1, 0
 * or 1 (status codes, flags; up to {@link MAX_DISJUNCTS}, beyond which everything is joined)
 * keeps those links across such joins; the `if` then discards the failure disjunct. Loop heads
 * collapse to one state before widening, so convergence is unchanged.
 */
import {
  type AbsState,
  delayedJoin as delayedJoinOne,
  joinAll as joinAllOne,
  leq as leqOne,
  narrow as narrowOne,
  REG_COUNT,
  reduce,
  widen as widenOne,
} from './ebpf-domain.js';
import { constValue } from './scalar.js';
import { Kind, POINTER_KINDS } from './types.js';

/** A non-empty list of states; `undefined` is bottom. */
export type Disj = readonly AbsState[];

export const MAX_DISJUNCTS = 4;

/**
 * The partition a state belongs to: which of r0-r9 (current frame) hold -1, 0 or 1, and where
 * pointers point. With `fine`, any other small constant too (a header offset of 14 or 18 bytes
 * after an optional VLAN tag, which the kernel follows as a constant on each path).
 */
function keyOf(s: AbsState, live: number, fine: boolean): string {
  const regs = s.top.regs;
  let key = `${s.depth}:`;
  for (let r = 0; r < REG_COUNT - 1; r++) {
    if ((live & (1 << r)) === 0) continue;
    const v = regs[r]!;
    // a pointer into different regions on different paths (a buffer on the stack or in a map
    // value): the kernel checks each path with its own region, so those states stay apart
    if (v.kinds & POINTER_KINDS) {
      key += `${r}:${v.kinds & ~Kind.NULLABLE},`;
      // a kernel object pointer at different fields (a branchless max of two fields): joined it
      // would have a variable offset, which BTF accesses refuse; the kernel checks each path
      if (v.kinds & Kind.BTF) key += `@${constValue(v.num) ?? '?'},`;
      continue;
    }
    if (v.kinds !== Kind.NUM) continue;
    const c = constValue(v.num);
    if (c === undefined) continue;
    const sc = BigInt.asIntN(64, c);
    // status codes and flags: what a later test of the register can tell apart
    if ((sc >= -1n && sc <= 1n) || (fine && sc >= 0n && sc <= 512n)) key += `${r}=${sc},`;
  }
  // the same for pointers spilled to the stack and read back later
  for (const [at, sp] of s.top.stack.spills) {
    const k = sp.value.kinds & ~Kind.NULLABLE;
    if (k & (Kind.STACK | Kind.MAP_VALUE | Kind.PACKET | Kind.MEM)) key += `s${at}:${k},`;
  }
  return key;
}

/** One state standing for the whole disjunction. */
export function collapse(d: Disj | undefined): AbsState | undefined {
  if (!d || d.length === 0) return undefined;
  // reduced like a join would be: bounds the zone implies are made explicit
  return d.length === 1 ? (d[0]!.zone.size ? reduce(d[0]!) : d[0]) : joinAllOne(d);
}

/**
 * The join, keeping apart states that differ in a live register's status value (`live`: the
 * registers read later, as a bitmask; by default all).
 */
export function joinAll(list: ReadonlyArray<Disj | undefined>, live = 0x7ff): Disj | undefined {
  const partition = (fine: boolean): Map<string, AbsState[]> => {
    const groups = new Map<string, AbsState[]>();
    for (const d of list) {
      if (!d) continue;
      for (const s of d) {
        const k = keyOf(s, live, fine);
        const g = groups.get(k);
        if (g) g.push(s);
        else groups.set(k, [s]);
      }
    }
    return groups;
  };
  // the fine partition when it stays small, else the coarse one
  let groups = partition(true);
  if (groups.size > MAX_DISJUNCTS) groups = partition(false);
  if (groups.size === 0) return undefined;
  if (groups.size > MAX_DISJUNCTS) {
    const all = [...groups.values()].flat();
    const one = joinAllOne(all);
    return one ? [one] : undefined;
  }
  const out: AbsState[] = [];
  for (const g of groups.values()) {
    const j = g.length === 1 ? g[0] : joinAllOne(g);
    if (j) out.push(j);
  }
  return out.length ? out : undefined;
}

export const join = (a: Disj | undefined, b: Disj | undefined): Disj | undefined => (a === b ? a : joinAll([a, b]));

/** a ⊑ b when each of a's states is included in b (as a whole). */
export function leq(a: Disj | undefined, b: Disj | undefined): boolean {
  if (!a) return true;
  if (!b) return false;
  if (a === b) return true;
  const whole = b.length === 1 ? b[0] : undefined;
  for (const raw of a) {
    // compare reduced states: a lone state (not joined) may hold bounds its zone already tightens
    const x = raw.zone.size ? reduce(raw) : raw;
    if (!x) continue;
    if (whole ? leqOne(x, whole) : b.some((y) => leqOne(x, y))) continue;
    if (!whole && leqOne(x, collapse(b))) continue;
    return false;
  }
  return true;
}

const single = (s: AbsState | undefined): Disj | undefined => (s ? [s] : undefined);

/** Loop heads: one state, then the one-state operations. */
export const widen = (a: Disj | undefined, b: Disj | undefined, thresholds: readonly bigint[]): Disj | undefined =>
  single(widenOne(collapse(a), collapse(b), thresholds));
export const narrow = (a: Disj | undefined, b: Disj | undefined): Disj | undefined => single(narrowOne(collapse(a), collapse(b)));
export const delayedJoin = (a: Disj | undefined, b: Disj | undefined): Disj | undefined => single(delayedJoinOne(collapse(a), collapse(b)));
