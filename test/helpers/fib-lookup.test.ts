/**
 * bpf_fib_lookup and the simulated routing table: an XDP router (fixtures/kernel-cases/src/fib_fwd.c)
 * forwards through the routes, next hops and neighbours the test configures; this is the README's
 * example. The kernel's own answers that do not depend on a machine's routes are recorded in
 * fixtures/kernel-cases (route.c).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ObjectInstance } from '../../src/helpers/kernel.js';
import { parseMac } from '../../src/helpers/kernel/network.js';
import { loadJitEngine, type EngineKind } from '../../src/run/engine.js';
import { runProgram } from '../../src/run/program.js';
import { caseObject, casePacket } from '../kernel/cases.js';

const hex = (b: Uint8Array | undefined): string => Buffer.from(b ?? []).toString('hex');
/** How many lookups gave BPF_FIB_LKUP_RET_* code `code` (the u64 counters of fib_results). */
const count = (inst: ObjectInstance, code: number): bigint => {
  const v = inst.map('fib_results').get(code);
  return v === undefined ? 0n : Buffer.from(v).readBigUInt64LE(0);
};

function router(): ObjectInstance {
  return new ObjectInstance(caseObject('fib_fwd'), {
    devices: [
      { ifindex: 1, name: 'lo', mtu: 65536, mac: new Uint8Array(6) },
      { ifindex: 2, name: 'eth0', mtu: 1500, mac: parseMac('02:00:00:00:00:aa'), addresses: ['10.0.0.254'] },
      { ifindex: 3, name: 'eth1', mtu: 1400, mac: parseMac('02:00:00:00:00:bb'), addresses: ['192.168.1.1'] },
    ],
    routes: [
      { dst: '10.0.0.0/24', dev: 2 },
      { dst: '0.0.0.0/0', via: '192.168.1.254', dev: 3, metric: 100 },
      { dst: '10.9.0.0/16', dev: 2, type: 'blackhole' },
    ],
    neighbours: [
      { ip: '10.0.0.2', dev: 2, mac: '02:00:00:00:00:02' },
      { ip: '192.168.1.254', dev: 3, mac: '02:00:00:00:01:fe' },
    ],
  });
}

/** The packet with its IPv4 destination (bytes 30..33) and IP checksum replaced. */
function toAddress(dst: number[]): Uint8Array {
  const p = casePacket('ipv4_udp').slice();
  p.set(dst, 30);
  p[24] = 0;
  p[25] = 0;
  let sum = 0;
  for (let i = 14; i < 34; i += 2) sum += (p[i]! << 8) | p[i + 1]!;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  p[24] = (~sum >> 8) & 0xff;
  p[25] = ~sum & 0xff;
  return p;
}

describe.each<EngineKind>(['interp', 'jit'])('bpf_fib_lookup on %s', (engine) => {
  beforeAll(async () => {
    if (engine === 'jit') await loadJitEngine();
  }, 120_000);

  it('forwards to a directly connected neighbour: MACs rewritten, TTL down, redirected', () => {
    const inst = router();
    const r = runProgram(inst, 'xdp_router', { packet: casePacket('ipv4_udp'), engine });
    expect(r.retval).toBe(4); // XDP_REDIRECT
    expect(r.redirect).toEqual({ ifindex: 2, flags: 0 });
    expect(hex(r.packet?.subarray(0, 12))).toBe('020000000002' + '0200000000aa');
    expect(r.packet?.[22]).toBe(63);
    // The incremental checksum update leaves a valid header.
    let sum = 0;
    for (let i = 14; i < 34; i += 2) sum += (r.packet![i]! << 8) | r.packet![i + 1]!;
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    expect(sum).toBe(0xffff);
    expect(count(inst, 0)).toBe(1n);
  });

  it('goes through the gateway of the default route', () => {
    const r = runProgram(router(), 'xdp_router', { packet: toAddress([8, 8, 8, 8]), engine });
    expect(r.redirect).toEqual({ ifindex: 3, flags: 0 });
    expect(hex(r.packet?.subarray(0, 12))).toBe('0200000001fe' + '0200000000bb');
  });

  it('answers the lookup failures by BPF_FIB_LKUP_RET_* code', () => {
    const inst = router();
    expect(runProgram(inst, 'xdp_router', { packet: toAddress([10, 9, 1, 1]), engine }).retval).toBe(1); // blackhole: XDP_DROP
    expect(runProgram(inst, 'xdp_router', { packet: toAddress([10, 0, 0, 77]), engine }).retval).toBe(2); // no neighbour
    inst.kernel.net.forwarding = false;
    expect(runProgram(inst, 'xdp_router', { packet: casePacket('ipv4_udp'), engine }).retval).toBe(2);
    expect([count(inst, 1), count(inst, 5), count(inst, 7), count(inst, 0)]).toEqual([1n, 1n, 1n, 0n]);
  });

  it('reports FRAG_NEEDED with the route MTU', () => {
    const inst = router();
    inst.kernel.net.addRoute({ dst: '10.0.0.2/32', dev: 2, mtu: 40 });
    expect(runProgram(inst, 'xdp_router', { packet: casePacket('ipv4_udp'), engine }).retval).toBe(2);
    expect(count(inst, 8)).toBe(1n);
  });
});
