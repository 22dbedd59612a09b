/**
 * bpf_sk_lookup_tcp/udp and bpf_skc_lookup_tcp against the simulated socket table (the recorded
 * kernel cases of sockets.c find nothing; here the table holds sockets), on both engines.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ObjectInstance } from '../../src/helpers/kernel.js';
import { TcpState } from '../../src/helpers/kernel/sockets.js';
import { loadJitEngine, type EngineKind } from '../../src/run/engine.js';
import { runProgram } from '../../src/run/program.js';
import { caseObject, casePacket } from '../kernel/cases.js';

const res = (inst: ObjectInstance): bigint[] => {
  const v = Buffer.from(inst.map('.bss').get(0)!);
  return Array.from({ length: 12 }, (_, i) => v.readBigInt64LE(i * 8));
};

describe.each<EngineKind>(['interp', 'jit'])('socket lookups on %s', (engine) => {
  beforeAll(async () => {
    if (engine === 'jit') await loadJitEngine();
  }, 120_000);

  it('finds a bound UDP socket on the local address, with its fields', () => {
    const inst = new ObjectInstance(caseObject('sockets'), { sockets: [{ protocol: 'udp', localIp: '10.0.0.2', localPort: 53 }] });
    runProgram(inst, 'sk_find', { packet: casePacket('ipv4_udp'), engine });
    expect(res(inst)).toEqual([1n, 2n, 17n, 7n, 53n, 0n, 0x0200000an, 0n, 0n, 0n, 0n, 0n]);
  });

  it('prefers the connected TCP socket of the 4-tuple over the listener; skc sees it too', () => {
    const inst = new ObjectInstance(caseObject('sockets'), {
      sockets: [
        { protocol: 'tcp', localIp: '0.0.0.0', localPort: 80 },
        { protocol: 'tcp', localIp: '10.0.0.2', localPort: 80, remoteIp: '10.0.0.1', remotePort: 40001 },
      ],
    });
    runProgram(inst, 'sk_find', { packet: casePacket('ipv4_tcp'), engine });
    const r = res(inst);
    expect(r.slice(0, 6)).toEqual([1n, 2n, 6n, BigInt(TcpState.ESTABLISHED), 80n, 40001n]);
    expect(r.slice(7, 9)).toEqual([1n, BigInt(TcpState.ESTABLISHED)]);
  });

  it('a TIME_WAIT socket is found by skc_lookup only; the wildcard listener answers sk_lookup', () => {
    const inst = new ObjectInstance(caseObject('sockets'), {
      sockets: [
        { protocol: 'tcp', localIp: '10.0.0.2', localPort: 80, remoteIp: '10.0.0.1', remotePort: 40001, state: TcpState.TIME_WAIT },
        { protocol: 'tcp', localIp: '0.0.0.0', localPort: 80 },
      ],
    });
    runProgram(inst, 'sk_find', { packet: casePacket('ipv4_tcp'), engine });
    const r = res(inst);
    expect(r[3]).toBe(BigInt(TcpState.LISTEN));
    expect(r.slice(7, 9)).toEqual([1n, BigInt(TcpState.TIME_WAIT)]);
  });

  it('IPv6, and nothing for another port', () => {
    const inst = new ObjectInstance(caseObject('sockets'), { sockets: [{ protocol: 'udp', localIp: '::', localPort: 53 }, { protocol: 'udp', localIp: '10.0.0.2', localPort: 54 }] });
    runProgram(inst, 'sk_find', { packet: casePacket('ipv6_udp'), engine });
    expect(res(inst).slice(0, 3)).toEqual([1n, 10n, 17n]);
    runProgram(inst, 'sk_find', { packet: casePacket('ipv4_udp'), engine });
    expect(res(inst)[0]).toBe(0n);
  });
});
