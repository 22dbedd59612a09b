/**
 * The interpreter's 64-bit arithmetic on lo/hi pairs (u64.ts) and its conditional jumps, against
 * BigInt references: the fast paths (small products, uint32 quotients) must agree with the general
 * ones at every boundary.
 */
import { describe, expect, it } from 'vitest';
import { insn, type Instruction } from '../../src/isa/instruction.js';
import { runRaw } from '../../src/run/raw.js';
import { prepareProgram } from '../../src/helpers/exec-program.js';
import { Memory } from '../../src/helpers/memory.js';
import { Interpreter } from '../../src/vm/interpreter.js';
import { mul64, out, sdiv32, sdiv64, smod32, smod64, udiv32, udiv64, umod32, umod64 } from '../../src/vm/u64.js';

const M64 = (1n << 64n) - 1n;
const lo = (v: bigint): number => Number(v & 0xffffffffn) | 0;
const hi = (v: bigint): number => Number((v >> 32n) & 0xffffffffn) | 0;
const pair = (): bigint => (BigInt(out.hi >>> 0) << 32n) | BigInt(out.lo >>> 0);
const s64 = (v: bigint): bigint => BigInt.asIntN(64, v);

/**
 * Pairs whose product is k * 2^32 - 1 above 2^53: a double rounds it up to k * 2^32, so a
 * multiply that trusted an inexact product would get the high word wrong.
 */
const INEXACT_PRODUCTS: bigint[] = [(1n << 23n) + 1n, (1n << 27n) + 3n, 0x7fffffffn].flatMap((a) => {
  let inv = a;
  for (let i = 0; i < 5; i++) inv = BigInt.asUintN(32, inv * (2n - a * inv));
  return [a, BigInt.asUintN(32, -inv)];
});

/** Boundary values (around 0, 2^26, 2^31, 2^32, 2^53, 2^63) and a deterministic pseudo-random spread. */
function values(): bigint[] {
  const edges = [0n, 1n, 2n, 3n, 7n, 67n, 0xffffn, 1n << 26n, (1n << 26n) + 1n, 0x7fffffffn, 0x80000000n, 0x80000001n, 0xffffffffn, 1n << 32n, (1n << 32n) + 1n];
  edges.push(0x1fffffn, 0x200000n, (1n << 53n) - 1n, 1n << 53n, 0x7fffffffffffffffn, 1n << 63n);
  const set = new Set<bigint>();
  for (const e of edges) for (const v of [e, -e, e - 1n, -e - 1n]) set.add(BigInt.asUintN(64, v));
  for (const v of INEXACT_PRODUCTS) set.add(v);
  let x = 0x243f6a8885a308d3n;
  for (let i = 0; i < 60; i++) {
    x = BigInt.asUintN(64, x * 6364136223846793005n + 1442695040888963407n);
    // Mostly small magnitudes (both signs), where the fast paths are taken.
    const shift = BigInt(i % 8) * 8n;
    set.add(i % 2 === 0 ? x >> shift : BigInt.asUintN(64, -(x >> (shift + 24n))));
  }
  return [...set];
}

const V = values();

describe('64-bit arithmetic on lo/hi pairs', () => {
  it('mul64 is the low 64 bits of the product', () => {
    for (const a of V) {
      for (const b of V) {
        mul64(lo(a), hi(a), lo(b), hi(b));
        expect(pair(), `${a} * ${b}`).toBe((a * b) & M64);
      }
    }
  });

  it('udiv64/umod64 and sdiv64/smod64 follow RFC 9669 (zero divisor, INT64_MIN / -1)', () => {
    for (const a of V) {
      for (const b of V) {
        udiv64(lo(a), hi(a), lo(b), hi(b));
        expect(pair(), `${a} / ${b}`).toBe(b === 0n ? 0n : a / b);
        umod64(lo(a), hi(a), lo(b), hi(b));
        expect(pair(), `${a} % ${b}`).toBe(b === 0n ? a : a % b);
        const sa = s64(a);
        const sb = s64(b);
        sdiv64(lo(a), hi(a), lo(b), hi(b));
        expect(pair(), `${sa} s/ ${sb}`).toBe(sb === 0n ? 0n : BigInt.asUintN(64, sa / sb));
        smod64(lo(a), hi(a), lo(b), hi(b));
        expect(pair(), `${sa} s% ${sb}`).toBe(sb === 0n ? a : BigInt.asUintN(64, sa % sb));
      }
    }
  });

  it('32-bit division and modulo', () => {
    const w = [...new Set(V.map((v) => lo(v)))];
    for (const a of w) {
      for (const b of w) {
        const ua = BigInt(a >>> 0);
        const ub = BigInt(b >>> 0);
        expect(udiv32(a, b) >>> 0).toBe(Number(ub === 0n ? 0n : ua / ub));
        expect(umod32(a, b) >>> 0).toBe(Number(ub === 0n ? ua : ua % ub));
        expect(sdiv32(a, b) | 0).toBe(b === 0 ? 0 : Number(BigInt.asIntN(32, BigInt(a) / BigInt(b))));
        expect(smod32(a, b) | 0).toBe(b === 0 ? a : Number(BigInt.asIntN(32, BigInt(a) % BigInt(b))));
      }
    }
  });
});

/** 64-bit multiply, divide and modulo (off 1: signed) against BigInt, as the interpreter runs them. */
const ARITH: Array<[number, number, string, (a: bigint, b: bigint) => bigint]> = [
  [0x20, 0, 'mul', (a, b) => (a * b) & M64],
  [0x30, 0, 'div', (a, b) => (b === 0n ? 0n : a / b)],
  [0x90, 0, 'mod', (a, b) => (b === 0n ? a : a % b)],
  [0x30, 1, 'sdiv', (a, b) => (b === 0n ? 0n : BigInt.asUintN(64, s64(a) / s64(b)))],
  [0x90, 1, 'smod', (a, b) => (b === 0n ? a : BigInt.asUintN(64, s64(a) % s64(b)))],
];

describe('interpreter 64-bit multiply, divide and modulo', () => {
  const ops = [...new Set([...V.filter((_, i) => i % 2 === 0), ...INEXACT_PRODUCTS])];
  for (const [code, off, name, ref] of ARITH) {
    it(`${name}: register and immediate operands`, () => {
      for (const a of ops) {
        for (const b of ops) {
          const reg = [insn(0x18, 1, 0, 0, lo(a), hi(a)), insn(0x18, 2, 0, 0, lo(b), hi(b)), insn(0x07 | code | 0x08, 1, 2, off), insn(0xbf, 0, 1), insn(0x95)];
          expect(runRaw(reg).r0, `${name} ${a}, ${b}`).toBe(ref(a, b));
          // The immediate is sign-extended to 64 bits.
          const k = BigInt.asUintN(64, BigInt(lo(b)));
          const im = [insn(0x18, 1, 0, 0, lo(a), hi(a)), insn(0x07 | code, 1, 0, off, lo(b)), insn(0xbf, 0, 1), insn(0x95)];
          expect(runRaw(im).r0, `${name} ${a}, imm ${lo(b)}`).toBe(ref(a, k));
        }
      }
    });
  }
});

/** The jump opcodes by condition (bits 4-7), with a reference on unsigned 64-bit operands. */
const CONDITIONS: Array<[number, string, (a: bigint, b: bigint) => boolean]> = [
  [0x10, 'eq', (a, b) => a === b],
  [0x20, 'gt', (a, b) => a > b],
  [0x30, 'ge', (a, b) => a >= b],
  [0x40, 'set', (a, b) => (a & b) !== 0n],
  [0x50, 'ne', (a, b) => a !== b],
  [0x60, 'sgt', (a, b) => s64(a) > s64(b)],
  [0x70, 'sge', (a, b) => s64(a) >= s64(b)],
  [0xa0, 'lt', (a, b) => a < b],
  [0xb0, 'le', (a, b) => a <= b],
  [0xc0, 'slt', (a, b) => s64(a) < s64(b)],
  [0xd0, 'sle', (a, b) => s64(a) <= s64(b)],
];

/** r0 = 1 when `jump` is taken, else 0; r1 = a and r2 = b. */
function jumpProgram(a: bigint, b: bigint, jump: Instruction): Instruction[] {
  return [
    insn(0x18, 1, 0, 0, lo(a), hi(a)),
    insn(0x18, 2, 0, 0, lo(b), hi(b)),
    insn(0xb7, 0, 0, 0, 1),
    jump,
    insn(0xb7, 0, 0, 0, 0),
    insn(0x95),
  ];
}

describe('interpreter conditional jumps', () => {
  // Operands where the high words tie, differ, and straddle the sign bits.
  const ops = V.filter((_, i) => i % 6 === 0);
  for (const [cond, name, ref] of CONDITIONS) {
    it(`${name}: JMP and JMP32, register and immediate`, () => {
      for (const a of ops) {
        for (const b of ops) {
          const jr = runRaw(jumpProgram(a, b, insn(0x05 | cond | 0x08, 1, 2, 1))).r0;
          expect(jr, `${name} ${a}, ${b}`).toBe(ref(a, b) ? 1n : 0n);
          // The immediate is sign-extended to 64 bits.
          const k = BigInt.asUintN(64, BigInt(lo(b)));
          const ji = runRaw(jumpProgram(a, b, insn(0x05 | cond, 1, 0, 1, lo(b)))).r0;
          expect(ji, `${name} ${a}, imm ${lo(b)}`).toBe(ref(a, k) ? 1n : 0n);
          // JMP32 compares the low words (as signed or unsigned 32-bit values, widened to 64).
          const a32 = BigInt.asUintN(64, name.startsWith('s') ? BigInt(lo(a)) : BigInt(lo(a) >>> 0));
          const b32 = BigInt.asUintN(64, name.startsWith('s') ? BigInt(lo(b)) : BigInt(lo(b) >>> 0));
          const r32 = name.startsWith('s') ? ref(a32, b32) : ref(BigInt(lo(a) >>> 0), BigInt(lo(b) >>> 0));
          expect(runRaw(jumpProgram(a, b, insn(0x06 | cond | 0x08, 1, 2, 1))).r0, `${name}32 ${a}, ${b}`).toBe(r32 ? 1n : 0n);
          expect(runRaw(jumpProgram(a, b, insn(0x06 | cond, 1, 0, 1, lo(b)))).r0, `${name}32 ${a}, imm`).toBe(r32 ? 1n : 0n);
        }
      }
    });
  }
});

describe('interpreter runs', () => {
  it('start every run with zeroed registers, and take arguments of any width', () => {
    const memory = new Memory();
    const table = { get: () => undefined, nameOf: () => '' };
    // r0 = r1 + r2 + r6 + r9, then r3, r6 and r9 are dirtied for the next run.
    const prog = prepareProgram('t', [insn(0xbf, 0, 1), insn(0x0f, 0, 2), insn(0x0f, 0, 6), insn(0x0f, 0, 9), insn(0xb7, 6, 0, 0, 5), insn(0xb7, 9, 0, 0, -1), insn(0x95)]);
    const vm = new Interpreter(prog, memory, table);
    for (const [a, b] of [[1n, 2n], [(1n << 40n) + 5n, 7n], [(1n << 64n) - 1n, 1n], [-1n, 0n], [0xffffffffn, 0x80000000n], [3n, -(1n << 33n)]] as const) {
      expect(vm.run([a, b]), `${a} + ${b}`).toBe(BigInt.asUintN(64, a + b));
    }
    expect(vm.run([])).toBe(0n);
  });
});
