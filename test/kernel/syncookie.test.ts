/**
 * SYN cookies (bpf_tcp_gen_syncookie / bpf_tcp_check_syncookie) against a listener of the
 * simulated socket table, from XDP (fixtures/kernel-cases/src/syncookie.c, which the kernel's
 * verifier accepts), on both engines. Cookie values are bpfkit's own (the kernel keys them with
 * secrets drawn at boot); the checks, the MSS encoding and the aging are the kernel's.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { Errno } from '../../src/helpers/errno.js';
import { ObjectInstance } from '../../src/helpers/kernel.js';
import { loadJitEngine, type EngineKind } from '../../src/run/engine.js';
import { runProgram } from '../../src/run/program.js';
import { caseObject } from './cases.js';

/** An Ethernet/IPv4/TCP frame (20-byte TCP header, no options). */
function tcp(o: { src: number[]; dst: number[]; sport: number; dport: number; seq: number; ack: number; flags: number }): Uint8Array {
  const b = Buffer.alloc(14 + 20 + 20);
  b.writeUInt16BE(0x0800, 12);
  b[14] = 0x45;
  b.writeUInt16BE(40, 16);
  b[22] = 64;
  b[23] = 6;
  Buffer.from(o.src).copy(b, 26);
  Buffer.from(o.dst).copy(b, 30);
  b.writeUInt16BE(o.sport, 34);
  b.writeUInt16BE(o.dport, 36);
  b.writeUInt32BE(o.seq >>> 0, 38);
  b.writeUInt32BE(o.ack >>> 0, 42);
  b[46] = 5 << 4;
  b[47] = o.flags;
  return new Uint8Array(b);
}
const SYN = 0x02;
const ACK = 0x10;
const client = { src: [10, 0, 0, 2], dst: [10, 0, 0, 1], sport: 40000, dport: 80 };
const results = (i: ObjectInstance) => {
  const b = Buffer.from(i.map('.bss').get(0)!);
  // .bss (llvm-objdump -t): looked_up @0, cookie_result @8, check_result @16.
  return { cookie: b.readBigInt64LE(8), check: b.readBigInt64LE(16), lookedUp: b.readUInt32LE(0) };
};

describe.each<EngineKind>(['interp', 'jit'])('SYN cookies on %s', (engine) => {
  beforeAll(async () => {
    if (engine === 'jit') await loadJitEngine();
  }, 120_000);
  const listening = () => new ObjectInstance(caseObject('syncookie'), { sockets: [{ protocol: 'tcp', localIp: '0.0.0.0', localPort: 80 }] });

  it('a SYN gets a cookie (MSS 536 without the option) that checks when the ACK returns it', () => {
    const i = listening();
    expect(runProgram(i, 'syncookie', { packet: tcp({ ...client, seq: 1000, ack: 0, flags: SYN }), engine }).retval).toBe(3);
    const { cookie } = results(i);
    expect(cookie >> 32n).toBe(536n);
    const c = Number(cookie & 0xffffffffn);
    runProgram(i, 'syncookie', { packet: tcp({ ...client, seq: 1001, ack: c + 1, flags: ACK }), engine });
    expect(results(i).check).toBe(0n);
    // Another sequence number, another connection, or a wrong cookie does not check.
    for (const bad of [{ seq: 5001, ack: c + 1 }, { seq: 1001, ack: c + 1 + 0x100 }]) {
      runProgram(i, 'syncookie', { packet: tcp({ ...client, ...bad, flags: ACK }), engine });
      expect(results(i).check).toBe(BigInt(-Errno.ENOENT));
    }
    runProgram(i, 'syncookie', { packet: tcp({ ...client, sport: 40001, seq: 1001, ack: c + 1, flags: ACK }), engine });
    expect(results(i).check).toBe(BigInt(-Errno.ENOENT));
  });

  it('a cookie ages out after two minutes; a listener that sent none checks nothing', () => {
    const fresh = listening();
    runProgram(fresh, 'syncookie', { packet: tcp({ ...client, seq: 1, ack: 5, flags: ACK }), engine });
    expect(results(fresh).check).toBe(BigInt(-Errno.ENOENT));
    const i = listening();
    runProgram(i, 'syncookie', { packet: tcp({ ...client, seq: 7, ack: 0, flags: SYN }), engine });
    const c = Number(results(i).cookie & 0xffffffffn);
    i.kernel.clock.advance(61_000_000_000n);
    runProgram(i, 'syncookie', { packet: tcp({ ...client, seq: 8, ack: c + 1, flags: ACK }), engine });
    expect(results(i).check).toBe(0n);
    i.kernel.clock.advance(120_000_000_000n);
    runProgram(i, 'syncookie', { packet: tcp({ ...client, seq: 8, ack: c + 1, flags: ACK }), engine });
    expect(results(i).check).toBe(BigInt(-Errno.ENOENT));
  });

  it('SYN+ACK or RST segments are refused as the kernel refuses them', () => {
    const i = listening();
    runProgram(i, 'syncookie', { packet: tcp({ ...client, seq: 1, ack: 0, flags: SYN | 0x04 }), engine });
    expect(results(i).cookie).toBe(BigInt(-Errno.EINVAL));
    runProgram(i, 'syncookie', { packet: tcp({ ...client, seq: 1, ack: 2, flags: ACK | 0x04 }), engine });
    expect(results(i).check).toBe(BigInt(-Errno.ENOENT));
    // No listener: the lookup finds nothing and the program passes the packet.
    const none = new ObjectInstance(caseObject('syncookie'));
    expect(runProgram(none, 'syncookie', { packet: tcp({ ...client, seq: 1, ack: 0, flags: SYN }), engine }).retval).toBe(2);
    expect(results(none).lookedUp).toBe(0);
  });
});
