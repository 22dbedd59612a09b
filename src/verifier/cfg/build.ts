/**
 * The control-flow graph the analysis runs on.
 *
 * 1. The kernel's structural checks on the linked instruction array (check_cfg / check_subprogs):
 *    jumps inside the program and inside their function, no jump into the second slot of an
 *    lddw, every instruction reachable, functions ending in exit or goto.
 * 2. Basic blocks per function, then one copy of a function's blocks per call site (sub-programs
 *    are analysed in the context of each call, as the kernel does for static functions).
 *    A conditional jump becomes two edges through synthetic `assume` blocks; a local call goes
 *    through `enter` and `leave` blocks; a helper that calls back into the program (bpf_loop)
 *    gets a loop: a head, the callback's copy between `callbackEnter`/`callbackLeave`, back.
 * 3. Loop heads (from the weak topological order) get an iteration counter: `loopEntry` on the
 *    edges entering the loop (a pre-header), `loopHead` at the head. Callback loops get none:
 *    the helper bounds them.
 */
import type { Endian } from '../../isa/decode.js';
import type { Instruction } from '../../isa/instruction.js';
import { slotOffsets } from '../../isa/instruction.js';
import { NEGATE } from '../domains/scalar.js';
import { helperProto } from '../helper-protos.js';
import { flowOf, type Stmt, toStmt } from '../ir.js';
import { weakTopologicalOrder, type Wto } from './wto.js';

/** The kernel's limit on nested calls (MAX_CALL_FRAMES). */
export const MAX_CALL_FRAMES = 8;

export interface Node {
  /** Slot of the instruction (for synthetic statements: of the instruction they stand for). */
  readonly pc: number;
  readonly stmt: Stmt;
  /** The instruction, for messages; absent for purely synthetic statements. */
  readonly ins?: Instruction;
  /** Call depth: frame 0 is the program's own. */
  readonly depth: number;
  /** Index into {@link Cfg.contexts}. */
  readonly context: number;
}

export interface Block {
  readonly id: number;
  readonly nodes: Node[];
  readonly succs: number[];
  readonly preds: number[];
  /** The head of the loop a callback helper makes: no iteration counter (the helper bounds it). */
  callbackLoop?: boolean;
}

/** A call chain: the call sites (pcs) and callee entry slots, outermost first. */
export interface CallContext {
  readonly chain: ReadonlyArray<{ readonly callSite: number; readonly fn: number }>;
}

export interface FunctionRange {
  readonly name: string;
  readonly start: number;
  readonly end: number;
}

export interface CfgError {
  readonly pc: number;
  readonly message: string;
}

export interface LoopInfo {
  readonly counter: number;
  /** Block of the head. */
  readonly head: number;
  /** pc of the head's first instruction. */
  readonly pc: number;
  /** The enclosing loops' counters, outermost first. */
  readonly outer: number[];
}

export interface Cfg {
  readonly blocks: Block[];
  readonly entry: number;
  readonly contexts: CallContext[];
  readonly functions: FunctionRange[];
  /** Structural errors: the program is rejected before any analysis. */
  readonly errors: CfgError[];
  readonly loops: LoopInfo[];
  readonly wto: Wto;
  /** Slot → instruction. */
  readonly insAt: ReadonlyMap<number, Instruction>;
  readonly slotCount: number;
}

export interface CfgInput {
  readonly instructions: readonly Instruction[];
  /** Known function starts (from the loader), entry first. */
  readonly functions: ReadonlyArray<{ readonly name: string; readonly slot: number }>;
  readonly endian: Endian;
  /** Slots of global functions: called as opaque functions, verified separately. */
  readonly globals?: ReadonlySet<number>;
  /** The function to build from (a global function analysed on its own); default the entry. */
  readonly root?: number;
}

interface Template {
  /** Blocks of one function: instruction slots in order. */
  readonly blocks: Array<{ readonly slots: number[] }>;
  readonly blockOfSlot: Map<number, number>;
}

export function buildCfg(input: CfgInput): Cfg {
  const { instructions, endian } = input;
  const pcs = slotOffsets(instructions);
  const insAt = new Map<number, Instruction>();
  pcs.forEach((pc, i) => insAt.set(pc, instructions[i]!));
  const slotCount = instructions.length === 0 ? 0 : pcs[pcs.length - 1]! + (instructions[instructions.length - 1]!.opcode === 0x18 ? 2 : 1);
  const errors: CfgError[] = [];
  const nextPc = (pc: number): number => pc + (insAt.get(pc)!.opcode === 0x18 ? 2 : 1);
  // statements are decoded once; instances of a function share them
  const stmtCache = new Map<number, Stmt>();
  const stmtAt = (pc: number): Stmt => {
    let st = stmtCache.get(pc);
    if (!st) stmtCache.set(pc, (st = toStmt(insAt.get(pc)!, pc, endian)));
    return st;
  };

  // ---- functions: declared starts plus every call and function-pointer target
  const starts = new Set<number>([0]);
  for (const f of input.functions) starts.add(f.slot);
  for (const [pc, ins] of insAt) {
    const st = stmtAt(pc);
    if ((st.kind === 'callLocal' || st.kind === 'ldfunc') && insAt.has(st.target)) starts.add(st.target);
  }
  const sorted = [...starts].filter((s) => s < slotCount).sort((a, b) => a - b);
  const functions: FunctionRange[] = sorted.map((start, i) => ({
    name: input.functions.find((f) => f.slot === start)?.name ?? (start === 0 ? 'main' : `func_${start}`),
    start,
    end: sorted[i + 1] ?? slotCount,
  }));
  const fnOf = (pc: number): FunctionRange => {
    let r = functions[0]!;
    for (const f of functions) if (f.start <= pc) r = f;
    return r;
  };

  // ---- structural checks (the kernel's check_subprogs / check_cfg)
  if (instructions.length === 0) errors.push({ pc: 0, message: 'the program is empty' });
  for (const [pc, ins] of insAt) {
    // Register fields are 4 bits wide but eBPF has r0..r10 (pseudo sources are at most 6): the
    // kernel rejects the rest ("R11 is invalid"); the analysis indexes its register file with them.
    const bad = ins.dst > 10 ? ins.dst : ins.src > 10 ? ins.src : -1;
    if (bad >= 0) {
      errors.push({ pc, message: `R${bad} is invalid: eBPF has registers r0 to r10` });
      continue;
    }
    const flow = flowOf(ins, pc);
    const fn = fnOf(pc);
    const targets: number[] = [];
    if (flow.kind === 'goto' || flow.kind === 'branch') targets.push(flow.target);
    const st = stmtAt(pc);
    if (st.kind === 'callLocal' || st.kind === 'ldfunc') targets.push(st.target);
    for (const t of targets) {
      if (t < 0 || t >= slotCount) errors.push({ pc, message: `jump out of range: target ${t} is outside the program (0..${slotCount - 1})` });
      else if (!insAt.has(t)) errors.push({ pc, message: `jump into the middle of the lddw at ${t - 1}` });
      else if ((flow.kind === 'goto' || flow.kind === 'branch') && fnOf(t) !== fn)
        errors.push({ pc, message: `jump out of function ${fn.name} to ${t}, inside ${fnOf(t).name}` });
    }
  }
  for (const fn of functions) {
    let last = -1;
    for (const pc of insAt.keys()) if (pc >= fn.start && pc < fn.end) last = Math.max(last, pc);
    if (last < 0) continue;
    const f = flowOf(insAt.get(last)!, last);
    if (f.kind !== 'exit' && f.kind !== 'goto') errors.push({ pc: last, message: `the last instruction of ${fn.name} is not an exit or a jump` });
  }
  if (errors.length) return emptyCfg(errors, functions, insAt, slotCount);
  // every instruction must be reachable (the kernel: "unreachable insn")
  const seen = new Set<number>();
  const work = [0];
  while (work.length) {
    const pc = work.pop()!;
    if (seen.has(pc) || !insAt.has(pc)) continue;
    seen.add(pc);
    const ins = insAt.get(pc)!;
    const flow = flowOf(ins, pc);
    const st = stmtAt(pc);
    if (flow.kind === 'goto') work.push(flow.target);
    else if (flow.kind === 'branch') work.push(flow.target, nextPc(pc));
    else if (flow.kind === 'next') work.push(nextPc(pc));
    if (st.kind === 'callLocal' || st.kind === 'ldfunc') work.push(st.target);
  }
  for (const pc of [...insAt.keys()].sort((a, b) => a - b)) {
    if (!seen.has(pc)) {
      errors.push({ pc, message: `unreachable instruction: no path from the entry reaches pc ${pc}` });
      break;
    }
  }
  if (errors.length) return emptyCfg(errors, functions, insAt, slotCount);

  // ---- basic blocks of each function
  const templates = new Map<number, Template>();
  const template = (fn: FunctionRange): Template => {
    const cached = templates.get(fn.start);
    if (cached) return cached;
    const leaders = new Set<number>([fn.start]);
    for (const [pc, ins] of insAt) {
      if (pc < fn.start || pc >= fn.end) continue;
      const flow = flowOf(ins, pc);
      const st = stmtAt(pc);
      const ends = flow.kind !== 'next' || st.kind === 'callLocal' || (st.kind === 'call' && helperProto(st.helper)?.callback);
      if (flow.kind === 'goto' || flow.kind === 'branch') leaders.add(flow.target);
      if (ends && nextPc(pc) < fn.end) leaders.add(nextPc(pc));
    }
    const blocks: Array<{ slots: number[] }> = [];
    const blockOfSlot = new Map<number, number>();
    let cur: number[] | undefined;
    for (const pc of [...insAt.keys()].filter((p) => p >= fn.start && p < fn.end).sort((a, b) => a - b)) {
      if (leaders.has(pc) || !cur) {
        cur = [];
        blocks.push({ slots: cur });
        blockOfSlot.set(pc, blocks.length - 1);
      }
      cur.push(pc);
    }
    const t = { blocks, blockOfSlot };
    templates.set(fn.start, t);
    return t;
  };

  // ---- instantiate functions per call context
  const blocks: Block[] = [];
  const contexts: CallContext[] = [];
  const newBlock = (nodes: Node[] = []): Block => {
    const b: Block = { id: blocks.length, nodes, succs: [], preds: [] };
    blocks.push(b);
    return b;
  };
  const edge = (a: Block, b: Block): void => {
    if (a.succs.includes(b.id)) return;
    a.succs.push(b.id);
    b.preds.push(a.id);
  };

  /** Finds the function a callback argument register holds, looking back within the block. */
  const callbackTarget = (slots: number[], callIndex: number, reg: number): number | undefined => {
    let r = reg;
    for (let i = callIndex - 1; i >= 0; i--) {
      const st = stmtAt(slots[i]!);
      if (st.kind === 'ldfunc' && st.dst === r) return st.target;
      if (st.kind === 'mov' && st.dst === r && st.is64 && !st.signExtend) {
        if (st.src.kind !== 'reg') return undefined;
        r = st.src.reg;
        continue;
      }
      if ('dst' in st && st.dst === r) return undefined;
    }
    return undefined;
  };

  interface Instance {
    entry: Block;
    exits: Block[];
  }

  const instantiate = (fn: FunctionRange, chain: CallContext['chain'], callbackOf?: number): Instance => {
    const ctx = contexts.length;
    contexts.push({ chain });
    const depth = chain.length;
    const t = template(fn);
    const mk = (pc: number, stmt: Stmt, withIns = true): Node => {
      const ins = insAt.get(pc);
      return withIns && ins ? { pc, stmt, ins, depth, context: ctx } : { pc, stmt, depth, context: ctx };
    };
    const own = t.blocks.map((tb) => newBlock(fuseExtensions(tb.slots.map((pc) => mk(pc, stmtAt(pc))))));
    const exits: Block[] = [];
    const blockAt = (pc: number): Block => own[t.blockOfSlot.get(pc)!]!;
    t.blocks.forEach((tb, bi) => {
      const b = own[bi]!;
      const lastPc = tb.slots[tb.slots.length - 1]!;
      const lastIns = insAt.get(lastPc)!;
      const flow = flowOf(lastIns, lastPc);
      const st = b.nodes[b.nodes.length - 1]!.stmt;
      const fallthrough = nextPc(lastPc) < fn.end ? nextPc(lastPc) : undefined;
      if (flow.kind === 'exit') {
        if (callbackOf !== undefined) b.nodes[b.nodes.length - 1] = mk(lastPc, { kind: 'exit', callback: callbackOf });
        else if (depth === 0 && fn.start !== 0) b.nodes[b.nodes.length - 1] = mk(lastPc, { kind: 'exit', global: true });
        exits.push(b);
        return;
      }
      if (flow.kind === 'goto') {
        b.nodes.pop(); // `ja` does nothing but move
        b.nodes.push(mk(lastPc, { kind: 'ja' }));
        edge(b, blockAt(flow.target));
        return;
      }
      if (flow.kind === 'branch') {
        b.nodes.pop();
        b.nodes.push(mk(lastPc, { kind: 'ja' }));
        const target = blockAt(flow.target);
        const next = fallthrough !== undefined ? blockAt(fallthrough) : undefined;
        const taken = newBlock([mk(lastPc, { kind: 'assume', op: flow.op, left: flow.left, right: flow.right, is64: flow.is64 })]);
        edge(b, taken);
        edge(taken, target);
        if (next) {
          const notTaken = newBlock([mk(lastPc, { kind: 'assume', op: NEGATE[flow.op], left: flow.left, right: flow.right, is64: flow.is64 })]);
          edge(b, notTaken);
          edge(notTaken, next);
        }
        return;
      }
      const cont = fallthrough !== undefined ? blockAt(fallthrough) : undefined;
      if (st.kind === 'callLocal' && input.globals?.has(fnOf(st.target).start)) {
        b.nodes[b.nodes.length - 1] = mk(lastPc, { kind: 'callGlobal', target: fnOf(st.target).start });
        if (cont) edge(b, cont);
        return;
      }
      if (st.kind === 'callLocal') {
        const callee = fnOf(st.target);
        if (callee.start === 0 || chain.some((c) => c.fn === callee.start)) {
          errors.push({ pc: lastPc, message: `recursive call to ${callee.name}: the kernel does not allow recursion` });
          return;
        }
        if (depth + 1 >= MAX_CALL_FRAMES) {
          errors.push({ pc: lastPc, message: `the call stack of ${depth + 2} frames is too deep (at most ${MAX_CALL_FRAMES})` });
          return;
        }
        const inst = instantiate(callee, [...chain, { callSite: lastPc, fn: callee.start }]);
        const calleeCtx = inst.entry.nodes[0]?.context ?? contexts.length - 1;
        const enter = newBlock([{ pc: lastPc, stmt: { kind: 'enter', fn: callee.start, callSite: lastPc }, ins: lastIns, depth: depth + 1, context: calleeCtx }]);
        edge(b, enter);
        edge(enter, inst.entry);
        const leave = newBlock([{ pc: lastPc, stmt: { kind: 'leave' }, ins: lastIns, depth, context: ctx }]);
        for (const x of inst.exits) edge(x, leave);
        if (cont) edge(leave, cont);
        return;
      }
      if (st.kind === 'call' && helperProto(st.helper)?.callback) {
        const spec = helperProto(st.helper)!.callback!;
        const target = callbackTarget(tb.slots, tb.slots.length - 1, spec.arg);
        if (target === undefined || !insAt.has(target)) {
          errors.push({ pc: lastPc, message: `cannot tell which function is passed as the callback of ${helperProto(st.helper)!.name} (argument ${spec.arg})` });
          return;
        }
        const callee = fnOf(target);
        if (chain.some((c) => c.fn === callee.start) || callee.start === 0) {
          errors.push({ pc: lastPc, message: `recursive callback ${callee.name}` });
          return;
        }
        if (depth + 1 >= MAX_CALL_FRAMES) {
          errors.push({ pc: lastPc, message: `the call stack of ${depth + 2} frames is too deep (at most ${MAX_CALL_FRAMES})` });
          return;
        }
        // the call checks its arguments here; its result comes after the callback loop
        b.nodes[b.nodes.length - 1] = mk(lastPc, { kind: 'call', helper: st.helper, phase: 'args' });
        const head = newBlock([]);
        head.callbackLoop = true;
        edge(b, head);
        const inst = instantiate(callee, [...chain, { callSite: lastPc, fn: callee.start }], st.helper);
        const calleeCtx = inst.entry.nodes[0]?.context ?? contexts.length - 1;
        const enter = newBlock([
          { pc: lastPc, stmt: { kind: 'callbackEnter', fn: callee.start, helper: st.helper, callSite: lastPc }, ins: lastIns, depth: depth + 1, context: calleeCtx },
        ]);
        edge(head, enter);
        edge(enter, inst.entry);
        const back = newBlock([{ pc: lastPc, stmt: { kind: 'callbackLeave', helper: st.helper }, ins: lastIns, depth: depth + 1, context: calleeCtx }]);
        for (const x of inst.exits) edge(x, back);
        edge(back, head);
        const result = newBlock([mk(lastPc, { kind: 'call', helper: st.helper, phase: 'result' })]);
        edge(head, result);
        if (cont) edge(result, cont);
        return;
      }
      if (cont) edge(b, cont);
    });
    return { entry: own[0]!, exits };
  };

  // an empty block before the entry, so that a loop back to pc 0 still has an edge from outside
  const start = newBlock([]);
  const rootFn = functions.find((f) => f.start === (input.root ?? 0)) ?? functions[0]!;
  const main = instantiate(rootFn, []);
  edge(start, main.entry);
  if (errors.length) return emptyCfg(errors, functions, insAt, slotCount);

  // ---- loop counters: a pre-header with `loopEntry` and a `loopHead` at each non-callback head
  let wto = weakTopologicalOrder(start.id, (v) => blocks[v]!.succs);
  const loops: LoopInfo[] = [];
  const inComponent = (v: number, head: number): boolean => (wto.nesting.get(v) ?? []).includes(head);
  const heads = [...wto.nesting.entries()].filter(([v, hs]) => hs[hs.length - 1] === v).map(([v]) => v);
  for (const h of heads) {
    const hb = blocks[h]!;
    if (hb.callbackLoop) continue;
    const counter = loops.length;
    const firstPc = firstPcFrom(blocks, h);
    const depth = hb.nodes[0]?.depth ?? nodeDepthFromPreds(blocks, h);
    const context = hb.nodes[0]?.context ?? nodeContextFromPreds(blocks, h);
    const strides = loopStrides(blocks, [...wto.nesting].filter(([, hs]) => hs.includes(h)).map(([v]) => v));
    hb.nodes.unshift({ pc: firstPc, stmt: { kind: 'loopHead', counter, strides }, depth, context });
    const outside = hb.preds.filter((p) => !inComponent(p, h));
    const pre = newBlock([{ pc: firstPc, stmt: { kind: 'loopEntry', counter, strides }, depth, context }]);
    for (const p of outside) {
      const pb = blocks[p]!;
      pb.succs[pb.succs.indexOf(h)] = pre.id;
      hb.preds.splice(hb.preds.indexOf(p), 1);
      pre.preds.push(p);
    }
    edge(pre, hb);
    const outerHeads = (wto.nesting.get(h) ?? []).slice(0, -1);
    loops.push({ counter, head: h, pc: firstPc, outer: outerHeads.map((x) => x) });
  }
  if (loops.length) wto = weakTopologicalOrder(start.id, (v) => blocks[v]!.succs);
  // outer loops by counter rather than by block
  const counterOfHead = new Map(loops.map((l) => [l.head, l.counter]));
  for (const l of loops) {
    const outer = l.outer.map((h) => counterOfHead.get(h)).filter((c): c is number => c !== undefined);
    l.outer.splice(0, l.outer.length, ...outer);
  }

  return { blocks, entry: start.id, contexts, functions, errors, loops, wto, insAt, slotCount };
}


/**
 * Replaces `r <<= 32; r >>= 32` (and `s>>= 32`) by one extend32 statement at the first pc and a
 * no-op at the second, so the pair keeps r's relations when r already fits in 32 bits.
 */
function fuseExtensions(nodes: Node[]): Node[] {
  for (let i = 0; i + 1 < nodes.length; i++) {
    const a = nodes[i]!.stmt;
    const b = nodes[i + 1]!.stmt;
    const is32 = (st: Stmt, op: string): boolean =>
      st.kind === 'alu' && st.op === op && st.is64 && st.src.kind === 'imm' && st.src.value === 32n;
    if (a.kind === 'alu' && b.kind === 'alu' && is32(a, 'lsh') && (is32(b, 'rsh') || is32(b, 'arsh')) && a.dst === b.dst) {
      nodes[i] = { ...nodes[i]!, stmt: { kind: 'extend32', dst: a.dst, signed: b.op === 'arsh' } };
      nodes[i + 1] = { ...nodes[i + 1]!, stmt: { kind: 'ja' } };
      continue;
    }
    // `a <<= 32; b = a; b >>= 32` (b another register): b = a; b = extend32(b); a <<= 32, the
    // same values in the end, with b keeping a's relations (a loop counter read through a copy)
    const c = nodes[i + 2]?.stmt;
    if (
      c &&
      a.kind === 'alu' &&
      is32(a, 'lsh') &&
      b.kind === 'mov' &&
      b.is64 &&
      b.signExtend === undefined &&
      b.src.kind === 'reg' &&
      b.src.reg === a.dst &&
      b.dst !== a.dst &&
      c.kind === 'alu' &&
      (is32(c, 'rsh') || is32(c, 'arsh')) &&
      c.dst === b.dst
    ) {
      const [na, nb, nc] = [nodes[i]!, nodes[i + 1]!, nodes[i + 2]!];
      nodes[i] = nb;
      nodes[i + 1] = { ...nc, stmt: { kind: 'extend32', dst: b.dst, signed: c.op === 'arsh' } };
      nodes[i + 2] = na;
      i += 2;
    }
  }
  return nodes;
}

/** Constant steps (other than 1) registers take inside a loop: candidates for scaled counters. */
function loopStrides(blocks: Block[], members: number[]): number[] {
  const seen = new Set<number>();
  for (const b of members) {
    for (const n of blocks[b]!.nodes) {
      const st = n.stmt;
      if (st.kind === 'alu' && (st.op === 'add' || st.op === 'sub') && st.src.kind === 'imm') {
        const v = Number(BigInt.asIntN(32, st.src.value));
        const k = st.op === 'add' ? v : -v;
        // +1 is the counter itself; a countdown (-1) and forward steps get a scaled copy (other
        // negative constants are mostly stack addresses being formed, not induction steps)
        if (k === -1 || (k > 1 && k < 512)) seen.add(k);
      }
    }
  }
  return [...seen].sort((a, b) => a - b).slice(0, 6);
}

function firstPcFrom(blocks: Block[], b: number): number {
  const seen = new Set<number>();
  let cur = b;
  while (!seen.has(cur)) {
    seen.add(cur);
    const n = blocks[cur]!.nodes[0];
    if (n) return n.pc;
    const s = blocks[cur]!.succs[0];
    if (s === undefined) break;
    cur = s;
  }
  return 0;
}

function nodeDepthFromPreds(blocks: Block[], b: number): number {
  for (const p of blocks[b]!.preds) {
    const n = blocks[p]!.nodes[blocks[p]!.nodes.length - 1];
    if (n) return n.depth;
  }
  return 0;
}

function nodeContextFromPreds(blocks: Block[], b: number): number {
  for (const p of blocks[b]!.preds) {
    const n = blocks[p]!.nodes[blocks[p]!.nodes.length - 1];
    if (n) return n.context;
  }
  return 0;
}

function emptyCfg(errors: CfgError[], functions: FunctionRange[], insAt: Map<number, Instruction>, slotCount: number): Cfg {
  return {
    blocks: [{ id: 0, nodes: [], succs: [], preds: [] }],
    entry: 0,
    contexts: [{ chain: [] }],
    functions,
    errors,
    loops: [],
    wto: { elements: [{ kind: 'vertex', v: 0 }], nesting: new Map() },
    insAt,
    slotCount,
  };
}
