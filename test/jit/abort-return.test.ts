/**
 * An LD_ABS/LD_IND outside the packet ends the program with r0 = 0. The JIT ends it by a flag and
 * returns (runtime.ts TAIL_FLAG = UNWIND_ABORT) rather than an exception through WebAssembly; the
 * run must end exactly as the interpreter's does: r0, `executed`, budget left, the stack written so
 * far, the memory model's stack depth, and a budget fault that comes first still wins. Every case
 * runs on every code generation setting, through both entries (32-bit and wide arguments), twice on
 * one instance (the flag must not outlive the run), and then once with a packet that fits.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { EngineInstance, EngineOptions, HelperFn, HelperRuntime } from '../../src/helpers/abi.js';
import { FUNC_POINTER_BASE, TailCallSignal } from '../../src/helpers/abi.js';
import { prepareProgram } from '../../src/helpers/exec-program.js';
import { RuntimeFault } from '../../src/helpers/fault.js';
import { Memory } from '../../src/helpers/memory.js';
import { assemble } from '../../src/isa/asm.js';
import { Interpreter } from '../../src/vm/interpreter.js';
import type { JitCodegenOptions } from '../../src/jit/index.js';

type Jit = typeof import('../../src/jit/index.js');
let jit: Jit;
beforeAll(async () => {
  jit = await import('../../src/jit/index.js');
  await jit.loadBinaryen();
});

const SETTINGS: ReadonlyArray<JitCodegenOptions> = [
  {},
  { dispatch: 'loop' },
  { chunkBlocks: 1 },
  { coverage: true },
  { codegen: 'binaryen' },
  { codegen: 'binaryen', optimize: 1 },
  { codegen: 'binaryen', optimize: 2 },
  { codegen: 'binaryen', chunkBlocks: 2 },
  { codegen: 'binaryen', dispatch: 'loop' },
];

type Engine = EngineInstance & HelperRuntime & { remaining: number };

/** A packet of `len` bytes 0x10, 0x11, ...: the context's legacy loader (big endian, as the kernel's). */
function loader(len: { n: number }): NonNullable<EngineOptions['legacyLoad']> {
  return (offset, size) => {
    if (offset < 0 || offset + size > len.n) return undefined;
    let v = 0;
    for (let i = 0; i < size; i++) v = v * 256 + 0x10 + offset + i;
    return v >>> 0;
  };
}

const bpfLoop: HelperFn = (rt, n, fn) => {
  for (let i = 0n; i < n; i++) if (rt.callFunction(Number(fn) - FUNC_POINTER_BASE, [i]) !== 0n) return i + 1n;
  return n;
};
const tailCall: HelperFn = (rt) => {
  if (rt.deferTailCall?.(7) === true) return 0n;
  throw new TailCallSignal(7);
};
const HELPERS: Record<number, HelperFn> = { 12: tailCall, 181: bpfLoop };

function make(engine: 'interp' | 'jit', src: string, len: { n: number }, options: EngineOptions, codegen: JitCodegenOptions = {}): { vm: Engine; memory: Memory } {
  const memory = new Memory();
  const prog = prepareProgram('t', assemble(src));
  const table = { get: (id: number) => HELPERS[id], nameOf: (id: number) => `helper_${id}` };
  const opts: EngineOptions = { ...options, legacyLoad: loader(len) };
  const vm = (engine === 'interp' ? new Interpreter(prog, memory, table, opts) : jit.compileJit(prog, memory, table, { ...opts, ...codegen })) as Engine;
  return { vm, memory };
}

interface Outcome {
  end: string;
  executed: number;
  remaining: number;
  stack: number[];
  /** Where the memory model's stack region starts (its depth). */
  stackStart: number | undefined;
}

function outcome(vm: Engine, memory: Memory, args: bigint[], budget: number): Outcome {
  let end: string;
  try {
    const r0 = vm.run(args, budget);
    const t = vm.takeTailCall?.() ?? -1;
    end = t >= 0 ? `returned tail call ${t}` : `r0 ${r0}`;
  } catch (e) {
    if (e instanceof TailCallSignal) end = `thrown tail call ${e.target}`;
    else if (e instanceof RuntimeFault) end = `fault ${e.kind} at ${e.pc}`;
    else throw e;
  }
  const stack = Array.from(memory.u8.subarray(memory.stackTop - 1024, memory.stackTop));
  const stackStart = memory.listRegions().find((r) => r.kind === 'stack')?.start;
  return { end, executed: vm.executed, remaining: vm.remaining, stack, stackStart };
}

/**
 * Runs `src` with packets of every length in `lens` and every budget in 1..maxBudget (and a
 * large one), in one sequence of runs on one instance per engine (the stack carries over from run
 * to run), on the interpreter and every JIT setting; checks each JIT run equals the interpreter's
 * and returns the interpreter's outcomes by "len/budget/argument count" (the last such run).
 */
function sweep(src: string, lens: readonly number[], maxBudget: number, options: EngineOptions = {}): Map<string, Outcome> {
  const budgets = [...Array.from({ length: maxBudget }, (_, i) => i + 1), 100_000];
  const len = { n: 0 };
  const runs = (vm: Engine, memory: Memory): Array<[string, Outcome]> => {
    const out: Array<[string, Outcome]> = [];
    for (const args of [[0x1000n], [0x1000n, 1n << 40n]]) {
      for (const n of [...lens, ...lens]) {
        for (const budget of budgets) {
          len.n = n;
          out.push([`${n}/${budget}/${args.length}`, outcome(vm, memory, args, budget)]);
        }
      }
    }
    return out;
  };
  const i = make('interp', src, len, options);
  const want = runs(i.vm, i.memory);
  for (const codegen of SETTINGS) {
    const j = make('jit', src, len, options, codegen);
    const got = runs(j.vm, j.memory);
    got.forEach(([key, o], k) => expect(o, `${JSON.stringify(codegen)} run ${k} ${key}`).toEqual(want[k]![1]));
  }
  return new Map(want);
}

describe('LD_ABS/LD_IND out of the packet ends the run by returning', () => {
  it('at several pcs, with the budget running out before, at and after each load', () => {
    // Loads at pcs 1, 4 and 7 (the last through a register); each is followed by a stack write
    // that must not happen once a load ended the program.
    const src = `
      stb [%r10-1], 1
      ldabsb 0
      stb [%r10-2], 2
      mov %r6, %r0
      ldabsh 2
      stb [%r10-3], 3
      mov %r7, 4
      ldindw %r7, 2
      stb [%r10-4], 4
      add %r0, %r6
      exit
    `;
    const wants = sweep(src, [0, 1, 3, 4, 9, 10, 64], 12);
    // Spot checks of the interpreter's (so the JIT's) outcomes.
    expect(wants.get('0/100000/1')).toMatchObject({ end: 'r0 0', executed: 2 });
    expect(wants.get('3/100000/1')).toMatchObject({ end: 'r0 0', executed: 5 });
    expect(wants.get('9/100000/1')).toMatchObject({ end: 'r0 0', executed: 8 });
    expect(wants.get('10/100000/1')).toMatchObject({ end: `r0 ${0x16171819 + 0x10}`, executed: 11 });
    expect(wants.get('3/4/1')?.end).toBe('fault budget at 4');
    expect(wants.get('3/5/1')).toMatchObject({ end: 'r0 0', executed: 5 });
  });

  it('in a loop whose blocks the budget stops part-way', () => {
    const src = `
      mov %r6, 0
      mov %r7, 0
      ldindb %r6, 0
      add %r7, %r0
      stxb [%r10-1], %r7
      add %r6, 1
      jlt %r6, 40, -5
      mov %r0, %r7
      exit
    `;
    sweep(src, [0, 5, 17, 40], 60);
  });

  it('from a bpf-to-bpf callee and through callx, with the caller never running on', () => {
    // The kernel refuses LD_ABS with bpf-to-bpf calls; the engines still run such a program alike.
    const src = `
      stb [%r10-1], 1
      call local f
      stb [%r10-2], 2
      mov %r0, 7
      exit
      f:
      stb [%r10-3], 3
      lddw %r2, func +6
      callx %r2
      stb [%r10-4], 4
      exit
      mov %r0, 0
      exit
      stb [%r10-5], 5
      ldabsb 4
      stb [%r10-6], 6
      exit
    `;
    const wants = sweep(src, [0, 4, 5], 16);
    expect(wants.get('4/100000/1')!.end).toBe('r0 0');
    expect(wants.get('5/100000/1')!.end).toBe('r0 7');
  });

  it('inside a callback, where the helper would carry on (the exception path)', () => {
    const src = `
      mov %r1, 3
      lddw %r2, func +5
      call 181
      stb [%r10-1], 1
      add %r0, 10
      exit
      ldabsb 2
      stxb [%r10-2], %r0
      mov %r0, 0
      exit
    `;
    sweep(src, [0, 2, 3], 20);
  });

  it('beside a tail call that also returns', () => {
    const src = `
      ldabsb 1
      stxb [%r10-1], %r0
      ldabsw 4
      call 12
      mov %r0, 9
      exit
    `;
    for (const returnOnTailCall of [true, false]) sweep(src, [0, 1, 2, 7, 8], 9, { returnOnTailCall });
  });
});
