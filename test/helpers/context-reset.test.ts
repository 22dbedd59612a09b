/**
 * The resets the program-type table's `reuse` entries use must leave memory exactly as a new
 * context on the same input would: every region the context made is dirtied (read-only ones too),
 * the context reset, and the bytes compared with a new context made in a memory of its own.
 */
import { describe, expect, it } from 'vitest';
import type { ProgramContext } from '../../src/helpers/contexts/context.js';
import { FlowDissectorContext } from '../../src/helpers/contexts/flow-dissector.js';
import { KprobeContext } from '../../src/helpers/contexts/kprobe.js';
import { rawTracepointArgs, TracepointContext } from '../../src/helpers/contexts/tracepoint.js';
import { PerfEventContext, SockAddrContext, SyscallContext } from '../../src/helpers/contexts/user-ctx.js';
import { SkSkbContext } from '../../src/helpers/contexts/sk-skb.js';
import { SkMsgContext } from '../../src/helpers/contexts/sk-msg.js';
import { Memory } from '../../src/helpers/memory.js';
import { SockContext, simSocket } from '../../src/helpers/contexts/sock.js';
import { SysctlContext } from '../../src/helpers/contexts/sysctl.js';
import { SockoptContext } from '../../src/helpers/contexts/sockopt.js';
import { SockOpsContext } from '../../src/helpers/contexts/sock-ops.js';
import { NetfilterContext } from '../../src/helpers/contexts/netfilter.js';
import { SkLookupContext, skLookupBytes } from '../../src/helpers/contexts/sk-lookup.js';

const bytes = (n: number, seed: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 13 + seed) & 0xff);

interface Case<C extends ProgramContext> {
  name: string;
  make(memory: Memory, input: number): C;
  reset(ctx: C, input: number): boolean;
}

const CASES: Array<Case<any>> = [
  { name: 'kprobe', make: (m, i) => new KprobeContext(m, { di: BigInt(i), ax: 7n }, [BigInt(i), 2n]), reset: (c: KprobeContext, i) => (c.reset({ di: BigInt(i), ax: 7n }, [BigInt(i), 2n]), true) },
  { name: 'tracepoint', make: (m, i) => new TracepointContext(m, 'tracepoint', bytes(40, i)), reset: (c: TracepointContext, i) => c.reset('tracepoint', bytes(40, i)) },
  { name: 'raw tracepoint', make: (m, i) => new TracepointContext(m, 'raw-tracepoint', rawTracepointArgs([BigInt(i), 3n])), reset: (c: TracepointContext, i) => c.reset('raw-tracepoint', rawTracepointArgs([BigInt(i), 3n])) },
  { name: 'flow dissector', make: (m, i) => new FlowDissectorContext(m, bytes(80, i)), reset: (c: FlowDissectorContext, i) => c.reset(bytes(80, i)) },
  { name: 'syscall', make: (m, i) => new SyscallContext(m, bytes(24, i)), reset: (c: SyscallContext, i) => c.reset(bytes(24, i)) },
  {
    name: 'sock_addr',
    make: (m, i) => new SockAddrContext(m, i === 1 ? { ip: '2001:db8::1', port: 443, msgSrc: '2001:db8::2' } : { ip: '10.0.0.2', port: i }),
    reset: (c: SockAddrContext, i) => (c.reset(i === 1 ? { ip: '2001:db8::1', port: 443, msgSrc: '2001:db8::2' } : { ip: '10.0.0.2', port: i }), true),
  },
  {
    name: 'netfilter',
    make: (m, i) => new NetfilterContext(m, bytes(60, i), { hook: i, pf: 2, pulled: i === 2, protocol: 0x800 }),
    reset: (c: NetfilterContext, i) => c.reset(bytes(60, i), { hook: i, pf: 2, pulled: i === 2, protocol: 0x800 }),
  },
  {
    name: 'sk_lookup',
    make: (m, i) => {
      const c = new SkLookupContext(m, skLookupBytes({ remoteIp: i === 1 ? '2001:db8::2' : '10.0.0.2', remotePort: i, localIp: i === 1 ? '2001:db8::1' : '10.0.0.1', localPort: 80 }));
      if (i === 1) c.select({ socket: { reuseport: false } as never, cookie: 5n, noReuseport: false }, 0x12345);
      return c;
    },
    reset: (c: SkLookupContext, i) => (c.reset(skLookupBytes({ remoteIp: i === 1 ? '2001:db8::2' : '10.0.0.2', remotePort: i, localIp: i === 1 ? '2001:db8::1' : '10.0.0.1', localPort: 80 })), true),
  },
  {
    name: 'cgroup_sock',
    make: (m, i) => new SockContext(m, { protocol: i === 1 ? 'udp' : 'tcp', localIp: i === 1 ? '2001:db8::1' : '10.0.0.1', localPort: i, mark: i }),
    reset: (c: SockContext, i) => (c.reset({ protocol: i === 1 ? 'udp' : 'tcp', localIp: i === 1 ? '2001:db8::1' : '10.0.0.1', localPort: i, mark: i }), true),
  },
  {
    name: 'sock_ops',
    make: (m, i) => new SockOpsContext(m, { protocol: 'tcp', localIp: i === 1 ? '2001:db8::1' : '10.0.0.1', localPort: 80, remoteIp: i === 1 ? '2001:db8::2' : undefined }, { op: i, args: i === 1 ? [1, 2, 3, 4] : [5] }),
    reset: (c: SockOpsContext, i) => (c.reset({ protocol: 'tcp', localIp: i === 1 ? '2001:db8::1' : '10.0.0.1', localPort: 80, remoteIp: i === 1 ? '2001:db8::2' : undefined }, { op: i, args: i === 1 ? [1, 2, 3, 4] : [5] }), true),
  },
  {
    name: 'cgroup_sysctl',
    make: (m, i) => {
      const c = new SysctlContext(m, i === 1 ? { name: 'net/core/somaxconn', value: '128\n', newValue: '9', filePos: 3 } : { name: 'kernel/x', value: 'abc' });
      // What bpf_sysctl_set_new_value leaves.
      if (i === 1) c.newUpdated = true;
      return c;
    },
    reset: (c: SysctlContext, i) => (c.reset(i === 1 ? { name: 'net/core/somaxconn', value: '128\n', newValue: '9', filePos: 3 } : { name: 'kernel/x', value: 'abc' }), true),
  },
  {
    name: 'cgroup_sockopt',
    make: (m, i) => new SockoptContext(m, simSocket({ protocol: 'tcp', localIp: '10.0.0.1', localPort: i }), { op: i === 1 ? 'get' : 'set', level: i, optname: 2, optval: bytes(12, i), retval: -i }),
    reset: (c: SockoptContext, i) => c.reset(simSocket({ protocol: 'tcp', localIp: '10.0.0.1', localPort: i }), { op: i === 1 ? 'get' : 'set', level: i, optname: 2, optval: bytes(12, i), retval: -i }),
  },
  {
    name: 'perf_event',
    make: (m, i) => new PerfEventContext(m, { ip: BigInt(i) << 40n }, [BigInt(i)], { samplePeriod: BigInt(i), addr: i === 1 ? 9n : undefined }),
    reset: (c: PerfEventContext, i) => (c.reset({ ip: BigInt(i) << 40n }, [BigInt(i)], { samplePeriod: BigInt(i), addr: i === 1 ? 9n : undefined }), true),
  },
  {
    name: 'sk_skb',
    make: (m, i) => new SkSkbContext(m, bytes(50 + i, i), simSocket(i === 1 ? { protocol: 'tcp', localIp: '10.0.0.1', localPort: 80, remoteIp: '10.0.0.2', remotePort: 9 } : { protocol: 'udp', localIp: '2001:db8::1', localPort: 53 })),
    reset: (c: SkSkbContext, i) => c.resetMessage(bytes(50 + i, i), simSocket(i === 1 ? { protocol: 'tcp', localIp: '10.0.0.1', localPort: 80, remoteIp: '10.0.0.2', remotePort: 9 } : { protocol: 'udp', localIp: '2001:db8::1', localPort: 53 })),
  },
  {
    name: 'sk_msg',
    make: (m, i) => {
      const c = new SkMsgContext(m, bytes(30 * i, i), simSocket({ protocol: 'tcp', localIp: i === 1 ? '10.0.0.1' : '2001:db8::1', localPort: i }));
      if (i === 1) {
        // What apply/cork bytes and a pull leave.
        c.verdict.applyBytes = 5;
        c.verdict.corkBytes = 6;
        c.window = { from: 2, to: 9 };
        c.start -= 100;
      }
      return c;
    },
    reset: (c: SkMsgContext, i) => (c.reset(bytes(30 * i, i), simSocket({ protocol: 'tcp', localIp: i === 1 ? '10.0.0.1' : '2001:db8::1', localPort: i })), true),
  },
];

describe('context resets equal new contexts', () => {
  for (const c of CASES) {
    it(c.name, () => {
      const used = new Memory();
      const base = used.mark();
      const ctx = c.make(used, 1);
      for (const r of used.listRegions().slice(base.regions)) used.u8.fill(0xee, r.span?.start ?? r.start, r.span?.end ?? r.end);
      expect(c.reset(ctx, 2)).toBe(true);
      const made = new Memory();
      const fresh = c.make(made, 2);
      expect(ctx.address).toBe(fresh.address);
      expect(used.listRegions()).toEqual(made.listRegions());
      const end = made.listRegions().at(-1)!.end;
      const diff = used.u8.subarray(0, end).findIndex((b, i) => b !== made.u8[i]);
      expect(diff, `first differing byte at ${diff}`).toBe(-1);
      expect(ctx.packetOut()).toEqual(fresh.packetOut());
      for (const k of ['dirs', 'base', 'current', 'write', 'newValue', 'newUpdated', 'op', 'verdict', 'window', 'start', 'length']) expect((ctx as never)[k], k).toEqual((fresh as never)[k]);
      if ('socket' in ctx) expect((ctx as SockOpsContext).socket).toEqual((fresh as SockOpsContext).socket);
      if ('ctxOut' in ctx) expect((ctx as SkLookupContext).ctxOut(1n)).toEqual((fresh as SkLookupContext).ctxOut(1n));
    });
  }

  it('resets refuse input whose regions would have other sizes', () => {
    const m = new Memory();
    expect(new TracepointContext(m, 'tracepoint', bytes(40, 1)).reset('tracepoint', bytes(48, 1))).toBe(false);
    expect(new TracepointContext(m, 'raw-tracepoint', bytes(8, 1)).reset('tracepoint', bytes(8, 1))).toBe(false);
    expect(new FlowDissectorContext(m, bytes(80, 1)).reset(bytes(81, 1))).toBe(false);
    expect(new SyscallContext(m, bytes(24, 1)).reset(undefined)).toBe(false);
    expect(new SyscallContext(m, undefined).reset(undefined)).toBe(true);
    expect(new NetfilterContext(m, bytes(60, 1), { hook: 1, pf: 2, pulled: false, protocol: 8 }).reset(bytes(61, 1), { hook: 1, pf: 2, pulled: false, protocol: 8 })).toBe(false);
    expect(() => new SockAddrContext(m, { ip: '10.0.0.1', port: 1 }).reset({ ip: '10.0.0.1', port: -1 })).toThrow(/port -1/);
  });
});
