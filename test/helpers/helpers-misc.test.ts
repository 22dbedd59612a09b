import { describe, expect, it } from 'vitest';
import { FUNC_POINTER_BASE, mapHandle, TailCallSignal } from '../../src/helpers/abi.js';
import { XdpContext } from '../../src/helpers/contexts/xdp.js';
import { Errno } from '../../src/helpers/errno.js';
import { SimClock } from '../../src/helpers/kernel/clock.js';
import { MapType, ProgType } from '../../src/loader/kinds.js';
import { harness, hex, mapDef, readU32, readU64, u32, u64, udpFrame } from './util.js';

const M0 = mapHandle(0);

describe('ring buffer helpers', () => {
  const rb = () => harness([mapDef({ type: MapType.RINGBUF, name: 'rb', keySize: 0, valueSize: 0, maxEntries: 4096 })]);

  it('output copies a record; reserve hands out memory that submit commits', () => {
    const h = rb();
    expect(h.call('ringbuf_output', M0, h.buf(u32(0x11223344)), 4, 0)).toBe(0n);
    const r = Number(h.call('ringbuf_reserve', M0, 8, 0));
    expect(r).not.toBe(0);
    h.instance.memory.u8.set(u64(7), r);
    expect(h.call('ringbuf_submit', r, 0)).toBe(0n);
    const d = Number(h.call('ringbuf_reserve', M0, 8, 0));
    expect(h.call('ringbuf_discard', d, 0)).toBe(0n);
    expect(h.call('ringbuf_query', M0, 0)).toBe(16n + 16n + 16n);
    expect(h.instance.map('rb').consume().map(hex)).toEqual(['44332211', '0700000000000000']);
  });

  it('reports the ring buffer errors: bad flags, no space, a record it did not hand out', () => {
    const h = rb();
    expect(h.call('ringbuf_output', M0, h.buf(4), 4, 4)).toBe(BigInt(-Errno.EINVAL));
    expect(h.call('ringbuf_reserve', M0, 4, 1)).toBe(0n);
    expect(h.call('ringbuf_reserve', M0, 4096, 0)).toBe(0n);
    expect(h.call('ringbuf_output', M0, h.buf(4000), 4000, 0)).toBe(0n);
    expect(h.call('ringbuf_output', M0, h.buf(100), 100, 0)).toBe(BigInt(-Errno.EAGAIN));
    expect(() => h.call('ringbuf_submit', 0x4000, 0)).toThrow('bpf_ringbuf_submit: 0x4000 is not a reserved ring buffer record');
    const h2 = harness([mapDef({ type: MapType.HASH })]);
    expect(() => h2.call('ringbuf_query', M0, 0)).toThrow(/is a hash map, not a ring buffer/);
  });
});

describe('time, random, CPU and task helpers', () => {
  it('reads a clock the test controls', () => {
    const clock = new SimClock({ monotonicNs: 5_000_000_000n, suspendedNs: 7n, stepNs: 10n, hz: 100 });
    const h = harness([], { clock });
    expect(h.call('ktime_get_ns')).toBe(5_000_000_000n);
    expect(h.call('ktime_get_ns')).toBe(5_000_000_010n);
    expect(h.call('ktime_get_boot_ns')).toBe(5_000_000_027n);
    clock.advance(1_000_000_000n);
    expect(h.call('ktime_get_coarse_ns')).toBe(6_000_000_000n);
    const j1 = h.call('jiffies64');
    clock.advance(1_000_000_000n);
    expect(BigInt.asUintN(64, h.call('jiffies64') - j1)).toBe(100n);
    expect(h.call('ktime_get_tai_ns')).toBeGreaterThan(7_000_000_000n);
  });

  it('is seeded: the same seed gives the same numbers', () => {
    const a = harness([], { seed: 42 });
    const b = harness([], { seed: 42 });
    const c = harness([], { seed: 43 });
    const seq = (h: typeof a) => [1, 2, 3].map(() => h.call('get_prandom_u32'));
    expect(seq(a)).toEqual(seq(b));
    expect(seq(a)).not.toEqual(seq(c));
    expect(seq(a).every((v) => v >= 0n && v <= 0xffffffffn)).toBe(true);
  });

  it('reports the CPU and the task the test sets', () => {
    const h = harness([], { cpus: 4, cpu: 3, task: { pid: 11, tgid: 10, uid: 1000, gid: 100, comm: 'a-very-long-task-name' } });
    expect(h.call('get_smp_processor_id')).toBe(3n);
    expect(h.call('get_numa_node_id')).toBe(0n);
    expect(h.call('get_current_pid_tgid')).toBe((10n << 32n) | 11n);
    expect(h.call('get_current_uid_gid')).toBe((100n << 32n) | 1000n);
    const buf = h.buf(new Uint8Array(16).fill(0xff));
    expect(h.call('get_current_comm', buf, 16)).toBe(0n);
    expect(new TextDecoder().decode(h.read(buf, 16))).toBe('a-very-long-tas\0');
    const small = h.buf(new Uint8Array(4).fill(0xff));
    h.call('get_current_comm', small, 4);
    expect(hex(h.read(small, 4))).toBe('612d7600');
  });
});

describe('bpf_tail_call', () => {
  const jmp = mapDef({ type: MapType.PROG_ARRAY, name: 'jmp', valueSize: 4, maxEntries: 2 });

  it('throws the target on success and falls through otherwise', () => {
    const h = harness([jmp]);
    h.instance.map('jmp').setProgram(0, 'prog0');
    h.enter(ProgType.XDP);
    expect(h.call('tail_call', 0, M0, 1)).toBe(0n);
    expect(h.call('tail_call', 0, M0, 5)).toBe(0n);
    expect(() => h.call('tail_call', 0, M0, 0)).toThrow(TailCallSignal);
    expect(h.instance.kernel.run.tailCalls).toBe(1);
  });

  it('allows 33 tail calls in a run', () => {
    const h = harness([jmp]);
    h.instance.map('jmp').setProgram(0, 'prog0');
    h.enter(ProgType.XDP);
    let taken = 0;
    for (let i = 0; i < 40; i++) {
      try {
        h.call('tail_call', 0, M0, 0);
      } catch (e) {
        if (e instanceof TailCallSignal) taken++;
      }
    }
    expect(taken).toBe(33);
  });

  it('needs a prog array', () => {
    const h = harness([mapDef({ type: MapType.ARRAY })]);
    expect(() => h.call('tail_call', 0, M0, 0)).toThrow(/not a prog_array/);
  });
});

describe('bpf_loop and bpf_for_each_map_elem', () => {
  const CB = FUNC_POINTER_BASE + 7;

  it('runs the callback until it returns 1 and counts the calls', () => {
    const h = harness();
    const seen: bigint[] = [];
    h.callback = (slot, args) => {
      expect(slot).toBe(7);
      seen.push(args[0]!);
      return args[0] === 3n ? 1n : 0n;
    };
    expect(h.call('loop', 10, CB, 0x1234, 0)).toBe(4n);
    expect(seen).toEqual([0n, 1n, 2n, 3n]);
    expect(h.call('loop', 0, CB, 0, 0)).toBe(0n);
  });

  it('returns the inlined -E2BIG (32 bits) past 1<<23 loops, the helper\'s -EINVAL for flags', () => {
    const h = harness();
    expect(h.call('loop', (1 << 23) + 1, CB, 0, 0)).toBe(0xfffffff9n);
    expect(h.call('loop', 5, CB, 0, 1)).toBe(BigInt(-Errno.EINVAL));
    expect(() => h.call('loop', 5, 0x1000, 0, 0)).toThrow(/not a pointer to a bpf function/);
    // Only the low 4 GiB hold function pointers: the same low half with a high half is not one.
    expect(() => h.call('loop', 5, (1n << 32n) | BigInt(CB), 0, 0)).toThrow(/0x1f0000007 is not a pointer/);
    expect(() => h.call('loop', 5, 1n << 32n, 0, 0)).toThrow(/0x100000000 is not a pointer/);
    expect(() => h.call('loop', 5, (1n << 64n) - 1n, 0, 0)).toThrow(/0xffffffffffffffff is not a pointer/);
  });

  it('visits map elements with the map, key and value pointers', () => {
    const h = harness([mapDef({ type: MapType.ARRAY, maxEntries: 3 })]);
    const keys: number[] = [];
    h.callback = (_slot, [map, key, value, ctx]) => {
      expect(map).toBe(BigInt(M0));
      expect(ctx).toBe(99n);
      keys.push(readU32(h.read(Number(key), 4)));
      h.instance.memory.u8.set(u64(keys.length), Number(value));
      return 0n;
    };
    expect(h.call('for_each_map_elem', M0, CB, 99, 0)).toBe(3n);
    expect(keys).toEqual([0, 1, 2]);
    expect(readU64(h.instance.map('m').get(2)!)).toBe(3n);
    expect(h.call('for_each_map_elem', M0, CB, 0, 1)).toBe(BigInt(-Errno.EINVAL));
    const q = harness([mapDef({ type: MapType.QUEUE, keySize: 0 })]);
    expect(() => q.call('for_each_map_elem', M0, CB, 0, 0)).toThrow(/cannot be iterated/);
  });
});

describe('probe reads and strncmp', () => {
  it('reads the simulated kernel\'s own memory and memory the test places', () => {
    const h = harness();
    const src = h.buf(new TextEncoder().encode('abcdef\0'));
    const dst = h.buf(8);
    expect(h.call('probe_read_kernel', dst, 4, src)).toBe(0n);
    expect(hex(h.read(dst, 4))).toBe('61626364');
    h.instance.kernel.kernelMemory.add(0xffff888000001000n, new Uint8Array([1, 2, 3, 4]));
    expect(h.call('probe_read_kernel', dst, 4, 0xffff888000001000n)).toBe(0n);
    expect(hex(h.read(dst, 4))).toBe('01020304');
    h.instance.kernel.userMemory.add(0x7fff0000n, new TextEncoder().encode('/etc/passwd\0'));
    expect(h.call('probe_read_user_str', dst, 8, 0x7fff0000n)).toBe(8n);
    expect(new TextDecoder().decode(h.read(dst, 8))).toBe('/etc/pa\0');
    expect(h.call('probe_read_kernel_str', dst, 8, src)).toBe(7n);
  });

  it('fails like x86-64: -ERANGE in the user half, -EFAULT elsewhere, destination zeroed', () => {
    const h = harness();
    const dst = h.buf(new Uint8Array(8).fill(0xff));
    expect(h.call('probe_read_kernel', dst, 8, 16)).toBe(BigInt(-Errno.ERANGE));
    expect(hex(h.read(dst, 8))).toBe('00'.repeat(8));
    expect(h.call('probe_read_kernel', dst, 8, 0xffff888000000000n)).toBe(BigInt(-Errno.EFAULT));
    expect(h.call('probe_read_user', dst, 8, 0x7fff0000n)).toBe(BigInt(-Errno.EFAULT));
    expect(h.call('probe_read_kernel_str', dst, 8, 16)).toBe(BigInt(-Errno.ERANGE));
    // the legacy bpf_probe_read tries kernel then user memory
    h.instance.kernel.userMemory.add(0x7fff0000n, new Uint8Array([9]));
    expect(h.call('probe_read', dst, 1, 0x7fff0000n)).toBe(0n);
  });

  it('compares strings as the kernel\'s strncmp: -1, 0 or 1', () => {
    const h = harness();
    const a = h.buf(new TextEncoder().encode('abcdef\0\0'));
    const s = (t: string) => h.buf(new TextEncoder().encode(`${t}\0`));
    expect(h.call('strncmp', a, 3, s('abc'))).toBe(0n);
    expect(h.call('strncmp', a, 6, s('abcdeg'))).toBe(-1n);
    expect(h.call('strncmp', a, 6, s('abcdea'))).toBe(1n);
    expect(h.call('strncmp', a, 8, s('abcdef'))).toBe(0n);
    expect(h.call('strncmp', a, 7, s('abcdefgh'))).toBe(-1n);
  });

  it('strncmp faults where a byte of the constant string cannot be read, as a view of it would', () => {
    const h = harness();
    const a = h.buf(new TextEncoder().encode('abcdabcd'));
    // No NUL: the comparison runs off the region.
    const open = h.buf(new TextEncoder().encode('abc'), false);
    expect(h.call('strncmp', a, 3, open)).toBe(0n);
    expect(() => h.call('strncmp', a, 4, open)).toThrow(/0x[0-9a-f]+/);
    // A strided region: each element's usable bytes end before the stride does.
    const arr = h.instance.memory.alloc('arr', 'map-value', 32, { stride: 16, elemSize: 4 });
    h.instance.memory.u8.set(new TextEncoder().encode('abcd'), arr.start);
    h.instance.memory.u8.set(new TextEncoder().encode('ab\0'), arr.start + 16);
    expect(h.call('strncmp', a, 4, arr.start)).toBe(0n);
    expect(() => h.call('strncmp', a, 5, arr.start)).toThrow(/arr/);
    expect(h.call('strncmp', a, 4, arr.start + 16)).toBe(1n);
  });
});

describe('printk helpers', () => {
  it('bpf_trace_printk records the message and returns its length; bad formats are -EINVAL', () => {
    const h = harness();
    h.enter(ProgType.XDP);
    const fmt = (s: string) => h.buf(new TextEncoder().encode(`${s}\0`));
    expect(h.call('trace_printk', fmt('len=%u\n'), 8, 66)).toBe(7n);
    expect(h.call('trace_printk', fmt('mac %pM'), 8, 0)).toBe(BigInt(-Errno.EINVAL));
    expect(h.call('trace_printk', h.buf(new TextEncoder().encode('no nul')), 6)).toBe(BigInt(-Errno.EINVAL));
    const args = h.buf(new Uint8Array([...u64(1), ...u64(2), ...u64(3), ...u64(4)]));
    expect(h.call('trace_vprintk', fmt('%d %d %d %d'), 12, args, 32)).toBe(7n);
    expect(h.call('trace_vprintk', fmt('%d'), 3, args, 12)).toBe(BigInt(-Errno.EINVAL));
    expect(h.instance.kernel.run.printk).toEqual(['len=66', '1 2 3 4']);
  });

  it('bpf_snprintf writes at most size-1 characters and a NUL, and returns the full length + 1', () => {
    const h = harness();
    const out = h.buf(new Uint8Array(8).fill(0xff));
    const args = h.buf(new Uint8Array([...u64(1000), ...u64(2000), ...u64(3000)]));
    const fmt = h.buf(new TextEncoder().encode('%d-%d-%d\0'));
    expect(h.call('snprintf', out, 8, fmt, args, 24)).toBe(15n);
    expect(new TextDecoder().decode(h.read(out, 8))).toBe('1000-20\0');
    expect(h.call('snprintf', 0, 0, fmt, args, 24)).toBe(15n);
    expect(h.call('snprintf', out, 8, fmt, args, 16)).toBe(BigInt(-Errno.EINVAL));
    expect(h.call('snprintf', out, 8, fmt, 0, 8)).toBe(BigInt(-Errno.EINVAL));
  });
});

describe('bpf_perf_event_output', () => {
  it('is -ENOENT with no reader, captures with one, and checks index, flags and packet length', () => {
    const h = harness([mapDef({ type: MapType.PERF_EVENT_ARRAY, name: 'events', valueSize: 4, maxEntries: 2 })]);
    const ctx = new XdpContext(h.instance.memory, udpFrame());
    h.enter(ProgType.XDP, ctx);
    const data = h.buf(u32(42));
    expect(h.call('perf_event_output', ctx.address, M0, 0xffffffffn, data, 4)).toBe(BigInt(-Errno.ENOENT));
    h.instance.map('events').openPerfBuffer();
    expect(h.call('perf_event_output', ctx.address, M0, 0xffffffffn | (14n << 32n), data, 4)).toBe(0n);
    expect(h.call('perf_event_output', ctx.address, M0, 1, data, 4)).toBe(BigInt(-Errno.EOPNOTSUPP));
    expect(h.call('perf_event_output', ctx.address, M0, 2, data, 4)).toBe(BigInt(-Errno.E2BIG));
    expect(h.call('perf_event_output', ctx.address, M0, 1000n << 32n, data, 4)).toBe(BigInt(-Errno.EFAULT));
    expect(h.call('perf_event_output', ctx.address, M0, 1n << 60n, data, 4)).toBe(BigInt(-Errno.EINVAL));
    const [rec] = h.instance.map('events').perfRecords();
    expect(rec!.cpu).toBe(0);
    expect(hex(rec!.data)).toBe(`2a000000${hex(udpFrame().subarray(0, 14))}`);
  });
});
