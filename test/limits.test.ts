/**
 * Limits (issue #9, part 4): a ~1 MB object and a 1,000,000-instruction program load and verify
 * in bounded memory; the instruction budget, the tail-call limit (33) and the call depth (8
 * frames) are enforced identically by the interpreter and the JIT.
 *
 * The 1,000,000-instruction program is verified only when BPFKIT_LIMITS_FULL=1 (it takes a minute
 * or more); `npm test` decodes and loads it, and verifies the 131,072 instructions of the 1 MB object.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { isBpfkitError } from '../src/errors.js';
import { ObjectInstance } from '../src/helpers/kernel.js';
import { MAX_CALL_FRAMES } from '../src/helpers/memory.js';
import { MAX_TAIL_CALLS } from '../src/helpers/impl/tail-call.js';
import { assemble } from '../src/isa/asm.js';
import { decodeProgram } from '../src/isa/decode.js';
import { encodeProgram } from '../src/isa/encode.js';
import type { Instruction } from '../src/isa/instruction.js';
import { loadObject } from '../src/loader/index.js';
import { loadJitEngine } from '../src/run/engine.js';
import { runProgram, type RunResult } from '../src/run/program.js';
import { loadJit, runRaw } from '../src/run/raw.js';
import { verifyProgram } from '../src/verifier/index.js';
import { ROOT } from './support/fuzz.js';
import { xdpObject } from './support/mutate-programs.js';

const FULL = process.env.BPFKIT_LIMITS_FULL === '1';
const ENGINES = ['interp', 'jit'] as const;
const tailcallObject = loadObject(new Uint8Array(readFileSync(join(ROOT, 'fixtures', 'kernel-cases', 'build', 'tailcall.o'))));
const packet = new Uint8Array(readFileSync(join(ROOT, 'fixtures', 'kernel-cases', 'packets', 'ipv4_udp.bin')));

/** A straight-line XDP program of `n` instructions: `r0 += 1` repeated, then `r0 &= 3; exit`. */
function straightLine(n: number): Instruction[] {
  const body: Instruction = { opcode: 0x07, dst: 0, src: 0, off: 0, imm: 1 };
  const out = new Array<Instruction>(n);
  out[0] = { opcode: 0xb7, dst: 0, src: 0, off: 0, imm: 0 };
  for (let i = 1; i < n - 2; i++) out[i] = body;
  out[n - 2] = { opcode: 0x57, dst: 0, src: 0, off: 0, imm: 3 };
  out[n - 1] = { opcode: 0x95, dst: 0, src: 0, off: 0, imm: 0 };
  return out;
}

/**
 * A minimal relocatable ELF64 (little-endian, EM_BPF) with one `xdp` program section holding
 * `code`, a license section and a symbol table: enough for the loader, grown to any size.
 */
function minimalElf(code: Uint8Array): Uint8Array {
  const enc = new TextEncoder();
  const shstr = enc.encode('\0xdp\0license\0.symtab\0.strtab\0.shstrtab\0');
  const strtab = enc.encode('\0prog\0_license\0');
  const license = enc.encode('GPL\0');
  // Symbols: null, prog (FUNC GLOBAL in section 1), _license (OBJECT GLOBAL in section 2).
  const sym = new Uint8Array(24 * 3);
  const sdv = new DataView(sym.buffer);
  const symbol = (i: number, name: number, info: number, shndx: number, size: number): void => {
    sdv.setUint32(i * 24, name, true);
    sdv.setUint8(i * 24 + 4, info);
    sdv.setUint16(i * 24 + 6, shndx, true);
    sdv.setBigUint64(i * 24 + 16, BigInt(size), true);
  };
  symbol(1, 1, 0x12, 1, code.length);
  symbol(2, 6, 0x11, 2, license.length);
  const parts = [code, license, sym, strtab, shstr];
  const offsets: number[] = [];
  let at = 64;
  for (const p of parts) {
    at = Math.ceil(at / 8) * 8;
    offsets.push(at);
    at += p.length;
  }
  const shoff = Math.ceil(at / 8) * 8;
  const out = new Uint8Array(shoff + 64 * 6);
  const dv = new DataView(out.buffer);
  out.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]);
  dv.setUint16(16, 1, true); // ET_REL
  dv.setUint16(18, 247, true); // EM_BPF
  dv.setUint32(20, 1, true);
  dv.setBigUint64(40, BigInt(shoff), true);
  dv.setUint16(52, 64, true);
  dv.setUint16(58, 64, true);
  dv.setUint16(60, 6, true);
  dv.setUint16(62, 5, true);
  parts.forEach((p, i) => out.set(p, offsets[i]!));
  // name, type, flags, offset, size, link, info, align, entsize
  const sections: Array<[number, number, number, number, number, number, number, number, number]> = [
    [1, 1, 6, offsets[0]!, code.length, 0, 0, 8, 0], // xdp: PROGBITS, ALLOC|EXEC
    [5, 1, 3, offsets[1]!, license.length, 0, 0, 1, 0], // license: PROGBITS, WRITE|ALLOC
    [13, 2, 0, offsets[2]!, sym.length, 4, 1, 8, 24], // .symtab: link .strtab, first global 1
    [21, 3, 0, offsets[3]!, strtab.length, 0, 0, 1, 0], // .strtab
    [29, 3, 0, offsets[4]!, shstr.length, 0, 0, 1, 0], // .shstrtab
  ];
  sections.forEach(([name, type, flags, offset, size, link, info, align, entsize], k) => {
    const h = shoff + 64 * (k + 1);
    dv.setUint32(h, name, true);
    dv.setUint32(h + 4, type, true);
    dv.setBigUint64(h + 8, BigInt(flags), true);
    dv.setBigUint64(h + 24, BigInt(offset), true);
    dv.setBigUint64(h + 32, BigInt(size), true);
    dv.setUint32(h + 40, link, true);
    dv.setUint32(h + 44, info, true);
    dv.setBigUint64(h + 48, BigInt(align), true);
    dv.setBigUint64(h + 56, BigInt(entsize), true);
  });
  return out;
}

const heapMb = (): number => process.memoryUsage().heapUsed / 2 ** 20;

describe('limits: large objects and programs', () => {
  it('a ~1 MB object (131,072 instructions) loads and verifies in bounded memory', () => {
    const code = encodeProgram(straightLine(131_072));
    const elf = minimalElf(code);
    expect(elf.length).toBeGreaterThan(1_000_000);
    const before = heapMb();
    const obj = loadObject(elf);
    expect(obj.programs.map((p) => p.name)).toEqual(['prog']);
    expect(obj.programs[0]!.instructions.length).toBe(131_072);
    const report = verifyProgram(obj, 'prog');
    expect(report.errors).toEqual([]);
    expect(report.accepted).toBe(true);
    // Instructions are ~100 bytes each as objects; anything near a GB means state per instruction blew up.
    expect(heapMb() - before).toBeLessThan(600);
  });

  it('a 1,000,000-instruction program decodes and loads (and verifies with BPFKIT_LIMITS_FULL=1)', () => {
    const big = straightLine(1_000_000);
    const bytes = encodeProgram(big);
    const before = heapMb();
    const decoded = decodeProgram(bytes);
    expect(decoded.length).toBe(1_000_000);
    expect(loadObject(minimalElf(bytes)).programs[0]!.instructions.length).toBe(1_000_000);
    expect(heapMb() - before).toBeLessThan(1000);
    if (!FULL) return;
    const t0 = performance.now();
    const report = verifyProgram(xdpObject(big), 'prog');
    // The kernel accepts up to 1,000,000 processed instructions; a straight line of n is n of them.
    expect(report.accepted, report.errors.map((e) => e.message).join('; ')).toBe(true);
    expect(heapMb() - before).toBeLessThan(2000);
    expect(performance.now() - t0).toBeLessThan(600_000);
  }, 900_000);

  it('an object too large for its own header is refused with a BpfkitError, not a crash', () => {
    const elf = minimalElf(encodeProgram(straightLine(1000)));
    const dv = new DataView(elf.buffer);
    dv.setBigUint64(elf.length - 64 * 5 + 32, 0xffffffffffffn, true); // the xdp section's size
    try {
      loadObject(elf);
      expect.unreachable('loaded an object whose section runs past the file');
    } catch (e) {
      expect(isBpfkitError(e)).toBe(true);
    }
  });
});

describe('limits: both engines enforce them identically', () => {
  beforeAll(async () => {
    // Two entry points load the JIT: runProgram's engines and runRaw's.
    await loadJitEngine();
    await loadJit();
  });

  const run = (name: string, engine: 'interp' | 'jit', budget?: number): RunResult =>
    runProgram(new ObjectInstance(tailcallObject, { cpus: 2 }), name, { packet, engine, ...(budget !== undefined ? { budget } : {}) });

  it('the tail-call limit: 33 tail calls, the 34th falls through, on both engines', () => {
    const [a, b] = ENGINES.map((e) => run('tc_self', e));
    expect(MAX_TAIL_CALLS).toBe(33);
    for (const r of [a!, b!]) {
      expect(r.error).toBeUndefined();
      expect(r.tailCalls).toBe(33);
      expect(r.retval).toBe(2);
    }
    // Regression (found by the soundness fuzzer): the JIT did not report instructions executed
    // before a tail call, so `executed` differed and each tail-called program got a fresh budget.
    expect(b!.executed).toBe(a!.executed);
    expect(run('tc_entry', 'jit').executed).toBe(run('tc_entry', 'interp').executed);
  });

  it('the budget is shared across tail calls: both engines stop at the same instruction', () => {
    const full = run('tc_self', 'interp').executed;
    for (const budget of [1, 5, Math.floor(full / 2), full - 1, full]) {
      const [a, b] = ENGINES.map((e) => run('tc_self', e, budget));
      expect(b!.error?.message, `budget ${budget}`).toBe(a!.error?.message);
      expect(b!.executed, `budget ${budget}`).toBe(a!.executed);
      if (budget < full) expect(a!.error?.kind).toBe('budget');
      else expect(a!.error).toBeUndefined();
    }
  });

  it('the instruction budget of a bare loop', () => {
    const loop = assemble('mov %r0, 0\nadd %r0, 1\nja -2\nexit');
    for (const budget of [1, 2, 3, 1000, 12345]) {
      const faults = ENGINES.map((engine) => {
        try {
          runRaw(loop, undefined, { engine, budget });
          return 'no fault';
        } catch (e) {
          return e instanceof Error ? e.message : String(e);
        }
      });
      expect(faults[0]).toMatch(/budget/);
      expect(faults[1]).toBe(faults[0]);
    }
  });

  it(`the call depth: ${MAX_CALL_FRAMES} frames run, ${MAX_CALL_FRAMES + 1} fault, on both engines`, () => {
    // main calls f1, f1 calls f2, ... f(depth-1) returns: `depth` frames in all.
    const chain = (depth: number): Instruction[] => {
      const lines = ['call local f1', 'exit'];
      for (let i = 1; i < depth; i++) lines.push(`f${i}:`, i + 1 < depth ? `call local f${i + 1}` : 'mov %r0, 7', 'exit');
      return assemble(lines.join('\n'));
    };
    const outcome = (depth: number, engine: 'interp' | 'jit'): string => {
      try {
        return `r0=${runRaw(chain(depth), undefined, { engine }).r0}`;
      } catch (e) {
        return e instanceof Error ? e.message : String(e);
      }
    };
    for (const engine of ENGINES) {
      expect(outcome(MAX_CALL_FRAMES, engine)).toBe('r0=7');
      expect(outcome(MAX_CALL_FRAMES + 1, engine)).toMatch(/call depth/);
    }
    expect(outcome(MAX_CALL_FRAMES + 1, 'jit')).toBe(outcome(MAX_CALL_FRAMES + 1, 'interp'));
    // Unbounded recursion hits the same limit.
    const rec = assemble('call local f\nexit\nf:\ncall local f\nexit');
    const msgs = ENGINES.map((engine) => {
      try {
        runRaw(rec, undefined, { engine });
        return 'no fault';
      } catch (e) {
        return e instanceof Error ? e.message : String(e);
      }
    });
    expect(msgs[0]).toMatch(/call depth/);
    expect(msgs[1]).toBe(msgs[0]);
  });
});
