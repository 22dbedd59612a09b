/**
 * Stack trace maps with bpf_get_stackid / bpf_get_stack on the stacks a test sets, and user ring
 * buffers drained with bpf_user_ringbuf_drain (fixtures/kernel-cases/src/stacks.c, which the
 * kernel's verifier accepts). The kernel's own stacks differ from boot to boot and kernel-run
 * cannot push user records, so these are documented semantics, on both engines.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { Errno } from '../../src/helpers/errno.js';
import { ObjectInstance } from '../../src/helpers/kernel.js';
import { jhash2 } from '../../src/helpers/kernel/jhash.js';
import { StackTraceMap } from '../../src/helpers/maps/stack-trace.js';
import { UserRingbufMap } from '../../src/helpers/maps/user-ringbuf.js';
import { loadJitEngine, type EngineKind } from '../../src/run/engine.js';
import { runProgram } from '../../src/run/program.js';
import { caseObject } from './cases.js';

const bss = (i: ObjectInstance) => {
  const b = Buffer.from(i.map('.bss').get(0)!);
  return {
    ids: Array.from({ length: 6 }, (_, k) => b.readBigInt64LE(8 * k)),
    frames: Array.from({ length: 3 }, (_, k) => b.readBigUInt64LE(48 + 8 * k)),
    sizes: [b.readBigInt64LE(72), b.readBigInt64LE(80)],
    sum: b.readBigUInt64LE(88),
    count: b.readBigUInt64LE(96),
  };
};
const KERNEL = [0xffffffff81000010n, 0xffffffff81000020n, 0xffffffff81000030n, 0xffffffff81000040n, 0xffffffff81000050n];
const USER = [0x401000n, 0x401100n];
const idOf = (ips: bigint[]): number => {
  const words = ips.flatMap((ip) => [Number(ip & 0xffffffffn), Number(ip >> 32n)]);
  return jhash2(words, 0) & 15;
};

describe.each<EngineKind>(['interp', 'jit'])('stack traces and user ring buffers, on %s', (engine) => {
  beforeAll(async () => {
    if (engine === 'jit') await loadJitEngine();
  }, 120_000);

  it('bpf_get_stackid: ids by jhash of the kept frames, -EFAULT past the stack, -EINVAL for flags; bpf_get_stack copies', () => {
    const i = new ObjectInstance(caseObject('stacks'), { stacks: { kernel: KERNEL, user: USER } });
    runProgram(i, 'on_open', { engine });
    const s = bss(i);
    // value_size 32: four frames kept; skip 1 keeps the next four.
    const id0 = idOf(KERNEL.slice(0, 4));
    const id1 = idOf(KERNEL.slice(1, 5));
    const id2 = idOf(USER);
    const collide = (a: number, b: number) => (a === b ? BigInt(-Errno.EEXIST) : BigInt(b));
    expect(s.ids).toEqual([BigInt(id0), collide(id0, id1), [id0, id1].includes(id2) ? BigInt(-Errno.EEXIST) : BigInt(id2), BigInt(-Errno.EFAULT), BigInt(-Errno.EINVAL), BigInt(id0)]);
    // The second call's 12-byte size is refused and zeroes those 12 bytes of what the first copied.
    expect(s.frames).toEqual([0n, KERNEL[2]! & ~0xffffffffn, KERNEL[3]]);
    expect(s.sizes).toEqual([24n, BigInt(-Errno.EINVAL)]);
    const traces = i.kernel.maps.find((m) => m.name === 'traces') as StackTraceMap;
    const key = new Uint8Array(4);
    new DataView(key.buffer).setUint32(0, id0, true);
    const v = Buffer.from(traces.sysLookup(key) as Uint8Array);
    expect([0, 1, 2, 3].map((k) => v.readBigUInt64LE(8 * k))).toEqual(KERNEL.slice(0, 4));
    expect(traces.entries().length).toBeGreaterThanOrEqual(2);
    expect(traces.delete(key)).toBe(0);
    expect(traces.delete(key)).toBe(-Errno.ENOENT);
    expect(traces.delete(new Uint8Array([16, 0, 0, 0]))).toBe(-Errno.E2BIG);
  });

  it('without a stack set, stack ids and stacks are -EFAULT (a walk that found nothing)', () => {
    const i = new ObjectInstance(caseObject('stacks'));
    runProgram(i, 'on_open', { engine });
    expect(bss(i).ids[0]).toBe(BigInt(-Errno.EFAULT));
    expect(bss(i).sizes[0]).toBe(BigInt(-Errno.EFAULT));
  });

  it('bpf_user_ringbuf_drain hands over the submitted records in order, skips discarded ones, stops on 1', () => {
    const i = new ObjectInstance(caseObject('stacks'));
    const rb = i.kernel.maps.find((m) => m.name === 'requests') as UserRingbufMap;
    const u64 = (v: number) => {
      const b = new Uint8Array(8);
      new DataView(b.buffer).setBigUint64(0, BigInt(v), true);
      return b;
    };
    for (const v of [1, 2]) expect(rb.submit(u64(v))).toBe(0);
    expect(rb.submit(u64(100), { discard: true })).toBe(0);
    for (const v of [3, 4]) expect(rb.submit(u64(v))).toBe(0);
    i.map('.bss').set(0, (() => {
      const b = Buffer.from(i.map('.bss').get(0)!);
      b.writeBigUInt64LE(3n, 104);
      return new Uint8Array(b);
    })());
    runProgram(i, 'drain', { engine });
    const s = bss(i);
    // The first drain stops at 3 (4 records seen: 1, 2, the discarded one skipped, 3); the second gets 4; flags 1 is a wakeup flag.
    expect(s.ids.slice(0, 2)).toEqual([3n, 1n]);
    expect([s.sum, s.count]).toEqual([10n, 4n]);
    expect(rb.pending).toBe(0);
    // The ring has room for what it is sized for, and no more.
    let n = 0;
    while (rb.submit(new Uint8Array(56)) === 0) n++;
    expect(n).toBe(4096 / 64);
    expect(rb.submit(new Uint8Array(1))).toBe(-Errno.ENOSPC);
  });
});

describe('stacks.o verdicts (the kernel accepts both programs)', () => {
  it('both verify: the drain callback\'s record is a read-only dynptr (CONST_PTR_TO_DYNPTR) bpf_dynptr_read takes', async () => {
    const { verifyObject } = await import('../../src/verifier/index.js');
    const report = verifyObject(caseObject('stacks'));
    expect(report.programs.map((p) => [p.name, p.accepted])).toEqual([['on_open', true], ['drain', true]]);
  });

  it('a callback reading its dynptr directly is refused, as the kernel refuses it (reject_dynptr.o)', async () => {
    const { verifyObject } = await import('../../src/verifier/index.js');
    const [p] = verifyObject(caseObject('reject_dynptr')).programs;
    expect(p?.accepted).toBe(false);
    expect(p?.errors[0]?.message).toMatch(/dynptr the helper owns/);
  });
});
