/**
 * Every recorded kernel case through bpfkit, field by field: the return value, the packet after
 * the run, every map's entries, the ring buffer records, the bpf_printk lines of the trace buffer
 * (and, for inputs BPF_PROG_TEST_RUN refuses, the same errno). Runs on the interpreter, and on the JIT when it is available.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ObjectInstance } from '../../src/helpers/kernel.js';
import { TestRunError } from '../../src/run/context.js';
import { loadJitEngine, type EngineKind } from '../../src/run/engine.js';
import { toKernelJson } from '../../src/run/kernel-json.js';
import { verifyForRun } from '../../src/run/verify-hook.js';
import { runProgram } from '../../src/run/program.js';
import { caseObject, casePacket, kernelCases, VERDICT_PENDING } from './cases.js';

const CASES = kernelCases();
const ENGINES: EngineKind[] = ['interp', 'jit'];


/** The load-time verdict `bpfkit run` gives each object (the kernel accepted every one). */
const verdicts = new Map<string, boolean>();
const accepted = (object: string): boolean => {
  let v = verdicts.get(object);
  if (v === undefined) {
    v = verifyForRun(caseObject(object)).accepted;
    verdicts.set(object, v);
  }
  return v;
};

describe.each(ENGINES)('recorded kernel cases on %s', (engine) => {
  beforeAll(async () => {
    if (engine === 'jit') await loadJitEngine();
  }, 120_000);

  it('has cases', () => {
    expect(CASES.length).toBeGreaterThan(100);
  });

  for (const c of CASES) {
    it(c.id, () => {
      const instance = new ObjectInstance(caseObject(c.object), { cpus: 2 });
      const packet = casePacket(c.packet);
      if (!VERDICT_PENDING.has(c.object)) expect(accepted(c.object), 'accepted').toBe(c.expected.accepted);
      if (c.expected.testRunErrno !== undefined) {
        let err: unknown;
        try {
          runProgram(instance, c.program, { packet, engine });
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(TestRunError);
        expect((err as TestRunError).errno).toBe(c.expected.testRunErrno);
        return;
      }
      const result = runProgram(instance, c.program, { packet, engine });
      expect(result.error?.message).toBeUndefined();
      const got = toKernelJson(instance, result, c.expected.accepted);
      expect(got.retval, 'retval').toBe(c.expected.retval);
      expect(got.packet, 'packet').toBe(c.expected.packet);
      expect(Object.keys(got.maps ?? {}), 'map names and order').toEqual(Object.keys(c.expected.maps ?? {}));
      for (const [name, entries] of Object.entries(c.expected.maps ?? {})) {
        expect(got.maps?.[name], `map ${name}`).toEqual(entries);
      }
      expect(got.ringbuf, 'ringbuf').toEqual(c.expected.ringbuf);
      expect(got.printk, 'printk').toEqual(c.expected.printk);
    });
  }
});
