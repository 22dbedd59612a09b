/**
 * runProgram beyond the recorded cases: repeated runs, tail-call chains, faults (with pc and
 * source line) on both engines, the TypeScript map API before and after a run, and the tracing
 * programs the kernel cannot test-run (kprobe, tracepoint, raw tracepoint).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ObjectInstance } from '../../src/helpers/kernel.js';
import { SimClock } from '../../src/helpers/kernel/clock.js';
import { loadJitEngine, type EngineKind } from '../../src/run/engine.js';
import { runProgram } from '../../src/run/program.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CASES_DIR, caseObject, casePacket } from './cases.js';

const instance = (obj: string, options = {}) => new ObjectInstance(caseObject(obj), { cpus: 2, ...options });
const hex = (b: Uint8Array | undefined) => Buffer.from(b ?? []).toString('hex');

describe.each<EngineKind>(['interp', 'jit'])('runProgram on %s', (engine) => {
  beforeAll(async () => {
    if (engine === 'jit') await loadJitEngine();
  }, 120_000);

  it('stops at a read past the packet with the pc, the source line and the region', () => {
    const r = runProgram(instance('faults'), 'past_end', { packet: casePacket('ipv4_udp'), engine });
    expect(r.error?.kind).toBe('memory');
    expect(r.error?.message).toMatch(/^pc 1: invalid memory access: read of 4 bytes at 0x[0-9a-f]+ runs past the end of region 'packet' \[0x[0-9a-f]+, 0x[0-9a-f]+\) at \.\/fixtures\/kernel-cases\/src\/faults\.c:19: return \*p;$/);
  });

  it('stops at an unsupported helper, naming it', () => {
    const r = runProgram(instance('faults'), 'unsupported_helper', { packet: casePacket('ipv4_udp'), engine });
    expect(r.error?.message).toBe(
      'pc 4: helper bpf_get_branch_snapshot (#176) is not supported at ./fixtures/kernel-cases/src/faults.c:27: return bpf_get_branch_snapshot(branches, sizeof(branches), 0) >= 0 ? XDP_PASS : XDP_DROP;',
    );
  });

  it('stops a loop past the budget', () => {
    const r = runProgram(instance('faults'), 'long_loop', { packet: casePacket('ipv4_udp'), engine, budget: 50_000 });
    expect(r.error?.kind).toBe('budget');
    expect(r.error?.message).toMatch(/^pc \d+: instruction budget of 50000 exhausted at \.\/fixtures\/kernel-cases\/src\/faults\.c:\d+/);
  });

  it('does not let a short packet reuse the bounds of a longer one', () => {
    const inst = instance('faults');
    const long = runProgram(inst, 'past_end', { packet: casePacket('big1514'), engine });
    const short = runProgram(inst, 'past_end', { packet: casePacket('min14'), engine });
    expect(long.error?.kind).toBe('memory');
    expect(short.error?.kind).toBe('memory');
  });

  it('repeats on the same context like BPF_PROG_TEST_RUN repeat: state carries over', () => {
    const inst = instance('globals');
    const r = runProgram(inst, 'use_globals', { packet: casePacket('ipv4_udp'), engine, repeat: 3 });
    expect(r.printk).toEqual(['globals bpfkit 66', 'globals bpfkit 66', 'globals bpfkit 66']);
    const data = inst.map('.data').data();
    expect(new DataView(data.buffer, data.byteOffset).getBigUint64(0, true)).toBe(5n + 3n * 66n);
    // the packet moved three times by the encap program
    const enc = runProgram(instance('xdp_adjust'), 'xdp_encap', { packet: casePacket('ipv4_udp'), engine, repeat: 3 });
    expect(enc.packet?.length).toBe(66 + 3 * 18);
  });

  it.each([1, 2, 50])('repeats VLAN pushes as the kernel does (repeat %i: past the headroom by the 30th, skb_cow_head)', (n) => {
    // Recorded by fixtures/kernel-cases/repeat/record.sh (BPF_PROG_TEST_RUN with .repeat = n).
    const want = JSON.parse(readFileSync(join(CASES_DIR, 'repeat', 'expected', `skb_ops.skb_vlan.ipv4_udp.x${n}.json`), 'utf8')) as {
      retval: number;
      packet: string;
      maps: Record<string, Array<{ value: string }>>;
    };
    const inst = instance('skb_ops');
    const r = runProgram(inst, 'skb_vlan', { packet: casePacket('ipv4_udp'), engine, repeat: n });
    expect(r.error).toBeUndefined();
    expect(r.retval).toBe(want.retval);
    expect(hex(r.packet)).toBe(want.packet);
    expect(hex(inst.map('.bss').data())).toBe(want.maps['.bss']![0]!.value);
  });

  it('follows tail calls and counts them', () => {
    const r = runProgram(instance('tailcall'), 'tc_entry', { packet: casePacket('big1514'), engine });
    expect(r.tailCalls).toBe(33);
    expect(r.retval).toBe(2);
    const ok = runProgram(instance('tailcall'), 'tc_entry', { packet: casePacket('ipv4_udp'), engine });
    expect([ok.tailCalls, ok.retval]).toEqual([2, 3]);
  });

  it('reads and writes maps from TypeScript before and after a run, typed through BTF', () => {
    const inst = instance('maps_array');
    const arr = inst.map('arr');
    arr.set(2, { packets: 100n, last_len: 1, tag: 7 });
    expect(arr.getTyped(2)).toEqual({ packets: 100n, last_len: 1, tag: 7, pad: [0, 0] });
    runProgram(inst, 'array_ops', { packet: casePacket('ipv4_udp'), engine });
    expect(arr.getTyped(2)).toEqual({ packets: 1n, last_len: 66, tag: 0x1234, pad: [0, 0] });
    expect(inst.map('pcpu').getCpu(2, 0)).toEqual(new Uint8Array([66, 0, 0, 0, 0, 0, 0, 0]));
    expect(inst.map('pcpu').getCpu(2, 1)).toEqual(new Uint8Array(8));
    expect(() => arr.set(9, { packets: 1n })).toThrow("map 'arr': update failed with -E2BIG");
    const bss = inst.map('.bss');
    expect((bss.getTyped(0) as { res: bigint[] }).res.slice(0, 3)).toEqual([1n, 0n, -7n]);
  });

  it('runs on another CPU when asked', () => {
    const inst = instance('misc');
    runProgram(inst, 'misc_tc', { packet: casePacket('ipv4_udp'), engine, cpu: 1 });
    expect((inst.map('.bss').getTyped(0) as { res: bigint[] }).res[7]).toBe(11n);
  });

  it('runs a kprobe on the registers, task and user memory the test gives', () => {
    const inst = instance('tracing', { task: { pid: 101, tgid: 100, uid: 0, comm: 'cat' }, clock: new SimClock({ monotonicNs: 123n }) });
    inst.kernel.userMemory.add(0x7ffd0000n, new TextEncoder().encode('/etc/hostname\0'));
    const r = runProgram(inst, 'trace_open', { args: [-100n, 0x7ffd0000n, 0n], engine });
    expect(r.error).toBeUndefined();
    expect(r.printk).toEqual(['open /etc/hostname by cat: 14']);
    expect(r.ringbuf).toHaveLength(1);
    const ev = new DataView(r.ringbuf[0]!.buffer);
    expect([ev.getUint32(0, true), ev.getUint32(4, true), ev.getInt32(12, true), ev.getBigUint64(16, true)]).toEqual([101, 100, -100, 123n]);
    expect(inst.map('calls').getTyped(100)).toBe(1n);
    expect(r.packet).toBeUndefined();
  });

  it('runs a tracepoint on a record and a raw tracepoint on arguments', () => {
    const inst = instance('tracing');
    const rec = new Uint8Array(48);
    const dv = new DataView(rec.buffer);
    dv.setInt32(8, 257, true);
    dv.setBigUint64(32, 0x8241n, true);
    dv.setBigUint64(40, 0o644n, true);
    const tp = runProgram(inst, 'tp_openat', { ctx: rec, engine });
    expect(tp.printk).toEqual(['openat nr=257 flags=8241 mode=1a4']);
    expect(inst.map('calls').getTyped(257)).toBe(0x8241n);
    const raw = runProgram(inst, 'raw_sys_enter', { args: [0n, 59n], engine });
    expect(raw.retval).toBe(59);
    expect(inst.map('calls').getTyped(59)).toBe(1n);
  });
});

describe('the TypeScript map API', () => {
  it('refuses typed access without BTF and reports errors with the errno', () => {
    expect(() => instance('maps_array').map('odd').set(1, { x: 1 })).toThrow(/no BTF for its value/);
    const inst = instance('maps_hash');
    expect(() => inst.map('nope')).toThrow("no map named 'nope' (maps: small, flows, pcpu, .bss)");
    expect(() => inst.map('small').delete(5)).toThrow("map 'small': delete failed with -ENOENT");
    inst.map('flows').set({ saddr: 1, daddr: 2, sport: 3, dport: 4, proto: 17 }, 9n);
    expect(inst.map('flows').entriesTyped()).toEqual([{ key: { saddr: 1, daddr: 2, sport: 3, dport: 4, proto: 17, pad: [0, 0, 0] }, value: 9n }]);
    expect(hex(inst.map('flows').entries()[0]!.key)).toBe('01000000020000000300040011000000');
  });

  it('refuses an object with a map type it does not simulate, at load', () => {
    expect(() => instance('unsupported_map')).toThrow("map 'seen': map type arena (33) is not supported");
  });

  it('refuses unknown programs', () => {
    expect(() => runProgram(instance('ctx'), 'nope', { packet: casePacket('ipv4_udp') })).toThrow("no program named 'nope' (programs: xdp_ctx, tc_ctx, sock_ctx)");
  });
});
