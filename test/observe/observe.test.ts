import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { conformanceHelpers } from '../../src/run/raw.js';
import { prepareProgram } from '../../src/helpers/exec-program.js';
import { Memory } from '../../src/helpers/memory.js';
import { assemble } from '../../src/isa/asm.js';
import type { Instruction } from '../../src/isa/instruction.js';
import { CoverageCollector } from '../../src/observe/coverage.js';
import { ProfileCollector } from '../../src/observe/profile.js';
import { TraceRecorder, formatTrace, traceToJsonLines } from '../../src/observe/trace.js';
import { Interpreter } from '../../src/vm/interpreter.js';

const require = createRequire(import.meta.url);
type LcovRecord = {
  file: string;
  lines: { found: number; hit: number; details: Array<{ line: number; hit: number }> };
  branches: { found: number; hit: number; details: Array<{ line: number; block: number; branch: number; taken: number }> };
  functions: { found: number; hit: number; details: Array<{ name: string; line: number; hit?: number }> };
};
const lcovParse = require('lcov-parse') as { source: (text: string, cb: (err: unknown, data: LcovRecord[]) => void) => void };

/** A program whose instructions carry made-up source lines, as BTF line info would give. */
function program(): Instruction[] {
  const ins = assemble(`
    ldxb %r2, [%r1+0]
    mov %r0, 1
    jeq %r2, 7, +2
    mov %r0, 2
    stxb [%r1+1], %r0
    exit`);
  const lines = [10, 11, 12, 13, 14, 15];
  ins.forEach((x, i) => (x.meta = { source: { file: 'demo.c', line: lines[i]!, column: 1, text: `line ${lines[i]}` } }));
  ins[0]!.meta!.func = 'demo';
  return ins;
}


describe('trace', () => {
  it('records each instruction with source line, register writes and memory accesses', () => {
    const rec = new TraceRecorder();
    const prog = prepareProgram('demo', program());
    const memory = new Memory();
    const region = memory.allocBytes('mem', 'mem', Uint8Array.from([3, 0]));
    rec.attach(prog, memory);
    const vm = new Interpreter(prog, memory, conformanceHelpers(), { hook: rec.hook });
    expect(vm.run([BigInt(region.start), 2n])).toBe(2n);
    rec.finish();
    const e = rec.entries;
    expect(e.map((x) => x.pc)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(e[0]).toMatchObject({ step: 0, pc: 0, insn: 'r2 = *(u8 *)(r1 + 0x0)', source: { file: 'demo.c', line: 10 } });
    expect(e[0]!.mem).toEqual({ kind: 'read', address: region.start, size: 1, region: 'mem', value: '0x3' });
    expect(e[0]!.writes).toEqual([{ reg: 'r2', value: '0x3' }]);
    expect(e[4]!.mem).toMatchObject({ kind: 'write', size: 1, region: 'mem', value: '0x2' });
    expect(e.at(-1)).toMatchObject({ pc: 5, insn: 'exit', writes: [] });
    const text = formatTrace(e);
    expect(text.split('\n')[0]).toBe('; demo.c:10: line 10');
    expect(traceToJsonLines(e).split('\n')).toHaveLength(6);
  });

  it('stops storing at the limit but keeps counting', () => {
    const rec = new TraceRecorder({ limit: 2 });
    const prog = prepareProgram('demo', program());
    const memory = new Memory();
    const region = memory.allocBytes('mem', 'mem', Uint8Array.from([7, 0]));
    rec.attach(prog, memory);
    new Interpreter(prog, memory, conformanceHelpers(), { hook: rec.hook }).run([BigInt(region.start), 2n]);
    expect(rec.entries).toHaveLength(2);
    expect(rec.executed).toBe(4);
    expect(rec.truncated).toBe(true);
  });
});

describe('coverage', () => {
  it('counts lines and both edges of a branch over runs, and writes lcov a real reader parses', async () => {
    const cov = new CoverageCollector();
    const prog = prepareProgram('demo', program(), undefined, [{ name: 'demo', slot: 0 }]);
    for (const first of [7, 3, 3]) {
      const memory = new Memory();
      const region = memory.allocBytes('mem', 'mem', Uint8Array.from([first, 0]));
      new Interpreter(prog, memory, conformanceHelpers(), { hook: cov.hookFor(prog) }).run([BigInt(region.start), 2n]);
    }
    const c = cov.of(prog);
    expect([...c.hits]).toEqual([3, 3, 3, 2, 2, 3]);
    expect(c.branches.get(2)).toEqual([1, 2]);
    const lcov = cov.toLcov('unit');
    const records = await new Promise<LcovRecord[]>((resolve, reject) => lcovParse.source(lcov, (err, data) => (err ? reject(err) : resolve(data))));
    expect(records).toHaveLength(1);
    const r = records[0]!;
    expect(r.file).toBe('demo.c');
    expect(r.lines.details.find((d) => d.line === 13)?.hit).toBe(2);
    expect(r.lines).toMatchObject({ found: 6, hit: 6 });
    expect(r.branches.details).toEqual([
      { line: 12, block: 0, branch: 0, taken: 1 },
      { line: 12, block: 0, branch: 1, taken: 2 },
    ]);
    expect(r.functions.details[0]).toMatchObject({ name: 'demo', line: 10, hit: 3 });
  });

  it('reports a never-evaluated branch as "-"', () => {
    const cov = new CoverageCollector();
    const prog = prepareProgram('demo', program());
    cov.of(prog);
    expect(cov.toLcov()).toContain('BRDA:12,0,0,-');
  });
});

describe('profile', () => {
  it('attributes instruction counts to lines and measured time to helpers', () => {
    let t = 0;
    const prof = new ProfileCollector(() => t);
    const prog = prepareProgram('demo', assemble('mov %r1, 1\ncall 5\nexit'));
    const helpers = prof.wrapHelpers({ get: (id) => (id === 5 ? () => ((t += 0.003), 0n) : undefined), nameOf: () => 'bpf_helper_5' });
    const memory = new Memory();
    new Interpreter(prog, memory, helpers, { hook: prof.hookFor(prog) }).run();
    prof.countedRun();
    prof.timed(() => {
      t += 0.001;
      new Interpreter(prog, memory, helpers).run();
    });
    const rep = prof.report();
    expect(rep.instructions).toBe(3);
    expect(rep.helpers).toEqual([{ name: 'bpf_helper_5', count: 1, ns: 3000, share: 0.75 }]);
    expect(rep.helperShare).toBeCloseTo(0.75);
    expect(rep.lines.reduce((a, l) => a + l.share, 0)).toBeCloseTo(0.25);
  });

  it("takes the clock's own cost out of each timed helper call", () => {
    let t = 0;
    // Each helper call measures 3 us, of which 1 us is the clock read around it.
    const prof = new ProfileCollector(() => t, 1000);
    const prog = prepareProgram('demo', assemble('call 5\ncall 5\nexit'));
    const helpers = prof.wrapHelpers({ get: (id) => (id === 5 ? () => ((t += 0.003), 0n) : undefined), nameOf: () => 'bpf_helper_5' });
    prof.timed(() => {
      t += 0.002;
      new Interpreter(prog, new Memory(), helpers).run();
    });
    const rep = prof.report();
    expect(rep.helpers).toEqual([{ name: 'bpf_helper_5', count: 2, ns: 4000, share: 0.5 }]);
    expect(rep.helperShare).toBeCloseTo(0.5);
  });
});
