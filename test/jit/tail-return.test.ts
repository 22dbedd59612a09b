/**
 * Tail calls that end a run by returning (EngineOptions.returnOnTailCall): both engines stop right
 * after the helper call, from any depth of bpf-to-bpf calls or through callx, with the budget and
 * memory exactly as a thrown TailCallSignal leaves them; inside a callback, and without the
 * option, the signal is still thrown. The flag generated code tests must not outlive the run.
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

/** Code generation settings the JIT runs each case with (the return is emitted by every back end). */
const SETTINGS: ReadonlyArray<JitCodegenOptions> = [{}, { dispatch: 'loop' }, { codegen: 'binaryen' }, { codegen: 'binaryen', optimize: 1 }, { codegen: 'binaryen', chunkBlocks: 2 }];

type Engine = EngineInstance & HelperRuntime & { remaining: number };

interface Outcome {
  /** How the run ended: r0, a returned tail call, a thrown one, or a fault. */
  end: string;
  /** Budget left (what runProgram charges a tail call by). */
  remaining: number;
  stack: number[];
}

/** bpf_tail_call's protocol, to target 7 while `take()` says so (else a miss: r0 = 0, carry on). */
function tailHelper(take: () => boolean): HelperFn {
  return (rt) => {
    if (!take()) return 0n;
    if (rt.deferTailCall?.(7) === true) return 0n;
    throw new TailCallSignal(7);
  };
}

const bpfLoop: HelperFn = (rt, n, fn) => {
  for (let i = 0n; i < n; i++) if (rt.callFunction(Number(fn) - FUNC_POINTER_BASE, [i]) !== 0n) return i + 1n;
  return n;
};

function make(engine: 'interp' | 'jit', src: string, helpers: Record<number, HelperFn>, options: EngineOptions, codegen: JitCodegenOptions = {}): { vm: Engine; memory: Memory } {
  const memory = new Memory();
  const prog = prepareProgram('t', assemble(src));
  const table = { get: (id: number) => helpers[id], nameOf: (id: number) => `helper_${id}` };
  const vm = (engine === 'interp' ? new Interpreter(prog, memory, table, options) : jit.compileJit(prog, memory, table, { ...options, ...codegen })) as Engine;
  return { vm, memory };
}

function outcome(vm: Engine, memory: Memory, budget = 1000): Outcome {
  let end: string;
  try {
    const r0 = vm.run([], budget);
    const t = vm.takeTailCall?.() ?? -1;
    end = t >= 0 ? `returned tail call ${t}` : `r0 ${r0}`;
  } catch (e) {
    if (e instanceof TailCallSignal) end = `thrown tail call ${e.target}`;
    else if (e instanceof RuntimeFault) end = `fault ${e.kind} at ${e.pc}`;
    else throw e;
  }
  return { end, remaining: vm.remaining, stack: Array.from(memory.u8.subarray(memory.stackTop - 24, memory.stackTop)) };
}

/** Runs `src` on both engines with and without the option; returns [returning, throwing] outcomes (equal across engines). */
function both(src: string, helpers: (count: { n: number }) => Record<number, HelperFn>, budget = 1000): [Outcome, Outcome] {
  const res: Outcome[] = [];
  for (const returnOnTailCall of [true, false]) {
    const { vm, memory } = make('interp', src, helpers({ n: 0 }), { returnOnTailCall });
    const want = outcome(vm, memory, budget);
    for (const codegen of SETTINGS) {
      const j = make('jit', src, helpers({ n: 0 }), { returnOnTailCall }, codegen);
      expect(outcome(j.vm, j.memory, budget), JSON.stringify(codegen)).toEqual(want);
    }
    res.push(want);
  }
  return res as [Outcome, Outcome];
}

const always = (): Record<number, HelperFn> => ({ 12: tailHelper(() => true), 181: bpfLoop });

describe('tail calls that end a run by returning', () => {
  it('stop right after the helper call, leaving the budget and the stack as a thrown signal does', () => {
    const src = `
      stdw [%r10-8], 42
      mov %r1, 1
      call 12
      stdw [%r10-8], 99
      mov %r0, 5
      exit
    `;
    const [ret, thrown] = both(src, always);
    expect(ret.end).toBe('returned tail call 7');
    expect(thrown.end).toBe('thrown tail call 7');
    expect(ret.remaining).toBe(1000 - 3);
    expect(ret.remaining).toBe(thrown.remaining);
    expect(ret.stack).toEqual(thrown.stack);
    expect(ret.stack[16]).toBe(42);
  });

  it('return through every bpf-to-bpf frame (no caller runs on)', () => {
    // main calls f, f calls g, g tail-calls; each would write the stack after its call.
    const src = `
      stdw [%r10-8], 1
      call local f
      stdw [%r10-8], 2
      mov %r0, 1
      exit
      f:
      call local g
      stdw [%r10-8], 3
      exit
      g:
      mov %r6, 5
      call 12
      stdw [%r10-8], 4
      exit
    `;
    const [ret, thrown] = both(src, always);
    expect(ret.end).toBe('returned tail call 7');
    expect(ret.remaining).toBe(thrown.remaining);
    expect(ret.stack).toEqual(thrown.stack);
    expect(ret.stack[16]).toBe(1);
  });

  it('return through callx of the helper', () => {
    const src = `
      stdw [%r10-8], 1
      mov %r3, 12
      callx %r3
      stdw [%r10-8], 2
      exit
    `;
    const [ret, thrown] = both(src, always);
    expect(ret.end).toBe('returned tail call 7');
    expect(ret.remaining).toBe(thrown.remaining);
    expect(ret.stack[16]).toBe(1);
  });

  it('carry on after a missed tail call, also in the run after a returned one', () => {
    // The first run's call succeeds; the second run's misses, and the program goes on to r0 = 9.
    const src = `
      call 12
      mov %r0, 9
      exit
    `;
    for (const [e, codegen] of [['interp', {}], ...SETTINGS.map((c) => ['jit', c] as const)] as const) {
      let calls = 0;
      const { vm, memory } = make(e, src, { 12: tailHelper(() => calls++ === 0) }, { returnOnTailCall: true }, codegen);
      expect(outcome(vm, memory).end).toBe('returned tail call 7');
      expect(outcome(vm, memory).end).toBe('r0 9');
      expect(outcome(vm, memory).end).toBe('r0 9');
    }
  });

  it('still throw from inside a callback, where a helper would carry on', () => {
    // bpf_loop's callback (at cb) tail-calls: the signal unwinds through the helper.
    const src = `
      mov %r1, 3
      lddw %r2, func +4
      call 181
      mov %r0, 1
      exit

      call 12
      mov %r0, 0
      exit
    `;
    const [ret, thrown] = both(src, always);
    expect(ret.end).toBe('thrown tail call 7');
    expect(thrown.end).toBe('thrown tail call 7');
  });

  it('spend the budget alike when it runs out at or before the call', () => {
    const src = `
      mov %r1, 1
      mov %r2, 2
      call 12
      exit
    `;
    for (const budget of [1, 2, 3, 4]) {
      const [ret, thrown] = both(src, always, budget);
      expect(ret.remaining, `budget ${budget}`).toBe(thrown.remaining);
      expect(ret.end.replace('returned', 'thrown')).toBe(thrown.end);
    }
  });
});
