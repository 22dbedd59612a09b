/**
 * One program through the whole pipeline: CFG, fixpoint over the WTO, then a final pass over the
 * stable states that checks every assertion and reports the failures, plus the whole-program
 * checks (combined stack depth, loop complexity).
 */
import type { Instruction } from '../isa/instruction.js';
import { formatInstruction } from '../isa/disasm.js';
import { ProgType, progTypeName } from '../loader/kinds.js';
import type { BpfObject, ProgramDef } from '../loader/model.js';
import { assertionsFor } from './assertions.js';
import { departureNote } from './departures.js';
import { progTypeModelled } from './contexts.js';
import { structOpsLoadError } from './struct-ops.js';
import { type Block, buildCfg, type Cfg, type Node } from './cfg/build.js';
import { check } from './checker.js';
import { type AbsState, type StateView, counterVar, type Domain, entryState, reduce } from './domains/ebpf-domain.js';
import { scalarConst } from './domains/scalar.js';
import { STACK_SIZE } from './domains/stack.js';
import { Kind, NUM_UNKNOWN, pointer, UNINIT } from './domains/types.js';
import { makeEnv, type VerifierEnv } from './env.js';
import { fixpoint, FixpointDiverged } from './fixpoint.js';
import { HELPER_NAMES } from '../helpers/helper-ids.js';
import type { ProgramDetails, ProgramReport, VerifyError, VerifyOptions } from './result.js';
import { applyStatement } from './transformer.js';
import * as D from './domains/disjunctive.js';
import { liveRegisters, nextUse } from './cfg/liveness.js';
import type { Disj } from './domains/disjunctive.js';
import { collectUnitStates, statesReport, type UnitStates, withPaths } from './states.js';

/** The kernel's budget of instructions it will walk for one program. */
export const COMPLEXITY_LIMIT = 1_000_000;
/**
 * Loops are first followed round by round like the kernel walks them, up to this many rounds and
 * this many block visits per program in all; past that, joins and widening bound them.
 */
const UNROLL_ROUNDS = 128;
const UNROLL_BUDGET = 20_000;
/** The kernel's stack limit for a whole call chain. */
export const MAX_STACK = 512;

/** The x86-64 JIT rounds each frame's stack up to 16 bytes before adding them up. */
const roundStack = (d: number): number => Math.ceil(d / 16) * 16;

interface Failure {
  node: Node;
  message: string;
  state?: AbsState;
}

/**
 * Runs the statements of a block. The fixpoint runs only the semantics (a failed check does not
 * stop an execution there, so the states over-approximate every execution, and narrowing stays
 * sound); the final pass checks each statement and stops the block at its first failure, which
 * keeps one mistake from being reported again by the statements after it.
 */
function runBlock(block: Block, pre: Domain, env: VerifierEnv, checking?: { onFailure: (f: Failure) => void; onState: (n: Node, s: StateView) => void }): Domain {
  if (!pre) return undefined;
  // a loop head's stable state may come straight from widening: make the bounds its relations
  // imply explicit (the iteration counter's above all) before checking it
  if (checking && block.nodes[0]?.stmt.kind === 'loopHead' && pre.zone.size) pre = reduce(pre);
  if (!pre) return undefined;
  // one editor for the whole block: registers, zone and maps are copied once, not per statement
  const e = pre.edit();
  for (const node of block.nodes) {
    if (checking) {
      checking.onState(node, e);
      for (const a of assertionsFor(node.stmt, node.depth)) {
        const msg = check(a, e, env, node);
        if (msg !== undefined) {
          checking.onFailure({ node, message: msg, ...(env.verbose ? { state: e.done() } : {}) });
          return undefined;
        }
      }
    }
    applyStatement(node.stmt, e, env, node);
    if (e.isDead) return undefined;
  }
  return e.done();
}

/**
 * How long a loop is followed with joins before widening: long for small bodies (counting loops
 * of a few dozen iterations, whose strided pointers no relation captures, converge exactly),
 * short for big ones, so the cost stays near the kernel's own walk.
 */
function widenDelayFor(cfg: Cfg, head: number): number {
  let nodes = 0;
  for (const [v, heads] of cfg.wto.nesting) if (heads.includes(head)) nodes += cfg.blocks[v]!.nodes.length;
  if (nodes <= 64) return 8;
  if (nodes <= 400) return 8;
  return 4;
}

/** Runs a block on each state of a disjunction. */
function runDisjuncts(
  block: Block,
  pre: Disj | undefined,
  env: VerifierEnv,
  checking?: { onFailure: (f: Failure) => void; onState: (n: Node, s: StateView) => void },
): Disj | undefined {
  if (!pre) return undefined;
  if (pre.length === 1) {
    const s = runBlock(block, pre[0], env, checking);
    return s ? [s] : undefined;
  }
  const out: AbsState[] = [];
  for (const d of pre) {
    const s = runBlock(block, d, env, checking);
    if (s) out.push(s);
  }
  return out.length ? out : undefined;
}

/** Constants of the program, with their neighbours: the thresholds widening jumps to. */
function thresholdsOf(instructions: readonly Instruction[]): bigint[] {
  const set = new Set<bigint>([0n, 1n, -1n]);
  for (const ins of instructions) {
    if (ins.opcode === 0x18) continue;
    const c = BigInt(ins.imm);
    for (const d of [-1n, 0n, 1n]) set.add(c + d);
    if (ins.off !== 0) for (const d of [-1n, 0n, 1n]) set.add(BigInt(ins.off) + d);
  }
  for (const v of [255n, 256n, 4095n, 4096n, 65535n, 65536n, 0xffffffffn]) set.add(v);
  return [...set].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

const basename = (p: string): string => p.slice(p.lastIndexOf('/') + 1);

export function analyzeProgram(obj: BpfObject, prog: ProgramDef, options: VerifyOptions = {}): ProgramReport {
  const t0 = now();
  if (!progTypeModelled(prog.type)) {
    const message = `program type ${progTypeName(prog.type)} is not modelled by bpfkit: its context and helpers cannot be checked, so the program is not accepted`;
    return { name: prog.name, section: prog.section, accepted: false, errors: [{ pc: 0, message }], stats: { instructions: prog.instructions.length, ms: 0 } };
  }
  const env = makeEnv(obj, prog, { privileged: !options.unprivileged, thresholds: thresholdsOf(prog.instructions), verbose: options.verbose === true });
  const refused = structOpsLoadError(prog.attachBtf, env.gpl);
  if (refused !== undefined) return { name: prog.name, section: prog.section, accepted: false, errors: [{ pc: 0, message: refused }], stats: { instructions: prog.instructions.length, ms: 0 } };
  const globals = new Set(env.globalFuncs.keys());
  const errors: VerifyError[] = [];
  // the program, then every global function it reaches, each verified on its own
  const departed = { used: false };
  const main = analyzeUnit(obj, prog, { ...env, departed }, 0, globals, options);
  // only a run that dropped what the precise mode keeps can be explained by it
  if (departed.used) errors.push(...explainDepartures(main.errors, () => analyzeUnit(obj, prog, { ...env, precise: true }, 0, globals, { ...options, states: false }).errors));
  else errors.push(...main.errors);
  const units = new Map<number, UnitResult>([[0, main]]);
  const todo = [...main.calledGlobals];
  while (todo.length) {
    const slot = todo.shift()!;
    if (units.has(slot)) continue;
    const g = env.globalFuncs.get(slot)!;
    const unit = analyzeUnit(obj, prog, { ...env, rootGlobal: g }, slot, globals, options);
    units.set(slot, unit);
    errors.push(...unit.errors);
    todo.push(...unit.calledGlobals);
  }
  if (errors.length === 0) {
    const e = globalStackError(units, env);
    if (e) errors.push(e);
  }
  errors.sort((a, b) => a.pc - b.pc);
  return {
    name: prog.name,
    section: prog.section,
    accepted: errors.length === 0,
    errors,
    stats: { instructions: prog.instructions.length, ms: Math.round((now() - t0) * 100) / 100 },
    ...(main.details ? { details: main.details } : {}),
    ...(options.states ? { states: statesReport([...units.values()].flatMap((u) => (u.states ? [u.states] : []))) } : {}),
  };
}

/**
 * A rejection the precise mode (departures.ts: what the kernel does not keep) proves safe stays a
 * rejection, as the kernel's; its message says the program is safe and what to change.
 */
function explainDepartures(errors: VerifyError[], precise: () => readonly VerifyError[]): VerifyError[] {
  if (errors.length === 0) return errors;
  const still = new Set(precise().map((e) => e.pc));
  return errors.map((e) => (still.has(e.pc) ? e : { ...e, message: `${e.message} (${departureNote()})` }));
}

/** A chain through global functions (verified apart) may still exceed the combined stack. */
function globalStackError(units: Map<number, UnitResult>, env: VerifierEnv): VerifyError | undefined {
  const memo = new Map<number, number>();
  const total = (slot: number, seen: Set<number>): number => {
    const cached = memo.get(slot);
    if (cached !== undefined) return cached;
    const u = units.get(slot);
    if (!u?.stack || seen.has(slot)) return 0;
    seen.add(slot);
    let t = u.stack.maxChain;
    for (const site of u.stack.globalSites) t = Math.max(t, site.chainBytes + total(site.target, seen));
    seen.delete(slot);
    memo.set(slot, t);
    return t;
  };
  const main = units.get(0);
  if (!main?.stack) return undefined;
  for (const site of main.stack.globalSites) {
    const t = site.chainBytes + total(site.target, new Set([0]));
    if (t > MAX_STACK) {
      const src = site.ins?.meta?.source;
      return {
        pc: site.pc,
        message: `combined stack through global function ${env.globalFuncs.get(site.target)?.name ?? site.target} is ${t} bytes, more than ${MAX_STACK}`,
        ...(src ? { source: `${basename(src.file)}:${src.line}`, sourceText: src.text.trim() } : {}),
      };
    }
  }
  return undefined;
}

interface UnitResult {
  errors: VerifyError[];
  details?: ProgramDetails;
  calledGlobals: number[];
  stack?: StackUse;
  /** Only with options.states: per-pc states and what the error paths need. */
  states?: UnitStates;
}

/** Stack a unit needs: its deepest call chain, and what its calls of global functions add to. */
interface StackUse {
  maxChain: number;
  globalSites: Array<{ pc: number; ins?: Instruction; chainBytes: number; target: number }>;
}

/** The state a function starts in: the program's context, or a global function's arguments. */
function initialState(env: VerifierEnv, root: number): AbsState {
  const fp = pointer(Kind.STACK, scalarConst(BigInt(STACK_SIZE)), { frame: 0 });
  const g = env.rootGlobal;
  if (!g) return entryState(pointer(Kind.CTX, scalarConst(0n)), fp);
  const s = entryState(UNINIT, fp, root);
  const e = s.edit();
  g.params.forEach((p, i) => {
    const v =
      p.kind === 'ctx'
        ? pointer(Kind.CTX, scalarConst(0n))
        : p.kind === 'mem'
          ? pointer(Kind.MEM | Kind.NULLABLE, scalarConst(0n), { size: p.size, id: 1_000_000 + i })
          : NUM_UNKNOWN;
    e.setReg(i + 1, v);
  });
  return e.done()!;
}

function analyzeUnit(obj: BpfObject, prog: ProgramDef, env: VerifierEnv, root: number, globals: ReadonlySet<number>, options: VerifyOptions): UnitResult {
  const cfg = buildCfg({ instructions: prog.instructions, functions: prog.functions, endian: obj.endian, globals, root });
  const failures: Failure[] = [];
  let details: ProgramDetails | undefined;
  let stack: StackUse | undefined;
  let states: UnitStates | undefined;
  const calledGlobals = [...new Set(cfg.blocks.flatMap((b) => b.nodes.flatMap((n) => (n.stmt.kind === 'callGlobal' ? [n.stmt.target] : []))))];

  const checked = new Set<number>();
  const tracker = new UsageTracker();
  const checking = { onFailure: (f: Failure) => failures.push(f), onState: (n: Node, s: StateView) => tracker.note(n, s) };
  if (!env.privileged && root === 0) {
    // without CAP_BPF the kernel loads only socket filters and cgroup skb programs, without loops
    if (prog.type !== ProgType.SOCKET_FILTER && prog.type !== ProgType.CGROUP_SKB)
      failures.push({ node: { pc: 0, stmt: { kind: 'ja' }, depth: 0, context: 0, ...(cfg.insAt.get(0) ? { ins: cfg.insAt.get(0)! } : {}) }, message: `program type ${env.progTypeName} needs CAP_BPF: unprivileged loaders may only load socket filters and cgroup skb programs` });
    for (const l of cfg.loops)
      failures.push({ node: { pc: l.pc, stmt: { kind: 'ja' }, depth: 0, context: 0, ...(cfg.insAt.get(l.pc) ? { ins: cfg.insAt.get(l.pc)! } : {}) }, message: 'loops (back-edges) need CAP_BPF' });
  }
  if (cfg.errors.length) {
    for (const e of cfg.errors) failures.push({ node: { pc: e.pc, stmt: { kind: 'ja' }, depth: 0, context: 0, ...(cfg.insAt.get(e.pc) ? { ins: cfg.insAt.get(e.pc)! } : {}) }, message: e.message });
  } else {
    let result;
    const live = liveRegisters(cfg);
    const next = nextUse(cfg);
    try {
      result = fixpoint<Disj>({
        entry: cfg.entry,
        init: [initialState(env, root)],
        wto: cfg.wto.elements,
        preds: (v) => cfg.blocks[v]!.preds,
        // blocks outside loops are visited once, with their final state: check them right away
        transform: (v, pre, final) => {
          if (final) checked.add(v);
          return runDisjuncts(cfg.blocks[v]!, pre, env, final ? checking : undefined);
        },
        lattice: {
          join: D.join,
          joinAll: (list, v) => D.joinAll(list, live[v], next[v]),
          delayedJoin: D.delayedJoin,
          leq: D.leq,
          narrow: D.narrow,
          widen: (a, b) => D.widen(a, b, env.thresholds),
        },
        widenDelay: (head) => widenDelayFor(cfg, head),
        narrowRounds: 2,
        unrollRounds: UNROLL_ROUNDS,
        unrollBudget: UNROLL_BUDGET,
      });
    } catch (e) {
      if (!(e instanceof FixpointDiverged)) throw e;
      failures.push({ node: { pc: root, stmt: { kind: 'ja' }, depth: 0, context: 0 }, message: `the analysis did not converge: ${e.message}` });
    }
    if (result) {
      const r = finalPass(cfg, env, result.pre, failures, prog, checked, tracker, checking, root);
      details = r.details;
      stack = r.stack;
      if (options.states) {
        const collapsed = new Map([...result.pre].map(([b, d]) => [b, D.collapse(d)]));
        states = collectUnitStates(cfg, collapsed, env, failures.map((f) => f.node));
      }
    }
  }
  const errs = toErrors(failures, cfg, env, options);
  return { errors: options.states ? withPaths(errs, states) : errs, calledGlobals, ...(details ? { details } : {}), ...(stack ? { stack } : {}), ...(states ? { states } : {}) };
}

function now(): number {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}

/** What the checking pass learns besides errors: reached instructions, stack used per function. */
class UsageTracker {
  readonly depthOf = new Map<number, number>(); // function slot -> bytes of stack used
  readonly reached = new Set<number>();

  note(n: Node, s: StateView): void {
    this.reached.add(n.pc);
    const st = n.stmt;
    for (const f of s.frames) this.use(f.fn, STACK_SIZE - f.stack.lowestUsed());
    // reads below the lowest written byte count too
    if (st.kind === 'load') {
      const v = s.reg(st.base);
      if (v.kinds === Kind.STACK && v.frame >= 0 && s.frames[v.frame]) this.use(s.frames[v.frame]!.fn, STACK_SIZE - (Number(v.num.smin) + st.off));
    }
  }

  private use(fn: number, bytes: number): void {
    if (bytes > (this.depthOf.get(fn) ?? 0) && bytes <= STACK_SIZE) this.depthOf.set(fn, bytes);
  }
}

/** Checks the blocks the fixpoint did not check (those in loops), then the whole-program limits. */
function finalPass(
  cfg: Cfg,
  env: VerifierEnv,
  disjPre: Map<number, Disj | undefined>,
  failures: Failure[],
  prog: ProgramDef,
  checked: Set<number>,
  tracker: UsageTracker,
  checking: { onFailure: (f: Failure) => void; onState: (n: Node, s: StateView) => void },
  root: number,
): { details: ProgramDetails; stack: StackUse } {
  const { depthOf, reached } = tracker;
  for (const b of cfg.blocks) {
    const d = disjPre.get(b.id);
    if (!d || checked.has(b.id)) continue;
    runDisjuncts(b, d, env, checking);
  }
  // only loop heads need one joined state (their bounds); reachability and stack use are read
  // from the disjuncts as they are, without paying for a join per block
  const reachable = (b: number): boolean => disjPre.get(b) !== undefined;
  const loopHeadState = (b: number): Domain => D.collapse(disjPre.get(b));
  // the final state of a block that ends in a store is after it: count the last writes too
  for (const b of cfg.blocks) {
    for (const s of disjPre.get(b.id) ?? [])
      s.frames.forEach((f) => {
        const used = STACK_SIZE - f.stack.lowestUsed();
        if (used > (depthOf.get(f.fn) ?? 0)) depthOf.set(f.fn, used);
      });
  }

  // combined stack of every call chain (the kernel rounds each frame up to 16 bytes)
  const chainFns = (ctx: number): number[] => [root, ...(cfg.contexts[ctx]?.chain ?? []).map((c) => c.fn)];
  const chainBytes = (fns: number[]): number => fns.reduce((sum, fn) => sum + roundStack(depthOf.get(fn) ?? 0), 0);
  const stack: StackUse = { maxChain: 0, globalSites: [] };
  for (let c = 0; c < cfg.contexts.length; c++) stack.maxChain = Math.max(stack.maxChain, chainBytes(chainFns(c)));
  for (const b of cfg.blocks) {
    if (!reachable(b.id)) continue;
    for (const n of b.nodes) {
      if (n.stmt.kind === 'callGlobal') stack.globalSites.push({ pc: n.pc, ...(n.ins ? { ins: n.ins } : {}), chainBytes: chainBytes(chainFns(n.context)), target: n.stmt.target });
    }
  }
  const round = roundStack;
  for (const ctx of cfg.contexts) {
    const fns = [root, ...ctx.chain.map((c) => c.fn)];
    const total = fns.reduce((sum, fn) => sum + round(depthOf.get(fn) ?? 0), 0);
    if (total > MAX_STACK && ctx.chain.length > 0) {
      const site = ctx.chain[ctx.chain.length - 1]!.callSite;
      const parts = fns.map((fn) => `${env.functionName(fn)} ${round(depthOf.get(fn) ?? 0)}`).join(' + ');
      const node = { pc: site, stmt: { kind: 'ja' as const }, depth: 0, context: 0, ...(cfg.insAt.get(site) ? { ins: cfg.insAt.get(site)! } : {}) };
      failures.push({ node, message: `combined stack of ${fns.length} calls is ${total} bytes (${parts}), more than ${MAX_STACK}` });
      break;
    }
  }

  // loops: bounds at their heads, and the work the kernel would do walking them
  const loops = cfg.loops.map((l) => {
    const s = loopHeadState(l.head);
    const hi = s ? (s.globals.get(counterVar(l.counter))?.[1] ?? 0) + 1 : 0;
    return { pc: l.pc, counter: l.counter, outer: l.outer, maxIterations: hi };
  });
  if (!failures.length && loops.length) {
    const bound = new Map(loops.map((l) => [l.counter, l.maxIterations]));
    let total = 0;
    for (const b of cfg.blocks) {
      if (!reachable(b.id)) continue;
      const heads = cfg.wto.nesting.get(b.id) ?? [];
      let mult = 1;
      for (const h of heads) {
        const l = cfg.loops.find((x) => x.head === h);
        if (l) mult *= bound.get(l.counter) ?? 1;
      }
      total += b.nodes.length * mult;
    }
    if (total > COMPLEXITY_LIMIT) {
      const worst = loops.reduce((a, b) => (b.maxIterations > a.maxIterations ? b : a));
      const node = { pc: worst.pc, stmt: { kind: 'ja' as const }, depth: 0, context: 0, ...(cfg.insAt.get(worst.pc) ? { ins: cfg.insAt.get(worst.pc)! } : {}) };
      failures.push({
        node,
        message: `the program is too complex: walking its loops (up to ${worst.maxIterations} iterations here) takes about ${total} instructions, more than the kernel's ${COMPLEXITY_LIMIT}`,
      });
    }
  }

  let dead = 0;
  for (const pc of cfg.insAt.keys()) if (!reached.has(pc)) dead++;
  const details = {
    blocks: cfg.blocks.length,
    loops: loops.map((l) => ({ pc: l.pc, maxIterations: l.maxIterations })),
    stackDepth: [...depthOf].map(([fn, bytes]) => ({ function: fn === 0 ? prog.name : env.functionName(fn), bytes })),
    deadInstructions: dead,
  };
  return { details, stack };
}

function toErrors(failures: Failure[], cfg: Cfg, env: VerifierEnv, options: VerifyOptions): VerifyError[] {
  const seen = new Set<string>();
  const out: VerifyError[] = [];
  const sorted = [...failures].sort((a, b) => a.node.pc - b.node.pc);
  for (const f of sorted) {
    const key = `${f.node.pc}:${f.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const ins = f.node.ins ?? cfg.insAt.get(f.node.pc);
    const src = ins?.meta?.source;
    const chain = cfg.contexts[f.node.context]?.chain ?? [];
    const context = chain.length
      ? `in ${env.functionName(chain[chain.length - 1]!.fn)}, called from ${chain.map((c) => `pc ${c.callSite}`).reverse().join(' <- ')}`
      : undefined;
    const e: VerifyError = {
      pc: f.node.pc,
      message: f.message,
      ...(src ? { source: `${basename(src.file)}:${src.line}`, sourceText: src.text.trim() } : {}),
      ...(ins ? { instruction: formatInstruction(ins, { syntax: 'llvm', pc: f.node.pc, helperName: (id) => (HELPER_NAMES[id] ? `bpf_${HELPER_NAMES[id]}` : undefined) }) } : {}),
      ...(context ? { context } : {}),
      ...(options.verbose && f.state ? { state: f.state.toLines((i) => env.maps[i]?.name ?? `#${i}`) } : {}),
    };
    out.push(e);
  }
  return out;
}
