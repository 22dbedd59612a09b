/**
 * Kernel BTF (issue 16, part 3): opened lazily (a type decoded when first asked for) and once per
 * process; attach targets looked up where libbpf looks, a missing one failing the load as libbpf does.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findAttachTarget, kernelBtf, parseBtf, parseBtfLazy } from '../../src/btf/index.js';
import { loadObject } from '../../src/loader/load.js';
import { verifyProgram } from '../../src/verifier/index.js';

const ROOT = join(import.meta.dirname, '..', '..');
const read = (p: string): Uint8Array => new Uint8Array(readFileSync(join(ROOT, p)));
const KERNEL = read('fixtures/tracing/build/kernel.btf');

describe('lazy BTF', () => {
  it.each(['fixtures/tracing/build/kernel.btf', 'fixtures/build/core_target_moved.btf', 'fixtures/build/core_target_moved.eb.btf'])(
    'decodes every type of %s as the full parse does, and finds them by name',
    (path) => {
      const bytes = read(path);
      const full = parseBtf(bytes);
      const lazy = parseBtfLazy(bytes);
      expect(lazy.length).toBe(full.length);
      expect(lazy.decodedCount).toBe(1); // only void so far
      for (const t of full.types) if (t.kind !== 'VOID' && t.name !== '') expect(lazy.named(t.name).map((x) => x.id)).toEqual(full.named(t.name).map((x) => x.id));
      for (let id = 0; id < full.length; id++) expect(lazy.types[id]).toEqual(full.types[id]);
      expect([...lazy.namedIds()].sort((a, b) => a[1] - b[1])).toEqual([...full.namedIds()]);
    },
  );

  it('decodes only what is asked for', () => {
    const lazy = parseBtfLazy(KERNEL);
    lazy.named('task_struct');
    expect(lazy.decodedCount).toBeLessThan(5);
  });

  it('is opened once per process for the same bytes or key', () => {
    expect(kernelBtf(KERNEL)).toBe(kernelBtf(KERNEL));
    const a = kernelBtf(new Uint8Array(KERNEL), 'k1');
    expect(kernelBtf(new Uint8Array(KERNEL), 'k1')).toBe(a);
  });

  it('refuses malformed BTF with one line', () => {
    const bad = new Uint8Array(KERNEL);
    bad[0] = 0;
    expect(() => parseBtfLazy(bad)).toThrow(/bad magic/);
    expect(() => parseBtfLazy(KERNEL.subarray(0, KERNEL.length - 1))).toThrow(/past end|NUL-terminated/);
  });
});

describe('attach targets', () => {
  const btf = kernelBtf(KERNEL);
  it('finds the prototype libbpf would: btf_trace_ typedefs, functions, bpf_lsm_ and bpf_iter_ stubs', () => {
    const tp = findAttachTarget(btf, 'tp_btf', 'sched_process_exec')!;
    expect(tp.btfName).toBe('btf_trace_sched_process_exec');
    expect(tp.args).toHaveLength(3); // the tracepoint's void *__data is not the program's
    expect(findAttachTarget(btf, 'fentry', 'do_unlinkat')!.args.map((a) => a.name)).toEqual(['dfd', 'name']);
    expect(findAttachTarget(btf, 'lsm', 'file_open')!.btfName).toBe('bpf_lsm_file_open');
    const it = findAttachTarget(btf, 'iter', 'task')!;
    expect(it.iterContext).toBe(btf.find('bpf_iter__task', 'STRUCT')!.id);
    expect(findAttachTarget(btf, 'fentry', 'no_such_function')).toBeUndefined();
  });

  it('a missing one fails the program with the error libbpf gives (the rest of the object loads)', () => {
    const obj = read('fixtures/tracing/build/fentry_unlink.o');
    const other = read('fixtures/build/core_target_moved.btf');
    const bad = loadObject(obj, { btf: other });
    expect(bad.programs[0]!.attachError).toMatch(/^prog 'unlink_entry': failed to find kernel BTF type ID of 'do_unlinkat': -3/);
    // libbpf stops before the kernel's verifier sees the program: no verdict, the reason instead
    expect(bad.programs[0]!.notVerifiable).toBe(bad.programs[0]!.attachError);
    expect(() => verifyProgram(bad, 'unlink_entry')).toThrow(/not verified: prog 'unlink_entry': failed to find kernel BTF type ID of 'do_unlinkat': -3/);
    const ok = loadObject(obj, { btf: KERNEL });
    expect(ok.programs.map((p) => p.attachBtf?.btfName)).toEqual(['do_unlinkat', 'do_unlinkat']);
    expect(ok.kernelBtf).toBe(kernelBtf(KERNEL));
  });
});
