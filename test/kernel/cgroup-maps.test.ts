/**
 * Cgroup storage and cgroup arrays beyond what a test run shows (kernel-recorded in cases.txt:
 * cgmaps): storage linked by an attachment persists across runs and is visible to user space;
 * cgroup arrays answer by the simulated task's cgroup and its ancestors. Both engines.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { Errno } from '../../src/helpers/errno.js';
import { ObjectInstance } from '../../src/helpers/kernel.js';
import { CgroupArrayMap } from '../../src/helpers/maps/cgroup-array.js';
import { CgroupStorageMap } from '../../src/helpers/maps/cgroup-storage.js';
import { loadJitEngine, type EngineKind } from '../../src/run/engine.js';
import { runProgram } from '../../src/run/program.js';
import { caseObject, casePacket } from './cases.js';

const BPF_CGROUP_INET_INGRESS = 0;
const mapOf = <T>(i: ObjectInstance, name: string) => i.kernel.maps.find((m) => m.name === name) as T;
const seen = (i: ObjectInstance) => Array.from({ length: 6 }, (_, k) => Buffer.from(i.map('.bss').get(0)!).readBigInt64LE(8 * k));

describe.each<EngineKind>(['interp', 'jit'])('cgroup storage and cgroup arrays, on %s', (engine) => {
  beforeAll(async () => {
    if (engine === 'jit') await loadJitEngine();
  }, 120_000);
  const packet = casePacket('ipv4_udp');

  it('a test run gets fresh storage each call (its repeats share it); the map stays empty', () => {
    const i = new ObjectInstance(caseObject('cgmaps'));
    runProgram(i, 'cg_storage', { packet, engine, repeat: 3 });
    expect(seen(i).slice(0, 4)).toEqual([BigInt(2 * (packet.length - 14)), 2n, BigInt(3 * (packet.length - 14)), 3n]);
    runProgram(i, 'cg_storage', { packet, engine });
    expect(seen(i).slice(0, 2)).toEqual([0n, 0n]);
    expect(i.map('cg_bytes').entries()).toEqual([]);
  });

  it('an attached program keeps its cgroup\'s storage across runs; user space reads and writes it', () => {
    const i = new ObjectInstance(caseObject('cgmaps'), { cpus: 2 });
    const bytes = mapOf<CgroupStorageMap>(i, 'cg_bytes');
    const pkts = mapOf<CgroupStorageMap>(i, 'cg_pkts');
    const key = bytes.attach(1n, BPF_CGROUP_INET_INGRESS);
    pkts.attach(1n, BPF_CGROUP_INET_INGRESS);
    expect([...key]).toEqual([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    runProgram(i, 'cg_storage', { packet, engine });
    runProgram(i, 'cg_storage', { packet, engine, cpu: 1 });
    const len = BigInt(packet.length - 14);
    expect(Buffer.from(bytes.sysLookup(key) as Uint8Array).readBigUInt64LE(0)).toBe(2n * len);
    // Per-CPU storage: one count on each CPU.
    const per = Buffer.from(pkts.sysLookup(key) as Uint8Array);
    expect([per.readUInt32LE(0), per.readUInt32LE(8)]).toEqual([1, 1]);
    expect(bytes.sysUpdate(key, new Uint8Array(8), 2)).toBe(0);
    expect(bytes.sysUpdate(bytes.keyOf(9n, 0), new Uint8Array(8), 0)).toBe(-Errno.ENOENT);
    expect(bytes.sysUpdate(key, new Uint8Array(8), 1)).toBe(-Errno.EINVAL);
    expect(bytes.sysDelete(key)).toBe(-Errno.EINVAL);
    expect(bytes.entries().map((e) => e.key)).toEqual([key]);
    // Another cgroup's task gets a run's own storage.
    const other = new ObjectInstance(caseObject('cgmaps'), { task: { cgroupId: 9n } });
    mapOf<CgroupStorageMap>(other, 'cg_bytes').attach(1n, BPF_CGROUP_INET_INGRESS);
    runProgram(other, 'cg_storage', { packet, engine });
    expect(seen(other)[0]).toBe(0n);
  });

  it('cgroup arrays: 1 for the task\'s cgroup or an ancestor, 0 for another, -EAGAIN empty, -E2BIG past the end', () => {
    const i = new ObjectInstance(caseObject('cgmaps'), { task: { cgroupId: 42n, cgroupAncestors: [1n, 7n] } });
    const arr = mapOf<CgroupArrayMap>(i, 'cgroups');
    runProgram(i, 'tc_under', { packet, engine });
    expect(seen(i).slice(4)).toEqual([BigInt(-Errno.EAGAIN), BigInt(-Errno.E2BIG)]);
    for (const [id, want] of [[42n, 1n], [7n, 1n], [8n, 0n]] as const) {
      arr.setCgroup(0, id);
      runProgram(i, 'tc_under', { packet, engine });
      expect(seen(i)[4], String(id)).toBe(want);
    }
    expect(arr.setCgroup(2, 1n)).toBe(-Errno.E2BIG);
    expect(arr.sysLookup(new Uint8Array(4))).toBe(-Errno.EOPNOTSUPP);
    expect(arr.sysDelete(new Uint8Array([1, 0, 0, 0]))).toBe(-Errno.ENOENT);
    expect(arr.sysDelete(new Uint8Array(4))).toBe(0);
  });
});
