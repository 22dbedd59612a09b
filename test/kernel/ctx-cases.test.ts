/**
 * The recorded kernel cases of program types whose BPF_PROG_TEST_RUN takes a context
 * (fixtures/kernel-cases/ctx: sk_lookup, raw tracepoints): the return value, ctx_out, the packet, every map,
 * ring buffer records and printk lines, field by field, on the interpreter and the JIT; inputs the
 * test run refuses give the same errno.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ObjectInstance } from '../../src/helpers/kernel.js';
import { TestRunError } from '../../src/run/context.js';
import { loadJitEngine, type EngineKind } from '../../src/run/engine.js';
import { toKernelJson } from '../../src/run/kernel-json.js';
import { runProgram, type RunResult } from '../../src/run/program.js';
import { verifyForRun } from '../../src/run/verify-hook.js';
import { hexOf } from '../../src/helpers/maps/map.js';
import { caseObject, CASES_DIR } from './cases.js';
import { loadObject } from '../../src/loader/index.js';
import type { BpfObject } from '../../src/loader/model.js';

/** netfilter.o reads kernel structs: it is loaded with the kernel BTF of those structs (build/nf-kernel.btf), as libbpf loads against the kernel's. */
const NEEDS_BTF = new Set(['netfilter']);
const withBtf = new Map<string, BpfObject>();
const objectOf = (name: string): BpfObject => {
  if (!NEEDS_BTF.has(name)) return caseObject(name);
  let o = withBtf.get(name);
  if (o === undefined) {
    const build = join(CASES_DIR, 'build');
    o = loadObject(new Uint8Array(readFileSync(join(build, `${name}.o`))), { btf: new Uint8Array(readFileSync(join(build, 'nf-kernel.btf'))) });
    withBtf.set(name, o);
  }
  return o;
};

const DIR = join(CASES_DIR, 'ctx');
const CASES = readdirSync(join(DIR, 'expected'))
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => {
    const [object, program, input] = f.replace(/\.json$/, '').split('.') as [string, string, string];
    return { id: `${object}.${program}.${input}`, object, program, input, expected: JSON.parse(readFileSync(join(DIR, 'expected', f), 'utf8')) };
  });

const inputOf = (name: string): { ctx: Uint8Array; packet?: Uint8Array } => {
  // NAME.args: a raw tracepoint's u64 arguments; NAME.nf: a netfilter hook state; NAME.ctx: any other context.
  const file = ['args', 'nf', 'ctx'].map((ext) => join(DIR, 'inputs', `${name}.${ext}`)).find((f) => existsSync(f))!;
  const ctx = new Uint8Array(readFileSync(file));
  const bin = join(DIR, 'inputs', `${name}.bin`);
  return existsSync(bin) ? { ctx, packet: new Uint8Array(readFileSync(bin)) } : { ctx };
};

const results = new Map<string, Map<EngineKind, RunResult>>();

describe.each<EngineKind>(['interp', 'jit'])('recorded kernel cases with a context (ctx_in) on %s', (engine) => {
  beforeAll(async () => {
    if (engine === 'jit') await loadJitEngine();
  }, 120_000);

  it('has cases', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(13);
  });

  for (const c of CASES) {
    it(c.id, () => {
      expect(verifyForRun(objectOf(c.object)).accepted, 'accepted').toBe(c.expected.accepted);
      const instance = new ObjectInstance(objectOf(c.object), { cpus: 2 });
      const input = inputOf(c.input);
      if (c.expected.testRunErrno !== undefined) {
        let err: unknown;
        try {
          runProgram(instance, c.program, { ...input, engine });
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(TestRunError);
        expect((err as TestRunError).errno).toBe(c.expected.testRunErrno);
        return;
      }
      const result = runProgram(instance, c.program, { ...input, engine });
      expect(result.error?.message).toBeUndefined();
      const got = toKernelJson(instance, result, true);
      expect(got.retval, 'retval').toBe(c.expected.retval);
      expect(got.packet, 'packet').toBe(c.expected.packet);
      expect(result.ctx === undefined ? '' : hexOf(result.ctx), 'ctx').toBe(c.expected.ctx);
      expect(got.maps, 'maps').toEqual(c.expected.maps);
      expect(got.ringbuf, 'ringbuf').toEqual(c.expected.ringbuf);
      expect(got.printk, 'printk').toEqual(c.expected.printk);
      let byEngine = results.get(c.id);
      if (byEngine === undefined) results.set(c.id, (byEngine = new Map()));
      byEngine.set(engine, result);
    });
  }
});

describe('ctx cases: the interpreter and the JIT agree field by field', () => {
  it('on every case both ran', () => {
    for (const [id, byEngine] of results) {
      const a = byEngine.get('interp');
      const b = byEngine.get('jit');
      if (a === undefined || b === undefined) continue;
      expect({ ...b, executed: 0, engineNs: 0 }, id).toEqual({ ...a, executed: 0, engineNs: 0 });
    }
  });
});
