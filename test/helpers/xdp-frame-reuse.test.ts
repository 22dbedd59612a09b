/**
 * An XDP frame's bytes outside the packet are not zeroed wholesale on each run (only the
 * headroom is): whatever a program can reach through adjust_head/meta/tail must still read as the
 * kernel's zeroed test-run buffer, even where an earlier run's bigger packet lay.
 */
import { describe, expect, it } from 'vitest';
import { XdpContext } from '../../src/helpers/contexts/xdp.js';
import { Memory } from '../../src/helpers/memory.js';

describe('XDP frame reuse', () => {
  it('headroom and grown tail read as zeros after a bigger packet used the same frame', () => {
    const memory = new Memory();
    const mark = memory.mark();
    const big = new XdpContext(memory, new Uint8Array(3000).fill(0xab));
    // Dirty the headroom as a program could after adjust_head.
    expect(big.adjustHead(-200)).toBe(0);
    memory.u8.fill(0xcd, big.data, big.data + 200);
    memory.release(mark);

    const small = new XdpContext(memory, new Uint8Array(60).fill(0x11));
    expect(small.packet.span!.start).toBe(big.packet.span!.start);
    const head = small.data;
    // adjust_head down to the struct xdp_frame exposes the whole headroom: zeros.
    expect(small.adjustHead(-(256 - 40))).toBe(0);
    expect(memory.u8.subarray(small.data, head).every((b) => b === 0)).toBe(true);
    // adjust_tail grows over the old packet's bytes: zeros too.
    const end = small.dataEnd;
    expect(small.adjustTail(500)).toBe(0);
    expect(memory.u8.subarray(end, small.dataEnd).every((b) => b === 0)).toBe(true);
    // The packet itself is the new one.
    expect(memory.u8.subarray(head, head + 60).every((b) => b === 0x11)).toBe(true);
  });

  it('metadata space is zero as well', () => {
    const memory = new Memory();
    const mark = memory.mark();
    const first = new XdpContext(memory, new Uint8Array(100));
    memory.u8.fill(0x77, first.packet.span!.start, first.data);
    memory.release(mark);
    const ctx = new XdpContext(memory, new Uint8Array(60));
    expect(ctx.adjustMeta(-32)).toBe(0);
    expect(memory.u8.subarray(ctx.dataMeta, ctx.data).every((b) => b === 0)).toBe(true);
  });
});

describe('XDP context reset', () => {
  it('a reset after the head or metadata moved down zeroes the headroom again; untouched headroom stays zero', () => {
    const memory = new Memory();
    const ctx = new XdpContext(memory, new Uint8Array(100).fill(0xab));
    const start = ctx.packet.span!.start;
    for (const move of [(c: XdpContext) => c.adjustHead(-200), (c: XdpContext) => c.adjustMeta(-32), (c: XdpContext) => c.adjustTail(40)]) {
      expect(move(ctx)).toBe(0);
      memory.u8.fill(0xcd, ctx.dataMeta, ctx.dataEnd);
      ctx.reset(new Uint8Array(60).fill(0x11), { rxQueueIndex: 3 });
      expect(ctx.data).toBe(start + 256);
      expect(ctx.dataMeta).toBe(ctx.data);
      expect(ctx.length).toBe(60);
      expect(memory.dv.getUint32(ctx.address + 16, true)).toBe(3);
      expect(ctx.adjustHead(-(256 - 40))).toBe(0);
      expect(memory.u8.subarray(ctx.data, start + 256).every((b) => b === 0)).toBe(true);
      expect(memory.u8.subarray(start + 256, start + 316).every((b) => b === 0x11)).toBe(true);
      ctx.reset(new Uint8Array(60).fill(0x11));
    }
  });
});
