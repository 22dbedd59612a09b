/**
 * The verifier: PREVAIL-style abstract interpretation of eBPF programs that rejects what the
 * kernel rejects (privileged rules by default) and says which instruction, which source line and
 * why. See analyze.ts for the pipeline and assertions.ts for the safety policy.
 */
import { BpfkitError, ErrorCode } from '../errors.js';
import type { BpfObject } from '../loader/model.js';
import { analyzeProgram } from './analyze.js';
import type { ObjectReport, ProgramReport, VerifyOptions } from './result.js';

export type { InstructionState, ObjectReport, PathStep, ProgramReport, ProgramDetails, VerifyError, VerifyOptions } from './result.js';
export { formatReport, formatProgram, formatError, formatStates, toJson } from './report.js';

/** Verifies the program `name` of the object. */
export function verifyProgram(obj: BpfObject, name: string, options: VerifyOptions = {}): ProgramReport {
  const prog = obj.programs.find((p) => p.name === name);
  if (!prog) throw new BpfkitError(ErrorCode.Usage, `no program named ${name} (the object has: ${obj.programs.map((p) => p.name).join(', ') || 'none'})`);
  return checkProgram(obj, prog, options);
}

/** A program libbpf could not load (no attach target in the kernel BTF) is rejected with libbpf's error. */
function checkProgram(obj: BpfObject, prog: BpfObject['programs'][number], options: VerifyOptions): ProgramReport {
  if (prog.attachError === undefined) return analyzeProgram(obj, prog, options);
  return { name: prog.name, section: prog.section, accepted: false, errors: [{ pc: 0, message: prog.attachError }], stats: { instructions: prog.instructions.length, ms: 0 } };
}

/** Verifies every program of the object. */
export function verifyObject(obj: BpfObject, options: VerifyOptions = {}): ObjectReport {
  return { programs: obj.programs.map((p) => checkProgram(obj, p, options)) };
}
