/** The profile of a helper-heavy fixture: bpf_loop runs its callback inside the helper. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ObjectInstance } from '../../src/helpers/kernel.js';
import { loadObject } from '../../src/loader/load.js';
import { profileProgram } from '../../src/run/bench.js';

describe('profile', () => {
  it('gives the helper of a bpf_loop-heavy program its share of the time, and counts its lines', () => {
    const obj = loadObject(new Uint8Array(readFileSync('fixtures/kernel-cases/build/loops.o')));
    const name = obj.programs[0]!.name;
    const packet = new Uint8Array(readFileSync('fixtures/kernel-cases/packets/ipv4_udp.bin'));
    const p = profileProgram(new ObjectInstance(obj), name, { packet }, 300);
    expect(p.runs).toBeGreaterThan(0);
    const loop = p.helpers.find((h) => h.name === 'bpf_loop');
    expect(loop).toBeDefined();
    expect(loop!.count).toBeGreaterThan(1);
    // The callbacks run inside bpf_loop, so it has a share of the time; how large a share is a
    // timing figure (bench/, not a test's pass or fail).
    expect(p.helperShare).toBeGreaterThan(0);
    expect(p.helperShare).toBeLessThanOrEqual(1);
    expect(p.lines.length).toBeGreaterThan(3);
    expect(p.lines.every((l) => /^\.\/fixtures\/kernel-cases\/src\/loops\.c:\d+$/.test(l.name))).toBe(true);
    expect(p.lines.reduce((a, l) => a + l.share, 0) + p.helperShare).toBeCloseTo(1, 1);
  });
});
