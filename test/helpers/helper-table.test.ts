/** The helper table against the kernel's UAPI header: no helper missing, prototypes that agree. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HELPER_NAMES } from '../../src/helpers/helper-ids.js';
import { HELPER_PROTOTYPES, helperPrototype } from '../../src/helpers/prototypes.js';
import type { HelperArgKind } from '../../src/helpers/prototypes.js';

interface UapiHelper {
  id: number;
  name: string;
  signature: string;
}

const facts = (name: string): unknown => JSON.parse(readFileSync(resolve(import.meta.dirname, '../../fixtures/verifier/facts', name), 'utf8'));
const uapi = facts('uapi-helpers.json') as UapiHelper[];

/** The C parameters of a documented signature. */
function params(sig: string): string[] {
  const inner = sig.slice(sig.indexOf('(') + 1, sig.lastIndexOf(')')).trim();
  return inner === '' || inner === 'void' ? [] : inner.split(',').map((p) => p.trim());
}

/** C parameter types each argument kind must have (a substring of the declaration). */
const C_TYPES: Partial<Record<HelperArgKind, RegExp>> = {
  map: /struct bpf_map \*|void \*(map|ringbuf)/,
  'spin-lock': /struct bpf_spin_lock \*/,
  timer: /struct bpf_timer \*/,
  dynptr: /struct bpf_dynptr \*/,
  'uninit-dynptr': /struct bpf_dynptr \*/,
  'dynptr-release': /struct bpf_dynptr \*/,
  func: /callback_fn|\bvoid \*/,
  long: /(long|u64|s64) \*/,
  int: /u32 \*|int \*/,
  'sock-common': /struct bpf_sock \*|void \*/,
};

describe('the helper table', () => {
  it('has every helper of the UAPI header, with its id', () => {
    expect(uapi.length).toBeGreaterThanOrEqual(211);
    for (const h of uapi) {
      expect(HELPER_NAMES[h.id], h.name).toBe(h.name);
      expect(helperPrototype(h.id)?.name, h.name).toBe(`bpf_${h.name}`);
    }
    expect(HELPER_PROTOTYPES.length).toBe(uapi.length);
  });

  it('gives each helper as many arguments as its documented signature', () => {
    // arguments the kernel's proto leaves unchecked (ARG_DONTCARE): printk's varargs, a flags word
    const unchecked: Record<string, number> = { trace_printk: 3, get_branch_snapshot: 1 };
    const wrong = uapi.filter((h) => params(h.signature).filter((x) => x !== '...').length !== helperPrototype(h.id)!.args.length + (unchecked[h.name] ?? 0) - (h.signature.includes('...') ? 3 : 0));
    expect(wrong.map((h) => `${h.name}: ${h.signature} vs ${helperPrototype(h.id)!.args.join(', ')}`)).toEqual([]);
  });

  it('types pointer arguments as the signature declares them', () => {
    const wrong: string[] = [];
    for (const h of uapi) {
      const ps = params(h.signature);
      helperPrototype(h.id)!.args.forEach((a, i) => {
        const re = C_TYPES[a];
        if (re && !re.test(ps[i] ?? '')) wrong.push(`${h.name} argument ${i + 1}: ${a} vs ${ps[i]}`);
        if ((a === 'size' || a === 'size-or-zero') && !/u32|u64|size|int|len/.test(ps[i] ?? '')) wrong.push(`${h.name} argument ${i + 1}: ${a} vs ${ps[i]}`);
      });
    }
    expect(wrong).toEqual([]);
  });

  it('returns void exactly where the signature does, pointers where it returns one', () => {
    const wrong: string[] = [];
    for (const h of uapi) {
      const p = helperPrototype(h.id)!;
      const cRet = h.signature.slice(0, h.signature.indexOf(`bpf_${h.name}(`)).trim();
      const isPtr = cRet.endsWith('*');
      // bpf_task_pt_regs is documented as returning a long; the kernel types it as struct pt_regs *
      if (h.name === 'task_pt_regs') continue;
      if (p.ret === 'integer' && isPtr) wrong.push(`${h.name}: integer vs ${cRet}`);
      if (p.ret !== 'integer' && p.ret !== 'void' && !isPtr) wrong.push(`${h.name}: ${p.ret} vs ${cRet}`);
    }
    expect(wrong).toEqual([]);
  });

  it('is allowed per program type exactly as the recorded kernel facts say', () => {
    const f = facts('helpers-by-prog-type.json') as { kernel: Record<string, number[]>; fromSource: Record<string, number[]>; gplOnly: number[] };
    for (const p of HELPER_PROTOTYPES) {
      const kernelTypes = Object.entries(f.kernel).filter(([k, ids]) => !k.includes('/') && ids.includes(p.id)).length;
      expect(p.progTypes.length, p.name).toBeGreaterThanOrEqual(kernelTypes);
      if (f.gplOnly.includes(p.id)) expect(p.gplOnly, p.name).toBe(true);
    }
  });
});
