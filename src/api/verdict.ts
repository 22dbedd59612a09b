import { BpfkitError, ErrorCode } from '../errors.js';
import { MapType } from '../loader/kinds.js';
import type { BpfObject, ProgramDef } from '../loader/model.js';
import { formatReport, type ProgramReport } from '../verifier/index.js';

/** bpf_tail_call's helper id. */
const TAIL_CALL = 12;

function callsTailCall(p: ProgramDef): boolean {
  return p.instructions.some((i) => i.opcode === 0x85 && i.src === 0 && i.imm === TAIL_CALL);
}

/**
 * The programs a run of `name` can execute: the program itself, then (transitively) every program
 * placed in a prog array it references, when it calls bpf_tail_call. Slots are the object's own
 * (`.values` of a prog array), which is what a load can know; programs put there later by user
 * space are the caller's to verify.
 */
export function tailCallReach(object: BpfObject, name: string): string[] {
  const byName = new Map(object.programs.map((p) => [p.name, p]));
  const progArrays = new Map(object.maps.filter((m) => m.type === MapType.PROG_ARRAY).map((m) => [m.name, m]));
  const seen = [name];
  for (let i = 0; i < seen.length; i++) {
    const p = byName.get(seen[i]!);
    if (p === undefined || !callsTailCall(p)) continue;
    for (const insn of p.instructions) {
      const arr = insn.meta?.map !== undefined ? progArrays.get(insn.meta.map) : undefined;
      for (const slot of arr?.initialSlots ?? []) if (!seen.includes(slot.name) && byName.has(slot.name)) seen.push(slot.name);
    }
  }
  return seen;
}

/** Why a run was refused: the verifier rejected the program or a program it can tail-call. */
export class VerifierRejectedError extends BpfkitError {
  /** The rejected program's report (the one `bpfkit verify --json` prints). */
  readonly report: ProgramReport;
  /** The program that was asked to run. */
  readonly program: string;

  constructor(program: string, report: ProgramReport) {
    const via = report.name === program ? '' : ` can tail-call '${report.name}', which`;
    super(
      ErrorCode.Rejected,
      `program '${program}'${via} is rejected by the verifier, so it is not run (pass { verify: false } to run it anyway):\n${formatReport({ programs: [report] })}`,
    );
    this.name = 'VerifierRejectedError';
    this.report = report;
    this.program = program;
  }
}
