import { BpfkitError, ErrorCode } from '../errors.js';
import type { EngineInstance, HelperFn, HelperTable } from '../helpers/abi.js';
import { helperName } from '../helpers/helper-ids.js';
import { prepareProgram } from '../helpers/exec-program.js';
import { Memory, type Region } from '../helpers/memory.js';
import { decodeProgram } from '../isa/decode.js';
import type { Instruction } from '../isa/instruction.js';
import { Interpreter } from '../vm/interpreter.js';

/** Which engine runs a program. */
export type EngineName = 'interp' | 'jit';

type JitModule = typeof import('../jit/index.js');
type JitCodegenOptions = import('../jit/index.js').JitCodegenOptions;
let jit: JitModule | undefined;

/**
 * Loads the JIT: call this before preparing a program with `engine: 'jit'`. `binaryen: true` also
 * loads binaryen (about a second), which optimize levels above 0 and `codegen: 'binaryen'` need.
 */
export async function loadJit(options: { binaryen?: boolean } = {}): Promise<void> {
  jit ??= await import('../jit/index.js');
  if (options.binaryen) await jit.loadBinaryen();
}

/** True once {@link loadJit} has completed. */
export const jitLoaded = (): boolean => jit !== undefined;

export interface RawRunOptions {
  engine?: EngineName;
  /** Instruction budget (default 1,000,000). */
  budget?: number;
  /** Helpers to offer; defaults to {@link conformanceHelpers}. */
  helpers?: HelperTable;
  /** JIT code generation settings (ignored by the interpreter). */
  jit?: JitCodegenOptions;
}

export interface RawRunResult {
  /** r0 at exit, unsigned 64-bit. */
  r0: bigint;
  /** Instructions executed. */
  executed: number;
}

/** The helpers the bpf_conformance suite expects: helper 5 returns normally whatever its arguments. */
export function conformanceHelpers(): HelperTable {
  const noop: HelperFn = () => 0n;
  return { get: (id) => (id === 5 ? noop : undefined), nameOf: helperName };
}

/** A bare program prepared once and run many times (each run gets a fresh copy of the memory). */
export interface RawRunner {
  run(): RawRunResult;
  /** The memory the program runs on (to inspect the stack and `mem` after a run). */
  readonly memory: Memory;
  /** The region holding the copy of `mem`, when there is one. */
  readonly memRegion: Region | undefined;
  /** The engine instance itself. */
  readonly engine: EngineInstance;
}

/**
 * Prepares a bare instruction stream the way the bpf_conformance plugin protocol defines it: r1
 * points at a copy of `mem` and r2 holds its length (both 0 without memory).
 */
export function prepareRaw(program: Uint8Array | readonly Instruction[], mem?: Uint8Array, options: RawRunOptions = {}): RawRunner {
  const instructions = program instanceof Uint8Array ? decodeProgram(program) : program;
  const memory = new Memory();
  const helpers = options.helpers ?? conformanceHelpers();
  const exec = prepareProgram('main', instructions);
  const args: bigint[] = [0n, 0n];
  let reset = (): void => {};
  let memRegion: Region | undefined;
  if (mem !== undefined && mem.length > 0) {
    const region = memory.allocBytes('mem', 'mem', mem);
    memRegion = region;
    args[0] = BigInt(region.start);
    args[1] = BigInt(mem.length);
    reset = () => memory.u8.set(mem, region.start);
  }
  const engine = options.engine ?? 'interp';
  const engineOptions = options.budget !== undefined ? { budget: options.budget } : {};
  let vm: EngineInstance;
  if (engine === 'jit') {
    if (jit === undefined) {
      throw new BpfkitError(ErrorCode.Unsupported, 'engine jit: the JIT is not loaded (await loadJit() first)');
    }
    vm = jit.compileJit(exec, memory, helpers, { ...engineOptions, ...options.jit });
  } else {
    vm = new Interpreter(exec, memory, helpers, engineOptions);
  }
  let first = true;
  return {
    memory,
    memRegion,
    engine: vm,
    run(): RawRunResult {
      if (!first) reset();
      first = false;
      const r0 = vm.run(args);
      return { r0, executed: vm.executed };
    },
  };
}

/** Prepares and runs a bare program once. */
export function runRaw(program: Uint8Array | readonly Instruction[], mem?: Uint8Array, options: RawRunOptions = {}): RawRunResult {
  return prepareRaw(program, mem, options).run();
}
