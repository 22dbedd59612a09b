import { BpfkitError, ErrorCode } from '../errors.js';
import type { EngineInstance, EngineOptions, HelperRuntime, HelperTable } from '../helpers/abi.js';
import type { ExecProgram } from '../helpers/exec-program.js';
import type { Memory } from '../helpers/memory.js';
import { Interpreter } from '../vm/interpreter.js';

/** Which engine runs a program. */
export type EngineKind = 'interp' | 'jit';

type JitModule = typeof import('../jit/index.js');
let jit: JitModule | undefined;

/**
 * Loads the JIT. Call it before {@link createEngine} with `'jit'`. `binaryen: true` also loads
 * binaryen (about a second), for optimize levels above 0.
 */
export async function loadJitEngine(options: { binaryen?: boolean } = {}): Promise<void> {
  jit ??= await import('../jit/index.js');
  if (options.binaryen) await jit.loadBinaryen();
}

export const jitEngineLoaded = (): boolean => jit !== undefined;

/**
 * An engine instance that also serves as the runtime its helpers see. `run32` is an engine's
 * cheaper entry for a run whose only argument is a 32-bit r1 (a context pointer), when it has one.
 */
export type Engine = EngineInstance & HelperRuntime & { run32?(r1: number, budget?: number): bigint };

/** Prepares `prog` on the interpreter or the JIT, bound to `memory` and `helpers`. */
export function createEngine(kind: EngineKind, prog: ExecProgram, memory: Memory, helpers: HelperTable, options: EngineOptions = {}): Engine {
  if (kind === 'interp') return new Interpreter(prog, memory, helpers, options);
  if (jit === undefined) throw new BpfkitError(ErrorCode.Unsupported, 'engine jit: not loaded (await loadJitEngine() first)');
  return jit.compileJit(prog, memory, helpers, options);
}

/**
 * Instructions an engine has left after a run stopped by a tail call (the interpreter keeps the
 * count in `remaining`); undefined when the engine does not say.
 */
export function remainingBudget(engine: Engine): number | undefined {
  const r = (engine as unknown as { remaining?: unknown }).remaining;
  return typeof r === 'number' ? r : undefined;
}
