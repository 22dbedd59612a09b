/**
 * The JIT: eBPF compiled to WebAssembly with binaryen, bit for bit with the interpreter.
 *
 * `compileJit` compiles a program once (modules are cached by ExecProgram identity and options)
 * and instantiates it against a memory model and a helper table. Importing this module loads
 * binaryen (about a second); code that only may need the JIT imports it dynamically.
 */
import type { EngineInstance, EngineOptions, HelperRuntime, HelperTable } from '../helpers/abi.js';
import type { ExecProgram } from '../helpers/exec-program.js';
import type { Memory } from '../helpers/memory.js';
import { compileProgram, type CompiledProgram, type CompileOptions, type Dispatch, type OptimizeLevel } from './compile.js';
import { JitEngine } from './engine.js';

export type { CompiledProgram, CompileStats, Dispatch, OptimizeLevel } from './compile.js';
export { JitEngine, type CoverageCounts } from './engine.js';
export { compileProgram } from './compile.js';

/** Code generation settings. */
export interface JitCodegenOptions {
  /** binaryen optimize level; 0 skips binaryen's optimizer entirely. Default {@link DEFAULT_OPTIMIZE}. */
  optimize?: OptimizeLevel;
  /** Block layout: the Relooper's structured control flow (default) or a br_table loop. */
  dispatch?: Dispatch;
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
  const key = `${options.optimize}/${options.dispatch}/${options.chunkBlocks ?? ''}/${stackTop}${options.coverage ? '/cov' : ''}`;
  const have = byKey.get(key);
  if (have !== undefined && extraEntries.every((e) => have.entries.has(e))) return have;
  const compiled = compileProgram(prog, stackTop, options, [...(have?.entries ?? []), ...extraEntries]);
  byKey.set(key, compiled);
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
  if (options.coverage) compileOptions.coverage = true;
  const engineOptions: EngineOptions = {};
  if (options.budget !== undefined) engineOptions.budget = options.budget;
  if (options.legacyLoad !== undefined) engineOptions.legacyLoad = options.legacyLoad;
  return new JitEngine(
    prog,
    memory,
    helpers,
    (extra) => compiledFor(prog, memory.stackTop, compileOptions, extra),
    engineOptions,
  );
}
