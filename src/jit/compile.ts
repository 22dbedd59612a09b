/**
 * Builds one WebAssembly module per program: one function per bpf function entry (exported, so
 * helpers can run any of them as a callback), blocks laid out by binaryen's Relooper (or, for
 * comparison, a br_table dispatch loop), the memory imported from the memory model.
 *
 * Each basic block starts by charging its whole instruction count to the budget. When the budget
 * cannot cover a block, the `budget` import works out which instruction the interpreter would have
 * stopped at; if anything in the block before it could be observed (a store, a memory fault), the
 * block runs on with a fault pending: every memory access then goes through JS, which raises the
 * budget fault on reaching that instruction, and nothing past it takes effect.
 */
import type { ExecProgram } from '../helpers/exec-program.js';
import { BpfkitError, ErrorCode } from '../errors.js';
import { binaryen, type Expr, type Module } from './binaryen.js';
import { analyse, type Block, type ControlFlow, jumpTarget, callTarget } from './cfg.js';
import { emitAlu, isAlu } from './emit-alu.js';
import { emitCallx, emitExit, emitFault, emitHelperCall, emitLocalCall, outOfProgramFault } from './emit-call.js';
import { type EmitCtx, F64, I32, I64, NONE } from './emit-context.js';
import { jumpCondition } from './emit-jump.js';
import { emitMem, invalidateCache } from './emit-mem.js';
import { ENV, fnName, Global, Import, Local, PARAM_COUNT, retGlobal, RT, type StaticFault } from './runtime.js';

/** How blocks are laid out: structured control flow from the Relooper, or a br_table loop. */
export type Dispatch = 'relooper' | 'loop';
export type OptimizeLevel = 0 | 1 | 2 | 3;

export interface CompileOptions {
  optimize: OptimizeLevel;
  dispatch: Dispatch;
}

/** Where compile time went, in milliseconds. */
export interface CompileStats {
  analyseMs: number;
  generateMs: number;
  optimizeMs: number;
  emitMs: number;
  /** WebAssembly.Module construction (V8's validation and first-tier compile). */
  wasmMs: number;
  bytes: number;
  functions: number;
  blocks: number;
}

export interface CompiledProgram {
  readonly module: WebAssembly.Module;
  readonly cfg: ControlFlow;
  /** Faults known at compile time, indexed by the code the `fault` import receives. */
  readonly faults: readonly StaticFault[];
  readonly entries: ReadonlySet<number>;
  readonly stats: CompileStats;
}

const now = (): number => performance.now();

export function compileProgram(
  prog: ExecProgram,
  stackTop: number,
  options: CompileOptions,
  extraEntries: Iterable<number> = [],
): CompiledProgram {
  const t0 = now();
  const { slots } = prog;
  for (let pc = 0; pc < slots.length; pc++) {
    if (slots.dst[pc]! > 10 || (slots.src[pc]! > 10 && slots.op[pc] !== 0x18)) {
      throw new BpfkitError(ErrorCode.Unsupported, `pc ${pc}: register number out of range (r0..r10)`);
    }
  }
  const cfg = analyse(slots, prog.functions.map((f) => f.slot), extraEntries);
  const t1 = now();

  const m = new binaryen.Module();
  const faults: StaticFault[] = [];
  const faultCodes = new Map<string, number>();
  try {
    const ctx: EmitCtx = {
      m,
      slots,
      stackTop,
      staticStack: !cfg.writesR10,
      staticFault(f) {
        const key = `${f.kind}|${f.pc}|${f.reason}`;
        let code = faultCodes.get(key);
        if (code === undefined) {
          code = faults.length;
          faults.push(f);
          faultCodes.set(key, code);
        }
        return code;
      },
    };
    declareEnvironment(m);
    const regs = binaryen.createType(Array.from({ length: PARAM_COUNT }, () => I64));
    const vars = [I64, I64, I64, I64, I64, I64, I64, I64, I64, I32, I32];
    let blockCount = 0;
    for (const entry of cfg.entries) {
      const order = cfg.functionBlocks.get(entry)!;
      blockCount += order.length;
      const body =
        options.dispatch === 'relooper' ? relooperBody(ctx, cfg, order) : loopBody(ctx, cfg, order);
      m.addFunction(fnName(entry), regs, I64, vars, m.block(null, [...prologue(ctx), body, m.unreachable()]));
      m.addFunctionExport(fnName(entry), fnName(entry));
    }
    const t2 = now();
    if (options.optimize > 0) {
      binaryen.setOptimizeLevel(options.optimize);
      binaryen.setShrinkLevel(0);
      m.optimize();
    }
    const t3 = now();
    const bytes = m.emitBinary();
    const t4 = now();
    // binaryen returns a plain (non-shared) buffer; the cast only narrows the typing.
    const module = new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
    const t5 = now();
    return {
      module,
      cfg,
      faults,
      entries: new Set(cfg.entries),
      stats: {
        analyseMs: t1 - t0,
        generateMs: t2 - t1,
        optimizeMs: t3 - t2,
        emitMs: t4 - t3,
        wasmMs: t5 - t4,
        bytes: bytes.length,
        functions: cfg.entries.length,
        blocks: blockCount,
      },
    };
  } finally {
    m.dispose();
  }
}

/** Imports and globals every module has (see ./runtime.ts for what each means). */
function declareEnvironment(m: Module): void {
  m.setFeatures(binaryen.Features.MVP | binaryen.Features.SignExt | binaryen.Features.MutableGlobals);
  m.setMemory(1, 65536, null, [], false, false, 'mem');
  m.addMemoryImport('mem', ENV, 'memory');
  const t = binaryen.createType;
  m.addFunctionImport(Import.access, RT, Import.access, t([I32, I32, I32]), NONE);
  m.addFunctionImport(Import.budget, RT, Import.budget, t([I32, I32]), NONE);
  m.addFunctionImport(Import.fault, RT, Import.fault, t([I32]), NONE);
  m.addFunctionImport(Import.helper, RT, Import.helper, t([I32, I32, I64, I64, I64, I64, I64]), I64);
  m.addFunctionImport(Import.callx, RT, Import.callx, t([I32, I64, ...Array.from({ length: PARAM_COUNT }, () => I64)]), I64);
  m.addFunctionImport(Import.legacy, RT, Import.legacy, t([I32, I32]), I32);
  m.addGlobal(Global.rem, F64, true, m.f64.const(0));
  m.addGlobal(Global.depth, I32, true, m.i32.const(0));
  m.addGlobal(Global.bS, I32, true, m.i32.const(0));
  m.addGlobal(Global.bE, I32, true, m.i32.const(0));
  for (const g of [Global.rem, Global.depth, Global.bS, Global.bE]) m.addGlobalExport(g, g);
  for (let r = 1; r <= 5; r++) {
    m.addGlobal(retGlobal(r), I64, true, m.i64.const(0n));
    m.addGlobalExport(retGlobal(r), retGlobal(r));
  }
}

/** r10 from the call depth, the base of static stack accesses, and the budget into its local. */
function prologue(c: EmitCtx): Expr[] {
  const m = c.m;
  const fp = m.i32.sub(m.i32.const(c.stackTop), m.i32.shl(m.global.get(Global.depth, I32), m.i32.const(9)));
  return [
    m.local.set(Local.FPB, m.i32.sub(fp, m.i32.const(512))),
    m.local.set(Local.R10, m.i64.extend_u(m.i32.add(m.local.get(Local.FPB, I32), m.i32.const(512)))),
    m.local.set(Local.REM, m.i64.trunc_s.f64(m.global.get(Global.rem, F64))),
  ];
}

/** Charges the block's instructions; when they do not fit, lets JS decide (see the file comment). */
function budgetCheck(c: EmitCtx, block: Block): Expr[] {
  const m = c.m;
  const n = block.pcs.length;
  const rem = (): Expr => m.local.get(Local.REM, I64);
  return [
    m.local.set(Local.REM, m.i64.sub(rem(), m.i64.const(BigInt(n)))),
    m.if(
      m.i64.lt_s(rem(), m.i64.const(0n)),
      m.block(null, [
        m.call(Import.budget, [m.i32.const(block.start), m.i32.wrap(m.i64.add(rem(), m.i64.const(BigInt(n))))], NONE),
        ...invalidateCache(c),
      ]),
    ),
  ];
}

/** The block's statements, its terminator's included (jumps have none: they become branches). */
function blockCode(c: EmitCtx, block: Block): Expr[] {
  const out = budgetCheck(c, block);
  const { op, src } = c.slots;
  for (const pc of block.pcs) {
    const o = op[pc]!;
    switch (block.flow === 'next' || pc !== block.pcs[block.pcs.length - 1] ? 'next' : block.flow) {
      case 'next':
      case 'legacy':
        out.push(...(isAlu(o) ? emitAlu(c, pc) : emitMem(c, pc)));
        break;
      case 'cond':
      case 'ja':
        break;
      case 'exit':
        out.push(...emitExit(c));
        break;
      case 'call-local':
        out.push(...emitLocalCall(c, pc, callTarget(c.slots, pc)));
        break;
      case 'call-helper':
        out.push(...(o === 0x8d ? emitCallx(c, pc) : emitHelperCall(c, pc)));
        break;
      case 'fault': {
        const reason =
          o === 0x85 && src[pc] === 2
            ? `kfunc call (BTF id ${c.slots.imm[pc]}) is not supported`
            : `unknown opcode 0x${o.toString(16).padStart(2, '0')}`;
        out.push(emitFault(c, c.staticFault({ kind: o === 0x85 ? 'helper' : 'invalid', pc, reason })));
        break;
      }
    }
  }
  return out;
}

/** A block's outgoing edges: [target, condition or 0 for "otherwise"]. */
function edges(c: EmitCtx, block: Block): Array<[number, Expr]> {
  const last = block.pcs[block.pcs.length - 1]!;
  if (block.flow === 'cond') {
    const [taken, fall] = block.succs as [number, number];
    if (taken === fall) return [[taken, 0]];
    return [
      [taken, jumpCondition(c, last)],
      [fall, 0],
    ];
  }
  if (block.flow === 'ja') return [[jumpTarget(c.slots, last), 0]];
  return block.succs.map((s) => [s, 0]);
}

const inProgram = (c: EmitCtx, pc: number): boolean => pc >= 0 && pc < c.slots.length;

function relooperBody(c: EmitCtx, cfg: ControlFlow, order: readonly number[]): Expr {
  const m = c.m;
  const r = new binaryen.Relooper(m);
  const ids = new Map<number, number>();
  for (const start of order) ids.set(start, r.addBlock(m.block(null, blockCode(c, cfg.blocks.get(start)!))));
  const outside = new Map<number, number>();
  const idOf = (pc: number): number => {
    if (inProgram(c, pc)) return ids.get(pc)!;
    let id = outside.get(pc);
    if (id === undefined) {
      id = r.addBlock(emitFault(c, outOfProgramFault(c, pc)));
      outside.set(pc, id);
    }
    return id;
  };
  for (const start of order) {
    const from = ids.get(start)!;
    for (const [to, cond] of edges(c, cfg.blocks.get(start)!)) r.addBranch(from, idOf(to), cond, 0);
  }
  return r.renderAndDispose(ids.get(order[0]!)!, Local.LABEL);
}

/**
 * The alternative layout: `loop { br_table over nested blocks }`, every jump a write of the label
 * local and a branch back to the loop (a fall-through into the next block costs nothing).
 */
function loopBody(c: EmitCtx, cfg: ControlFlow, order: readonly number[]): Expr {
  const m = c.m;
  const targets = [...order];
  const index = new Map<number, number>();
  order.forEach((pc, i) => index.set(pc, i));
  for (const start of order) {
    for (const s of cfg.blocks.get(start)!.succs) {
      if (!inProgram(c, s) && !index.has(s)) {
        index.set(s, targets.length);
        targets.push(s);
      }
    }
  }
  const label = (i: number): string => `b${i}`;
  const goTo = (i: number, from: number): Expr[] =>
    i === from + 1 ? [] : [m.local.set(Local.LABEL, m.i32.const(i)), m.br('dispatch')];
  const codeOf = (i: number): Expr[] => {
    const pc = targets[i]!;
    if (!inProgram(c, pc)) return [emitFault(c, outOfProgramFault(c, pc))];
    const block = cfg.blocks.get(pc)!;
    const out = blockCode(c, block);
    const e = edges(c, block);
    if (e.length === 2) {
      const [[taken, cond], [fall]] = e as [[number, Expr], [number, Expr]];
      const t = index.get(taken)!;
      if (t === i + 1) out.push(m.if(m.i32.eqz(cond), m.block(null, goTo(index.get(fall)!, -2))));
      else out.push(m.if(cond, m.block(null, goTo(t, -2))), ...goTo(index.get(fall)!, i));
    } else if (e.length === 1) {
      out.push(...goTo(index.get(e[0]![0])!, i));
    }
    return out;
  };
  let cur = m.block(label(0), [m.switch(targets.map((_, i) => label(i)), label(0), m.local.get(Local.LABEL, I32))]);
  for (let i = 0; i < targets.length - 1; i++) cur = m.block(label(i + 1), [cur, ...codeOf(i)]);
  const last = targets.length - 1;
  return m.block(null, [
    m.local.set(Local.LABEL, m.i32.const(0)),
    m.loop('dispatch', m.block(null, [cur, ...codeOf(last)])),
  ]);
}
