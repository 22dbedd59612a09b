/**
 * Program types the kernel cannot test-run on a packet, run with the semantics README.md documents
 * (fixtures/kernel-cases/src/progtypes.c, which the kernel's verifier accepts), on both engines;
 * and the program-type table itself.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ObjectInstance } from '../../src/helpers/kernel.js';
import { PerfEventArray } from '../../src/helpers/maps/perf-event.js';
import { ProgType, progTypeName } from '../../src/loader/kinds.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadJitEngine, type EngineKind } from '../../src/run/engine.js';
import { runProgram } from '../../src/run/program.js';
import { PROGRAM_TYPES, programTypeEntry } from '../../src/run/program-types.js';
import { caseObject } from './cases.js';

const instance = () => new ObjectInstance(caseObject('progtypes'));
const seen = (inst: ObjectInstance): bigint[] => {
  const v = inst.map('.bss').get(0)!;
  return Array.from({ length: 8 }, (_, i) => Buffer.from(v).readBigUInt64LE(i * 8));
};

describe.each<EngineKind>(['interp', 'jit'])('program types without a packet test run, on %s', (engine) => {
  beforeAll(async () => {
    if (engine === 'jit') await loadJitEngine();
  }, 120_000);

  it('syscall: runs on the given context bytes and hands them back', () => {
    const ctx = Buffer.alloc(16);
    ctx.writeUInt32LE(40, 0);
    ctx.writeUInt32LE(2, 4);
    const r = runProgram(instance(), 'sys_add', { ctx: new Uint8Array(ctx), engine });
    expect(r.retval).toBe(1);
    expect(Buffer.from(r.ctx!).readBigUInt64LE(8)).toBe(42n);
  });

  it('cgroup_sock_addr: the hook sees the address and may rewrite it; r0 is the verdict', () => {
    const inst = instance();
    const r = runProgram(inst, 'connect4', { sockAddr: { ip: '10.0.0.2', port: 443 }, engine });
    expect(r.retval).toBe(1);
    expect(seen(inst).slice(0, 4)).toEqual([0x0200000an, 443n, 1n, 6n]);
    const out = Buffer.from(r.ctx!);
    expect([...out.subarray(4, 8)]).toEqual([127, 0, 0, 1]);
    expect(out.readUInt16BE(24)).toBe(8080);
    expect(runProgram(inst, 'connect4', { sockAddr: { ip: '192.0.2.1', port: 25, type: 2 }, engine }).retval).toBe(0);
    const r6 = runProgram(inst, 'connect6', { sockAddr: { ip: '2001:db8::1', port: 53, type: 2 }, engine });
    expect(Buffer.from(r6.ctx!).subarray(8, 24).toString('hex')).toBe('20010db8000000000000000000000007');
    expect(seen(inst)[4]).toBe(0x01000000n);
  });

  it('perf_event: reads sample_period, addr and the registers', () => {
    const inst = instance();
    runProgram(inst, 'on_sample', { regs: { ip: 0xffffffff81000000n }, perf: { samplePeriod: 4000n, addr: 0x1234n }, engine });
    expect(seen(inst).slice(5)).toEqual([4000n, 0x1234n, 0xffffffff81000000n]);
  });

  it('refuses a run without the input the type needs', () => {
    expect(() => runProgram(instance(), 'connect4', { engine })).toThrow(/socket address/);
  });
});

describe.each<EngineKind>(['interp', 'jit'])('socket hooks (cgroup_sock, sock_ops) on a simulated socket, on %s', (engine) => {
  beforeAll(async () => {
    if (engine === 'jit') await loadJitEngine();
  }, 120_000);
  const hooks = () => new ObjectInstance(caseObject('sockhooks'));
  const seenAll = (inst: ObjectInstance): bigint[] => {
    const v = Buffer.from(inst.map('.bss').get(0)!);
    return Array.from({ length: 16 }, (_, i) => v.readBigUInt64LE(i * 8));
  };

  it('cgroup_sock sock_create: reads the socket, sets mark and priority (back in ctx); r0 is the verdict', () => {
    const inst = hooks();
    const r = runProgram(inst, 'sock_create', { socket: { protocol: 'udp', localIp: '::', localPort: 0 }, engine });
    expect(r.retval).toBe(1);
    expect(seenAll(inst).slice(0, 3)).toEqual([10n, 2n, 17n]);
    const out = Buffer.from(r.ctx!);
    expect(out.length).toBe(80);
    expect([out.readUInt32LE(16), out.readUInt32LE(20)]).toEqual([0x77, 5]);
  });

  it('cgroup_sock post_bind4: the bound address in network order, the port in host order', () => {
    const inst = hooks();
    expect(runProgram(inst, 'post_bind4', { socket: { protocol: 'tcp', localIp: '10.1.2.3', localPort: 8080 }, engine }).retval).toBe(1);
    expect(seenAll(inst).slice(3, 5)).toEqual([0x0302010an, 8080n]);
    expect(runProgram(inst, 'post_bind4', { socket: { protocol: 'tcp', localIp: '0.0.0.0', localPort: 23 }, engine }).retval).toBe(0);
  });

  it('sock_ops: the connection as the context rewrites read it, sk of the same socket, reply back in ctx', () => {
    const inst = hooks();
    const socket = { protocol: 'tcp' as const, localIp: '10.0.0.1', localPort: 40000, remoteIp: '10.0.0.2', remotePort: 443 };
    const r = runProgram(inst, 'sock_ops', { socket, sockOps: { op: 1, args: [0, 9] }, engine });
    expect(r.retval).toBe(1);
    // remote_port: network order in the upper 16 bits, so bpf_ntohl gives the port.
    expect(seenAll(inst).slice(5, 14)).toEqual([1n, 2n, 0x0200000an, 443n, 40000n, 1n, 10n, 9n, 0xbb01n]);
    expect(Buffer.from(r.ctx!).readUInt32LE(4)).toBe(10);
    const other = runProgram(inst, 'sock_ops', { socket, sockOps: { op: 4, tcp: { snd_cwnd: 20 } }, engine });
    expect(Buffer.from(other.ctx!).readInt32LE(4)).toBe(-1);
    expect(seenAll(inst)[11]).toBe(20n);
  });

  it('sock_ops bpf_sock_ops_cb_flags_set: keeps the known flags on the socket, answers the unknown bits', () => {
    const inst = hooks();
    const r = runProgram(inst, 'cb_flags', { socket: { protocol: 'tcp', localIp: '10.0.0.1', localPort: 1, remoteIp: '10.0.0.2', remotePort: 2 }, sockOps: { op: 4 }, engine });
    expect(r.retval).toBe(1);
    expect(seenAll(inst).slice(14)).toEqual([0x100n, 4n]);
    expect(Buffer.from(r.ctx!).readUInt32LE(84)).toBe(4);
  });

  it('refuses a run without the socket, a sock_ops run without its op or on UDP', () => {
    expect(() => runProgram(hooks(), 'sock_create', { engine })).toThrow(/runs on a socket: give socket/);
    expect(() => runProgram(hooks(), 'sock_ops', { socket: { protocol: 'tcp', localIp: '::1', localPort: 1 }, engine })).toThrow(/sockOps \{ op \}/);
    expect(() => runProgram(hooks(), 'sock_ops', { socket: { protocol: 'udp', localIp: '::1', localPort: 1 }, sockOps: { op: 4 }, engine })).toThrow(/TCP socket/);
    expect(() => runProgram(hooks(), 'post_bind4', { socket: { protocol: 'tcp', localIp: '::1', localPort: 70000 }, engine })).toThrow(/not 0..65535/);
  });
});

describe('the program-type table', () => {
  it('has one entry per runnable type, each with its input', () => {
    const types = PROGRAM_TYPES.flatMap((e) => e.types);
    expect(new Set(types).size).toBe(types.length);
    for (const t of [ProgType.XDP, ProgType.SCHED_CLS, ProgType.CGROUP_SKB, ProgType.FLOW_DISSECTOR, ProgType.SYSCALL, ProgType.PERF_EVENT, ProgType.CGROUP_SOCK_ADDR, ProgType.CGROUP_SOCK, ProgType.SOCK_OPS]) {
      expect(programTypeEntry(t)?.input).toBeTruthy();
    }
    expect(programTypeEntry(ProgType.SK_REUSEPORT)).toBeUndefined();
  });

  it('README\'s table of runnable types has a row for every type of the table', () => {
    const readme = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');
    const rows = readme.split('\n').filter((l) => l.startsWith('| ')).map((l) => l.split('|')[1]!);
    const missing = PROGRAM_TYPES.flatMap((e) => e.types)
      .map((t) => progTypeName(t))
      .filter((name) => !rows.some((r) => r.includes(name) || (name.startsWith('raw_tracepoint') && r.includes('raw_tracepoint'))));
    expect(missing).toEqual([]);
  });
});

describe.each<EngineKind>(['interp', 'jit'])('bpf_perf_event_read(_value) on %s', (engine) => {
  beforeAll(async () => {
    if (engine === 'jit') await loadJitEngine();
  }, 120_000);

  it('reads the counters the test placed; -ENOENT for an empty slot, -E2BIG past the array', () => {
    const inst = instance();
    const arr = inst.maps.find((m) => m.name === 'cycles') as PerfEventArray;
    arr.setCounter(0, { counter: 123456n, enabled: 10n, running: 9n });
    arr.setCounter(1, { counter: 77n, enabled: 1000n, running: 500n });
    runProgram(inst, 'read_counters', { engine });
    const v = Buffer.from(inst.map('.bss').get(0)!);
    const counts = Array.from({ length: 8 }, (_, i) => v.readBigInt64LE(64 + i * 8));
    expect(counts).toEqual([123456n, -2n, -7n, 0n, 77n, 1000n, 500n, -2n]);
  });
});
