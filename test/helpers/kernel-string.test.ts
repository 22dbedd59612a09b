/**
 * readKernelString (what %s, %pks and bpf_snprintf's format read) reads the simulated kernel's
 * regions in place: it must answer as the byte-by-byte read through readKernel does, at region
 * ends, in the stack below the live frame, in placed kernel memory and off the map.
 */
import { describe, expect, it } from 'vitest';
import { readKernel, readKernelString } from '../../src/helpers/impl/probe.js';
import type { KernelState } from '../../src/helpers/kernel/state.js';
import { harness } from './util.js';

/** The kernel's strncpy_from_kernel_nofault as probe.ts's generic readString does it, byte by byte. */
function byteByByte(k: KernelState, ptr: bigint, max: number): string | number {
  let s = '';
  for (let i = 0; i < max - 1; i++) {
    const b = readKernel(k, BigInt.asUintN(64, ptr) + BigInt(i), 1);
    if (typeof b === 'number') return i === 0 ? b : -14;
    if (b[0] === 0) return s;
    s += String.fromCharCode(b[0]!);
  }
  return s;
}

describe('readKernelString', () => {
  it('answers as a byte-by-byte read wherever the string lies', () => {
    const h = harness();
    const k = h.instance.kernel;
    const text = new TextEncoder().encode('hello, kernel');
    const a = h.buf(text); // no NUL: runs to the region's end
    const b = h.buf(new Uint8Array([0x41, 0x42, 0, 0x43]));
    k.kernelMemory.add(0xffff888000001000n, new Uint8Array([0x6b, 0x6d, 0x65, 0x6d, 0]));
    k.kernelMemory.add(0x00000000fffffff0n, new Uint8Array([0x78, 0x79, 0x7a]));
    const stack = h.instance.memory.stack;
    h.instance.memory.u8.set(new TextEncoder().encode('deep\0'), stack.start - 40);
    const pointers = [
      BigInt(a), BigInt(a + 5), BigInt(a + text.length - 1), BigInt(a + text.length), BigInt(b), BigInt(b + 3),
      BigInt(stack.start - 40), BigInt(stack.end - 1), BigInt(stack.end),
      0xffff888000001000n, 0xffff888000001003n, 0x00000000fffffff0n, 0x00000000fffffff2n, 0xfffffffffffffffen, 0n, 0x1234n,
    ];
    for (const p of pointers) {
      for (const max of [1, 2, 4, 64]) {
        expect(`${p.toString(16)} ${max}: ${readKernelString(k, p, max)}`).toBe(`${p.toString(16)} ${max}: ${byteByByte(k, p, max)}`);
      }
    }
    expect(readKernelString(k, BigInt(b), 64)).toBe('AB');
    expect(readKernelString(k, 0xffff888000001000n, 64)).toBe('kmem');
    expect(readKernelString(k, BigInt(stack.start - 40), 64)).toBe('deep');
  });

  it('reads long strings whole, cut at the limit', () => {
    const h = harness();
    const k = h.instance.kernel;
    const long = new Uint8Array(9000).fill(0x78);
    long[8999] = 0;
    const at = h.buf(long);
    for (const max of [1, 2, 4096, 4097, 8999, 9000, 9001, 1 << 16]) {
      expect(readKernelString(k, BigInt(at), max)).toBe(byteByByte(k, BigInt(at), max));
    }
    expect(readKernelString(k, BigInt(at), 1 << 16)).toBe('x'.repeat(8999));
    expect(readKernelString(k, BigInt(at + 10), 4097)).toBe('x'.repeat(4096));
  });
});
