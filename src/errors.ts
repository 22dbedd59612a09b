/**
 * Every failure bpfkit reports on purpose is a {@link BpfkitError} with a stable code, so callers
 * (the CLI, tests, the playground) branch on `code` rather than parsing messages.
 */
export const ErrorCode = {
  /** Input bytes that are not a well-formed ELF / BTF / instruction stream. */
  BadInput: 'BAD_INPUT',
  /** An instruction the ISA reserves or does not define. */
  BadInstruction: 'BAD_INSTRUCTION',
  /** Assembler source that does not parse. */
  AsmSyntax: 'ASM_SYNTAX',
  /** Something valid that bpfkit does not implement (say which). */
  Unsupported: 'UNSUPPORTED',
  /** A run-time fault: bad memory access, budget exhausted, bad call. */
  Runtime: 'RUNTIME',
  /** The verifier rejected a program. */
  Rejected: 'REJECTED',
  /** A caller used the API wrongly (unknown program name, bad option). */
  Usage: 'USAGE',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** The one error type bpfkit throws deliberately. */
export class BpfkitError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BpfkitError';
    this.code = code;
  }
}

export function isBpfkitError(e: unknown): e is BpfkitError {
  return e instanceof BpfkitError;
}
