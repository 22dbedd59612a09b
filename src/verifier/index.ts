/**
 * The verifier: PREVAIL-style abstract interpretation of eBPF programs that rejects what the
 * kernel rejects (privileged rules by default) and says which instruction, which source line and
 * why. See analyze.ts for the pipeline and assertions.ts for the safety policy.
 */
import { BpfkitError, ErrorCode } from '../errors.js';
import type { BpfObject } from '../loader/model.js';
import { analyzeProgram } from './analyze.js';
import { kernelWording } from './kernel-wording.js';
import type { ObjectReport, ProgramReport, VerifyOptions } from './result.js';

export type { InstructionState, ObjectReport, PathStep, ProgramReport, ProgramDetails, VerifyError, VerifyOptions } from './result.js';
export { formatReport, formatProgram, formatError, formatStates, toJson } from './report.js';
export { kernelWording } from './kernel-wording.js';

/**
 * Verifies the program `name` of the object. A program the loader could not prepare (its section
 * names no type and none was given, or it cannot be linked) is never verified: a BpfkitError
 * (USAGE) says why, rather than a verdict on a program the kernel would never be given.
 */
export function verifyProgram(obj: BpfObject, name: string, options: VerifyOptions = {}): ProgramReport {
  const prog = obj.programs.find((p) => p.name === name);
  if (!prog) throw new BpfkitError(ErrorCode.Usage, `no program named ${name} (the object has: ${obj.programs.map((p) => p.name).join(', ') || 'none'})`);
  if (prog.notVerifiable !== undefined) throw new BpfkitError(ErrorCode.Usage, `program '${name}' not verified: ${prog.notVerifiable}`);
  return checkProgram(obj, prog, options);
}

/** Each rejection carries the kernel's message for the same failure, where the kernel has one. */
function checkProgram(obj: BpfObject, prog: BpfObject['programs'][number], options: VerifyOptions): ProgramReport {
  const p = analyzeProgram(obj, prog, options);
  if (p.errors.length === 0) return p;
  return {
    ...p,
    errors: p.errors.map((e) => {
      const kernel = kernelWording(e.message);
      return kernel ? { ...e, kernel } : e;
    }),
  };
}

/** Verifies every program of the object; throws like {@link verifyProgram} if one cannot be verified. */
export function verifyObject(obj: BpfObject, options: VerifyOptions = {}): ObjectReport {
  return { programs: obj.programs.map((p) => verifyProgram(obj, p.name, options)) };
}
