/**
 * `verify --states`: the abstract state the fixpoint proved before each instruction, and for each
 * rejection the shortest feasible path from the entry to it with the state at every step.
 *
 * Everything here runs after the fixpoint, from its stable block pre-states, and only when the
 * caller asks for states: the default verification never pays for it.
 */
import { formatInstruction } from '../isa/disasm.js';
import type { Instruction } from '../isa/instruction.js';
import { HELPER_NAMES } from '../helpers/helper-ids.js';
import type { Block, Cfg, Node } from './cfg/build.js';
import { type AbsState, type Domain, join } from './domains/ebpf-domain.js';
import type { VerifierEnv } from './env.js';
import type { InstructionState, PathStep, VerifyError } from './result.js';
import { applyStatement } from './transformer.js';

const basename = (p: string): string => p.slice(p.lastIndexOf('/') + 1);

function describe(pc: number, ins: Instruction | undefined): { instruction: string; source?: string; sourceText?: string } {
  const src = ins?.meta?.source;
  return {
    instruction: ins ? formatInstruction(ins, { syntax: 'llvm', pc, helperName: (id) => (HELPER_NAMES[id] ? `bpf_${HELPER_NAMES[id]}` : undefined) }) : '?',
    ...(src ? { source: `${basename(src.file)}:${src.line}`, sourceText: src.text.trim() } : {}),
  };
}

/**
 * The state before each instruction of one block, in order. A conditional jump's `assume` blocks
 * carry the jump's pc, but their state is the jump's outcome, not the state before the jump:
 * they are skipped (the successor's first instruction shows the refined state).
 */
function blockStates(block: Block, pre: AbsState, env: VerifierEnv, failed: ReadonlySet<Node>): Array<{ pc: number; state: AbsState }> {
  const out: Array<{ pc: number; state: AbsState }> = [];
  let cur: AbsState = pre;
  let lastPc = -1;
  for (const node of block.nodes) {
    if (node.stmt.kind !== 'assume' && node.pc !== lastPc) {
      out.push({ pc: node.pc, state: cur });
      lastPc = node.pc;
    }
    // the checking pass stops a block at its first failure (its successors get no state): so here
    if (failed.has(node)) break;
    // a fresh editor per statement: a snapshot taken with done() must not see later writes
    const e = cur.edit();
    applyStatement(node.stmt, e, env, node);
    const next = e.done();
    if (!next) break;
    cur = next;
  }
  return out;
}

export interface UnitStates {
  /** pc -> joined state and how many inlined copies (call contexts) of it were reached. */
  readonly byPc: Map<number, { state: AbsState; copies: number }>;
  readonly insAt: ReadonlyMap<number, Instruction>;
  readonly cfg: Cfg;
  readonly pre: ReadonlyMap<number, Domain>;
  readonly env: VerifierEnv;
  readonly failed: ReadonlySet<Node>;
}

/** Per pc, the join of the states of every inlined copy (the CFG inlines local calls per call site). */
export function collectUnitStates(cfg: Cfg, pre: ReadonlyMap<number, Domain>, env: VerifierEnv, failedNodes: readonly Node[]): UnitStates {
  // whole-program failures carry synthetic nodes, never one of the CFG's: only real checks match
  const failed = new Set(failedNodes);
  const byPc = new Map<number, { state: AbsState; copies: number }>();
  for (const b of cfg.blocks) {
    const s = pre.get(b.id);
    if (!s) continue;
    for (const { pc, state } of blockStates(b, s, env, failed)) {
      const old = byPc.get(pc);
      byPc.set(pc, old ? { state: join(old.state, state) ?? old.state, copies: old.copies + 1 } : { state, copies: 1 });
    }
  }
  return { byPc, insAt: cfg.insAt, cfg, pre, env, failed };
}

const mapNamer = (env: VerifierEnv) => (i: number): string => env.maps[i]?.name ?? `#${i}`;

/** The report's per-instruction list over every unit (program and its global functions). */
export function statesReport(units: readonly UnitStates[]): InstructionState[] {
  const pcs = new Set<number>();
  for (const u of units) for (const pc of u.insAt.keys()) pcs.add(pc);
  return [...pcs]
    .sort((a, b) => a - b)
    .map((pc) => {
      const u = units.find((x) => x.byPc.has(pc)) ?? units.find((x) => x.insAt.has(pc))!;
      const hit = u.byPc.get(pc);
      return {
        pc,
        ...describe(pc, u.insAt.get(pc)),
        ...(hit ? { state: hit.state.toLines(mapNamer(u.env)), contexts: hit.copies } : { state: [], unreachable: true }),
      };
    });
}

/**
 * Shortest path (BFS over CFG blocks whose stable pre-state is not bottom) from the entry to the
 * first reached block holding the failing pc; the state at each step is the one along that path
 * (that block copy), not the join over contexts.
 */
export function errorPath(u: UnitStates, pc: number): PathStep[] | undefined {
  const { cfg, pre, env, failed } = u;
  if (!pre.get(cfg.entry)) return undefined;
  const parent = new Map<number, number>([[cfg.entry, -1]]);
  const queue = [cfg.entry];
  let found: number | undefined;
  for (let i = 0; i < queue.length && found === undefined; i++) {
    const v = queue[i]!;
    if (cfg.blocks[v]!.nodes.some((n) => n.pc === pc && n.stmt.kind !== 'assume')) {
      found = v;
      break;
    }
    for (const s of cfg.blocks[v]!.succs) {
      if (parent.has(s) || !pre.get(s)) continue;
      parent.set(s, v);
      queue.push(s);
    }
  }
  if (found === undefined) return undefined;
  const chain: number[] = [];
  for (let v = found; v !== -1; v = parent.get(v)!) chain.push(v);
  chain.reverse();
  const steps: PathStep[] = [];
  const name = mapNamer(env);
  for (const v of chain) {
    for (const st of blockStates(cfg.blocks[v]!, pre.get(v)!, env, failed)) {
      steps.push({ pc: st.pc, ...describe(st.pc, cfg.insAt.get(st.pc)), state: st.state.toLines(name) });
      if (v === found && st.pc === pc) return steps;
    }
  }
  return steps;
}

/** Adds the path to each error a unit reported (errors without a reachable pc keep none). */
export function withPaths(errors: VerifyError[], u: UnitStates | undefined): VerifyError[] {
  if (!u) return errors;
  return errors.map((e) => {
    const path = errorPath(u, e.pc);
    return path ? { ...e, path } : e;
  });
}
