/**
 * The JIT: eBPF compiled to WebAssembly, bit for bit with the interpreter.
 *
 * `compileJit` compiles a program once (modules are cached by ExecProgram identity and options)
 * and instantiates it against a memory model and a helper table. The default code generator
 * writes WebAssembly itself; binaryen (14 MB, about a second to load) is loaded only by
 * {@link loadBinaryen}, for its optimizer or its code generator.
 */
import type { EngineInstance, EngineOptions, HelperRuntime, HelperTable } from '../helpers/abi.js';
import type { ExecProgram } from '../helpers/exec-program.js';
import type { Memory } from '../helpers/memory.js';
import { binaryenRegistered, compileProgram, type Codegen, type CompiledProgram, type CompileOptions, type Dispatch, type OptimizeLevel } from './compile.js';
import { JitEngine } from './engine.js';

export type { Codegen, CompiledProgram, CompileStats, Dispatch, OptimizeLevel } from './compile.js';

/**
 * Loads binaryen and registers its back end (optimize levels above 0, `codegen: 'binaryen'`,
 * validation). Idempotent.
 */
export async function loadBinaryen(): Promise<void> {
  await import('./compile-binaryen.js');
}
/** True once {@link loadBinaryen} has completed. */
export const binaryenLoaded = (): boolean => binaryenRegistered();
export { JitEngine, type CoverageCounts } from './engine.js';
export { compileProgram } from './compile.js';

/** Code generation settings. */
export interface JitCodegenOptions {
  /** binaryen optimize level; 0 skips binaryen's optimizer entirely. Default {@link DEFAULT_OPTIMIZE}. */
  optimize?: OptimizeLevel;
  /** Block layout: structured control flow (default) or a br_table loop. */
  dispatch?: Dispatch;
  /** Code generator: 'direct' (default, no binaryen) or 'binaryen' (load it first: {@link loadBinaryen}). */
  codegen?: Codegen;
  /** Largest function laid out in one piece (in blocks); larger ones are chunked. */
  chunkBlocks?: number;
  /**
   * Count block entries and conditional jump outcomes (read with `JitEngine.coverageCounts`).
   * A separate module: without it the generated code has no counters at all.
   */
  coverage?: boolean;
}

export interface JitOptions extends EngineOptions, JitCodegenOptions {}

export const DEFAULT_OPTIMIZE: OptimizeLevel = 0;

const cache = new WeakMap<ExecProgram, Map<string, CompiledProgram>>();

/**
 * Compiled modules by program content, across ExecPrograms: every fresh ObjectInstance prepares its
 * own ExecProgram, but the same object loaded again (a fresh kernel per test, `bench --reset`)
 * has the same instructions and addresses, so its module is reused. Bounded; a hit is checked
 * byte for byte against the stored program.
 */
const byContent = new Map<string, { prog: ExecProgram; compiled: CompiledProgram }>();
const CONTENT_CACHE_SIZE = 64;

function contentKey(prog: ExecProgram, options: string): string {
  const { slots } = prog;
  // FNV-1a over every field of every slot.
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  for (let pc = 0; pc < slots.length; pc++) {
    const v = (slots.op[pc]! | (slots.dst[pc]! << 8) | (slots.src[pc]! << 12) | (slots.off[pc]! << 16)) >>> 0;
    h1 = Math.imul(h1 ^ v, 0x01000193);
    h2 = Math.imul(h2 ^ slots.imm[pc]!, 0x01000193) ^ (h1 >>> 15);
  }
  const fns = prog.functions.map((f) => f.slot).join(',');
  return `${options}|${slots.length}|${(h1 >>> 0).toString(16)}${(h2 >>> 0).toString(16)}|${fns}`;
}

function sameProgram(a: ExecProgram, b: ExecProgram): boolean {
  if (a === b) return true;
  const x = a.slots;
  const y = b.slots;
  if (x.length !== y.length || a.functions.length !== b.functions.length) return false;
  if (a.functions.some((f, i) => f.slot !== b.functions[i]!.slot)) return false;
  for (let pc = 0; pc < x.length; pc++) {
    if (x.op[pc] !== y.op[pc] || x.dst[pc] !== y.dst[pc] || x.src[pc] !== y.src[pc] || x.off[pc] !== y.off[pc] || x.imm[pc] !== y.imm[pc]) return false;
  }
  return true;
}

/**
 * The compiled module for `prog`, from the cache when one with every entry in `extraEntries`
 * exists; otherwise compiles one (with the entries the cached one had, plus these) and caches it.
 */
export function compiledFor(
  prog: ExecProgram,
  stackTop: number,
  options: CompileOptions,
  extraEntries: readonly number[] = [],
): CompiledProgram {
  let byKey = cache.get(prog);
  if (byKey === undefined) {
    byKey = new Map();
    cache.set(prog, byKey);
  }
  const key = `${options.codegen ?? 'direct'}/${options.optimize}/${options.dispatch}/${options.chunkBlocks ?? ''}/${stackTop}${options.coverage ? '/cov' : ''}`;
  let have = byKey.get(key);
  const ck = have === undefined ? contentKey(prog, key) : undefined;
  if (ck !== undefined) {
    const hit = byContent.get(ck);
    if (hit !== undefined && sameProgram(hit.prog, prog)) have = hit.compiled;
  }
  if (have !== undefined && extraEntries.every((e) => have.entries.has(e))) {
    byKey.set(key, have);
    return have;
  }
  const compiled = compileProgram(prog, stackTop, options, [...(have?.entries ?? []), ...extraEntries]);
  byKey.set(key, compiled);
  const k = ck ?? contentKey(prog, key);
  byContent.delete(k);
  byContent.set(k, { prog, compiled });
  if (byContent.size > CONTENT_CACHE_SIZE) byContent.delete(byContent.keys().next().value!);
  return compiled;
}

/** Compiles `prog` (or reuses its cached module) and binds it to `memory` and `helpers`. */
export function compileJit(
  prog: ExecProgram,
  memory: Memory,
  helpers: HelperTable,
  options: JitOptions = {},
): EngineInstance & HelperRuntime {
  const compileOptions: CompileOptions = {
    optimize: options.optimize ?? DEFAULT_OPTIMIZE,
    dispatch: options.dispatch ?? 'relooper',
  };
  if (options.chunkBlocks !== undefined) compileOptions.chunkBlocks = options.chunkBlocks;
  if (options.codegen !== undefined) compileOptions.codegen = options.codegen;
  if (options.coverage) compileOptions.coverage = true;
  const engineOptions: EngineOptions = {};
  if (options.budget !== undefined) engineOptions.budget = options.budget;
  if (options.legacyLoad !== undefined) engineOptions.legacyLoad = options.legacyLoad;
  if (options.returnOnTailCall !== undefined) engineOptions.returnOnTailCall = options.returnOnTailCall;
  return new JitEngine(
    prog,
    memory,
    helpers,
    (extra) => compiledFor(prog, memory.stackTop, compileOptions, extra),
    engineOptions,
  );
}
