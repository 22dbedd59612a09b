import { describe, expect, it } from 'vitest';
import { KprobeContext, PT_REGS } from '../../src/helpers/contexts/kprobe.js';
import { SkbContext, SkbField } from '../../src/helpers/contexts/skb.js';
import { rawTracepointArgs, TracepointContext } from '../../src/helpers/contexts/tracepoint.js';
import { XdpContext, XdpMd } from '../../src/helpers/contexts/xdp.js';
import { Errno } from '../../src/helpers/errno.js';
import { Memory } from '../../src/helpers/memory.js';
import { createContext, TestRunError } from '../../src/run/context.js';
import { ProgType } from '../../src/loader/kinds.js';
import { hex, udpFrame } from './util.js';

const u32At = (m: Memory, a: number) => m.dv.getUint32(a, true);

describe('XDP context (xdp_md)', () => {
  it('holds real addresses of data, data_end and data_meta, and the loopback device', () => {
    const m = new Memory();
    const f = udpFrame();
    const c = new XdpContext(m, f);
    const data = u32At(m, c.address + XdpMd.data);
    expect(u32At(m, c.address + XdpMd.data_end) - data).toBe(f.length);
    expect(u32At(m, c.address + XdpMd.data_meta)).toBe(data);
    expect(u32At(m, c.address + XdpMd.ingress_ifindex)).toBe(1);
    expect(u32At(m, c.address + XdpMd.rx_queue_index)).toBe(0);
    // 256 bytes of headroom in a 4096-byte frame
    expect(data - c.packet.span!.start).toBe(256);
    expect(hex(m.u8.slice(data, data + f.length))).toBe(hex(f));
  });

  it('lets a program touch exactly the packet, and not write the context', () => {
    const m = new Memory();
    const c = new XdpContext(m, udpFrame());
    expect(() => m.check(c.dataEnd, 0, 1, false)).toThrow(/runs past the end of region 'packet'/);
    expect(() => m.check(c.data - 1, 0, 1, false)).toThrow(/before the start of region 'packet'/);
    expect(() => m.check(c.address, 0, 4, true)).toThrow(/read-only region 'xdp_md'/);
    c.adjustHead(-4);
    expect(() => m.check(c.data, 0, 4, true)).not.toThrow();
  });

  it('refuses frames the test run refuses', () => {
    const m = new Memory();
    const err = (p: Uint8Array) => {
      try {
        createContext(m, ProgType.XDP, { packet: p });
      } catch (e) {
        return (e as TestRunError).errno;
      }
      return 0;
    };
    expect(err(new Uint8Array(13))).toBe(-Errno.EINVAL);
    expect(err(new Uint8Array(14))).toBe(0);
    expect(err(new Uint8Array(3521))).toBe(-Errno.EINVAL);
    expect(() => createContext(m, ProgType.XDP, {})).toThrow(/runs on a packet/);
  });
});

describe('__sk_buff context', () => {
  it('gives tc programs the frame from the MAC header, with the test run\'s field values', () => {
    const m = new Memory();
    const f = udpFrame();
    const c = new SkbContext(m, f, { l2: true, directAccess: true });
    const field = (o: number) => u32At(m, c.address + o);
    expect(field(SkbField.len)).toBe(f.length);
    expect(field(SkbField.protocol)).toBe(0x0008);
    expect(field(SkbField.pkt_type)).toBe(3);
    expect(field(SkbField.ifindex)).toBe(1);
    expect([field(SkbField.ingress_ifindex), field(SkbField.mark), field(SkbField.hash), field(SkbField.wire_len)]).toEqual([0, 0, 0, 0]);
    expect(field(SkbField.data_end) - field(SkbField.data)).toBe(f.length);
    expect(field(SkbField.data_meta)).toBe(field(SkbField.data));
    // skb->sk: a socket of the packet's family with its addresses
    const sk = field(SkbField.sk);
    expect(u32At(m, sk + 4)).toBe(2);
    expect(hex(m.u8.slice(sk + 24, sk + 28))).toBe('0a000001');
    expect(hex(c.packetOut())).toBe(hex(f));
  });

  it('gives socket filters the packet from the network header, returned with a zeroed MAC header', () => {
    const m = new Memory();
    const f = udpFrame();
    const c = new SkbContext(m, f, { l2: false, directAccess: false });
    expect(u32At(m, c.address + SkbField.len)).toBe(f.length - 14);
    expect(hex(c.packetOut())).toBe('00'.repeat(14) + hex(f.subarray(14)));
  });

  it('names the packet type the way eth_type_trans does on the loopback device', () => {
    const type = (dst: number[]) => {
      const f = udpFrame();
      f.set(dst);
      const m = new Memory();
      const c = new SkbContext(m, f, { l2: true, directAccess: true });
      return u32At(m, c.address + SkbField.pkt_type);
    };
    expect(type([0, 0, 0, 0, 0, 0])).toBe(0);
    expect(type([0xff, 0xff, 0xff, 0xff, 0xff, 0xff])).toBe(2);
    expect(type([0x01, 0x00, 0x5e, 0, 0, 0xfb])).toBe(2);
    expect(type([2, 0, 0, 0, 0, 9])).toBe(3);
  });

  it('refuses frames the skb test run refuses (-EINVAL)', () => {
    const m = new Memory();
    const errno = (p: Uint8Array) => {
      try {
        createContext(m, ProgType.SCHED_CLS, { packet: p });
        return 0;
      } catch (e) {
        return (e as TestRunError).errno;
      }
    };
    const f = udpFrame();
    expect(errno(f.subarray(0, 33))).toBe(-Errno.EINVAL);
    expect(errno(f.subarray(0, 34))).toBe(0);
    const arp = new Uint8Array(14);
    arp.set([0x08, 0x06], 12);
    expect(errno(arp)).toBe(0);
    const v6 = new Uint8Array(53);
    v6.set([0x86, 0xdd], 12);
    expect(errno(v6)).toBe(-Errno.EINVAL);
    expect(errno(new Uint8Array(3713))).toBe(-Errno.EINVAL);
  });

  it('LD_ABS/LD_IND: network byte order from skb->data, SKF_NET_OFF/SKF_LL_OFF, undefined past the end', () => {
    const m = new Memory();
    const f = udpFrame();
    const c = new SkbContext(m, f, { l2: false, directAccess: false });
    expect(c.legacyLoad(0, 1)).toBe(0x45);
    expect(c.legacyLoad(2, 2)).toBe(f.length - 14);
    expect(c.legacyLoad(12, 4)).toBe(0x0a000001);
    expect(c.legacyLoad(-0x200000 + 12, 2)).toBe(0x0800);
    expect(c.legacyLoad(-0x100000 + 16, 4)).toBe(0x0a000002);
    expect(c.legacyLoad(f.length - 14 - 2, 4)).toBeUndefined();
    expect(c.legacyLoad(-0x300000, 1)).toBeUndefined();
  });
});

describe('tracing contexts', () => {
  it('kprobe: x86-64 pt_regs, arguments in di, si, dx, cx, r8, r9, read-only', () => {
    const m = new Memory();
    const c = new KprobeContext(m, { ip: 0xffffffff81000000n, ax: -1n }, [1n, 2n, 3n, 4n, 5n, 6n]);
    const reg = (n: (typeof PT_REGS)[number]) => m.dv.getBigUint64(c.address + PT_REGS.indexOf(n) * 8, true);
    expect(PT_REGS.length * 8).toBe(168);
    expect([reg('di'), reg('si'), reg('dx'), reg('cx'), reg('r8'), reg('r9')]).toEqual([1n, 2n, 3n, 4n, 5n, 6n]);
    expect(reg('ip')).toBe(0xffffffff81000000n);
    expect(reg('ax')).toBe(0xffffffffffffffffn);
    expect(c.packetOut()).toBeUndefined();
    expect(() => m.check(c.address, 0, 8, true)).toThrow(/read-only/);
    expect(() => m.check(c.address + 168, 0, 1, false)).toThrow();
  });

  it('tracepoint records and raw tracepoint arguments are the bytes given', () => {
    const m = new Memory();
    const t = new TracepointContext(m, 'tracepoint', new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]));
    expect(hex(m.u8.slice(t.address, t.address + 9))).toBe('010203040506070809');
    expect(() => m.check(t.address + 9, 0, 1, false)).toThrow();
    const r = createContext(m, ProgType.RAW_TRACEPOINT, { args: [5n, 0x101n] });
    expect(m.dv.getBigUint64(r.address + 8, true)).toBe(0x101n);
    expect(hex(rawTracepointArgs([1n]))).toBe('0100000000000000');
  });

  it('refuses program types it cannot run', () => {
    expect(() => createContext(new Memory(), ProgType.SK_REUSEPORT, {})).toThrow(/sk_reuseport \(21\) cannot be run/);
  });
});
