/**
 * bpf_timer on the simulated clock: the recorded kernel case (timers.c) covers the helpers' answers
 * during a run; here the callbacks fire as the test advances time, on both engines.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ObjectInstance } from '../../src/helpers/kernel.js';
import { loadJitEngine, type EngineKind } from '../../src/run/engine.js';
import { runProgram } from '../../src/run/program.js';
import { advanceTime } from '../../src/run/timers.js';
import { caseObject, casePacket } from '../kernel/cases.js';

const elem = (inst: ObjectInstance) => {
  const v = inst.map('timers').get(1)!;
  const dv = new DataView(v.buffer, v.byteOffset);
  return { fired: dv.getBigUint64(16, true), last: dv.getBigUint64(24, true) };
};

describe.each<EngineKind>(['interp', 'jit'])('bpf_timer on %s', (engine) => {
  beforeAll(async () => {
    if (engine === 'jit') await loadJitEngine();
  }, 120_000);

  it('fires when time passes its expiry, with the map, key and value, and re-arms', () => {
    const inst = new ObjectInstance(caseObject('timers'));
    const start = inst.kernel.clock.now();
    const r = runProgram(inst, 'timer_ops', { packet: casePacket('ipv4_udp'), engine });
    expect(r.error).toBeUndefined();
    expect(advanceTime(inst, 999_999_999n, { engine })).toEqual([]);
    expect(elem(inst).fired).toBe(0n);
    const fired = advanceTime(inst, 1n, { engine });
    expect(fired.map((f) => [f.at - start, f.r0, f.printk])).toEqual([[1_000_000_000n, 0n, ['timer 1 fired 1']]]);
    expect(elem(inst)).toEqual({ fired: 1n, last: start + 1_000_000_000n });
    // The callback started it again 1000 ns later, twice.
    const more = advanceTime(inst, 10_000n, { engine });
    expect(more.map((f) => f.at - start)).toEqual([1_000_001_000n, 1_000_002_000n]);
    expect(more.map((f) => f.printk[0])).toEqual(['timer 1 fired 2', 'timer 1 fired 3']);
    expect(elem(inst).fired).toBe(3n);
    expect(advanceTime(inst, 1_000_000n, { engine })).toEqual([]);
    expect(inst.kernel.clock.now() - start).toBe(1_001_010_000n);
  });

  it('a second run re-initialises nothing: init is -EBUSY, the timer keeps its state', () => {
    const inst = new ObjectInstance(caseObject('timers'));
    runProgram(inst, 'timer_ops', { packet: casePacket('ipv4_udp'), engine });
    runProgram(inst, 'timer_ops', { packet: casePacket('ipv4_udp'), engine });
    const res = inst.map('.bss').get(0)!;
    const dv = new DataView(res.buffer, res.byteOffset);
    expect(dv.getBigInt64(8, true)).toBe(-16n);
  });
});
