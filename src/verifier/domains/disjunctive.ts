/**
 * A small disjunction of states, partitioned by the small constants the registers hold.
 *
 * Joining two paths where a function returned 0 (failure, its out-pointer never written) and 1
 * (success, the pointer written) into one state loses the link between the status and the
 * pointer: `if (!parse(..., &p)) return; use(p)` would be rejected, where the kernel, walking
 * each path on its own, accepts. Keeping one state per combination of registers holding -1, 0
 * or 1 (status codes, flags; up to {@link MAX_DISJUNCTS}, beyond which the distinctions read last
 * are given up)
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
import { Kind, POINTER_KINDS, type RegValue } from './types.js';
import { FAR } from '../cfg/liveness.js';

/** A non-empty list of states; `undefined` is bottom. */
export type Disj = readonly AbsState[];

/**
 * Paths kept apart at one join. Six is what Cilium's NAT programs need (a tuple in one of three
 * regions times a checked load's status); beyond, the distinctions read last are given up.
 */
export const MAX_DISJUNCTS = 6;

/** A register (0-9) or, from 11 on, a stack slot of the current frame (11 + byte offset / 8). */
type Component = readonly [place: number, tag: string];

/**
 * What tells a state apart from others: which of r0-r9 (current frame) hold -1, 0 or 1, and
 * where pointers point, in registers and in spilled stack slots. With `fine`, any other small
 * constant too (a header offset of 14 or 18 bytes after an optional VLAN tag, which the kernel
 * follows as a constant on each path).
 */
function componentsOf(s: AbsState, live: number, fine: boolean, next: Int32Array | undefined): Component[] {
  const regs = s.top.regs;
  const out: Component[] = [];
  for (let r = 0; r < REG_COUNT - 1; r++) {
    if ((live & (1 << r)) === 0) continue;
    const v = regs[r]!;
    // a pointer into different regions on different paths (a buffer on the stack or in a map
    // value): the kernel checks each path with its own region, so those states stay apart
    if (v.kinds & POINTER_KINDS) {
      out.push([r, regionTag(v)]);
      continue;
    }
    if (v.kinds !== Kind.NUM) continue;
    const c = constValue(v.num);
    if (c === undefined) continue;
    const sc = BigInt.asIntN(64, c);
    // status codes and flags: what a later test of the register can tell apart
    if ((sc >= -1n && sc <= 1n) || (fine && sc >= 0n && sc <= 512n)) out.push([r, CONST_TAGS[Number(sc) + 1]!]);
  }
  // the same for pointers spilled to the stack and read back later
  for (const [at, sp] of s.top.stack.spills) {
    const place = 11 + (at >> 3);
    if (next && next[place]! >= FAR) continue;
    const k = sp.value.kinds & ~Kind.NULLABLE;
    if (k & (Kind.STACK | Kind.MAP_VALUE | Kind.PACKET | Kind.MEM)) out.push([place, regionTag(sp.value)]);
  }
  return out;
}

/** The tags of the constants -1..512, built once (every join of every block asks for them). */
const CONST_TAGS: readonly string[] = Array.from({ length: 514 }, (_, i) => `=${i - 1}`);

/**
 * Where a pointer points: its kinds, and for a map value which map (a field at offset 32 of one
 * map's value and at offset 0 of another's cannot be checked once the two are one pointer), for
 * an acquired object which reference.
 */
function regionTag(v: RegValue): string {
  const k = v.kinds & ~Kind.NULLABLE;
  // a kernel object pointer at different fields (a branchless max of two fields): joined it
  // would have a variable offset, which BTF accesses refuse; the kernel checks each path
  if (k & Kind.BTF) return `:${k}@${constValue(v.num) ?? '?'}${v.ref > 0 ? `r${v.ref}` : ''}`;
  // kinds fit in 16 bits: one number names the tag, so each string is built once
  const id = k === Kind.MAP_VALUE && v.map >= 0 ? k + 0x10000 * (v.map + 1) : v.ref > 0 ? -(k + 0x10000 * v.ref) : k;
  let tag = REGION_TAGS.get(id);
  if (tag === undefined) {
    if (k === Kind.MAP_VALUE && v.map >= 0) tag = `:${k}m${v.map}`;
    // a socket or reservation from one acquisition or another: each must be released as itself
    else if (v.ref > 0) tag = `:${k}r${v.ref}`;
    else tag = `:${k}`;
    if (REGION_TAGS.size < 4096) REGION_TAGS.set(id, tag);
  }
  return tag;
}
const REGION_TAGS = new Map<number, string>();

const keyOf = (depth: number, cs: readonly Component[], dropped: ReadonlySet<number> | undefined): string => {
  let key = `${depth}:`;
  for (const [place, tag] of cs) if (!dropped?.has(place)) key += `${place}${tag},`;
  return key;
};

/** One state standing for the whole disjunction. */
export function collapse(d: Disj | undefined): AbsState | undefined {
  if (!d || d.length === 0) return undefined;
  // reduced like a join would be: bounds the zone implies are made explicit
  return d.length === 1 ? (d[0]!.zone.size ? reduce(d[0]!) : d[0]) : joinAllOne(d);
}

/**
 * The join, keeping apart states that differ in a live register's status value (`live`: the
 * registers read later, as a bitmask; by default all). `next` (how soon each register and stack
 * slot is read again, cfg/liveness.ts) says which distinctions to give up first when there are
 * too many: those read last (or never).
 */
export function joinAll(list: ReadonlyArray<Disj | undefined>, live = 0x7ff, next?: Int32Array): Disj | undefined {
  const states: AbsState[] = [];
  for (const d of list) if (d) for (const s of d) states.push(s);
  if (states.length === 0) return undefined;
  const partition = (comps: ReadonlyArray<readonly Component[]>, dropped?: ReadonlySet<number>): Map<string, AbsState[]> => {
    const groups = new Map<string, AbsState[]>();
    states.forEach((s, i) => {
      const k = keyOf(s.depth, comps[i]!, dropped);
      const g = groups.get(k);
      if (g) g.push(s);
      else groups.set(k, [s]);
    });
    return groups;
  };
  // the fine partition when it stays small, else the coarse one
  let groups = partition(states.map((s) => componentsOf(s, live, true, next)));
  if (groups.size > MAX_DISJUNCTS) {
    const comps = states.map((s) => componentsOf(s, live, false, next));
    groups = partition(comps);
    if (groups.size > MAX_DISJUNCTS && next) {
      // give up the distinctions read last, one place at a time, until the partition is small
      // a pointer into one region on some paths and another on others cannot be dereferenced
      // at all once joined: such distinctions go last, whatever their distance
      const regions = new Set<number>();
      for (const cs of comps) for (const [p, tag] of cs) if (tag.startsWith(':')) regions.add(p);
      const rank = (p: number): number => (regions.has(p) ? 0 : FAR) + next[p]!;
      const places = [...new Set(comps.flatMap((cs) => cs.map(([p]) => p)))].sort((a, b) => rank(b) - rank(a) || b - a);
      const dropped = new Set<number>();
      for (const p of places) {
        dropped.add(p);
        groups = partition(comps, dropped);
        if (groups.size <= MAX_DISJUNCTS) break;
      }
      // dropping in order may have given up more than needed: take back, nearest first, each
      // distinction the partition still has room for
      for (const p of [...dropped].reverse()) {
        if (dropped.size === 1) break;
        dropped.delete(p);
        const g = partition(comps, dropped);
        if (g.size <= MAX_DISJUNCTS) groups = g;
        else dropped.add(p);
      }
    }
  }
  if (groups.size > MAX_DISJUNCTS) {
    const one = joinAllOne(states);
    return one ? [one] : undefined;
  }
  const out: AbsState[] = [];
  for (const g of groups.values()) {
    const j = g.length === 1 ? g[0] : joinAllOne(g);
    if (j) out.push(j);
  }
  return out.length ? out : undefined;
}

/** Bottom on one side (a block's only predecessor) passes the other side through as it is. */
export const join = (a: Disj | undefined, b: Disj | undefined): Disj | undefined => (a === b || !b ? a : !a ? b : joinAll([a, b]));

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
