/**
 * Local storage maps (task, socket; maps/local-storage.ts) and their helpers, on both engines,
 * with fixtures/kernel-cases/src/storage.c (the kernel's verifier accepts both programs; the
 * kernel has no test run for cgroup_sock, and kernel-run cannot feed a raw tracepoint's context,
 * so the semantics follow the kernel's bpf_local_storage).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ObjectInstance } from '../../src/helpers/kernel.js';
import { LocalStorageMap } from '../../src/helpers/maps/local-storage.js';
import { createMap, mapDefProblem } from '../../src/helpers/maps/create.js';
import { MapFlag, MapType } from '../../src/loader/kinds.js';
import { loadJitEngine, type EngineKind } from '../../src/run/engine.js';
import { runProgram } from '../../src/run/program.js';
import { caseObject } from '../kernel/cases.js';
import { env, mapDef } from './util.js';

const TASK = 0xffff888000100000n;
const out = (inst: ObjectInstance): bigint[] => {
  const v = Buffer.from(inst.map('.bss').get(0)!);
  return Array.from({ length: 8 }, (_, i) => v.readBigUInt64LE(i * 8));
};

describe.each<EngineKind>(['interp', 'jit'])('local storage on %s', (engine) => {
  beforeAll(async () => {
    if (engine === 'jit') await loadJitEngine();
  }, 120_000);

  it('task storage: absent, created from the initial value, kept across runs, deleted; bad flags answer NULL', () => {
    const inst = new ObjectInstance(caseObject('storage'));
    inst.kernel.currentTask = TASK;
    const map = inst.maps.find((m) => m.name === 'task_calls') as LocalStorageMap;
    expect(runProgram(inst, 'count_task', { args: [], engine }).retval).toBe(1);
    expect(out(inst).slice(0, 5)).toEqual([0n, 1n, 0xabcn, 0n, 99n]);
    expect(Buffer.from(map.ownerValue(TASK)!).readBigUInt64LE(0)).toBe(1n);
    expect(runProgram(inst, 'count_task', { args: [], engine }).retval).toBe(2);
    expect(out(inst)[0]).toBe(1n);
    expect(runProgram(inst, 'count_task', { args: [], engine }).retval).toBe(3);
    expect(out(inst)[4]).toBe(0n);
    expect(map.ownerValue(TASK)).toBeUndefined();
    expect(runProgram(inst, 'count_task', { args: [], engine }).retval).toBe(1);
  });

  it('another task has its own storage; a NULL task gets none', () => {
    const inst = new ObjectInstance(caseObject('storage'));
    const map = inst.maps.find((m) => m.name === 'task_calls') as LocalStorageMap;
    inst.kernel.currentTask = TASK;
    runProgram(inst, 'count_task', { args: [], engine });
    inst.kernel.currentTask = TASK + 0x1000n;
    expect(runProgram(inst, 'count_task', { args: [], engine }).retval).toBe(1);
    expect(map.entries().length).toBe(2);
    inst.kernel.currentTask = 0n;
    expect(runProgram(inst, 'count_task', { args: [], engine }).retval).toBe(0);
  });

  it('socket storage from a cgroup_sock hook: created zeroed, the same value on a second get', () => {
    const inst = new ObjectInstance(caseObject('storage'));
    expect(runProgram(inst, 'sock_mark', { socket: { protocol: 'udp', localIp: '0.0.0.0', localPort: 53 }, engine }).retval).toBe(1);
    expect(out(inst).slice(5, 7)).toEqual([17n, 1n]);
  });
});

describe('local storage maps from user space', () => {
  it('are created as the kernel creates them (int key, max_entries 0, BPF_F_NO_PREALLOC, BTF)', () => {
    const ok = { keySize: 4, valueSize: 16, maxEntries: 0, flags: MapFlag.NO_PREALLOC, btfKeyTypeId: 1, btfValueTypeId: 2 };
    for (const type of [MapType.SK_STORAGE, MapType.TASK_STORAGE, MapType.INODE_STORAGE, MapType.CGRP_STORAGE]) {
      expect(mapDefProblem(mapDef({ type, ...ok }), 2)).toBeUndefined();
      expect(mapDefProblem(mapDef({ type, ...ok, maxEntries: 1 }), 2)).toMatch(/max_entries must be 0/);
      expect(mapDefProblem(mapDef({ type, ...ok, flags: 0 }), 2)).toMatch(/BPF_F_NO_PREALLOC/);
      expect(mapDefProblem(mapDef({ type, ...ok, keySize: 8 }), 2)).toMatch(/key_size must be 4/);
      expect(mapDefProblem(mapDef({ type, ...ok, btfValueTypeId: 0 }), 2)).toMatch(/BTF/);
    }
  });

  it('owners are found by address; user space has no fds to name them (-EBADF)', () => {
    const m = createMap(mapDef({ type: MapType.TASK_STORAGE, keySize: 4, valueSize: 8, maxEntries: 0, flags: MapFlag.NO_PREALLOC, btfKeyTypeId: 1, btfValueTypeId: 2 }), 0, env()) as LocalStorageMap;
    expect(m.storageGet(5n, undefined, false)).toBe(0);
    const a = m.storageGet(5n, new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]), true);
    expect(a).not.toBe(0);
    expect(m.storageGet(5n, undefined, true)).toBe(a);
    expect([...m.ownerValue(5n)!]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(m.storageDelete(5n)).toBe(0);
    expect(m.storageDelete(5n)).toBe(-2);
    expect(m.sysLookup()).toBe(-9);
  });
});
