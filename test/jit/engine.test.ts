/**
 * The JIT against the interpreter on what random programs do not reach: helpers that run bpf
 * callbacks (`callFunction`), legacy packet loads, tail calls, helper faults, poisoned calls,
 * callx through function pointers (including a computed one the analysis cannot see, which makes
 * the JIT compile a new entry on the fly), and repeated runs of one instance.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { EngineInstance, EngineOptions, HelperFn, HelperRuntime } from '../../src/helpers/abi.js';
import { FUNC_POINTER_BASE, TailCallSignal } from '../../src/helpers/abi.js';
import { prepareProgram } from '../../src/helpers/exec-program.js';
import { FaultSignal, RuntimeFault } from '../../src/helpers/fault.js';
import { Memory } from '../../src/helpers/memory.js';
import { assemble } from '../../src/isa/asm.js';
import type { Instruction } from '../../src/isa/instruction.js';
import { Interpreter } from '../../src/vm/interpreter.js';

type Jit = typeof import('../../src/jit/index.js');
let jit: Jit;
beforeAll(async () => {
  jit = await import('../../src/jit/index.js');
});

interface Result {
  r0?: bigint;
  error?: { kind: string; pc: number; message: string } | { other: string };
  executed: number;
  stack: number[];
}

type Helpers = Record<number, HelperFn>;

function runOne(engine: 'interp' | 'jit', program: Instruction[], helpers: Helpers, options: EngineOptions, args: bigint[], runs: number): Result[] {
  const memory = new Memory();
  const prog = prepareProgram('t', program);
  const table = { get: (id: number) => helpers[id], nameOf: (id: number) => `helper_${id}` };
  const vm: EngineInstance = engine === 'interp' ? new Interpreter(prog, memory, table, options) : jit.compileJit(prog, memory, table, options);
  const out: Result[] = [];
  for (let i = 0; i < runs; i++) {
    const res: Result = { executed: 0, stack: [] };
    try {
      res.r0 = vm.run(args);
    } catch (e) {
      if (e instanceof RuntimeFault) res.error = { kind: e.kind, pc: e.pc, message: e.message };
      else res.error = { other: e instanceof TailCallSignal ? `tail call ${e.target}` : String(e) };
    }
    res.executed = vm.executed;
    res.stack = Array.from(memory.u8.subarray(memory.stackTop - 64, memory.stackTop));
    out.push(res);
  }
  return out;
}

/** Runs on both engines, expects identical results, returns the interpreter's. */
function both(src: string | Instruction[], helpers: Helpers = {}, options: EngineOptions = {}, args: bigint[] = [], runs = 1): Result {
  const program = typeof src === 'string' ? assemble(src) : src;
  const a = runOne('interp', program, helpers, options, args, runs);
  const b = runOne('jit', program, helpers, options, args, runs);
  expect(b).toEqual(a);
  return a[a.length - 1]!;
}

/** bpf_loop: calls the callback at `fn` for i = 0..n-1 with (i, ctx) until it returns non-zero. */
const bpfLoop: HelperFn = (rt: HelperRuntime, n, fn, ctx) => {
  let i = 0n;
  for (; i < n; i++) if (rt.callFunction(Number(fn) - FUNC_POINTER_BASE, [i, ctx]) !== 0n) return i + 1n;
  return i;
};

// Main: *(r10-8) = 0; r0 = bpf_loop(5, cb, r10-8); r0 += *(r10-8) * 100.
// cb (slot 12): *ctx += index + 1, and a store to its own frame; returns 0.
const LOOP_PROGRAM = `
  stdw [%r10-8], 0
  mov %r1, 5
  lddw %r2, func +9
  mov %r3, %r10
  add %r3, -8
  mov %r4, 0
  call 181
  ldxdw %r6, [%r10-8]
  mul %r6, 100
  add %r0, %r6
  exit
  ldxdw %r3, [%r2]
  add %r3, %r1
  add %r3, 1
  stxdw [%r2], %r3
  stxdw [%r10-16], %r3
  mov %r0, 0
  exit
`;

describe('JIT and interpreter agree on engine services', () => {
  it('runs helper callbacks (bpf_loop) in their own frames, sharing the budget', () => {
    const r = both(LOOP_PROGRAM, { 181: bpfLoop });
    expect(r.r0).toBe(1505n);
    // The budget runs out inside the third callback; both stop at the same pc.
    for (const budget of [20, 21, 25, 26, 30, 33, 40]) both(LOOP_PROGRAM, { 181: bpfLoop }, { budget });
  });

  it('faults on callbacks nested deeper than the frame limit, at the helper call', () => {
    // The callback calls bpf_loop on itself: frames run out after 8.
    const src = `
      mov %r1, 1
      lddw %r2, func +4
      mov %r3, 0
      call 181
      exit
      mov %r1, 1
      lddw %r2, func -2
      mov %r3, 0
      call 181
      exit
    `;
    const r = both(src, { 181: bpfLoop });
    expect(r.error).toMatchObject({ kind: 'call-depth', pc: 10 });
  });

  it('faults the same way on a callback slot outside the program', () => {
    const r = both('mov %r1, 1\nmov %r2, 3\ncall 181\nexit', {
      181: (rt) => rt.callFunction(1000, []),
    });
    expect(r.error).toMatchObject({ kind: 'invalid' });
  });

  it('turns helper FaultSignals into faults at the call, and propagates tail calls unchanged', () => {
    expect(both('mov %r1, 1\ncall 7\nexit', { 7: () => { throw new FaultSignal('helper', 'nope'); } }).error).toMatchObject({ kind: 'helper', pc: 1 });
    expect(both('call 12\nexit', { 12: () => { throw new TailCallSignal(3); } }).error).toEqual({ other: 'tail call 3' });
    expect(both('call 99\nexit').error).toMatchObject({ kind: 'helper', pc: 0 });
  });

  it('refuses a poisoned helper call with the CO-RE reason', () => {
    const program = assemble('mov %r0, 1\ncall 5\nexit');
    program[1]!.meta = { poisoned: 'field foo.bar not found' };
    expect(both(program, { 5: () => 0n }).error).toMatchObject({ kind: 'poisoned', pc: 1 });
  });

  it('runs legacy packet loads, and ends with r0 = 0 (and the count so far) when one is out of bounds', () => {
    const packet = [0x12, 0x34, 0x56, 0x78, 0x9a];
    const legacyLoad = (offset: number, size: 1 | 2 | 4): number | undefined => {
      if (offset < 0 || offset + size > packet.length) return undefined;
      let v = 0;
      for (let i = 0; i < size; i++) v = v * 256 + packet[offset + i]!;
      return v;
    };
    const src = 'mov %r6, %r1\nmov %r7, 1\nldabsh 1\nmov %r8, %r0\nldindb %r7, 3\nadd %r0, %r8\nldabsw 3\nexit';
    const r = both(src, {}, { legacyLoad });
    expect(r.r0).toBe(0n);
    expect(r.executed).toBe(7);
    expect(both('ldabsb 2\nexit', {}, { legacyLoad }).r0).toBe(0x56n);
    expect(both('ldabsb 2\nexit').error).toMatchObject({ kind: 'invalid', pc: 0 });
  });

  it('calls through function pointers with callx, also computed ones', () => {
    // r2 = pointer to the function at slot 7, then callx; the function doubles r1.
    const direct = 'mov %r1, 21\nlddw %r2, func +5\ncallx %r2\nexit\nmov %r0, 0\nexit\nmov %r0, %r1\nadd %r0, %r1\nexit';
    expect(both(direct).r0).toBe(42n);
    // A pointer to slot 8, plus one: slot 9 (`add %r0, %r1` with r0 = the caller's r0 = 5).
    const computed = 'mov %r0, 5\nmov %r1, 21\nlddw %r2, func +5\nadd %r2, 1\ncallx %r2\nexit\nexit\nmov %r0, %r1\nadd %r0, %r1\nexit';
    expect(both(computed).r0).toBe(26n);
    // callx of a helper id, and of a value that is neither.
    expect(both('mov %r1, 7\nmov %r6, 5\ncallx %r6\nexit', { 5: (_rt, a) => a * 3n }).r0).toBe(21n);
    expect(both('lddw %r6, 0x100000005\ncallx %r6\nexit').error).toMatchObject({ kind: 'bad-call', pc: 2 });
  });

  it('gives repeated runs of one instance the same results', () => {
    const r = both(LOOP_PROGRAM, { 181: bpfLoop }, { budget: 1000 }, [], 3);
    expect(r.r0).toBe(1505n);
  });
});
