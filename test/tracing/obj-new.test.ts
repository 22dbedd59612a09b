/**
 * bpf_obj_new / bpf_obj_drop (issue 16): an object of the program's own BTF type, named by the
 * constant bpf_core_type_id_local gives; owned (a reference) until dropped; its special fields
 * out of reach. Kernel verdicts of these fixtures are in verdicts.test.ts; these check the why.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadObject } from '../../src/loader/load.js';
import { verifyProgram } from '../../src/verifier/index.js';

const D = join(import.meta.dirname, '..', '..', 'fixtures/tracing');
const BTF = new Uint8Array(readFileSync(join(D, 'build/kernel.btf')));
const verify = (name: string) => {
  const obj = loadObject(new Uint8Array(readFileSync(join(D, 'build', `${name}.o`))), { btf: BTF });
  return verifyProgram(obj, obj.programs[0]!.name);
};

describe('bpf_obj_new and bpf_obj_drop', () => {
  it('allocates the program\'s own struct: its fields are read and written, the drop releases it', () => {
    expect(verify('obj_new')).toMatchObject({ accepted: true });
  });
  it('reports an object not dropped on some path as a leak, naming the allocation', () => {
    const r = verify('reject_obj_leak');
    expect(r.accepted).toBe(false);
    expect(r.errors[0]!.message).toMatch(/unreleased reference .*object allocated by bpf_obj_new_impl/);
  });
  it('makes the pointer a number once dropped', () => {
    expect(verify('reject_obj_use_after_drop').errors[0]!.message).toMatch(/its reference was released by bpf_obj_drop_impl/);
  });
  it('refuses to drop an object that may be NULL', () => {
    expect(verify('reject_obj_drop_null').errors[0]!.message).toBe('Possibly NULL pointer passed to trusted arg0');
  });
  it('refuses direct access to a special field', () => {
    expect(verify('reject_obj_special_field').errors[0]!.message).toBe('direct access to bpf_spin_lock is disallowed');
  });
});
