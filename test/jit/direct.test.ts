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
