import type { BpfObject } from '../loader/model.js';
import { formatReport, verifyProgram } from '../verifier/index.js';

/** What the load-time verification decided, as kernel-run reports it. */
export interface LoadVerdict {
  accepted: boolean;
  /** The verifier's report when it rejected a program. */
  log: string;
}

/**
 * The verification `bpfkit run` does before running, standing for the kernel's at load: libbpf
 * loads every program of the object, so one rejected program fails the whole load.
 */
export function verifyForRun(object: BpfObject): LoadVerdict {
  // programs the loader could not prepare (no type, not linkable) are not loaded, like autoload off
  const report = { programs: object.programs.filter((p) => p.notVerifiable === undefined).map((p) => verifyProgram(object, p.name)) };
  const accepted = report.programs.every((p) => p.accepted);
  return { accepted, log: accepted ? '' : formatReport(report) };
}
