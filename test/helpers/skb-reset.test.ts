/**
 * SkbContext.reset (what runs of tc, socket-filter and cgroup_skb programs use instead of a new
 * context) must leave the memory and the skb exactly as a new context on the same frame would,
 * whatever the last run did: pushed tags, a buffer replaced by a resizing helper, fields written.
 */
import { describe, expect, it } from 'vitest';
import { SkbContext } from '../../src/helpers/contexts/skb.js';
import { Memory } from '../../src/helpers/memory.js';

function frame(length: number, fill: number, proto = 0x0800): Uint8Array {
  const f = new Uint8Array(length).fill(fill);
  f[0] = 0x02; // a unicast destination (PACKET_OTHERHOST)
  f[12] = proto >> 8;
  f[13] = proto & 0xff;
  return f;
}

const state = (c: SkbContext): unknown => ({
  data: c.data,
  len: c.len,
  mac: c.macHeader,
  net: c.networkHeader,
  protocol: c.protocol,
  vlan: [c.vlanPresent, c.vlanTci, c.vlanProto],
  csum: [c.ipSummed, c.csumLevel, c.encapsulation, c.swHash],
  cookie: c.cookie,
  tunnel: c.tunnel,
  packet: { start: c.packet.start, end: c.packet.end, span: c.packet.span },
  headroom: c.headroom,
  tailroom: c.tailroom,
  out: [...c.packetOut()],
});

describe('skb context reset', () => {
  for (const l2 of [true, false]) {
    it(`${l2 ? 'tc' : 'socket filter'}: a reset after a dirty run equals a new context, byte for byte`, () => {
      const used = new Memory();
      const ctx = new SkbContext(used, frame(100, 0xab), { l2, directAccess: l2 });
      const kept = used.mark();
      // What a run may leave: a tag in the metadata and one in the packet, the buffer moved by a
      // resizing helper (above the kept mark), fields and bytes written everywhere it can write.
      expect(ctx.vlanPush(0x0081, 5)).toBe(0);
      if (l2) expect(ctx.vlanPush(0x0081, 6)).toBe(0);
      ctx.csumIncr();
      ctx.swHash = true;
      ctx.encapsulation = true;
      ctx.cookie = 9n;
      const home = ctx.packet.span!;
      ctx.reserve(3000, 500);
      expect(ctx.packet.start).toBeGreaterThan(home.end);
      used.u8.fill(0xcd, home.start, home.end + 320);
      used.u8.fill(0xee, ctx.address, ctx.address + 192);
      used.release(kept);

      const next = frame(90, 0x11, 0x86dd);
      expect(ctx.reset(next)).toBe(true);
      const made = new Memory();
      const fresh = new SkbContext(made, next, { l2, directAccess: l2 });
      expect(ctx.address).toBe(fresh.address);
      expect(state(ctx)).toEqual(state(fresh));
      expect(used.listRegions()).toEqual(made.listRegions());
      const end = made.listRegions().at(-1)!.end;
      const diff = used.u8.subarray(0, end).findIndex((b, i) => b !== made.u8[i]);
      expect(diff, `first differing byte at ${diff}, regions ${JSON.stringify(made.listRegions())}`).toBe(-1);
    });
  }

  it('a frame that needs a buffer of another size is not reset into this one', () => {
    const memory = new Memory();
    const ctx = new SkbContext(memory, frame(100, 1), { l2: true, directAccess: true });
    expect(ctx.reset(frame(1500, 2))).toBe(false);
    expect(ctx.reset(frame(60, 2))).toBe(false);
    expect(ctx.reset(frame(128, 2))).toBe(true);
  });
});
