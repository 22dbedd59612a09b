/** Traces and coverage on a real fixture, with answers known from its source. */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { ethernet, ipv4, ipv6, loadObject, udp } from '../../src/node.js';

const require = createRequire(import.meta.url);
type LcovRecord = { file: string; lines: { details: Array<{ line: number; hit: number }> }; branches: { details: Array<{ line: number; block: number; branch: number; taken: number }> } };
const lcovParse = require('lcov-parse') as { source: (text: string, cb: (err: unknown, data: LcovRecord[]) => void) => void };
const parse = (text: string): Promise<LcovRecord[]> => new Promise((res, rej) => lcovParse.source(text, (e, d) => (e ? rej(e) : res(d))));

const v4 = ethernet({ payload: ipv4({ src: '10.0.0.1', dst: '10.0.0.2', payload: udp({ sport: 1, dport: 2 }) }) });
const v6 = ethernet({ payload: ipv6({ src: '::1', dst: '::2' }) });

describe('trace of xdp_counter', () => {
  it('starts at the function entry and ends at exit, with lines, memory and helper calls', () => {
    const prog = loadObject('fixtures/build/xdp_counter.o').program('xdp_counter');
    const r = prog.run({ packet: v4, trace: true });
    const t = r.trace!;
    expect(t).toHaveLength(r.executed);
    expect(t[0]).toMatchObject({ step: 0, pc: 0, insn: 'r0 = 0x1', writes: [{ reg: 'r0', value: '0x1' }] });
    expect(t[0]!.source).toMatchObject({ file: './fixtures/src/xdp_counter.c', line: 26 });
    expect(t.at(-1)).toMatchObject({ insn: 'exit', writes: [] });
    const load = t.find((e) => e.mem?.region === 'xdp_md');
    expect(load?.source?.text).toContain('ctx->data');
    const call = t.find((e) => e.helper !== undefined);
    expect(call?.helper?.name).toBe('bpf_map_lookup_elem');
    expect(call?.source?.line).toBe(45);
    const ttl = t.find((e) => e.mem?.kind === 'write' && e.source?.line === 56);
    expect(ttl?.mem).toMatchObject({ region: 'packet', size: 1, value: '0x3f' });
  });
});

describe('coverage of xdp_counter', () => {
  it('counts the IPv4 branch taken on one packet and not on the other, as lcov', async () => {
    const obj = loadObject('fixtures/build/xdp_counter.o');
    const prog = obj.program('xdp_counter');
    prog.run({ packet: v4, coverage: true });
    prog.run({ packet: v4, coverage: true });
    prog.run({ packet: v6, coverage: true });
    const [rec] = await parse(obj.coverage.toLcov('xdp'));
    const hits = (line: number) => rec!.lines.details.find((d) => d.line === line)?.hit;
    expect(hits(26)).toBe(3); // function entry
    expect(hits(44)).toBe(2); // key = ip->protocol: IPv4 only
    expect(hits(56)).toBe(2); // ip->ttl--
    // line 36: if (eth->h_proto != bpf_htons(ETH_P_IP)); clang tests `== 8` and jumps on IPv4.
    const b36 = rec!.branches.details.filter((b) => b.line === 36).map((b) => b.taken);
    expect(b36).toEqual([2, 1]);
  });
});
