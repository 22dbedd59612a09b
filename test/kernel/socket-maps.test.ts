/**
 * Socket maps (sockmap, sockhash) and the program types that use them, which the kernel has no
 * test run for (sk_skb, sk_msg, sock_ops adding sockets), run with the semantics README.md
 * documents on both engines (fixtures/kernel-cases/src/sockmap.c, which the kernel's verifier
 * accepts); sk_lookup steering to a socket from a socket map (sk_lookup.c's lk_redir: its
 * empty-map runs are kernel-recorded in ctx-cases).
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Errno } from '../../src/helpers/errno.js';
import { ObjectInstance } from '../../src/helpers/kernel.js';
import { SockHash, SockMap, type SockMapBase } from '../../src/helpers/maps/sockmap.js';
import { TcpState, type SimSocketSpec } from '../../src/helpers/kernel/sockets.js';
import { loadJitEngine, type EngineKind } from '../../src/run/engine.js';
import { runProgram } from '../../src/run/program.js';
import { createMap } from '../../src/helpers/maps/create.js';
import { MapType } from '../../src/loader/kinds.js';
import { Memory } from '../../src/helpers/memory.js';
import { caseObject } from './cases.js';

const key32 = (n: number): Uint8Array => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
};
const sockMap = (inst: ObjectInstance, name: string): SockMapBase => inst.kernel.maps.find((m) => m.name === name) as SockMapBase;
const seen = (inst: ObjectInstance, name = '.bss', n = 16): bigint[] => {
  const v = Buffer.from(inst.map(name).get(0)!);
  return Array.from({ length: n }, (_, i) => v.readBigInt64LE(i * 8));
};
const server: SimSocketSpec = { protocol: 'tcp', localIp: '10.0.0.1', localPort: 8000, remoteIp: '10.0.0.2', remotePort: 40000 };
const peer: SimSocketSpec = { protocol: 'tcp', localIp: '10.0.0.1', localPort: 9000, remoteIp: '10.0.0.3', remotePort: 50000 };

describe('socket maps (map-type table entries)', () => {
  const make = (type: number, keySize = 4, valueSize = 8) =>
    createMap({ name: 'm', type, keySize, valueSize, maxEntries: 2, flags: 0 } as never, 0, { memory: new Memory(), cpus: 2 }) as SockMapBase;

  it('sockmap: sockets by index under the kernel rules; user space reads cookies', () => {
    const m = make(MapType.SOCKMAP);
    expect(m).toBeInstanceOf(SockMap);
    expect(m.placeSocket(key32(0), server).status).toBe(0);
    expect(m.placeSocket(key32(0), peer, 1).status).toBe(-Errno.EEXIST);
    expect(m.placeSocket(key32(1), peer, 2).status).toBe(-Errno.ENOENT);
    expect(m.placeSocket(key32(2), peer).status).toBe(-Errno.E2BIG);
    expect(m.placeSocket(key32(1), peer, 3).status).toBe(-Errno.EINVAL);
    expect(m.placeSocket(key32(1), { ...peer, state: TcpState.SYN_SENT }).status).toBe(-Errno.EOPNOTSUPP);
    expect(m.placeSocket(key32(1), { protocol: 'udp', localIp: '0.0.0.0', localPort: 0 }).status).toBe(-Errno.EOPNOTSUPP);
    const first = m.sysLookup(key32(0));
    expect(first).toEqual(new Uint8Array([1, 0, 0, 0, 0, 0, 0, 0]));
    expect(m.sysLookup(key32(0))).toEqual(first);
    expect(m.sysLookup(key32(1))).toBe(-Errno.ENOENT);
    expect(m.sysUpdate(key32(1), new Uint8Array(8), 0)).toBe(-Errno.EBADF);
    expect(m.delete(key32(1))).toBe(-Errno.EINVAL);
    expect(m.delete(key32(5))).toBe(-Errno.EINVAL);
    expect(m.delete(key32(0))).toBe(0);
    expect(m.sysNextKey(undefined)).toEqual(key32(0));
    expect(m.sysNextKey(key32(1))).toBeUndefined();
    expect(make(MapType.SOCKMAP, 4, 4).sysLookup(key32(0))).toBe(-Errno.ENOSPC);
  });

  it('sockhash: sockets by key, -E2BIG when full, -ENOENT deleting a missing key', () => {
    const m = make(MapType.SOCKHASH);
    expect(m).toBeInstanceOf(SockHash);
    expect(m.placeSocket(key32(80), server).status).toBe(0);
    expect(m.placeSocket(key32(81), peer).status).toBe(0);
    expect(m.placeSocket(key32(82), peer).status).toBe(-Errno.E2BIG);
    expect(m.placeSocket(key32(81), server).status).toBe(0);
    expect(m.delete(key32(99))).toBe(-Errno.ENOENT);
    expect(m.entries().map((e) => [...e.key])).toEqual([[80, 0, 0, 0], [81, 0, 0, 0]]);
  });

  it('reuseport sockarray: SO_REUSEPORT sockets that are listening or bound, once', () => {
    const m = make(MapType.REUSEPORT_SOCKARRAY);
    const listener = { protocol: 'tcp' as const, localIp: '0.0.0.0', localPort: 80, reuseport: true };
    const placed = m.placeSocket(key32(0), listener);
    expect(placed.status).toBe(0);
    expect(m.placeSocket(key32(1), placed.socket).status).toBe(-Errno.EBUSY);
    expect(m.placeSocket(key32(1), { ...listener, reuseport: false }).status).toBe(-Errno.EINVAL);
    expect(m.placeSocket(key32(1), { ...server, reuseport: true }).status).toBe(-Errno.EINVAL);
    expect(m.placeSocket(key32(1), { protocol: 'udp', localIp: '::', localPort: 53, reuseport: true }).status).toBe(0);
    expect(m.placeSocket(key32(0), listener, 1).status).toBe(-Errno.EEXIST);
    expect(m.placeSocket(key32(2), listener).status).toBe(-Errno.E2BIG);
    expect(m.sysLookup(key32(0))).toBeInstanceOf(Uint8Array);
    expect(m.delete(key32(0))).toBe(0);
    expect(m.delete(key32(0))).toBe(-Errno.ENOENT);
    expect(m.delete(key32(9))).toBe(-Errno.E2BIG);
    // Once out of the array the socket may go into another.
    expect(m.placeSocket(key32(0), placed.socket).status).toBe(0);
  });

  it('refuses definitions the kernel refuses, by name', () => {
    expect(() => make(MapType.SOCKMAP, 8)).toThrow(/key_size must be 4/);
    expect(() => make(MapType.SOCKHASH, 4, 16)).toThrow(/value_size must be 4 .* or 8/);
  });
});

describe.each<EngineKind>(['interp', 'jit'])('sk_skb, sk_msg, sock_ops on socket maps, on %s', (engine) => {
  beforeAll(async () => {
    if (engine === 'jit') await loadJitEngine();
  }, 120_000);
  const inst = () => new ObjectInstance(caseObject('sockmap'));

  it('sk_skb stream parser: r0 is the length of the message it found', () => {
    const i = inst();
    expect(runProgram(i, 'parser', { packet: new Uint8Array([5, 1, 2, 3, 4, 5, 6, 7]), socket: server, engine }).retval).toBe(6);
    expect(runProgram(i, 'parser', { packet: new Uint8Array(0), socket: server, engine }).retval).toBe(0);
  });

  it('sk_skb stream verdict: the socket fields, pass/drop, bpf_sk_redirect_map to a connected socket', () => {
    const i = inst();
    const r = runProgram(i, 'verdict', { packet: new Uint8Array([1, 'p'.charCodeAt(0), 9]), socket: server, engine });
    expect(r.retval).toBe(1);
    expect([...r.packet!]).toEqual([1, 112, 9]);
    expect(seen(i).slice(0, 5)).toEqual([3n, 2n, 0x0200000an, 40000n, 8000n]);
    expect(runProgram(i, 'verdict', { packet: new Uint8Array([1, 'd'.charCodeAt(0)]), socket: server, engine }).retval).toBe(0);
    const redirect = new Uint8Array([1, 'r'.charCodeAt(0)]);
    expect(runProgram(i, 'verdict', { packet: redirect, socket: server, engine })).toMatchObject({ retval: 0, redirect: undefined });
    sockMap(i, 'socks').placeSocket(key32(1), peer);
    const to = runProgram(i, 'verdict', { packet: redirect, socket: server, engine });
    expect(to.retval).toBe(1);
    expect(to.redirect).toEqual({ ifindex: 0, flags: 1, map: 'socks', socket: { key: '01000000', local: '10.0.0.1:9000', remote: '10.0.0.3:50000' } });
    // A listening socket takes no redirect.
    sockMap(i, 'socks').placeSocket(key32(1), { protocol: 'tcp', localIp: '0.0.0.0', localPort: 80 });
    expect(runProgram(i, 'verdict', { packet: redirect, socket: server, engine }).retval).toBe(0);
  });

  it('sk_msg: push, pop and pull change the message; apply/cork; bpf_msg_redirect_hash', () => {
    const i = inst();
    const msg = (s: string) => new Uint8Array(Buffer.from(s));
    const pushed = runProgram(i, 'msg_prog', { packet: msg('pabc'), socket: server, engine });
    expect(pushed.retval).toBe(1);
    expect([...pushed.packet!]).toEqual([112, 0, 0, 0, 97, 98, 99]);
    expect(seen(i).slice(5, 13)).toEqual([4n, 2n, 8000n, 40000n, 0n, 0n, 0n, 7n]);
    const popped = runProgram(i, 'msg_prog', { packet: msg('xyz'), socket: server, engine });
    expect(Buffer.from(popped.packet!).toString()).toBe('yz');
    expect(seen(i)[12]).toBe(2n);
    runProgram(i, 'msg_prog', { packet: msg('l-ABCD'), socket: server, engine });
    expect(seen(i).slice(9, 12)).toEqual([0n, 0x4241n, BigInt(-Errno.EINVAL)]);
    expect(runProgram(i, 'msg_prog', { packet: msg('r'), socket: server, engine }).retval).toBe(0);
    sockMap(i, 'by_port').placeSocket(key32(7), peer);
    const r = runProgram(i, 'msg_prog', { packet: msg('r'), socket: server, engine });
    expect(r.retval).toBe(1);
    expect(r.redirect?.socket).toEqual({ key: '07000000', local: '10.0.0.1:9000', remote: '10.0.0.3:50000' });
    // Egress redirects go to TCP sockets only.
    sockMap(i, 'by_port').placeSocket(key32(7), { protocol: 'udp', localIp: '10.0.0.1', localPort: 53, remoteIp: '10.0.0.9', remotePort: 5353 });
    expect(runProgram(i, 'msg_prog', { packet: msg('r'), socket: server, engine }).retval).toBe(0);
  });

  it('sock_ops: the socket adds itself from the established and listen callbacks only', () => {
    const i = inst();
    runProgram(i, 'add_sock', { socket: server, sockOps: { op: 1 }, engine });
    const no = BigInt(-Errno.EOPNOTSUPP);
    expect(seen(i).slice(13)).toEqual([no, no, no]);
    runProgram(i, 'add_sock', { socket: server, sockOps: { op: 4 }, engine });
    expect(seen(i).slice(13)).toEqual([0n, 0n, BigInt(-Errno.EEXIST)]);
    expect(sockMap(i, 'socks').socketAt(key32(1))?.localPort).toBe(8000);
    expect(sockMap(i, 'by_port').socketAt(key32(8000))?.remotePort).toBe(40000);
  });

  it('refuses a run without the message or the socket', () => {
    expect(() => runProgram(inst(), 'verdict', { socket: server, engine })).toThrow(/give it as packet/);
    expect(() => runProgram(inst(), 'msg_prog', { packet: new Uint8Array(1), engine })).toThrow(/runs on a socket/);
  });
});

describe.each<EngineKind>(['interp', 'jit'])('sk_lookup steering to a socket from a socket map, on %s', (engine) => {
  beforeAll(async () => {
    if (engine === 'jit') await loadJitEngine();
  }, 120_000);
  const lookup = { remoteIp: '10.0.0.2', remotePort: 5555, localIp: '10.0.0.1', localPort: 80 };
  const inst = () => new ObjectInstance(caseObject('sk_lookup'));
  const redir = (i: ObjectInstance) => seen(i, '.bss', 18).slice(12);

  it('assigns a listening socket: SK_PASS, its cookie in ctx_out; a second assign is -EEXIST', () => {
    const i = inst();
    const { socket } = sockMap(i, 'socks').placeSocket(key32(0), { protocol: 'tcp', localIp: '0.0.0.0', localPort: 8080 });
    const r = runProgram(i, 'lk_redir', { skLookup: lookup, engine });
    expect(r.retval).toBe(1);
    expect(redir(i)).toEqual([BigInt(-Errno.EINVAL), BigInt(-Errno.ENOENT), 1n, 8080n, 0n, BigInt(-Errno.EEXIST)]);
    expect(socket.cookie).toBeGreaterThan(0n);
    expect(Buffer.from(r.ctx!).readBigUInt64LE(0)).toBe(socket.cookie);
    expect(r.printk).toEqual(['assigned 0']);
  });

  it('refuses sockets the kernel refuses: not listening, other protocol, other family', () => {
    const cases: Array<[SimSocketSpec, Errno]> = [
      [{ protocol: 'tcp', localIp: '10.0.0.1', localPort: 80, remoteIp: '10.0.0.2', remotePort: 1 }, Errno.ESOCKTNOSUPPORT],
      [{ protocol: 'tcp', localIp: '::', localPort: 80, v6only: true }, Errno.EAFNOSUPPORT],
    ];
    for (const [spec, errno] of cases) {
      const i = inst();
      sockMap(i, 'socks').placeSocket(key32(0), spec);
      const r = runProgram(i, 'lk_redir', { skLookup: lookup, engine });
      expect(r.retval, spec.localIp).toBe(0);
      expect(redir(i)[4]).toBe(BigInt(-errno));
      expect(Buffer.from(r.ctx!).readBigUInt64LE(0)).toBe(0n);
    }
    const i = inst();
    sockMap(i, 'socks_by_port').placeSocket(key32(53), { protocol: 'tcp', localIp: '0.0.0.0', localPort: 53 });
    runProgram(i, 'lk_redir', { skLookup: { ...lookup, protocol: 'udp', localPort: 53 }, engine });
    expect(redir(i)[4]).toBe(BigInt(-Errno.EPROTOTYPE));
    // A dual-stack IPv6 socket may take an IPv4 lookup.
    const d = inst();
    sockMap(d, 'socks').placeSocket(key32(0), { protocol: 'tcp', localIp: '::', localPort: 80 });
    expect(runProgram(d, 'lk_redir', { skLookup: lookup, engine }).retval).toBe(1);
  });

  it('a socket in a reuseport group needs BPF_SK_LOOKUP_F_NO_REUSEPORT in a test run', () => {
    const i = inst();
    sockMap(i, 'socks').placeSocket(key32(0), { protocol: 'tcp', localIp: '0.0.0.0', localPort: 80, reuseport: true });
    expect(() => runProgram(i, 'lk_redir', { skLookup: lookup, engine })).toThrow(/EOPNOTSUPP/);
  });
});

describe('through the public API', () => {
  it('places sockets, cgroups, stacks and user ring buffer records; runs the new program types', async () => {
    const { loadObject } = await import('../../src/node.js');
    const dir = join(import.meta.dirname, '..', '..', 'fixtures', 'kernel-cases', 'build');
    const lookup = loadObject(join(dir, 'sk_lookup.o'));
    const sock = lookup.map('socks').view.placeSocket(0, { protocol: 'tcp', localIp: '0.0.0.0', localPort: 8080 });
    const r = lookup.program('lk_redir').run({ skLookup: { remoteIp: '10.0.0.2', remotePort: 1, localIp: '10.0.0.1', localPort: 80 } });
    expect(r.retval).toBe(1);
    expect(Buffer.from(r.ctx!).readBigUInt64LE(0)).toBe(sock.cookie);
    expect(() => lookup.map('socks').view.placeSocket(9, sock)).toThrow(/E2BIG/);
    const stacks = loadObject(join(dir, 'stacks.o'), { stacks: { kernel: [0xffffffff81000000n] } });
    stacks.map('requests').view.submit(new Uint8Array(8));
    stacks.program('drain').run();
    stacks.program('on_open').run();
    expect(stacks.map('traces').entries()).toHaveLength(1);
    const cg = loadObject(join(dir, 'cgmaps.o'));
    cg.map('cgroups').view.setCgroup(0, 1n);
    expect(() => cg.map('cg_bytes').view.setCgroup(0, 1n)).toThrow(/not a cgroup_array/);
    expect(cg.map('cg_bytes').view.attachCgroup(1n, 0)).toHaveLength(16);
  });
});
