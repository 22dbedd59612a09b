/**
 * Counted loops (src/jit/loops.ts, src/jit/emit-loop.ts): the JIT runs the trips of a loop whose
 * trip count is known on entry without budget charges or access checks when the budget and every
 * address allow it, and through the loop itself otherwise. Held to the interpreter here on loops
 * of every shape the recogniser takes (and some it must refuse): the budget running out at each
 * instruction of the loop, accesses that leave their region on the last trip or earlier, trip
 * counts that wrap a register around, bounds in registers and constants, both signednesses.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { prepareProgram } from '../../src/helpers/exec-program.js';
import { assemble } from '../../src/isa/asm.js';
import { insn, type Instruction } from '../../src/isa/instruction.js';
import { analyse } from '../../src/jit/cfg.js';
import { countedLoop } from '../../src/jit/loops.js';
import { loadJit } from '../../src/run/raw.js';
import { difference, formatCase, runOn } from '../support/differential.js';
import { Rng, type GenCase } from '../support/gen-programs.js';

beforeAll(async () => {
  await loadJit();
});

const CHECKSUM = `
  mov %r0, 0
  mov %r3, %r1
  add %r2, %r1
loop:
  ldxb %r4, [%r3]
  add %r0, %r4
  add %r3, 1
  jlt %r3, %r2, loop
  exit`;

const bytes = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (7 * i + 3) & 0xff);

/** Runs `c` on both engines; returns the difference (undefined when they agree) and the interpreter's outcome. */
function compare(c: GenCase): { diff: string | undefined; error: string | undefined; executed: number } {
  const a = runOn('interp', c);
  const diff = difference(a, runOn('jit', c));
  return { diff: diff === undefined ? undefined : `${diff}\n${formatCase(c)}`, error: a.error, executed: a.executed };
}

function loopOf(src: string | Instruction[]): ReturnType<typeof countedLoop> {
  const prog = prepareProgram('t', typeof src === 'string' ? assemble(src) : src);
  const cfg = analyse(prog.slots, []);
  const loops = [...cfg.blocks.values()].map((b) => countedLoop(prog.slots, b, !cfg.writesR10)).filter((l) => l !== undefined);
  return loops[0];
}

describe('counted loop recognition', () => {
  it('finds the stepped register, the test and the accesses of a byte sum', () => {
    const l = loopOf(CHECKSUM)!;
    expect(l).toBeDefined();
    expect([l.iv, l.step, l.test, l.signed, l.bound]).toEqual([3, 1n, 'lt', false, { reg: 2 }]);
    expect(l.accesses).toEqual([{ pc: 3, base: 3, before: 0n, off: 0, size: 1, write: false }]);
  });

  it('mirrors a test whose stepped register is the right operand', () => {
    const l = loopOf(`
      mov %r3, 0
    loop:
      add %r3, 2
      jgt %r4, %r3, loop
      exit`)!;
    expect([l.iv, l.step, l.test, l.bound]).toEqual([3, 2n, 'lt', { reg: 4 }]);
  });

  it('refuses loops whose trip count is not known on entry', () => {
    // The bound changes inside the loop.
    expect(loopOf('mov %r3, 0\nloop:\nadd %r3, 1\nadd %r2, 1\njlt %r3, %r2, loop\nexit')).toBeUndefined();
    // The step is a register.
    expect(loopOf('mov %r3, 0\nloop:\nadd %r3, %r5\njlt %r3, 100, loop\nexit')).toBeUndefined();
    // The register is stepped, then overwritten.
    expect(loopOf('mov %r3, 0\nloop:\nadd %r3, 1\nmov %r3, %r4\njlt %r3, 100, loop\nexit')).toBeUndefined();
    // Counting up while the test waits for it to go down.
    expect(loopOf('mov %r3, 0\nloop:\nadd %r3, 1\njgt %r3, 100, loop\nexit')).toBeUndefined();
    // A JMP32 test.
    expect(loopOf('mov %r3, 0\nloop:\nadd %r3, 1\njlt32 %r3, 100, loop\nexit')).toBeUndefined();
    // An access whose base is loaded inside the loop.
    expect(loopOf('mov %r3, 0\nloop:\nldxdw %r4, [%r1]\nldxb %r5, [%r4]\nadd %r3, 1\njlt %r3, 100, loop\nexit')).toBeUndefined();
  });
});

describe('counted loops: JIT vs interpreter', () => {
  it('a byte sum over every length from 0 to 40, and 1,500', () => {
    for (const n of [...Array.from({ length: 41 }, (_, i) => i), 1500]) {
      const r = compare({ seed: n, program: assemble(CHECKSUM), mem: bytes(n) });
      expect(r.diff).toBeUndefined();
    }
  });

  it('the budget runs out at every instruction of a counted loop', () => {
    const program = assemble(CHECKSUM);
    const mem = bytes(24);
    const full = compare({ seed: 0, program, mem });
    expect(full.error).toBeUndefined();
    for (let budget = 0; budget <= full.executed + 1; budget++) {
      const r = compare({ seed: budget, program, mem, budget });
      expect(r.diff).toBeUndefined();
      if (budget < full.executed) expect(r.error).toMatch(/^RuntimeFault\[budget @\d+\]/);
    }
  });

  it('a store loop the budget stops part-way leaves the same bytes written', () => {
    // mem[i] = i * 3 for i in 0..n-1, a store and a load each trip.
    const src = `
      mov %r3, %r1
      mov %r4, 0
    loop:
      mov %r5, %r4
      mul %r5, 3
      stxb [%r3], %r5
      ldxb %r0, [%r3]
      add %r3, 1
      add %r4, 1
      jne %r4, 32, loop
      exit`;
    const program = assemble(src);
    for (let budget = 0; budget <= 8 * 32 + 4; budget += 3) {
      const r = compare({ seed: budget, program, mem: new Uint8Array(32), budget });
      expect(r.diff).toBeUndefined();
    }
  });

  it('an access that leaves its region on the last trip, or earlier, faults at the same pc', () => {
    // Sums n bytes of a 32-byte region starting at `start`: n past the end faults.
    for (const [start, n] of [[0, 33], [0, 34], [0, 40], [31, 2], [16, 100], [1, 32]] as const) {
      const src = `
        mov %r0, 0
        mov %r3, %r1
        add %r3, ${start}
        mov %r4, 0
      loop:
        ldxb %r5, [%r3]
        add %r0, %r5
        stxb [%r3], %r4
        add %r3, 1
        add %r4, 1
        jlt %r4, ${n}, loop
        exit`;
      const r = compare({ seed: start, program: assemble(src), mem: bytes(32) });
      expect(r.diff).toBeUndefined();
      expect(r.error).toMatch(/^RuntimeFault\[memory @4\]/);
    }
  });

  it('walks down, and through the stack frame', () => {
    const down = `
      mov %r0, 0
      mov %r3, %r1
      add %r3, 60
      mov %r4, 15
    loop:
      ldxw %r5, [%r3]
      add %r0, %r5
      add %r3, -4
      add %r4, -1
      jsge %r4, 0, loop
      exit`;
    expect(compare({ seed: 1, program: assemble(down), mem: bytes(64) }).diff).toBeUndefined();
    expect(compare({ seed: 2, program: assemble(down), mem: bytes(60) }).diff).toBeUndefined();
    const stack = `
      mov %r3, %r10
      add %r3, -64
      mov %r4, 0
    loop:
      stxdw [%r3], %r4
      add %r3, 8
      add %r4, 1
      jne %r3, %r10, loop
      ldxdw %r0, [%r10-16]
      exit`;
    expect(compare({ seed: 3, program: assemble(stack), mem: new Uint8Array(0) }).diff).toBeUndefined();
  });

  it('loops with an unknown trip count run as before', () => {
    // The bound is loaded from memory each trip; the step comes from a register.
    const src = `
      mov %r0, 0
      mov %r3, 0
      mov %r6, 3
    loop:
      ldxb %r5, [%r1]
      add %r0, %r5
      add %r3, %r6
      jlt %r3, %r5, loop
      exit`;
    for (let budget = 1; budget < 200; budget += 7) {
      expect(compare({ seed: budget, program: assemble(src), mem: bytes(8), budget }).diff).toBeUndefined();
    }
  });

  it('random counted loops agree (shapes, tests, steps, wrap-around, budgets, regions)', () => {
    const failures: string[] = [];
    const CMP = [0x15, 0x55, 0x25, 0x35, 0xa5, 0xb5, 0x65, 0x75, 0xc5, 0xd5];
    const SIZE_OP = { 1: 0x71, 2: 0x69, 4: 0x61, 8: 0x79 } as const;
    const STORE_OP = { 1: 0x73, 2: 0x6b, 4: 0x63, 8: 0x7b } as const;
    let faults = 0;
    let budgets = 0;
    for (let seed = 0; seed < 600 && failures.length < 3; seed++) {
      const r = new Rng(seed * 7919 + 17);
      const size = r.pick([1, 2, 4, 8] as const);
      const memLen = r.range(0, 12) * 8;
      const trips = r.range(1, 20);
      const istep = r.pick([1, 1, 1, 2, 3, -1, -1, -2, 5]);
      // Start near 0, near the top of the unsigned range, or near the signed limits.
      const start = r.pick([0, 0, 5, -3, -40, 0x7ffffff0, -0x7ffffff0, 100]);
      const end = start + istep * trips + r.pick([0, 0, 0, 1, -1]);
      const cmp = r.pick(CMP) & 0xf0;
      const useReg = r.chance(0.5);
      const pstep = r.pick([size, size, -size, 0, 2 * size]);
      const base = r.range(-8, memLen + 8);
      const p: Instruction[] = [
        insn(0xb7, 0, 0, 0, 0),
        insn(0xbf, 3, 1),
        insn(0x07, 3, 0, 0, base),
        insn(0xb7, 4, 0, 0, start),
        insn(0xb7, 6, 0, 0, end),
      ];
      const body: Instruction[] = [];
      const off = r.pick([0, 0, size, -size]);
      if (r.chance(0.8)) body.push(insn(SIZE_OP[size], 5, 3, off), insn(0x0f, 0, 5));
      if (r.chance(0.4)) body.push(insn(STORE_OP[size], 3, 0, off, 0));
      if (r.chance(0.2)) body.push(insn(0x7b, 10, 0, -8, 0));
      if (r.chance(0.15) && size >= 4) body.push(insn(size === 8 ? 0xdb : 0xc3, 3, 0, off, 0));
      const ivAt = r.int(body.length + 1);
      body.splice(ivAt, 0, insn(0x07, 4, 0, 0, istep));
      body.splice(r.int(body.length + 1), 0, insn(0x07, 3, 0, 0, pstep));
      const jump = useReg ? insn(cmp | 0x0d, 4, 6, -(body.length + 1)) : insn(cmp | 0x05, 4, 0, -(body.length + 1), end);
      if (useReg && r.chance(0.3)) {
        // The stepped register on the right: swap the operands.
        jump.dst = 6;
        jump.src = 4;
      }
      const program = [...p, ...body, jump, insn(0x95)];
      const c: GenCase = { seed, program, mem: bytes(memLen) };
      if (r.chance(0.4)) {
        const full = runOn('interp', { ...c, budget: 2000 });
        c.budget = r.int(Math.max(1, full.executed + 2));
        budgets++;
      } else {
        c.budget = 2000;
      }
      const res = compare(c);
      if (res.error?.startsWith('RuntimeFault[memory')) faults++;
      if (res.diff !== undefined) failures.push(res.diff);
    }
    expect(failures.join('\n\n')).toBe('');
    // The cases reach both outcomes the fast path must get right.
    expect(faults).toBeGreaterThan(20);
    expect(budgets).toBeGreaterThan(100);
  });
});
