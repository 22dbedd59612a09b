/**
 * The binaryen back end: the module built as binaryen IR (functions laid out by its Relooper,
 * chunked for large functions), and binaryen's validator and optimizer for either back end's
 * output. Importing this file loads binaryen (a 14 MB Emscripten build, about a second) and
 * registers the back end with ./compile.ts; `loadBinaryen` in ./index.ts does that on demand.
 */
import { binaryen, control, type Module } from './binaryen.js';
import {
  blockCode,
  type CompileOptions,
  DEFAULT_CHUNK,
  edges,
  inProgram,
  type ModuleSink,
  type OptimizeLevel,
  registerBinaryen,
} from './compile.js';
import type { ControlFlow } from './cfg.js';
import { emitOutOfProgram } from './emit-call.js';
import type { EmitCtx } from './emit-context.js';
import { Local } from './runtime.js';
import { F64, I32, I64, NONE, UNREACHABLE, type Expr } from './types.js';
import type { CodeBuilder } from './wasm-builder.js';

// The emitters pass type ids as numbers (./types.ts): they must be binaryen's.
if (binaryen.none !== NONE || binaryen.unreachable !== UNREACHABLE || binaryen.i32 !== I32 || binaryen.i64 !== I64 || binaryen.f64 !== F64) {
  throw new Error('jit: binaryen type ids differ from ./types.ts');
}

const FEATURES = (): number => binaryen.Features.MVP | binaryen.Features.SignExt | binaryen.Features.MutableGlobals;

function optimizeModule(m: Module, optimize: OptimizeLevel, validate: boolean): void {
  if (validate && !m.validate()) throw new Error(`jit: invalid module before optimizing:\n${m.emitText()}`);
  if (optimize > 0) {
    binaryen.setOptimizeLevel(optimize);
    binaryen.setShrinkLevel(0);
    m.optimize();
    if (validate && !m.validate()) throw new Error(`jit: invalid module after optimizing:\n${m.emitText()}`);
  }
  // BPFKIT_JIT_DUMP=1 prints each module (after optimizing) to stderr, for looking at generated code.
  if (globalThis.process?.env?.['BPFKIT_JIT_DUMP']) console.error(m.emitText());
}

class BinaryenModule implements ModuleSink {
  private readonly mod = new binaryen.Module();
  readonly m = this.mod as unknown as CodeBuilder;

  constructor() {
    this.mod.setFeatures(FEATURES());
  }
  importMemory(module: string, name: string, min: number, max: number): void {
    this.mod.setMemory(min, max, null, [], false, false, 'mem');
    this.mod.addMemoryImport('mem', module, name);
  }
  importFunction(id: string, module: string, name: string, params: readonly number[], result: number): void {
    this.mod.addFunctionImport(id, module, name, binaryen.createType([...params]), result);
  }
  addGlobal(name: string, type: number, mutable: boolean, init: number | bigint): void {
    const value =
      type === I64 ? this.mod.i64.const(BigInt(init) as unknown as number) : type === F64 ? this.mod.f64.const(Number(init)) : this.mod.i32.const(Number(init));
    this.mod.addGlobal(name, type, mutable, value);
  }
  exportGlobal(name: string): void {
    this.mod.addGlobalExport(name, name);
  }
  addFunction(name: string, params: readonly number[], result: number, vars: readonly number[], body: Expr): void {
    this.mod.addFunction(name, binaryen.createType([...params]), result, [...vars], body);
  }
  exportFunction(name: string): void {
    this.mod.addFunctionExport(name, name);
  }
  layout(c: EmitCtx, cfg: ControlFlow, entry: number, order: readonly number[], options: CompileOptions): Expr | undefined {
    if (options.dispatch !== 'relooper') return undefined;
    const chunk = options.chunkBlocks ?? DEFAULT_CHUNK;
    return order.length > chunk ? chunkedBody(this.mod, c, cfg, entry, order, chunk) : relooperBody(this.mod, c, cfg, order);
  }
  finish(optimize: OptimizeLevel, validate: boolean): Uint8Array {
    optimizeModule(this.mod, optimize, validate);
    return this.mod.emitBinary();
  }
  dispose(): void {
    this.mod.dispose();
  }
}

registerBinaryen({
  newModule: () => new BinaryenModule(),
  optimizeBinary(bytes, optimize, validate) {
    const m = binaryen.readBinary(bytes);
    try {
      m.setFeatures(FEATURES());
      optimizeModule(m, optimize, validate);
      return m.emitBinary();
    } finally {
      m.dispose();
    }
  },
});

function relooperBody(m: Module, c: EmitCtx, cfg: ControlFlow, order: readonly number[]): Expr {
  const r = new binaryen.Relooper(m);
  const ids = new Map<number, number>();
  for (const start of order) ids.set(start, r.addBlock(m.block(null, blockCode(c, cfg.blocks.get(start)!))));
  const outside = new Map<number, number>();
  const idOf = (pc: number): number => {
    if (inProgram(c, pc)) return ids.get(pc)!;
    let id = outside.get(pc);
    if (id === undefined) {
      id = r.addBlock(m.block(null, emitOutOfProgram(c, pc)));
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
 * A large function: its blocks, sorted by pc, cut into chunks of `chunk`; each chunk is laid
 * out by its own Relooper, entered through a switch on the NEXT local; a jump into another chunk
 * sets NEXT and goes back to an outer loop that dispatches on the chunk number. Keeps binaryen's
 * recursion (and its block re-scans) bounded whatever the size of the program.
 */
function chunkedBody(m: Module, c: EmitCtx, cfg: ControlFlow, entry: number, order: readonly number[], chunk: number): Expr {
  const sorted = [...order].sort((a, b) => a - b);
  const index = new Map<number, number>();
  sorted.forEach((pc, i) => index.set(pc, i));
  const chunkOf = (pc: number): number => Math.floor(index.get(pc)! / chunk);
  // Blocks entered from outside their chunk (the function entry included).
  const entries = new Set<number>([entry]);
  for (const pc of sorted) {
    for (const t of cfg.blocks.get(pc)!.succs) if (inProgram(c, t) && chunkOf(t) !== chunkOf(pc)) entries.add(t);
  }
  const next = (): Expr => m.local.get(Local.NEXT, I32);
  const chunkCode: Expr[] = [];
  for (let k = 0; k * chunk < sorted.length; k++) {
    const base = k * chunk;
    const members = sorted.slice(base, base + chunk);
    const r = new binaryen.Relooper(m);
    const ids = new Map<number, number>();
    const bodies = new Set<Expr>();
    for (const pc of members) {
      const body = m.block(null, blockCode(c, cfg.blocks.get(pc)!));
      bodies.add(body);
      ids.set(pc, r.addBlock(body));
    }
    const stubs = new Map<number, number>();
    const idOf = (pc: number): number => {
      const own = ids.get(pc);
      if (own !== undefined) return own;
      let id = stubs.get(pc);
      if (id === undefined) {
        id = inProgram(c, pc)
          ? r.addBlock(m.block(null, [m.local.set(Local.NEXT, m.i32.const(index.get(pc)!)), m.br('chunks')]))
          : r.addBlock(m.block(null, emitOutOfProgram(c, pc)));
        stubs.set(pc, id);
      }
      return id;
    };
    for (const pc of members) {
      for (const [to, cond] of edges(c, cfg.blocks.get(pc)!)) r.addBranch(ids.get(pc)!, idOf(to), cond, 0);
    }
    const mine = members.filter((pc) => entries.has(pc));
    const dispatcher = r.addBlockWithSwitch(m.nop(), m.i32.sub(next(), m.i32.const(base)));
    mine.forEach((pc, i) => r.addBranchForSwitch(dispatcher, ids.get(pc)!, i === 0 ? [] : [index.get(pc)! - base], 0));
    // Every chunk has an entry: its blocks are reachable, and the first one reached comes from
    // outside. With one entry the switch is not needed.
    const code = r.renderAndDispose(mine.length === 1 ? ids.get(mine[0]!)! : dispatcher, Local.LABEL);
    renameLabels(code, `k${k}`, bodies);
    chunkCode.push(code);
  }
  const label = (k: number): string => `c${k}`;
  let cur = m.block(label(0), [
    m.switch(chunkCode.map((_, k) => label(k)), label(0), m.i32.div_u(next(), m.i32.const(chunk))),
  ]);
  for (let k = 0; k < chunkCode.length - 1; k++) cur = m.block(label(k + 1), [cur, chunkCode[k]!, m.unreachable()]);
  return m.block(null, [
    m.local.set(Local.NEXT, m.i32.const(index.get(entry)!)),
    m.loop('chunks', m.block(null, [cur, chunkCode[chunkCode.length - 1]!, m.unreachable()])),
  ]);
}

/**
 * Every Relooper run numbers its labels from 1 (`block$2$break`, `shape$1$continue`), and labels
 * must be unique within a function, so each chunk's get a prefix. Walks only the structure the
 * Relooper made (its labels contain `$`; the block bodies we handed it are skipped).
 */
function renameLabels(root: Expr, prefix: string, skip: ReadonlySet<Expr>): void {
  const { Block, Loop, Break, If, Switch } = control;
  const ids = binaryen;
  const fix = (name: string | null): string | null => (name !== null && name.includes('$') ? `${prefix}${name}` : null);
  const stack: Expr[] = [root];
  while (stack.length > 0) {
    const e = stack.pop()!;
    if (e === 0 || skip.has(e)) continue;
    switch (binaryen.getExpressionId(e)) {
      case ids.BlockId: {
        const n = fix(Block.getName(e));
        if (n !== null) Block.setName(e, n);
        for (let i = 0, k = Block.getNumChildren(e); i < k; i++) stack.push(Block.getChildAt(e, i));
        break;
      }
      case ids.LoopId: {
        const n = fix(Loop.getName(e));
        if (n !== null) Loop.setName(e, n);
        stack.push(Loop.getBody(e));
        break;
      }
      case ids.IfId:
        stack.push(If.getIfTrue(e), If.getIfFalse(e));
        break;
      case ids.BreakId: {
        const n = fix(Break.getName(e));
        if (n !== null) Break.setName(e, n);
        break;
      }
      case ids.SwitchId: {
        for (let i = 0, k = Switch.getNumNames(e); i < k; i++) {
          const n = fix(Switch.getNameAt(e, i));
          if (n !== null) Switch.setNameAt(e, i, n);
        }
        const d = fix(Switch.getDefaultName(e));
        if (d !== null) Switch.setDefaultName(e, d);
        break;
      }
      default:
        break;
    }
  }
}
