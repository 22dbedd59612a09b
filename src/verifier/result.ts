/**
 * What a verification produces: per program, accepted or not, the errors (each at one
 * instruction, with the reason), and statistics. The JSON shape of `bpfkit verify --json` is
 * {@link ProgramReport} minus the fields marked "text only".
 */

export interface VerifyError {
  /** Slot of the instruction (the pc llvm-objdump and the kernel print). */
  readonly pc: number;
  /** `file.c:LINE` from BTF line info, when the object has it. */
  readonly source?: string;
  readonly message: string;
  /**
   * The kernel verifier's own message for this failure (`invalid access to packet, off=23 size=1`,
   * its Linux 6.18 wording), where it has one: what to search for.
   */
  readonly kernel?: string;
  /** Text only: the source line's text. */
  readonly sourceText?: string;
  /** Text only: the instruction in llvm-objdump syntax. */
  readonly instruction?: string;
  /** Text only: where in the call chain (`in function f, called from pc 12`). */
  readonly context?: string;
  /** Text only (--verbose): the abstract state before the instruction. */
  readonly state?: readonly string[];
  /** Text only (--states): the shortest feasible path from the entry to this pc, state at each step. */
  readonly path?: readonly PathStep[];
}

/** One instruction on an error's path, with the state proven before it along that path. */
export interface PathStep {
  readonly pc: number;
  readonly instruction: string;
  readonly source?: string;
  readonly sourceText?: string;
  readonly state: readonly string[];
}

/** The state the verifier proved before one instruction (--states). */
export interface InstructionState extends PathStep {
  /** No execution reaches the instruction (its state is bottom; `state` is empty). */
  readonly unreachable?: boolean;
  /**
   * Inlined copies the state joins: local calls are analysed once per call site, so an
   * instruction of a sub-program called from n sites has n states, joined here.
   */
  readonly contexts?: number;
}

export interface ProgramReport {
  readonly name: string;
  readonly section: string;
  readonly accepted: boolean;
  readonly errors: readonly VerifyError[];
  readonly stats: {
    /** Instructions of the program (lddw counts once). */
    readonly instructions: number;
    /** Verification time in milliseconds. */
    readonly ms: number;
  };
  /** Text only: facts the report can show (blocks, loops and their bounds, stack depth). */
  readonly details?: ProgramDetails;
  /** Text only unless `--json --states`: the state before each instruction (only with `states`). */
  readonly states?: readonly InstructionState[];
}

export interface ProgramDetails {
  readonly blocks: number;
  readonly loops: ReadonlyArray<{ readonly pc: number; readonly maxIterations: number }>;
  readonly stackDepth: ReadonlyArray<{ readonly function: string; readonly bytes: number }>;
  /** Instructions of the program no execution reaches (dead code the kernel also skips). */
  readonly deadInstructions: number;
}

export interface ObjectReport {
  readonly programs: ProgramReport[];
}

export interface VerifyOptions {
  /** Follow the rules for unprivileged loaders (no CAP_BPF/CAP_PERFMON). Default: privileged. */
  readonly unprivileged?: boolean;
  /** Keep the abstract state at each error. */
  readonly verbose?: boolean;
  /** Keep the state proven before every instruction and the path to each error (costs a pass). */
  readonly states?: boolean;
}
