/**
 * Coverage on the JIT: counters compiled into the code (block entries, taken jumps) must give
 * exactly the interpreter hook's slot hits, branch counts and lcov, faults and budget stops
 * included; without the option the module is untouched.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ObjectInstance } from '../../src/helpers/kernel.js';
import { compileProgram } from '../../src/jit/compile.js';
import { loadObject } from '../../src/loader/load.js';
import { CoverageCollector } from '../../src/observe/coverage.js';
import { loadJitEngine } from '../../src/run/engine.js';
import { runProgram, type RunOptions } from '../../src/run/program.js';

beforeAll(async () => {
  await loadJitEngine();
});

const packet = (name: string): Uint8Array => new Uint8Array(readFileSync(`fixtures/kernel-cases/packets/${name}.bin`));

interface Case {
  object: string;
  program: string;
  packets: string[];
  budget?: number;
}

const CASES: Case[] = [
  { object: 'fixtures/build/xdp_counter.o', program: '', packets: ['ipv4_udp', 'ipv6_udp', 'arp'] },
  { object: 'fixtures/kernel-cases/build/loops.o', program: 'loop_ops', packets: ['ipv4_udp', 'arp', 'min14'] },
  { object: 'fixtures/kernel-cases/build/faults.o', program: 'past_end', packets: ['ipv4_udp'] },
  { object: 'fixtures/kernel-cases/build/faults.o', program: 'unsupported_helper', packets: ['ipv4_udp'] },
  // Budgets that run out inside blocks (and inside bpf_loop callbacks).
  { object: 'fixtures/kernel-cases/build/faults.o', program: 'long_loop', packets: ['ipv4_udp'], budget: 5000 },
  { object: 'fixtures/kernel-cases/build/faults.o', program: 'long_loop', packets: ['min14'], budget: 5003 },
  { object: 'fixtures/kernel-cases/build/loops.o', program: 'loop_ops', packets: ['ipv4_udp'], budget: 777 },
  { object: 'fixtures/kernel-cases/build/tailcall.o', program: 'tc_entry', packets: ['ipv4_udp', 'min14'] },
  { object: 'fixtures/kernel-cases/build/parse.o', program: '', packets: ['ipv4_udp', 'ipv6_udp', 'vlan_ipv4', 'truncated_ipv4'] },
];

/** Runs every packet of `c` on a fresh instance with one collector; returns it and the outcomes. */
function cover(c: Case, engine: 'interp' | 'jit'): { cov: CoverageCollector; outcomes: string[] } {
  const obj = loadObject(new Uint8Array(readFileSync(c.object)));
  const instance = new ObjectInstance(obj);
  const name = c.program || obj.programs[0]!.name;
  const cov = new CoverageCollector();
  const outcomes: string[] = [];
  for (const p of c.packets) {
    const opts: RunOptions = { engine, packet: packet(p), instrument: cov.instrument(), repeat: 2 };
    if (c.budget !== undefined) opts.budget = c.budget;
    const r = runProgram(instance, name, opts);
    outcomes.push(`${r.retval} ${r.executed} ${r.error?.kind ?? ''}@${r.error?.pc ?? ''}`);
  }
  return { cov, outcomes };
}

describe('JIT coverage counters', () => {
  for (const c of CASES) {
    const label = `${c.object.replace(/.*\//, '')} ${c.program || '(first)'} on ${c.packets.join(', ')}${c.budget ? ` (budget ${c.budget})` : ''}`;
    it(`${label}: same hits, branches and lcov as the interpreter`, () => {
      const a = cover(c, 'interp');
      const b = cover(c, 'jit');
      expect(b.outcomes).toEqual(a.outcomes);
      const progs = a.cov.all();
      expect(b.cov.all().map((p) => p.program.name)).toEqual(progs.map((p) => p.program.name));
      for (const pa of progs) {
        const pb = b.cov.all().find((p) => p.program.name === pa.program.name)!;
        expect([...pb.hits]).toEqual([...pa.hits]);
        const sorted = (m: Map<number, [number, number]>): Array<[number, [number, number]]> => [...m].sort(([x], [y]) => x - y);
        expect(sorted(pb.branches)).toEqual(sorted(pa.branches));
      }
      expect(b.cov.toLcov('t')).toBe(a.cov.toLcov('t'));
    });
  }

  it('a coverage run leaves a plain JIT run untouched, and counts do not leak between runs', () => {
    const obj = loadObject(new Uint8Array(readFileSync('fixtures/build/xdp_counter.o')));
    const instance = new ObjectInstance(obj);
    const name = obj.programs[0]!.name;
    const cov = new CoverageCollector();
    runProgram(instance, name, { engine: 'jit', packet: packet('ipv4_udp'), instrument: cov.instrument() });
    const once = [...cov.all()[0]!.hits];
    runProgram(instance, name, { engine: 'jit', packet: packet('ipv4_udp') });
    runProgram(instance, name, { engine: 'jit', packet: packet('ipv4_udp'), instrument: cov.instrument() });
    expect([...cov.all()[0]!.hits]).toEqual(once.map((h) => h * 2));
  });

  it('without coverage the module has no counters and is the same size; with it, one per block and jump', () => {
    const obj = loadObject(new Uint8Array(readFileSync('fixtures/kernel-cases/build/loops.o')));
    const prog = new ObjectInstance(obj).execProgram(0);
    const plain = compileProgram(prog, 1 << 20, { optimize: 0, dispatch: 'relooper' });
    const off = compileProgram(prog, 1 << 20, { optimize: 0, dispatch: 'relooper', coverage: false });
    const on = compileProgram(prog, 1 << 20, { optimize: 0, dispatch: 'relooper', coverage: true });
    const counters = (m: WebAssembly.Module): string[] => WebAssembly.Module.exports(m).map((e) => e.name).filter((n) => /^c[bt]\d+$/.test(n));
    expect(counters(plain.module)).toEqual([]);
    expect(off.stats.bytes).toBe(plain.stats.bytes);
    expect(counters(on.module).filter((n) => n.startsWith('cb'))).toHaveLength(on.cfg.blocks.size);
    expect(on.stats.bytes).toBeGreaterThan(plain.stats.bytes);
  });
});
