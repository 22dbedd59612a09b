/**
 * cgroup_sysctl and cgroup_sockopt programs, which the kernel has no test run for, run with the
 * semantics README.md documents on both engines (fixtures/kernel-cases/src/cgsys.c, which the
 * kernel's verifier accepts).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { Errno } from '../../src/helpers/errno.js';
import { ObjectInstance } from '../../src/helpers/kernel.js';
import { loadJitEngine, type EngineKind } from '../../src/run/engine.js';
import { runProgram } from '../../src/run/program.js';
import { caseObject } from './cases.js';

/** .bss of cgsys.o (llvm-objdump -t): name @0, seen[16] @0x20, base @0xa0, tiny @0xa8, cur @0xac. */
const bss = (i: ObjectInstance) => {
  const b = Buffer.from(i.map('.bss').get(0)!);
  const str = (at: number, n: number) => b.subarray(at, at + n).toString('latin1');
  return {
    seen: Array.from({ length: 16 }, (_, k) => b.readBigInt64LE(0x20 + 8 * k)),
    name: str(0, 32),
    base: str(0xa0, 8),
    tiny: str(0xa8, 4),
    cur: str(0xac, 8),
  };
};
const E2BIG = BigInt(-Errno.E2BIG);
const socket = { protocol: 'tcp' as const, localIp: '10.0.0.1', localPort: 8000, remoteIp: '10.0.0.2', remotePort: 40000 };

describe.each<EngineKind>(['interp', 'jit'])('cgroup_sysctl and cgroup_sockopt, on %s', (engine) => {
  beforeAll(async () => {
    if (engine === 'jit') await loadJitEngine();
  }, 120_000);
  const inst = () => new ObjectInstance(caseObject('cgsys'));

  it('sysctl read: the name (full, base, truncated), the current value; allowed', () => {
    const i = inst();
    const r = runProgram(i, 'sysctl_guard', { sysctl: { name: 'net/ipv4/tcp_mem', value: '4096\n', filePos: 2 }, engine });
    expect(r.retval).toBe(1);
    const s = bss(i);
    expect(s.seen.slice(0, 6)).toEqual([16n, 7n, E2BIG, 5n, 0n, 2n]);
    expect(s.name).toBe('net/ipv4/tcp_mem'.padEnd(32, '\0'));
    expect(s.base).toBe('tcp_mem\0');
    expect(s.tiny).toBe('net\0');
    expect(s.cur).toBe('4096\n\0\0\0');
    expect(r.packet).toBeUndefined();
    expect([...r.ctx!]).toEqual([0, 0, 0, 0, 2, 0, 0, 0]);
  });

  it('sysctl values that do not fit are truncated (-E2BIG); a failed handler gives -EINVAL and zeroes', () => {
    const i = inst();
    runProgram(i, 'sysctl_guard', { sysctl: { name: 'kernel/x', value: '123456789\n' }, engine });
    expect(bss(i).seen[3]).toBe(E2BIG);
    expect(bss(i).cur).toBe('1234567\0');
    runProgram(i, 'sysctl_guard', { sysctl: { name: 'kernel/x' }, engine });
    expect(bss(i).seen[3]).toBe(BigInt(-Errno.EINVAL));
    expect(bss(i).cur).toBe('\0'.repeat(8));
  });

  it('sysctl write: the new value read, refused (r0 0), or replaced (set_new_value; file_pos moved)', () => {
    const i = inst();
    const denied = runProgram(i, 'sysctl_guard', { sysctl: { name: 'net/core/somaxconn', value: '128\n', newValue: '9' }, engine });
    expect(denied.retval).toBe(0);
    const kept = runProgram(i, 'sysctl_guard', { sysctl: { name: 'net/core/somaxconn', value: '128\n', newValue: '1024\n' }, engine });
    expect(kept.retval).toBe(1);
    expect(Buffer.from(kept.packet!).toString()).toBe('1024\n');
    expect(bss(i).seen[6]).toBe(5n);
    const fixed = runProgram(i, 'sysctl_guard', { sysctl: { name: 'net/core/somaxconn', value: '128\n', newValue: '5\n' }, engine });
    expect(Buffer.from(fixed.packet!).toString()).toBe('42');
    expect(bss(i).seen[7]).toBe(0n);
    expect(Buffer.from(fixed.ctx!).readUInt32LE(4)).toBe(3);
  });

  it('getsockopt: sees the handler\'s value and result, rewrites the value and hides the error', () => {
    const i = inst();
    const r = runProgram(i, 'get_opt', { socket, sockopt: { op: 'get', level: 1, optname: 20, optval: new Uint8Array(8), retval: -22 }, engine });
    expect(r.retval).toBe(1);
    expect(bss(i).seen.slice(8, 12)).toEqual([1n, 20n, 8n, -22n]);
    expect([...r.packet!]).toEqual([0x34, 0x12, 0, 0]);
    const ctx = Buffer.from(r.ctx!);
    expect([ctx.readInt32LE(32), ctx.readInt32LE(36)]).toEqual([4, 0]);
    // Another level passes through untouched; a value too short is refused.
    expect(runProgram(i, 'get_opt', { socket, sockopt: { op: 'get', level: 6, optname: 1, optval: new Uint8Array([1, 2]) }, engine }).packet).toEqual(new Uint8Array([1, 2]));
    expect(runProgram(i, 'get_opt', { socket, sockopt: { op: 'get', level: 1, optname: 1, optval: new Uint8Array(2) }, engine }).retval).toBe(0);
  });

  it('setsockopt: changes optname and the value, bypasses the handler (optlen -1), or refuses', () => {
    const i = inst();
    const r = runProgram(i, 'set_opt', { socket, sockopt: { op: 'set', level: 1, optname: 5, optval: new Uint8Array([9, 9]) }, engine });
    expect(r.retval).toBe(1);
    expect([...r.packet!]).toEqual([1]);
    expect(Buffer.from(r.ctx!).readInt32LE(28)).toBe(7);
    const bypass = runProgram(i, 'set_opt', { socket, sockopt: { op: 'set', level: 1, optname: 99, optval: new Uint8Array([3]) }, engine });
    expect(Buffer.from(bypass.ctx!).readInt32LE(32)).toBe(-1);
    expect(runProgram(i, 'set_opt', { socket, sockopt: { op: 'set', level: 1, optname: 5, optval: new Uint8Array([0xff]) }, engine }).retval).toBe(0);
    expect(bss(i).seen.slice(12, 14)).toEqual([1n, 255n]);
  });

  it('bpf_get_retval / bpf_set_retval read and clear getsockopt\'s result, the context field with them', () => {
    const i = inst();
    runProgram(i, 'retval_opt', { socket, sockopt: { op: 'get', level: 1, optname: 1, optval: new Uint8Array(4), retval: -92 }, engine });
    expect(bss(i).seen.slice(14)).toEqual([-92n, 0n]);
  });

  it('refuses runs without their input', () => {
    expect(() => runProgram(inst(), 'sysctl_guard', { engine })).toThrow(/give sysctl/);
    expect(() => runProgram(inst(), 'get_opt', { socket, engine })).toThrow(/give sockopt/);
    expect(() => runProgram(inst(), 'get_opt', { sockopt: { op: 'get', level: 1, optname: 1, optval: new Uint8Array(1) }, engine })).toThrow(/runs on a socket/);
  });
});
