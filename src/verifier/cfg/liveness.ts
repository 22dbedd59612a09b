/**
 * Which registers each block reads before writing them: classic backward liveness over the
 * CFG, as bitmasks of r0-r10. Only used to choose which registers tell disjuncts apart at a
 * join (a dead register's constant is no reason to keep two states), so approximations here
 * cost precision, never soundness. Registers are counted by number whatever their frame.
 */
import type { Stmt } from '../ir.js';
import type { Cfg } from './build.js';
import type { WtoElement } from './wto.js';

const bit = (r: number): number => 1 << r;
const ARGS = bit(1) | bit(2) | bit(3) | bit(4) | bit(5);
const CLOBBERED = bit(0) | ARGS;

function useDef(st: Stmt): [number, number] {
  switch (st.kind) {
    case 'alu':
      return [bit(st.dst) | (st.src.kind === 'reg' ? bit(st.src.reg) : 0), bit(st.dst)];
    case 'mov':
      return [st.src.kind === 'reg' ? bit(st.src.reg) : 0, bit(st.dst)];
    case 'neg':
    case 'end':
    case 'extend32':
      return [bit(st.dst), bit(st.dst)];
    case 'ldimm':
    case 'ldmap':
    case 'ldmapvalue':
    case 'ldfunc':
      return [0, bit(st.dst)];
    case 'load':
      return [bit(st.base), bit(st.dst)];
    case 'store':
      return [bit(st.base) | (st.value.kind === 'reg' ? bit(st.value.reg) : 0), 0];
    case 'atomic':
      return [bit(st.base) | bit(st.src) | (st.op === 'cmpxchg' ? bit(0) : 0), st.op === 'cmpxchg' ? bit(0) : st.fetch ? bit(st.src) : 0];
    case 'ldpkt':
      return [bit(6) | (st.indirect ? bit(st.src) : 0), CLOBBERED];
    case 'call':
      return st.phase === 'result' ? [0, CLOBBERED] : [ARGS, st.phase === 'args' ? 0 : CLOBBERED];
    case 'callGlobal':
    case 'kfunc':
      return [ARGS, CLOBBERED];
    case 'enter':
    case 'callbackEnter':
      return [ARGS, 0];
    case 'leave':
      return [bit(0), CLOBBERED];
    case 'callbackLeave':
    case 'exit':
      return [bit(0), 0];
    case 'assume':
      return [bit(st.left) | (st.right.kind === 'reg' ? bit(st.right.reg) : 0), 0];
    case 'callLocal':
    case 'ja':
    case 'loopHead':
    case 'loopEntry':
    case 'invalid':
      return [0, 0];
    default:
      return [0, 0];
  }
}

/** Registers live at the entry of each block. */
export function liveRegisters(cfg: Cfg): Uint16Array {
  const n = cfg.blocks.length;
  const use = new Uint16Array(n);
  const def = new Uint16Array(n);
  cfg.blocks.forEach((b, i) => {
    let u = 0;
    let d = 0;
    for (const node of b.nodes) {
      const [nu, nd] = useDef(node.stmt);
      u |= nu & ~d;
      d |= nd;
    }
    use[i] = u;
    def[i] = d;
  });
  const liveIn = new Uint16Array(n);
  for (let changed = true; changed; ) {
    changed = false;
    for (let i = n - 1; i >= 0; i--) {
      let out = 0;
      for (const s of cfg.blocks[i]!.succs) out |= liveIn[s]!;
      const v = use[i]! | (out & ~def[i]!);
      if (v !== liveIn[i]) {
        liveIn[i] = v;
        changed = true;
      }
    }
  }
  return liveIn;
}

/** Slots of the 512-byte frame, 8 bytes each (as the stack domain indexes its spills). */
export const STACK_SLOTS = 64;
/** A distance for "never read again". */
export const FAR = 0x3fffffff;

/**
 * How soon each register and each 8-byte stack slot is read again, at the entry of each block:
 * the fewest statements along any path before a read (not preceded by a write), FAR when none.
 * Stack slots count only direct reads and writes through r10 (a spilled value read back); reads
 * through copies of the frame pointer are not seen. Entry `r` (0-10) is a register, `11 + k` the
 * slot of bytes [8k, 8k+8) of the frame. A heuristic for which distinctions between paths to keep
 * when not all can be: those that matter soonest. Errors here cost precision, never soundness.
 */
export function nextUse(cfg: Cfg): Int32Array[] {
  const W = 11 + STACK_SLOTS;
  const n = cfg.blocks.length;
  const slotOf = (off: number): number => (512 + off) >> 3;
  // per block: for each entry, the distance of its first read before any write (FAR none),
  // and whether the block writes it first (then nothing flows through from the successors)
  const first = cfg.blocks.map((b) => {
    const d = new Int32Array(W).fill(FAR);
    const killed = new Uint8Array(W);
    b.nodes.forEach((node, i) => {
      const st = node.stmt;
      const [u, def] = useDef(st);
      for (let r = 0; r < 11; r++) if (u & (1 << r) && !killed[r] && d[r] === FAR) d[r] = i;
      if (st.kind === 'load' && st.base === 10) {
        const k = 11 + slotOf(st.off);
        if (k >= 11 && k < W && !killed[k] && d[k] === FAR) d[k] = i;
      }
      for (let r = 0; r < 11; r++) if (def & (1 << r)) killed[r] = 1;
      if (st.kind === 'store' && st.base === 10 && st.size === 8 && (st.off & 7) === 0) {
        const k = 11 + slotOf(st.off);
        if (k >= 11 && k < W) killed[k] = 1;
      }
    });
    return { d, killed, len: b.nodes.length };
  });
  const dist = cfg.blocks.map((_, i) => Int32Array.from(first[i]!.d));
  // a worklist, seeded in reverse WTO order (successors before their predecessors, loops aside)
  // so most blocks settle on their first visit
  const order: number[] = [];
  const flatten = (es: readonly WtoElement[]): void => {
    for (const e of es) {
      if (e.kind === 'vertex') order.push(e.v);
      else {
        order.push(e.head);
        flatten(e.body);
      }
    }
  };
  flatten(cfg.wto.elements);
  const queued = new Uint8Array(n);
  const work: number[] = [];
  for (const v of order) {
    work.push(v);
    queued[v] = 1;
  }
  while (work.length) {
    const i = work.pop()!;
    queued[i] = 0;
    const { d, killed, len } = first[i]!;
    const cur = dist[i]!;
    let changed = false;
    for (const s of cfg.blocks[i]!.succs) {
      const ds = dist[s]!;
      for (let k = 0; k < W; k++) {
        if (killed[k] || d[k]! < FAR) continue;
        const v = ds[k]! >= FAR ? FAR : ds[k]! + len;
        if (v < cur[k]!) {
          cur[k] = v;
          changed = true;
        }
      }
    }
    if (changed)
      for (const p of cfg.blocks[i]!.preds)
        if (!queued[p]) {
          queued[p] = 1;
          work.push(p);
        }
  }
  return dist;
}
