import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/isa/asm.js';
import { RuntimeFault } from '../../src/helpers/fault.js';
import { runRaw } from '../../src/run/raw.js';
import { Memory, NULL_GUARD, STACK_FRAME_SIZE } from '../../src/helpers/memory.js';

/** Runs assembler text on the interpreter and returns the fault it raised. */
function faultOf(asm: string, mem?: Uint8Array, budget?: number): RuntimeFault {
  try {
    runRaw(assemble(asm), mem, budget !== undefined ? { budget } : {});
  } catch (e) {
    if (e instanceof RuntimeFault) return e;
    throw e;
  }
  throw new Error('expected a fault');
}

describe('memory model faults', () => {
  it('reports a read past the end of the memory region with pc and region', () => {
    const f = faultOf('mov %r0, 0\nldxw %r0, [%r1+2]\nexit', new Uint8Array(4));
    expect(f.kind).toBe('memory');
    expect(f.pc).toBe(1);
    expect(f.message).toMatch(/^pc 1: invalid memory access: read of 4 bytes at 0x[0-9a-f]+ runs past the end of region 'mem' \[0x[0-9a-f]+, 0x[0-9a-f]+\)$/);
  });

  it('reports a NULL dereference', () => {
    const f = faultOf('mov %r1, 0\nldxb %r0, [%r1+0]\nexit');
    expect(f.pc).toBe(1);
    expect(f.message).toBe('pc 1: invalid memory access: read of 1 byte at 0x0 is outside every region (null pointer)');
  });

  it('reports an address with high bits set', () => {
    const f = faultOf('lddw %r1, 0x100000000\nstxw [%r1+0], %r1\nexit');
    expect(f.pc).toBe(2);
    expect(f.message).toBe('pc 2: invalid memory access: write of 4 bytes at 0x100000000 is outside every region');
  });

  it('reports a stack access below the current frame', () => {
    const f = faultOf('mov %r0, 0\nstxdw [%r10-520], %r0\nexit');
    expect(f.pc).toBe(1);
    expect(f.message).toMatch(/^pc 1: invalid memory access: write of 8 bytes at 0x[0-9a-f]+ is below the current stack frame/);
  });

  it('reports a stack access above the frame pointer of the entry function', () => {
    const f = faultOf('ldxdw %r0, [%r10+0]\nexit');
    expect(f.pc).toBe(0);
    expect(f.message).toMatch(/runs past the end of region 'stack'|outside every region/);
  });

  it('lets a callee read its caller frame through a pointer, but not below its own frame', () => {
    const ok = runRaw(
      assemble(`
        mov %r1, 42
        stxdw [%r10-8], %r1
        mov %r1, %r10
        add %r1, -8
        call local f
        exit
      f:
        ldxdw %r0, [%r1+0]
        exit`),
    );
    expect(ok.r0).toBe(42n);
    const f = faultOf(`
        call local f
        exit
      f:
        stdw [%r10-${STACK_FRAME_SIZE + 8}], 1
        exit`);
    expect(f.pc).toBe(2);
    expect(f.message).toMatch(/below the current stack frame/);
  });

  it('confines a strided region access to one element', () => {
    const mem = new Memory();
    const r = mem.alloc('values', 'map-value', 3 * 16, { stride: 16, elemSize: 12 });
    expect(() => mem.check(r.start + 8, 0, 4, false)).not.toThrow();
    expect(() => mem.check(r.start + 10, 0, 4, false)).toThrow(/past the end of a 12-byte value in 'values'/);
    expect(() => mem.check(r.start + 16, 0, 8, false)).not.toThrow();
  });

  it('refuses writes to read-only regions', () => {
    const mem = new Memory();
    const r = mem.allocBytes('.rodata', 'global', new Uint8Array([1, 2, 3, 4]), { writable: false });
    expect(() => mem.check(r.start, 0, 4, false)).not.toThrow();
    expect(() => mem.check(r.start, 0, 1, true)).toThrow(/write of 1 byte at 0x[0-9a-f]+ is in read-only region '.rodata'/);
  });

  it('keeps the first page unmapped', () => {
    const mem = new Memory();
    for (const r of mem.listRegions()) expect(r.start).toBeGreaterThanOrEqual(NULL_GUARD);
  });
});

describe('interpreter limits', () => {
  it('stops a runaway loop at the budget with the pc', () => {
    const f = faultOf('mov %r0, 0\nadd %r0, 1\nja -2\nexit', undefined, 1000);
    expect(f.kind).toBe('budget');
    // 1 mov, then (add, ja) pairs: the 1001st instruction is an add at pc 1... or a ja at pc 2.
    expect(f.pc).toBe(2);
    expect(f.message).toBe('pc 2: instruction budget of 1000 exhausted');
  });

  it('limits bpf-to-bpf calls to 8 frames', () => {
    const f = faultOf('call local f\nexit\nf:\ncall local f\nexit');
    expect(f.kind).toBe('call-depth');
    expect(f.pc).toBe(2);
    expect(f.message).toBe('pc 2: call depth exceeds 8 frames');
  });

  it('names an unsupported helper', () => {
    const f = faultOf('call 1\nexit');
    expect(f.kind).toBe('helper');
    expect(f.message).toBe('pc 0: helper bpf_map_lookup_elem (#1) is not supported');
  });

  it('applies the ISA rules for division by zero and INT_MIN / -1', () => {
    const run = (s: string): bigint => runRaw(assemble(s)).r0;
    expect(run('mov %r0, 7\nmov %r1, 0\ndiv %r0, %r1\nexit')).toBe(0n);
    expect(run('mov %r0, 7\nmov %r1, 0\nmod %r0, %r1\nexit')).toBe(7n);
    expect(run('lddw %r0, 0x8000000000000000\nsdiv %r0, -1\nexit')).toBe(0x8000000000000000n);
    expect(run('lddw %r0, 0x8000000000000000\nsmod %r0, -1\nexit')).toBe(0n);
    expect(run('mov32 %r0, 0x80000000\nsdiv32 %r0, -1\nexit')).toBe(0x80000000n);
    expect(run('lddw %r0, 0xffffffffffffffff\nmov32 %r1, 0\nmod32 %r0, %r1\nexit')).toBe(0xffffffffn);
  });

  it('does 64-bit multiply, division and shifts without losing bits', () => {
    const run = (s: string): bigint => runRaw(assemble(s)).r0;
    expect(run('lddw %r0, 0xfedcba9876543210\nlddw %r1, 0x123456789abcdef1\nmul %r0, %r1\nexit')).toBe(
      BigInt.asUintN(64, 0xfedcba9876543210n * 0x123456789abcdef1n),
    );
    expect(run('lddw %r0, 0xfedcba9876543210\nlddw %r1, 0x1234567\ndiv %r0, %r1\nexit')).toBe(0xfedcba9876543210n / 0x1234567n);
    expect(run('lddw %r0, 0xfedcba9876543210\narsh %r0, 36\nexit')).toBe(BigInt.asUintN(64, BigInt.asIntN(64, 0xfedcba9876543210n) >> 36n));
  });
});
