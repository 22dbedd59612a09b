import { insn, type Instruction } from '../src/isa/instruction.js';

/**
 * A long program for compile-time measurements: straight-line ALU and stack traffic, with a small
 * counted loop every 512 instructions. Deterministic (a fixed LCG).
 */
export function generatedProgram(size: number): Instruction[] {
  let x = 12345;
  const rnd = (n: number): number => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return (x >>> 8) % n;
  };
  const alu = [0x07, 0x0f, 0x17, 0x1f, 0x27, 0x2f, 0x47, 0x4f, 0x57, 0x5f, 0xa7, 0xaf, 0x04, 0x0c, 0x24, 0x2c, 0x67, 0x77, 0xc7];
  const out: Instruction[] = [insn(0xb7, 0, 0, 0, 0)];
  while (out.length < size - 1) {
    if (out.length % 512 === 1 && out.length + 12 < size) {
      // r9 counts 8 iterations of a 10-instruction body.
      out.push(insn(0xb7, 9, 0, 0, 8));
      for (let i = 0; i < 8; i++) out.push(insn(alu[rnd(alu.length)]!, rnd(6), rnd(9), 0, rnd(31) + 1));
      out.push(insn(0x07, 9, 0, 0, -1));
      out.push(insn(0x55, 9, 0, -10, 0));
      continue;
    }
    const r = rnd(10);
    if (r < 7) out.push(insn(alu[rnd(alu.length)]!, rnd(6), rnd(9), 0, rnd(1000) + 1));
    else if (r < 8) out.push(insn(0x7b, 10, rnd(9), -8 * (rnd(64) + 1)));
    else if (r < 9) out.push(insn(0x79, rnd(6), 10, -8 * (rnd(64) + 1)));
    else out.push(insn(0x25, rnd(6), 0, 1, rnd(1000)), insn(0x07, rnd(6), 0, 0, 1));
  }
  out.push(insn(0x95));
  return out;
}
