import { describe, expect, it } from 'vitest';
import { mapHandle } from '../../src/helpers/abi.js';
import { SkbContext, SkbField } from '../../src/helpers/contexts/skb.js';
import { XdpContext } from '../../src/helpers/contexts/xdp.js';
import { Errno } from '../../src/helpers/errno.js';
import { csumDiffValue } from './csum-oracle.js';
import { csumFold, csumPartial, csumReplace2, csumReplace4 } from '../../src/helpers/impl/csum.js';
import { MapType, ProgType } from '../../src/loader/kinds.js';
import { harness, hex, mapDef, readU32, u32, udpFrame } from './util.js';

const tc = (frame = udpFrame()) => {
  const h = harness([mapDef({ type: MapType.DEVMAP, name: 'ports', valueSize: 4, maxEntries: 2 })]);
  const ctx = new SkbContext(h.instance.memory, frame, { l2: true, directAccess: true });
  h.enter(ProgType.SCHED_CLS, ctx);
  return { h, ctx, skb: BigInt(ctx.address) };
};

/** The 16-bit internet checksum of `b` (RFC 1071), big-endian as on the wire. */
function inetChecksum(b: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < b.length; i += 2) s += (b[i]! << 8) | (b[i + 1] ?? 0);
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return ~s & 0xffff;
}

describe('skb load/store helpers', () => {
  it('load and store bytes from skb->data, -EFAULT past the end (load zeroes its buffer)', () => {
    const { h, skb, ctx } = tc();
    const buf = h.buf(new Uint8Array(8).fill(0xff));
    expect(h.call('skb_load_bytes', skb, 12, buf, 2)).toBe(0n);
    expect(hex(h.read(buf, 2))).toBe('0800');
    expect(h.call('skb_load_bytes', skb, ctx.len - 4, buf, 8)).toBe(BigInt(-Errno.EFAULT));
    expect(hex(h.read(buf, 8))).toBe('00'.repeat(8));
    expect(h.call('skb_load_bytes', skb, 0x80000000, buf, 2)).toBe(BigInt(-Errno.EFAULT));
    const mark = h.buf(new Uint8Array([0xde, 0xad]));
    expect(h.call('skb_store_bytes', skb, 0, mark, 2, 0)).toBe(0n);
    expect(hex(ctx.packetOut().subarray(0, 2))).toBe('dead');
    expect(h.call('skb_store_bytes', skb, ctx.len - 1, mark, 2, 0)).toBe(BigInt(-Errno.EFAULT));
    expect(h.call('skb_store_bytes', skb, 0, mark, 2, 4)).toBe(BigInt(-Errno.EINVAL));
  });

  it('load_bytes_relative counts from the MAC or network header', () => {
    const { h, skb } = tc();
    const buf = h.buf(2);
    expect(h.call('skb_load_bytes_relative', skb, 0, buf, 2, 1)).toBe(0n);
    expect(hex(h.read(buf, 2))).toBe('4500');
    expect(h.call('skb_load_bytes_relative', skb, 12, buf, 2, 0)).toBe(0n);
    expect(hex(h.read(buf, 2))).toBe('0800');
    expect(h.call('skb_load_bytes_relative', skb, 0, buf, 2, 2)).toBe(BigInt(-Errno.EFAULT));
    expect(h.call('skb_load_bytes_relative', skb, 0x10000, buf, 2, 0)).toBe(BigInt(-Errno.EFAULT));
  });

  it('pull_data succeeds up to the packet length', () => {
    const { h, skb, ctx } = tc();
    expect(h.call('skb_pull_data', skb, 0)).toBe(0n);
    expect(h.call('skb_pull_data', skb, ctx.len)).toBe(0n);
    expect(h.call('skb_pull_data', skb, ctx.len + 1)).toBe(BigInt(-Errno.ENOMEM));
  });

  it('needs an skb context', () => {
    const h = harness();
    h.enter(ProgType.XDP, new XdpContext(h.instance.memory, udpFrame()));
    expect(() => h.call('skb_load_bytes', 0, 0, h.buf(2), 2)).toThrow('bpf_skb_load_bytes needs a __sk_buff context');
  });
});

describe('VLAN helpers', () => {
  it('a first push sets the skb metadata; a second moves the first tag into the packet', () => {
    const { h, skb, ctx } = tc();
    const dv = h.instance.memory.dv;
    const field = (f: number) => dv.getUint32(ctx.address + f, true);
    expect(h.call('skb_vlan_push', skb, 0x0081, 42)).toBe(0n);
    expect([field(SkbField.vlan_present), field(SkbField.vlan_tci), field(SkbField.vlan_proto), field(SkbField.len)]).toEqual([1, 42, 0x81, 50]);
    expect(h.call('skb_vlan_push', skb, 0xa888, 7)).toBe(0n);
    expect([field(SkbField.vlan_tci), field(SkbField.vlan_proto), field(SkbField.len), field(SkbField.protocol)]).toEqual([7, 0xa888, 54, 0x81]);
    expect(hex(ctx.packetOut().subarray(12, 18))).toBe('8100002a0800');
    // an unknown protocol is taken as 802.1Q
    expect(h.call('skb_vlan_push', skb, 0x3412, 9)).toBe(0n);
    expect(field(SkbField.vlan_proto)).toBe(0x81);
  });

  it('pop clears the metadata tag, or removes the tag from the packet (an inner one moves up)', () => {
    const frame = udpFrame();
    const qinq = new Uint8Array(frame.length + 8);
    qinq.set(frame.subarray(0, 12));
    qinq.set([0x88, 0xa8, 0x00, 0x0a, 0x81, 0x00, 0x00, 0x14], 12);
    qinq.set(frame.subarray(12), 20);
    const { h, skb, ctx } = tc(qinq);
    const field = (f: number) => h.instance.memory.dv.getUint32(ctx.address + f, true);
    expect(h.call('skb_vlan_pop', skb)).toBe(0n);
    expect([field(SkbField.vlan_present), field(SkbField.vlan_tci), field(SkbField.len), field(SkbField.protocol)]).toEqual([1, 20, frame.length, 8]);
    expect(hex(ctx.packetOut())).toBe(hex(frame));
    expect(h.call('skb_vlan_pop', skb)).toBe(0n);
    expect(field(SkbField.vlan_present)).toBe(0);
    expect(h.call('skb_vlan_pop', skb)).toBe(0n);
  });
});

describe('checksum helpers', () => {
  it('computes the kernel\'s folded csum_diff', () => {
    const h = harness();
    const from = h.buf(new Uint8Array([10, 0, 0, 2]));
    const to = h.buf(new Uint8Array([192, 168, 1, 1]));
    // values recorded from the kernel (csum.c)
    expect(h.call('csum_diff', from, 4, to, 4, 0)).toBe(0xa7b7n);
    expect(h.call('csum_diff', from, 4, to, 4, 0x1234)).toBe(0xb9ebn);
    expect(h.call('csum_diff', 0, 0, to, 4, 0)).toBe(0xa9c1n);
    expect(h.call('csum_diff', from, 4, 0, 0, 0)).toBe(0xfdf5n);
    expect(h.call('csum_diff', from, 3, to, 4, 0)).toBe(0xa9b7n);
    expect(h.call('csum_diff', 0, 0, 0, 0, 0x12345678)).toBe(BigInt(csumDiffValue(0x12345678)));
  });

  it('keeps IPv4 and UDP checksums valid across an address rewrite', () => {
    const { h, skb, ctx } = tc();
    const oldAddr = readU32(udpFrame().subarray(30, 34));
    const newBytes = new Uint8Array([192, 168, 1, 1]);
    const newAddr = readU32(newBytes);
    // give the UDP packet a real checksum first
    const f = ctx.packetOut();
    const pseudo = new Uint8Array([...f.subarray(26, 34), 0, 17, 0, f.length - 34]);
    const udpSum = inetChecksum(new Uint8Array([...pseudo, ...f.subarray(34)]));
    h.call('skb_store_bytes', skb, 40, h.buf(new Uint8Array([udpSum >> 8, udpSum & 0xff])), 2, 0);
    expect(h.call('skb_store_bytes', skb, 30, h.buf(newBytes), 4, 0)).toBe(0n);
    expect(h.call('l3_csum_replace', skb, 24, oldAddr, newAddr, 4)).toBe(0n);
    expect(h.call('l4_csum_replace', skb, 40, oldAddr, newAddr, 0x10 | 4)).toBe(0n);
    const out = ctx.packetOut();
    expect(inetChecksum(out.subarray(14, 34))).toBe(0);
    const pseudo2 = new Uint8Array([...out.subarray(26, 34), 0, 17, 0, out.length - 34]);
    expect(inetChecksum(new Uint8Array([...pseudo2, ...out.subarray(34)]))).toBe(0);
  });

  it('returns the kernel errors for flags, offsets and sizes; a zero UDP checksum stays zero', () => {
    const { h, skb } = tc();
    expect(h.call('l3_csum_replace', skb, 24, 0, 0, 0x100)).toBe(BigInt(-Errno.EINVAL));
    expect(h.call('l3_csum_replace', skb, 25, 0, 0, 2)).toBe(BigInt(-Errno.EFAULT));
    expect(h.call('l3_csum_replace', skb, 0x10000, 0, 0, 2)).toBe(BigInt(-Errno.EFAULT));
    expect(h.call('l3_csum_replace', skb, 4000, 0, 0, 2)).toBe(BigInt(-Errno.EFAULT));
    expect(h.call('l3_csum_replace', skb, 24, 1, 0, 0)).toBe(BigInt(-Errno.EINVAL));
    expect(h.call('l3_csum_replace', skb, 24, 0, 0, 3)).toBe(BigInt(-Errno.EINVAL));
    expect(h.call('l4_csum_replace', skb, 40, 0, 0, 0x8000)).toBe(BigInt(-Errno.EINVAL));
    // udpFrame has a zero UDP checksum
    const ctx = h.instance.kernel.run.context as SkbContext;
    expect(h.call('l4_csum_replace', skb, 40, 0, 0x1234, 0x20 | 2)).toBe(0n);
    expect(hex(ctx.packetOut().subarray(40, 42))).toBe('0000');
    // BPF_F_MARK_ENFORCE updates it anyway
    expect(h.call('l4_csum_replace', skb, 40, 0, 0x1234, 0x20 | 0x40 | 2)).toBe(0n);
    expect(hex(ctx.packetOut().subarray(40, 42))).not.toBe('0000');
  });

  it('refuses flags with any bit past the low byte (however large), and sums unaligned and odd-sized buffers in place', () => {
    const { h, skb } = tc();
    for (const f of [1n << 32n, (1n << 32n) | 4n, (1n << 53n) | 2n, (1n << 63n) | 4n, (1n << 64n) - 1n, 0x104n]) {
      expect(h.call('l3_csum_replace', skb, 24, 0, 0, f), `l3 flags ${f}`).toBe(BigInt(-Errno.EINVAL));
      expect(h.call('l4_csum_replace', skb, 40, 0, 0, f), `l4 flags ${f}`).toBe(BigInt(-Errno.EINVAL));
    }
    // csum_diff reads memory where it lies: odd starts and ragged tails, against a sum written out here.
    const bytes = new Uint8Array([0xde, 0xad, 0xbe, 0xef, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07]);
    const buf = h.buf(bytes);
    for (const [at, n] of [[1, 7], [3, 5], [0, 11], [2, 1]] as const) {
      const seed = 0x89abcdef;
      const part = onesSum(bytes.subarray(at, at + n), seed);
      expect(h.call('csum_diff', 0, 0, buf + at, n, seed), `to [${at}, +${n})`).toBe(BigInt(foldNoComplement(part)));
      expect(h.call('csum_diff', buf + at, n, 0, 0, ~seed >>> 0), `from [${at}, +${n})`).toBe(BigInt(foldNoComplement(~part >>> 0)));
    }
  });

  it('matches the RFC 1624 arithmetic', () => {
    expect(csumFold(csumPartial(new Uint8Array([0x45, 0, 0, 0x34]), 0))).toBe(~(0x0045 + 0x3400) & 0xffff);
    const sum = 0x1c46;
    expect(csumReplace2(sum, 0x1111, 0x2222)).toBe(csumReplace4(sum, 0x1111, 0x2222));
  });
});

describe('XDP helpers', () => {
  const xdp = () => {
    const h = harness();
    const ctx = new XdpContext(h.instance.memory, udpFrame());
    h.enter(ProgType.XDP, ctx);
    return { h, ctx, x: BigInt(ctx.address) };
  };

  it('moves head, tail and metadata within the kernel\'s limits', () => {
    const { h, ctx, x } = xdp();
    const len = ctx.length;
    expect(h.call('xdp_adjust_head', x, -217)).toBe(BigInt(-Errno.EINVAL));
    expect(h.call('xdp_adjust_head', x, -216)).toBe(0n);
    expect(h.call('xdp_adjust_head', x, 216 + len - 13)).toBe(BigInt(-Errno.EINVAL));
    expect(h.call('xdp_adjust_head', x, 216)).toBe(0n);
    expect(h.call('xdp_adjust_tail', x, -(len - 13))).toBe(BigInt(-Errno.EINVAL));
    expect(h.call('xdp_adjust_tail', x, 3520 - len + 1)).toBe(BigInt(-Errno.EINVAL));
    expect(h.call('xdp_adjust_tail', x, 4)).toBe(0n);
    expect(hex(ctx.packetOut().subarray(len))).toBe('00000000');
    expect(h.call('xdp_get_buff_len', x)).toBe(BigInt(len + 4));
    expect(h.call('xdp_adjust_meta', x, -3)).toBe(BigInt(-Errno.EACCES));
    // the metadata cannot reach into the xdp_frame kept at the start of the frame
    expect(h.call('xdp_adjust_meta', x, -256)).toBe(BigInt(-Errno.EINVAL));
    expect(h.call('xdp_adjust_meta', x, 4)).toBe(BigInt(-Errno.EINVAL));
    expect(h.call('xdp_adjust_meta', x, -8)).toBe(0n);
    expect(ctx.packetOut().length).toBe(len + 4 + 8);
  });

  it('loads and stores bytes: -EFAULT past 0xffff, -EINVAL past the packet', () => {
    const { h, ctx, x } = xdp();
    const buf = h.buf(6);
    expect(h.call('xdp_load_bytes', x, 6, buf, 6)).toBe(0n);
    expect(hex(h.read(buf, 6))).toBe('020000000001');
    expect(h.call('xdp_store_bytes', x, 0, buf, 6)).toBe(0n);
    expect(hex(ctx.packetOut().subarray(0, 6))).toBe('020000000001');
    expect(h.call('xdp_load_bytes', x, ctx.length - 2, buf, 6)).toBe(BigInt(-Errno.EINVAL));
    expect(h.call('xdp_store_bytes', x, 0x10000, buf, 6)).toBe(BigInt(-Errno.EFAULT));
  });
});

describe('redirects', () => {
  it('bpf_redirect: XDP_REDIRECT (XDP_ABORTED with flags) from XDP, TC_ACT_REDIRECT (TC_ACT_SHOT) from tc', () => {
    const h = harness();
    h.enter(ProgType.XDP);
    expect(h.call('redirect', 3, 0)).toBe(4n);
    expect(h.instance.kernel.run.redirect).toEqual({ ifindex: 3, flags: 0 });
    expect(h.call('redirect', 3, 1)).toBe(0n);
    h.enter(ProgType.SCHED_CLS);
    expect(h.call('redirect', 3, 1)).toBe(7n);
    expect(h.call('redirect', 3, 2)).toBe(2n);
  });

  it('bpf_redirect_map: XDP_REDIRECT to a devmap entry, else the fallback action in the flags', () => {
    const { h } = tc();
    h.enter(ProgType.XDP);
    const ports = mapHandle(0);
    expect(h.call('redirect_map', ports, 1, 2)).toBe(2n);
    expect(h.call('redirect_map', ports, 9, 3)).toBe(3n);
    expect(h.call('redirect_map', ports, 1, 0x100)).toBe(0n);
    h.instance.map('ports').set(1, u32(5));
    expect(h.call('redirect_map', ports, 1, 2)).toBe(4n);
    expect(h.instance.kernel.run.redirect).toEqual({ ifindex: 5, flags: 2, map: 'ports' });
  });
});

/** csum_partial written out: little-endian 32-bit words (the tail zero-padded) and the seed, summed, carries folded back. */
function onesSum(b: Uint8Array, seed: number): number {
  let s = BigInt(seed >>> 0);
  for (let i = 0; i < b.length; i += 4) {
    let w = 0n;
    for (let j = 0; j < 4 && i + j < b.length; j++) w |= BigInt(b[i + j]!) << BigInt(8 * j);
    s += w;
  }
  while (s >> 32n) s = (s & 0xffffffffn) + (s >> 32n);
  return Number(s);
}

/** csum_from32to16: the 32-bit sum folded to 16 bits, not complemented (bpf_csum_diff's result). */
function foldNoComplement(sum: number): number {
  let s = (sum & 0xffff) + (sum >>> 16);
  s = (s & 0xffff) + (s >>> 16);
  return s & 0xffff;
}
