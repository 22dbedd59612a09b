/**
 * Trust of kernel pointers read out of other kernel objects (issue 16): the kernel's allow lists,
 * `__rcu`-tagged fields and RCU read sections. Kernel-recorded fixtures (rcu_fields,
 * reject_rcu_*) are in verdicts.test.ts; the `__rcu` tag case is checked here because this
 * machine's kernel BTF carries no type tags (a gcc-built kernel), so its kernel cannot show it.
 */
import { describe, expect, it } from 'vitest';
import { fieldTrust, isTrustedPointer } from '../../src/verifier/btf-trust.js';

const trusted = { ref: 0 };
const rcu = { ref: 0, rcu: true };
const plain = { ref: 0, untrusted: true };

describe('fieldTrust', () => {
  it('keeps full trust for BTF_TYPE_SAFE_TRUSTED fields, inside or outside RCU', () => {
    expect(fieldTrust('linux_binprm', 'file', trusted, false, false)).toEqual({ untrusted: false, rcu: false, nullable: false });
    expect(fieldTrust('socket', 'sk', trusted, false, true)).toEqual({ untrusted: false, rcu: false, nullable: true });
  });
  it('gives MEM_RCU for RCU-safe fields in an RCU section, possibly NULL for _OR_NULL ones and __rcu tags', () => {
    expect(fieldTrust('task_struct', 'real_parent', trusted, false, true)).toEqual({ untrusted: false, rcu: true, nullable: false });
    expect(fieldTrust('sk_buff', 'sk', trusted, false, true)).toEqual({ untrusted: false, rcu: true, nullable: true });
    expect(fieldTrust('task_struct', 'cred', trusted, true, true)).toEqual({ untrusted: false, rcu: true, nullable: true });
  });
  it('makes other fields plain, and everything untrusted outside an RCU section or from an untrusted parent', () => {
    expect(fieldTrust('task_struct', 'parent', trusted, false, true)).toMatchObject({ untrusted: true, rcu: false });
    expect(fieldTrust('task_struct', 'real_parent', trusted, false, false)).toMatchObject({ untrusted: true, rcu: false });
    expect(fieldTrust('task_struct', 'real_parent', plain, false, true)).toMatchObject({ untrusted: true });
    // a MEM_RCU pointer is not trusted: walking further gives plain pointers
    expect(fieldTrust('task_struct', 'real_parent', rcu, false, true)).toMatchObject({ untrusted: true });
  });
  it('counts a referenced pointer as trusted whatever its flags', () => {
    expect(isTrustedPointer({ ref: 3, untrusted: true })).toBe(true);
    expect(isTrustedPointer(rcu)).toBe(false);
    expect(isTrustedPointer(trusted)).toBe(true);
  });
});
