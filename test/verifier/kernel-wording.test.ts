/**
 * Kernel wording: every rejection of the verifier fixtures carries the kernel's own message, and
 * it is the line the real kernel's log ended with (recorded in fixtures/verifier/expected/).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadObject } from '../../src/loader/index.js';
import { formatReport, kernelWording, toJson, verifyObject } from '../../src/verifier/index.js';

const HERE = resolve(import.meta.dirname, '..', '..', 'fixtures', 'verifier');

interface Expected {
  accepted: boolean;
  bpfkitAccepts?: boolean;
  kernel?: string[];
}

/**
 * Fixtures whose recorded log does not end with the failure's message: the kernel walked a loop
 * until its budget ran out and the log was cut (bpfkit gives the message the kernel prints then).
 */
const LOG_CUT = ['reject_loop_infinite', 'reject_loop_stack_counter', 'reject_loop_unbounded', 'reject_lt_complexity'];

/**
 * Where bpfkit finds the same failure but the kernel words a different check first (both are
 * right; the kernel's register-level view differs from bpfkit's): kept short, each with why.
 */
const OTHER_WORDING: Record<string, string> = {
  reject_helper_size: 'the kernel names the largest size the register may hold (63), bpfkit the bound it proved',
  reject_global_func_null: "the kernel calls the global function's argument mem_or_null",
};

const names = readdirSync(join(HERE, 'expected'))
  .filter((f) => f.startsWith('reject_') && f.endsWith('.json'))
  .map((f) => f.slice(0, -5))
  .sort();

describe('kernel wording', () => {
  for (const name of names) {
    const exp = JSON.parse(readFileSync(join(HERE, 'expected', `${name}.json`), 'utf8')) as Expected;
    if (exp.bpfkitAccepts || exp.accepted) continue;
    it(name, () => {
      const report = verifyObject(loadObject(new Uint8Array(readFileSync(join(HERE, 'build', `${name}.o`)))));
      const first = report.programs.flatMap((p) => p.errors)[0]!;
      expect(first.kernel, `${name}: no kernel wording for "${first.message}"`).toBeDefined();
      const last = exp.kernel?.at(-1) ?? '';
      // a log that ends on an instruction or a state was cut while the kernel walked a loop
      const cut = LOG_CUT.includes(name) || /^\d+: |^; |^\s*frame\d|^old state/.test(last);
      if (cut || OTHER_WORDING[name]) return;
      expect(last.startsWith(first.kernel!), `${name}: bpfkit says the kernel says "${first.kernel}"; the kernel said "${last}"`).toBe(true);
    });
  }

  it('is in the text report and in --json', () => {
    const report = verifyObject(loadObject(new Uint8Array(readFileSync(join(HERE, 'build', 'reject_pt_xdp_egress.o')))));
    expect(formatReport(report)).toContain('kernel: invalid bpf_context access off=20 size=4');
    const json = toJson(report) as { programs: Array<{ errors: Array<{ kernel?: string }> }> };
    expect(json.programs[0]!.errors[0]!.kernel).toBe('invalid bpf_context access off=20 size=4');
  });

  it('is absent where the kernel has no message of its own', () => {
    expect(kernelWording('something bpfkit alone says')).toBeUndefined();
  });
});
