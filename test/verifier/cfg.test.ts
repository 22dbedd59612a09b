/** The CFG builder (blocks, assume edges, inlined calls, loop counters) and Bourdoncle's WTO. */
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/isa/asm.js';
import { buildCfg } from '../../src/verifier/cfg/build.js';
import { weakTopologicalOrder, wtoToString } from '../../src/verifier/cfg/wto.js';

const cfgOf = (asm: string) => buildCfg({ instructions: assemble(asm), functions: [{ name: 'main', slot: 0 }], endian: 'little' });

describe('weak topological order', () => {
  it('orders a DAG topologically', () => {
    const g: Record<number, number[]> = { 0: [1, 2], 1: [3], 2: [3], 3: [] };
    expect(wtoToString(weakTopologicalOrder(0, (v) => g[v]!).elements)).toBe('0 2 1 3');
  });

  it('nests loops as components with their heads first', () => {
    // 0 -> 1 -> 2 -> 3 -> 1 (outer), 2 -> 2 (inner self-loop), 3 -> 4
    const g: Record<number, number[]> = { 0: [1], 1: [2], 2: [2, 3], 3: [1, 4], 4: [] };
    const w = weakTopologicalOrder(0, (v) => g[v]!);
    expect(wtoToString(w.elements)).toBe('0 (1 (2) 3) 4');
    expect(w.nesting.get(2)).toEqual([1, 2]);
    expect(w.nesting.get(3)).toEqual([1]);
    expect(w.nesting.has(4)).toBe(false);
  });

  it('handles thousands of vertices without recursion', () => {
    const n = 20000;
    const w = weakTopologicalOrder(0, (v) => (v + 1 < n ? [v + 1] : [0]));
    expect(w.elements.length).toBe(1);
    expect(w.elements[0]!.kind).toBe('component');
  });
});

describe('CFG', () => {
  it('splits conditional jumps into two assume edges', () => {
    const cfg = cfgOf('mov %r0, 0\njeq %r1, 0, +1\nmov %r0, 1\nexit');
    const assumes = cfg.blocks.flatMap((b) => b.nodes).filter((n) => n.stmt.kind === 'assume');
    expect(assumes.map((n) => (n.stmt as { op: string }).op).sort()).toEqual(['eq', 'ne']);
    expect(cfg.errors).toEqual([]);
  });

  it('reports unreachable instructions, jumps out of range and a bad last instruction', () => {
    expect(cfgOf('mov %r0, 0\nja +1\nmov %r0, 1\nexit').errors[0]!.message).toMatch(/unreachable/);
    expect(cfgOf('mov %r0, 0\nja +5\nexit').errors[0]!.message).toMatch(/out of range/);
    expect(cfgOf('mov %r0, 0').errors[0]!.message).toMatch(/not an exit/);
  });

  it('inlines a sub-program once per call site, between enter and leave', () => {
    const cfg = cfgOf('call local f\ncall local f\nexit\nf:\nmov %r0, 1\nexit');
    const enters = cfg.blocks.flatMap((b) => b.nodes).filter((n) => n.stmt.kind === 'enter');
    expect(enters.length).toBe(2);
    expect(cfg.contexts.map((c) => c.chain.map((x) => x.callSite))).toEqual([[], [0], [1]]);
  });

  it('rejects recursion', () => {
    const cfg = cfgOf('call local f\nexit\nf:\ncall local f\nexit');
    expect(cfg.errors[0]!.message).toMatch(/recursive/);
  });

  it('gives each loop a counter, reset on entry and counted at the head', () => {
    const cfg = cfgOf('mov %r1, 0\nloop:\nadd %r1, 1\njlt %r1, 10, loop\nmov %r0, 0\nexit');
    expect(cfg.loops.length).toBe(1);
    const kinds = cfg.blocks.flatMap((b) => b.nodes.map((n) => n.stmt.kind));
    expect(kinds.filter((k) => k === 'loopHead').length).toBe(1);
    expect(kinds.filter((k) => k === 'loopEntry').length).toBe(1);
  });
});
