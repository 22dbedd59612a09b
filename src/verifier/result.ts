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
  /** Text only: the source line's text. */
  readonly sourceText?: string;
  /** Text only: the instruction in llvm-objdump syntax. */
  readonly instruction?: string;
  /** Text only: where in the call chain (`in function f, called from pc 12`). */
  readonly context?: string;
  /** Text only (--verbose): the abstract state before the instruction. */
  readonly state?: readonly string[];
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
}
