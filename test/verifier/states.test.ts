/**
 * `verify --states`: the state proven before each instruction (checked at a packet bounds check
 * whose answer is known from the C source), and the shortest path to a rejection.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadObject } from '../../src/loader/index.js';
import { formatStates, toJson, verifyObject } from '../../src/verifier/index.js';

const ROOT = join(import.meta.dirname, '..', '..');
const FIX = join(ROOT, 'fixtures', 'verifier', 'build');
const load = (name: string) => loadObject(new Uint8Array(readFileSync(join(FIX, name))));
const stateAt = (states: ReadonlyArray<{ pc: number; state: readonly string[] }>, pc: number): string => states.find((s) => s.pc === pc)!.state.join('\n');

describe('verify --states', () => {
  it('after the bounds check `data + 34 > data_end` the packet is known to hold at least 34 bytes', () => {
    const [p] = verifyObject(load('accept_packet_last_byte.o'), { states: true }).programs;
    expect(p!.accepted).toBe(true);
    const states = p!.states!;
    // pc 5: if r3 > r2 goto +3 (r3 = data + 34); pc 6 is the fall-through, where the read happens
    expect(states.find((s) => s.pc === 5)!.instruction).toMatch(/^if r3 > r2 goto/);
    const after = stateAt(states, 6);
    expect(after).toMatch(/R1=pkt\(/);
    const lo = Number(/packet_size=\[(\d+),/.exec(after)![1]);
    expect(lo).toBeGreaterThanOrEqual(34);
    // before the check nothing is known about the packet's size
    expect(stateAt(states, 5)).not.toMatch(/packet_size=\[/);
    // the two successors of the conditional differ (pc 9 is also reached with a short packet)
    expect(stateAt(states, 6)).not.toBe(stateAt(states, 9));
    expect(stateAt(states, 9)).not.toMatch(/packet_size=\[34/);
    expect(states.find((s) => s.pc === 6)!.source).toBe('accept_packet_last_byte.c:13');
  });

  it('collects nothing unless asked', () => {
    const [p] = verifyObject(load('accept_packet_last_byte.o')).programs;
    expect(p!.states).toBeUndefined();
    const [r] = verifyObject(load('reject_packet_oob.o')).programs;
    expect(r!.errors[0]!.path).toBeUndefined();
  });

  it('gives the shortest path from the entry to a rejection, with a state at each step', () => {
    const [p] = verifyObject(load('reject_packet_oob.o'), { states: true }).programs;
    expect(p!.accepted).toBe(false);
    const e = p!.errors[0]!;
    const path = e.path!;
    expect(path[0]!.pc).toBe(0);
    expect(path[path.length - 1]!.pc).toBe(e.pc);
    expect(path.map((s) => s.pc)).toEqual([0, 1, 2, 3, 4, 5]);
    for (const s of path) expect(s.state.length).toBeGreaterThan(0);
    // instructions after the failing one in its block get no state (the check stops there)
    expect(p!.states!.find((s) => s.pc === 6)!.unreachable).toBe(true);
    const text = formatStates({ programs: [p!] });
    expect(text).toContain('path to the error at pc 5');
    const json = toJson({ programs: [p!] }, { states: true }) as { programs: Array<{ states?: unknown[]; errors: Array<{ path?: unknown[] }> }> };
    expect(json.programs[0]!.states!.length).toBe(p!.states!.length);
    expect(json.programs[0]!.errors[0]!.path!.length).toBe(6);
    const plain = toJson({ programs: [p!] }) as { programs: Array<Record<string, unknown>> };
    expect(plain.programs[0]!.states).toBeUndefined();
  });

  it('marks unreachable instructions and works on a program with maps (xdp_counter)', () => {
    const [p] = verifyObject(loadObject(new Uint8Array(readFileSync(join(ROOT, 'fixtures', 'build', 'xdp_counter.o')))), { states: true }).programs;
    expect(p!.states!.length).toBeGreaterThan(0);
    expect(p!.states![0]!.state.join(' ')).toMatch(/R1=ctx/);
  });

  const CLI = join(ROOT, 'dist', 'src', 'cli.js');
  it.skipIf(!existsSync(CLI))('the CLI prints the states and the path', () => {
    const r = spawnSync(process.execPath, [CLI, 'verify', join(FIX, 'reject_packet_oob.o'), '--states'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('states before each instruction');
    expect(r.stdout).toMatch(/path to the error at pc 5 \(6 steps from the entry\)/);
    expect(r.stdout).toMatch(/; reject_packet_oob\.c:14: return p\[14\]/);
  });
});
