/**
 * Builds one WebAssembly module per program: one function per bpf function entry (exported, so
 * helpers can run any of them as a callback), the memory imported from the memory model.
 *
 * Two back ends share every emitter: the direct one (./wasm-builder.ts writes the binary, blocks
 * laid out by ./structure.ts; no binaryen, about a millisecond per thousand instructions) and
 * binaryen (its Relooper, chunked for large functions; ./compile-binaryen.ts). binaryen's
 * optimizer runs on either's output when an optimize level is asked for; the differential tests
 * hold both back ends and every level to the interpreter. A br_table dispatch loop is the third
 * layout, for comparison and for graphs structure.ts cannot lay out (irreducible ones).
 *
 * Each basic block starts by charging its whole instruction count to the budget. When the budget
 * cannot cover a block, the block leaves for its function's exhaustion exit and the `budget` import
 * works out which instruction the interpreter would have stopped at; if anything in the block
 * before it could be observed (a store, a memory fault), a replay of the block up to there, built
 * then (`compileReplay`), runs with every access through JS, so the engine raises the same fault
 * at the same pc with the same memory as the interpreter (see `budgetCheck`).
 *
 * Functions larger than a chunk of blocks are laid out chunk by chunk (`chunkedBody`): binaryen's
 * Relooper recurses per block and would overflow the stack on 100k-instruction programs.
 */
import type { ExecProgram } from '../helpers/exec-program.js';
import { BpfkitError, ErrorCode } from '../errors.js';
import { analyse, type Block, type ControlFlow, flowOf, jumpTarget, callTarget, staticStackLoad } from './cfg.js';
import { emitAlu, isAlu } from './emit-alu.js';
import { emitCallx, emitExit, emitFault, emitHelperCall, emitLocalCall, emitOutOfProgram } from './emit-call.js';
import { type EmitCtx, F64, I32, I64, NONE, SAVE_GLOBALS, saveGlobal } from './emit-context.js';
import { structure, type FlowGraph } from './structure.js';
import type { Expr } from './types.js';
import { type CodeBuilder, ModuleWriter } from './wasm-builder.js';
import { liveAfter, liveIn, liveOut, useDefTable } from './liveness.js';
import { jumpCondition } from './emit-jump.js';
import { accessOf, emitMem, isAccess } from './emit-mem.js';
import { fastLoop } from './emit-loop.js';
import { countedLoop } from './loops.js';
import { ENV, fnName, Global, Import, Local, LOOKUP, MAIN, MAIN32, MAILBOX, PARAM_COUNT, REGION_COUNT, REGION_TABLE, retGlobal, RT, STACK_TOP, type StaticFault } from './runtime.js';

/**
 * How blocks are laid out: structured control flow (the back end's own: structure.ts or
 * binaryen's Relooper), or a br_table loop.
 */
export type Dispatch = 'relooper' | 'loop';
/** Who builds the module: the direct binary writer (default), or binaryen's IR. */
export type Codegen = 'direct' | 'binaryen';
export type OptimizeLevel = 0 | 1 | 2 | 3;

export interface CompileOptions {
  optimize: OptimizeLevel;
  dispatch: Dispatch;
  /** Default 'direct'. 'binaryen', and any optimize level above 0, need binaryen loaded. */
  codegen?: Codegen;
  /**
   * binaryen back end: functions with more blocks than this are laid out in chunks of this many
   * (see `chunkedBody` in ./compile-binaryen.ts); default {@link DEFAULT_CHUNK}. Tests make it tiny to exercise the chunking.
   */
  chunkBlocks?: number;
  /** Run binaryen's validator on the module, before and after optimizing (debugging; needs binaryen). */
  validate?: boolean;
  /**
   * Count block entries and taken conditional jumps in exported i32 globals (see
   * {@link coverageGlobals}). Off, the module is exactly what it is without the option.
   */
  coverage?: boolean;
}

/**
 * Names of the coverage counters: `cb<start>` counts entries into the block starting at `start`,
 * `ct<pc>` the times the conditional jump at `pc` was taken. Mutable i32 globals, exported, wrap
 * at 2^32 as the collector's Uint32Array does. Globals rather than a memory region: the memory
 * model owns every byte of the imported memory, and a global increment is as cheap as a store.
 */
export const coverageGlobals = {
  block: (start: number): string => `cb${start}`,
  taken: (pc: number): string => `ct${pc}`,
  /**
   * The conditional jump just evaluated, or -1 once a block is under way: when the budget runs
   * out on the first instruction after a jump, the interpreter's hook never counts the jump's
   * direction, and the engine takes it back (engine.ts).
   */
  last: 'cvLast',
} as const;

/** Extra i32 local of coverage builds: a conditional jump's outcome, counted then branched on. */
const COND_LOCAL = Local.LMID + 1;

/** Blocks per Relooper run in a large function (binaryen's Relooper recurses per block). */
export const DEFAULT_CHUNK = 256;

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
  /**
   * The replay of the block at `start` stopped by the budget after `count` instructions (see
   * {@link compileReplay}), compiled on first use and kept.
   */
  replay(start: number, count: number): WebAssembly.Module;
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
  const codegen = options.codegen ?? 'direct';
  const needBinaryen = codegen === 'binaryen' || options.optimize > 0;
  if (needBinaryen && binaryenBackend === undefined) {
    throw new BpfkitError(
      ErrorCode.Unsupported,
      `jit: ${codegen === 'binaryen' ? 'the binaryen code generator' : `optimize level ${options.optimize}`} needs binaryen: await loadJit({ binaryen: true }) first`,
    );
  }
  const t1 = now();
  const faults: StaticFault[] = [];
  const sink: DirectModule | ReturnType<BinaryenBackend['newModule']> = codegen === 'binaryen' ? binaryenBackend!.newModule() : new DirectModule();
  let bytes: Uint8Array;
  let t2: number;
  let t3: number;
  try {
    const blockCount = generate(sink, prog, cfg, stackTop, options, faults);
    t2 = now();
    if (sink instanceof DirectModule) {
      bytes = sink.emit();
      t3 = now();
      if (options.optimize > 0 || options.validate) bytes = binaryenBackend!.optimizeBinary(bytes, options.optimize, options.validate === true);
    } else {
      bytes = sink.finish(options.optimize, options.validate === true);
      t3 = now();
    }
    const t4 = now();
    // binaryen returns a plain (non-shared) buffer; the cast only narrows the typing.
    const module = new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
    const t5 = now();
    const direct = sink instanceof DirectModule;
    const replays = new Map<string, WebAssembly.Module>();
    return {
      module,
      replay(start, count) {
        // Stopping points with the same last access share a replay.
        const upTo = lastReplayed(prog.slots, cfg.blocks.get(start)!, count, !cfg.writesR10) + 1;
        const key = `${start}:${upTo}`;
        let r = replays.get(key);
        if (r === undefined) {
          r = compileReplay(prog, cfg, start, upTo, stackTop);
          replays.set(key, r);
        }
        return r;
      },
      cfg,
      faults,
      entries: new Set(cfg.entries),
      stats: {
        analyseMs: t1 - t0,
        generateMs: t2 - t1,
        // Direct code: writing the binary is the emit step, binaryen's pass (if any) the optimize one.
        optimizeMs: direct ? t4 - t3 : t3 - t2,
        emitMs: direct ? t3 - t2 : t4 - t3,
        wasmMs: t5 - t4,
        bytes: bytes.length,
        functions: cfg.entries.length,
        blocks: blockCount,
      },
    };
  } finally {
    if (!(sink instanceof DirectModule)) sink.dispose?.();
  }
}

/**
 * Where a module is built: ./wasm-builder.ts writes the binary itself; binaryen's module (see
 * ./compile-binaryen.ts) builds its IR, lays functions out with its Relooper, and optimises.
 */
export interface ModuleSink {
  readonly m: CodeBuilder;
  importMemory(module: string, name: string, min: number, max: number): void;
  importFunction(id: string, module: string, name: string, params: readonly number[], result: number): void;
  addGlobal(name: string, type: number, mutable: boolean, init: number | bigint): void;
  exportGlobal(name: string): void;
  addFunction(name: string, params: readonly number[], result: number, vars: readonly number[], body: Expr): void;
  exportFunction(name: string): void;
  /**
   * A function's body laid out with the back end's own structuring, or undefined to get the
   * default (structure.ts, or the br_table loop where that cannot lay the graph out).
   */
  layout?(c: EmitCtx, cfg: ControlFlow, entry: number, order: readonly number[], options: CompileOptions): Expr | undefined;
  dispose?(): void;
}

/** The binaryen back end, once loaded (./compile-binaryen.ts registers itself on import). */
export interface BinaryenBackend {
  newModule(): ModuleSink & { finish(optimize: OptimizeLevel, validate: boolean): Uint8Array };
  /** Reads a module binaryen did not build, validates and optimises it, and writes it back. */
  optimizeBinary(bytes: Uint8Array, optimize: OptimizeLevel, validate: boolean): Uint8Array;
}
let binaryenBackend: BinaryenBackend | undefined;
export function registerBinaryen(b: BinaryenBackend): void {
  binaryenBackend = b;
}
export const binaryenRegistered = (): boolean => binaryenBackend !== undefined;

class DirectModule extends ModuleWriter implements ModuleSink {
  get m(): CodeBuilder {
    return this.b;
  }
}

/** Fills `sink` with the program's module; returns the number of blocks laid out. */
function generate(sink: ModuleSink, prog: ExecProgram, cfg: ControlFlow, stackTop: number, options: CompileOptions, faults: StaticFault[]): number {
  const { slots } = prog;
  const faultCodes = new Map<string, number>();
  const calls = hasCalls(slots, cfg);
  const caches = cacheUse(slots, cfg);
  const exitUse = calls ? 0x3f : 1;
  const table = useDefTable(slots, exitUse);
  const live = liveIn(cfg, slots, calls, table);
  const ctx: EmitCtx = {
    m: sink.m,
    slots,
    live: 0,
    labels: 0,
    exitUse,
    useDef: table,
    usesReadCache: caches.read,
    usesWriteCache: caches.write,
    blockLive: live,
    stackTop,
    coverage: options.coverage === true,
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
  declareEnvironment(sink);
  if (options.coverage) declareCoverage(sink, cfg);
  const regs = Array.from({ length: PARAM_COUNT }, () => I64);
  const vars = [I64, I64, I64, I64, I64, I64, I64, I64, I64, I32, I32, I32, I32, I64, I64];
  if (options.coverage) vars.push(I32); // COND_LOCAL
  let blockCount = 0;
  for (const entry of cfg.entries) {
    const order = cfg.functionBlocks.get(entry)!;
    blockCount += order.length;
    const m = ctx.m;
    let body = sink.layout?.(ctx, cfg, entry, order, options);
    if (body === undefined && options.dispatch === 'relooper') {
      const code = structure(m, flowGraph(ctx, cfg, entry));
      if (code !== undefined) body = m.block(null, code);
    }
    body ??= loopBody(ctx, cfg, order);
    const exits = m.block(null, [m.block(EXHAUSTED, [body, m.unreachable()]), ...exhaustionExit(ctx)]);
    sink.addFunction(fnName(entry), regs, I64, vars, m.block(null, [...prologue(ctx), exits]));
    sink.exportFunction(fnName(entry));
  }
  if (cfg.entries.includes(0)) addMain(sink);
  addLookup(sink);
  return blockCount;
}

/**
 * `lookup(ea, size, write) -> found`: the region table search (see REGION_TABLE in ./runtime.ts).
 * Found: the access is allowed (inside one region, one element of a strided one, writable when
 * written) and bS/bE hold the bounds the JS slow path would have set. Not found: JS decides (and
 * words the fault). Regions never overlap, so the first region holding the access is the one.
 */
function addLookup(sink: ModuleSink): void {
  const m = sink.m;
  const EA = 0, SIZE = 1, WRITE = 2, P = 3, END = 4, A = 5, START = 6, STRIDE = 7, ES = 8, OFF = 9;
  const g = (l: number): Expr => m.local.get(l, I32);
  const set = (l: number, v: Expr): Expr => m.local.set(l, v);
  const load = (offset: number): Expr => m.i32.load(offset, 1, g(P));
  const no = (): Expr => m.return(m.i32.const(0));
  const found = (start: Expr, end: Expr): Expr[] => [m.global.set(Global.bS, start), m.global.set(Global.bE, end), m.return(m.i32.const(1))];
  const body = m.block(null, [
    m.if(m.i32.wrap(m.i64.shr_u(m.local.get(EA, I64), m.i64.const(32n))), no()),
    set(A, m.i32.wrap(m.local.get(EA, I64))),
    // The stack first: the frames from the current depth's up to STACK_TOP (0 when not writable,
    // which nothing fits under). A callback reaching into its caller's frame lands here each call.
    set(START, m.i32.sub(m.i32.load(0, 1, m.i32.const(STACK_TOP)), m.i32.shl(m.i32.add(m.global.get(Global.depth, I32), m.i32.const(1)), m.i32.const(9)))),
    m.if(
      m.i32.and(
        m.i32.ge_u(g(A), g(START)),
        m.i64.le_u(m.i64.add(m.i64.extend_u(g(A)), m.i64.extend_u(g(SIZE))), m.i64.extend_u(m.i32.load(0, 1, m.i32.const(STACK_TOP)))),
      ),
      m.block(null, found(g(START), m.i32.load(0, 1, m.i32.const(STACK_TOP)))),
    ),
    set(P, m.i32.const(REGION_TABLE)),
    set(END, m.i32.add(m.i32.const(REGION_TABLE), m.i32.shl(m.i32.load(0, 1, m.i32.const(REGION_COUNT)), m.i32.const(4)))),
    m.loop(
      'scan',
      m.block(null, [
        m.if(m.i32.ge_u(g(P), g(END)), no()),
        set(START, load(0)),
        m.if(
          m.i32.and(
            m.i32.ge_u(g(A), g(START)),
            // In 64 bits: a + size may pass 2^32.
            m.i64.le_u(m.i64.add(m.i64.extend_u(g(A)), m.i64.extend_u(g(SIZE))), m.i64.extend_u(load(4))),
          ),
          m.block(null, [
            set(STRIDE, load(8)),
            set(ES, load(12)),
            m.if(m.i32.and(g(WRITE), m.i32.eqz(m.i32.shr_u(g(ES), m.i32.const(31)))), no()),
            set(ES, m.i32.and(g(ES), m.i32.const(0x7fffffff))),
            m.if(m.i32.eqz(g(STRIDE)), m.block(null, found(g(START), load(4)))),
            set(OFF, m.i32.rem_u(m.i32.sub(g(A), g(START)), g(STRIDE))),
            m.if(m.i32.gt_u(m.i32.add(g(OFF), g(SIZE)), g(ES)), no()),
            ...found(m.i32.sub(g(A), g(OFF)), m.i32.add(m.i32.sub(g(A), g(OFF)), g(ES))),
          ]),
        ),
        set(P, m.i32.add(g(P), m.i32.const(16))),
        m.br('scan'),
      ]),
    ),
  ]);
  sink.addFunction(LOOKUP, [I64, I32, I32], I32, [I32, I32, I32, I32, I32, I32, I32], body);
}

/** A function's blocks as structure.ts sees them (targets outside the program are nodes too). */
function flowGraph(c: EmitCtx, cfg: ControlFlow, entry: number): FlowGraph {
  return {
    entry,
    code: (pc) => (inProgram(c, pc) ? blockCode(c, cfg.blocks.get(pc)!) : emitOutOfProgram(c, pc)),
    edges: (pc) => (inProgram(c, pc) ? edges(c, cfg.blocks.get(pc)!) : []),
    preheader(pc) {
      // Coverage builds count every trip of every block: they keep the loop as it is.
      if (c.coverage || !inProgram(c, pc)) return [];
      const loop = countedLoop(c.slots, cfg.blocks.get(pc)!, c.staticStack);
      return loop === undefined ? [] : fastLoop(c, loop);
    },
  };
}

/** One counter per block and one per conditional jump (see {@link coverageGlobals}). */
function declareCoverage(sink: ModuleSink, cfg: ControlFlow): void {
  const add = (name: string): void => {
    sink.addGlobal(name, I32, true, 0);
    sink.exportGlobal(name);
  };
  add(coverageGlobals.last);
  for (const b of cfg.blocks.values()) {
    add(coverageGlobals.block(b.start));
    if (b.flow === 'cond') add(coverageGlobals.taken(b.pcs[b.pcs.length - 1]!));
  }
}

/** `name += by` on an i32 counter global. */
function bump(c: EmitCtx, name: string, by: Expr): Expr {
  const m = c.m;
  return m.global.set(name, m.i32.add(m.global.get(name, I32), by));
}

/** Whether the program makes checked reads and writes (static stack accesses need no cache). */
function cacheUse(slots: ExecProgram['slots'], cfg: ControlFlow): { read: boolean; write: boolean } {
  const out = { read: false, write: false };
  for (const b of cfg.blocks.values()) {
    for (const pc of b.pcs) {
      const a = accessOf(slots.op[pc]!);
      if (a === undefined) continue;
      const base = a.write ? slots.dst[pc]! : slots.src[pc]!;
      const off = slots.off[pc]!;
      if (!cfg.writesR10 && base === 10 && off >= -512 && off + a.size <= 0) continue;
      if (a.write) out.write = true;
      else out.read = true;
    }
  }
  return out;
}

/** True when some function may be entered by a local call or callx (then exits hand back r1..r5). */
function hasCalls(slots: ExecProgram['slots'], cfg: ControlFlow): boolean {
  for (const b of cfg.blocks.values()) {
    const last = b.pcs[b.pcs.length - 1]!;
    if (flowOf(slots, last) === 'call-local' || slots.op[last] === 0x8d) return true;
  }
  return false;
}

/** Imports and globals every module has (see ./runtime.ts for what each means). */
function declareEnvironment(sink: ModuleSink): void {
  sink.importMemory(ENV, 'memory', 1, 65536);
  const i64s = (n: number): number[] => Array.from({ length: n }, () => I64);
  sink.importFunction(Import.access, RT, Import.access, [I32, I32, I32], I32);
  sink.importFunction(Import.budget, RT, Import.budget, [I32, I32, ...i64s(11)], NONE);
  sink.importFunction(Import.fault, RT, Import.fault, [I32], NONE);
  for (let n = 0; n <= 5; n++) sink.importFunction(Import.helperN(n), RT, Import.helperN(n), [I32, I32, I32, ...i64s(n)], I64);
  sink.importFunction(Import.helperm, RT, Import.helperm, [I32, I32, I32], I32);
  sink.importFunction(Import.callx, RT, Import.callx, [I32, I64, ...i64s(PARAM_COUNT)], I64);
  sink.importFunction(Import.legacy, RT, Import.legacy, [I32, I32], I32);
  sink.addGlobal(Global.rem, F64, true, 0);
  sink.addGlobal(Global.depth, I32, true, 0);
  sink.addGlobal(Global.bS, I32, true, 0);
  sink.addGlobal(Global.bE, I32, true, 0);
  for (const g of [Global.rem, Global.depth, Global.bS, Global.bE]) sink.exportGlobal(g);
  for (let r = 1; r <= 5; r++) {
    sink.addGlobal(retGlobal(r), I64, true, 0n);
    sink.exportGlobal(retGlobal(r));
  }
  for (const [name, type] of SAVE_GLOBALS) sink.addGlobal(name, type, true, type === I64 ? 0n : 0);
  // The budget an access's slow path saved: JS reads it when that access faults.
  sink.exportGlobal('sREM');
}


/**
 * `main(r1..r5, budget)`: a run's entry. Setting the budget and depth here, and passing five
 * arguments rather than ten, keeps the JS-to-WebAssembly crossing cheap (it is most of a short
 * program's run time).
 */
function addMain(sink: ModuleSink): void {
  const m = sink.m;
  const arg = (i: number): Expr => m.local.get(i, I64);
  const zero = (): Expr => m.i64.const(0n);
  sink.addFunction(
    MAIN,
    [I64, I64, I64, I64, I64, F64],
    I64,
    [],
    m.block(null, [
      m.global.set(Global.rem, m.local.get(5, F64)),
      m.global.set(Global.depth, m.i32.const(0)),
      m.call(fnName(0), [zero(), arg(0), arg(1), arg(2), arg(3), arg(4), zero(), zero(), zero(), zero()], I64),
    ]),
  );
  sink.exportFunction(MAIN);
  // main32 (see ./runtime.ts): r1, r2 zero-extended, r0's high half and the budget to the mailbox.
  const r0 = (): Expr => m.local.get(3, I64);
  const u = (i: number): Expr => m.i64.extend_u(m.local.get(i, I32));
  sink.addFunction(
    MAIN32,
    [I32, I32, F64],
    I32,
    [I64],
    m.block(null, [
      m.global.set(Global.rem, m.local.get(2, F64)),
      m.global.set(Global.depth, m.i32.const(0)),
      m.local.set(3, m.call(fnName(0), [zero(), u(0), u(1), zero(), zero(), zero(), zero(), zero(), zero(), zero()], I64)),
      m.i64.store32(0, 1, m.i32.const(MAILBOX), m.i64.shr_u(r0(), m.i64.const(32n))),
      m.f64.store(0, 1, m.i32.const(MAILBOX + 8), m.global.get(Global.rem, F64)),
      m.i32.wrap(r0()),
    ]),
  );
  sink.exportFunction(MAIN32);
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


/**
 * Charges the block's instructions. When they do not fit, the block leaves the function's body for
 * its exhaustion exit (`exhaustionExit`) with the registers a replay of the block reads in their
 * save globals. Nothing but a branch out stays in the block: a loop keeps no call into JS for the
 * budget (V8's optimizing tier unrolls only loops without calls), and no copy of the block is
 * compiled ahead: the replay is built when the budget actually runs out ({@link compileReplay}).
 */
function budgetCheck(c: EmitCtx, block: Block): Expr[] {
  const m = c.m;
  const n = block.pcs.length;
  const rem = (): Expr => m.local.get(Local.REM, I64);
  const last = lastReplayed(c.slots, block, n, c.staticStack);
  // The replay reads these registers before writing them.
  let needs = 0;
  for (let i = last; i >= 0; i--) {
    const pc = block.pcs[i]!;
    needs = (needs & ~c.useDef.def[pc]!) | c.useDef.use[pc]!;
  }
  const out: Expr[] = [];
  for (let r = 0; r <= 10; r++) if (needs & (1 << r)) out.push(m.global.set(saveGlobal(r), m.local.get(r, I64)));
  out.push(m.local.set(Local.BLK, m.i32.const(block.start)), m.br(EXHAUSTED));
  return [m.local.set(Local.REM, m.i64.sub(rem(), m.i64.const(BigInt(n)))), m.if(m.i64.lt_s(rem(), m.i64.const(0n)), m.block(null, out))];
}

/**
 * Index of the last instruction among a block's first `count` that a replay must run: the last
 * memory access that can fault or be seen afterwards (a static stack load can do neither), or -1.
 */
function lastReplayed(slots: ExecProgram['slots'], block: Block, count: number, staticStack: boolean): number {
  let last = -1;
  for (let i = 0; i < count; i++) {
    const pc = block.pcs[i]!;
    if (isAccess(slots.op[pc]!) && !(staticStack && staticStackLoad(slots, pc))) last = i;
  }
  return last;
}

/** Label of the block each function's body sits in; a block the budget cannot cover leaves it. */
const EXHAUSTED = 'xh';

/**
 * Where a block the budget cannot cover goes: the `budget` import, with the block, the budget
 * left and the registers its replay reads (from their save globals, so no register local is live
 * into this exit). It never comes back: it raises the budget fault, or a fault the replay reaches.
 */
function exhaustionExit(c: EmitCtx): Expr[] {
  const m = c.m;
  const regs = Array.from({ length: 11 }, (_, r) => m.global.get(saveGlobal(r), I64));
  return [m.call(Import.budget, [m.local.get(Local.BLK, I32), m.i32.wrap(m.local.get(Local.REM, I64)), ...regs], NONE), m.unreachable()];
}

/** Export name of a replay module's function (see {@link compileReplay}). */
export const REPLAY = 'replay';

/**
 * The replay of the block at `start` when the budget stops it after `count` instructions: those
 * instructions up to the last memory access among them, every access through the `access` import
 * (which the engine has armed to raise the budget fault past that point, and which faults as the
 * interpreter does before it). `replay(r0..r10)` starts from the registers the block started
 * with. Built only when the budget runs out: most runs never need it.
 */
export function compileReplay(prog: ExecProgram, cfg: ControlFlow, start: number, count: number, stackTop: number): WebAssembly.Module {
  const { slots } = prog;
  const block = cfg.blocks.get(start)!;
  const staticStack = !cfg.writesR10;
  const last = lastReplayed(slots, block, count, staticStack);
  const sink = new DirectModule();
  sink.importMemory(ENV, 'memory', 1, 65536);
  sink.importFunction(Import.access, RT, Import.access, [I32, I32, I32], I32);
  for (const [name, type] of SAVE_GLOBALS) sink.addGlobal(name, type, true, type === I64 ? 0n : 0);
  const ctx: EmitCtx = {
    m: sink.m,
    slots,
    live: 0,
    labels: 0,
    exitUse: 1,
    useDef: { use: new Uint16Array(0), def: new Uint16Array(0) },
    usesReadCache: false,
    usesWriteCache: false,
    blockLive: new Map(),
    stackTop,
    coverage: false,
    staticStack,
    staticFault() {
      throw new Error('jit: a replay raises no static fault');
    },
  };
  const code: Expr[] = [];
  for (let i = 0; i <= last; i++) {
    const pc = block.pcs[i]!;
    code.push(...(isAlu(slots.op[pc]!) ? emitAlu(ctx, pc) : emitMem(ctx, pc, 'short')));
  }
  const vars = [I64, I64, I64, I64, I64, I64, I64, I64, I32, I32, I32];
  sink.addFunction(REPLAY, Array.from({ length: 11 }, () => I64), NONE, vars, sink.m.block(null, code));
  sink.exportFunction(REPLAY);
  return new WebAssembly.Module(sink.emit() as Uint8Array<ArrayBuffer>);
}

/** The block's statements, its terminator's included (jumps have none: they become branches). */
export function blockCode(c: EmitCtx, block: Block): Expr[] {
  // The entry count goes before the budget check: a block stopped partway (budget, memory fault)
  // was still entered, and the engine takes back the slots it did not reach (engine.ts).
  const out = c.coverage
    ? [
        bump(c, coverageGlobals.block(block.start), c.m.i32.const(1)),
        ...budgetCheck(c, block),
        c.m.global.set(coverageGlobals.last, c.m.i32.const(-1)),
      ]
    : budgetCheck(c, block);
  const { op, src } = c.slots;
  const after = liveAfter(c.useDef, block, liveOut(block, c.blockLive));
  const use = c.useDef.use;
  for (let i = 0; i < block.pcs.length; i++) {
    const pc = block.pcs[i]!;
    const o = op[pc]!;
    // Across an access's slow path: what the rest needs, and what the access itself still reads.
    c.live = (after[i]! & ~c.useDef.def[pc]!) | use[pc]!;
    switch (block.flow === 'next' || pc !== block.pcs[block.pcs.length - 1] ? 'next' : block.flow) {
      case 'next':
      case 'legacy':
        out.push(...(isAlu(o) ? emitAlu(c, pc) : emitMem(c, pc)));
        break;
      case 'cond':
        if (c.coverage) out.push(...countCond(c, block));
        break;
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

/**
 * Counts a conditional jump's outcome: the condition goes to a local, is added to the taken
 * counter, and is what `edges` branches on (registers do not change in between). A jump to the
 * next instruction counts as taken, as the interpreter's coverage hook counts it.
 */
function countCond(c: EmitCtx, block: Block): Expr[] {
  const m = c.m;
  const last = block.pcs[block.pcs.length - 1]!;
  const name = coverageGlobals.taken(last);
  const [taken, fall] = block.succs as [number, number];
  const mark = m.global.set(coverageGlobals.last, m.i32.const(last));
  if (taken === fall) return [bump(c, name, m.i32.const(1)), mark];
  return [m.local.set(COND_LOCAL, jumpCondition(c, last)), bump(c, name, m.local.get(COND_LOCAL, I32)), mark];
}

/** A block's outgoing edges: [target, condition or 0 for "otherwise"]. */
export function edges(c: EmitCtx, block: Block): Array<[number, Expr]> {
  const last = block.pcs[block.pcs.length - 1]!;
  if (block.flow === 'cond') {
    const [taken, fall] = block.succs as [number, number];
    if (taken === fall) return [[taken, 0]];
    return [
      [taken, c.coverage ? c.m.local.get(COND_LOCAL, I32) : jumpCondition(c, last)],
      [fall, 0],
    ];
  }
  if (block.flow === 'ja') return [[jumpTarget(c.slots, last), 0]];
  return block.succs.map((s) => [s, 0]);
}

export const inProgram = (c: EmitCtx, pc: number): boolean => pc >= 0 && pc < c.slots.length;

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
    if (!inProgram(c, pc)) return emitOutOfProgram(c, pc);
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

