/**
 * The direct back end (wasm-builder.ts + structure.ts) where random programs rarely go: an
 * irreducible loop (two entries: structure.ts refuses it and the br_table loop takes over), a
 * function far deeper than the structurer's recursion allows, and binaryen's validator on what
 * the writer emits. Without binaryen loaded, the default JIT works and optimize levels say what to load.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { prepareProgram } from '../../src/helpers/exec-program.js';
import { Memory } from '../../src/helpers/memory.js';
import { assemble } from '../../src/isa/asm.js';
import { insn, type Instruction } from '../../src/isa/instruction.js';
import { loadJit, prepareRaw } from '../../src/run/raw.js';
import { Interpreter } from '../../src/vm/interpreter.js';
import { RuntimeFault } from '../../src/helpers/fault.js';

type Jit = typeof import('../../src/jit/index.js');
let jit: Jit;
beforeAll(async () => {
  jit = await import('../../src/jit/index.js');
});

const both = (program: readonly Instruction[], mem?: Uint8Array): Array<bigint | string> =>
  (['interp', 'jit'] as const).map((engine) => {
    try {
      return prepareRaw(program, mem, { engine }).run().r0;
    } catch (e) {
      return String(e);
    }
  });

/** Entry jumps into the middle of a loop or to its top: a loop with two entries. */
const IRREDUCIBLE = assemble(`
  mov %r0, 0
  mov %r3, 5
  jeq %r2, 0, +2
  add %r0, 1
  mul %r0, 3
  add %r0, 2
  sub %r3, 1
  jne %r3, 0, -5
  exit
`);

/** `n` if/else diamonds in a row, each joining before the next: a very deep dominator tree. */
function diamonds(n: number): Instruction[] {
  const out: Instruction[] = [insn(0xb7, 0, 0, 0, 0), insn(0xb7, 3, 0, 0, 7)];
  for (let i = 0; i < n; i++) {
    out.push(insn(0x25, 3, 0, 2, i % 13)); // jgt r3, i%13, +2
    out.push(insn(0x07, 0, 0, 0, 1)); // r0 += 1
    out.push(insn(0x05, 0, 0, 1, 0)); // ja +1
    out.push(insn(0x07, 0, 0, 0, 3)); // r0 += 3
  }
  out.push(insn(0x95));
  return out;
}

describe('direct code generation', () => {
  it('runs an irreducible loop (through the br_table layout) as the interpreter does', async () => {
    await loadJit();
    const [a, b] = both(IRREDUCIBLE);
    expect(b).toBe(a);
    const [c, d] = both(IRREDUCIBLE, new Uint8Array(4));
    expect(d).toBe(c);
    expect(a).not.toBe(c);
  });

  it('lays out 5,000 diamonds in a row', async () => {
    await loadJit();
    const n = 5000;
    const [a, b] = both(diamonds(n));
    expect(b).toBe(a);
    // r3 = 7: a diamond adds 3 when 7 > i % 13 (the jump is taken), else 1.
    let want = 0n;
    for (let i = 0; i < n; i++) want += 7 > i % 13 ? 3n : 1n;
    expect(a).toBe(want);
  });

  it('checks accesses against the region table as the memory model does (elements, read-only, gaps)', async () => {
    await loadJit();
    const outcome = (engine: 'interp' | 'jit', program: Instruction[], r1: bigint): string => {
      const memory = new Memory();
      // A strided region (elements of 12 usable bytes every 16) and a read-only one after it.
      const arr = memory.alloc('arr', 'map-value', 64, { stride: 16, elemSize: 12 });
      const ro = memory.alloc('ro', 'global', 16, { writable: false });
      const prog = prepareProgram('t', program);
      const table = { get: () => undefined, nameOf: (id: number) => `helper_${id}` };
      const vm = engine === 'interp' ? new Interpreter(prog, memory, table) : jit.compileJit(prog, memory, table);
      const base = r1 === 0n ? BigInt(arr.start) : BigInt(ro.start);
      try {
        return `r0=${vm.run([base + (r1 === 0n ? 0n : r1 - 1n)])}`;
      } catch (e) {
        return e instanceof RuntimeFault ? `${e.kind}@${e.pc}: ${e.message}` : String(e);
      }
    };
    for (const off of [0, 4, 8, 9, 12, 16, 24, 28, 44, 60, 64, -4]) {
      // Two reads in a row: the second one misses the cache when the first changed regions.
      const read = assemble(`ldxw %r0, [%r1${off >= 0 ? '+' : ''}${off}]\nldxw %r2, [%r10-8]\nldxw %r0, [%r1${off >= 0 ? '+' : ''}${off}]\nexit`);
      const write = assemble(`stw [%r1${off >= 0 ? '+' : ''}${off}], 7\nldxw %r0, [%r1${off >= 0 ? '+' : ''}${off}]\nexit`);
      for (const p of [read, write]) {
        for (const r1 of [0n, 1n]) expect(outcome('jit', p, r1), `off ${off}`).toBe(outcome('interp', p, r1));
      }
    }
  });

  it('checks a callee\'s accesses to the stack in WebAssembly, with the frames the memory model allows', async () => {
    await loadJit();
    // The caller passes r10 + off; the callee reads and writes through it (checked accesses, not r10-relative).
    const program = (off: number, size: 'w' | 'dw'): Instruction[] =>
      assemble(
        [
          'stdw [%r10-8], 17',
          'mov %r1, %r10',
          `add %r1, ${off}`,
          'call local f',
          'exit',
          'f:',
          `ldx${size} %r0, [%r1+0]`,
          `stx${size} [%r1+0], %r0`,
          `ldx${size} %r0, [%r1+0]`,
          'exit',
        ].join('\n'),
      );
    const outcome = (engine: 'interp' | 'jit', p: Instruction[]): string => {
      const memory = new Memory();
      let checks = 0;
      const check = memory.check.bind(memory);
      memory.check = (...a: Parameters<Memory['check']>) => {
        checks++;
        return check(...a);
      };
      const table = { get: () => undefined, nameOf: (id: number) => `helper_${id}` };
      const prog = prepareProgram('t', p);
      const vm = engine === 'interp' ? new Interpreter(prog, memory, table) : jit.compileJit(prog, memory, table);
      try {
        const r0 = `r0=${vm.run([0n])}`;
        // Inside the frames, the generated code asks JS nothing.
        if (engine === 'jit') expect(checks).toBe(0);
        return r0;
      } catch (e) {
        return e instanceof RuntimeFault ? `${e.kind}@${e.pc}: ${e.message}` : String(e);
      }
    };
    for (const off of [-8, -4, -2, -512, -520, -1024, -1028, -1032, 0]) {
      for (const size of ['w', 'dw'] as const) {
        const p = program(off, size);
        expect(outcome('jit', p), `off ${off} ${size}`).toBe(outcome('interp', p));
      }
    }
    expect(outcome('interp', program(-8, 'dw'))).toBe('r0=17');
    expect(outcome('interp', program(-1032, 'dw'))).toMatch(/stack/);
  });

  it('emits modules binaryen validates, in both layouts', async () => {
    await loadJit({ binaryen: true });
    const programs = [IRREDUCIBLE, diamonds(50), assemble('mov %r0, 1\nlsh %r0, 40\nexit')];
    for (const p of programs) {
      for (const dispatch of ['relooper', 'loop'] as const) {
        const c = jit.compileProgram(prepareProgram('t', p), new Memory().stackTop, { optimize: 0, dispatch, validate: true });
        expect(c.stats.bytes).toBeGreaterThan(0);
      }
    }
  });
});
