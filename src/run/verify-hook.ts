import type { BpfObject } from '../loader/model.js';
import { formatReport, verifyObject } from '../verifier/index.js';

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
  const report = verifyObject(object);
  const accepted = report.programs.every((p) => p.accepted);
  return { accepted, log: accepted ? '' : formatReport(report) };
}
