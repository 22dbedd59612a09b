import { BpfkitError, ErrorCode } from '../errors.js';
import type { SourceLocation } from '../isa/instruction.js';

/** What stopped a run. Engines must raise the same kind, pc and message for the same program. */
export type FaultKind =
  | 'memory'
  | 'budget'
  | 'call-depth'
  | 'helper'
  | 'bad-call'
  | 'poisoned'
  | 'tail-call'
  | 'invalid';

/**
 * A run-time fault. `message` is the full one-line text (pc, reason, source line) so both engines
 * print the same thing; the parts are kept for callers that want them.
 */
export class RuntimeFault extends BpfkitError {
  readonly kind: FaultKind;
  readonly pc: number;
  readonly reason: string;
  readonly source: SourceLocation | undefined;
  constructor(kind: FaultKind, pc: number, reason: string, source?: SourceLocation) {
    super(ErrorCode.Runtime, formatFault(pc, reason, source));
    this.name = 'RuntimeFault';
    this.kind = kind;
    this.pc = pc;
    this.reason = reason;
    this.source = source;
  }
}

export function formatFault(pc: number, reason: string, source?: SourceLocation): string {
  const where = source ? ` at ${source.file}:${source.line}${source.text ? `: ${source.text.trim()}` : ''}` : '';
  return `pc ${pc}: ${reason}${where}`;
}

/**
 * Raised inside helpers and the memory model, before the pc is known; engines catch it and turn it
 * into a {@link RuntimeFault} at the current pc.
 */
export class FaultSignal extends Error {
  readonly kind: FaultKind;
  constructor(kind: FaultKind, reason: string) {
    super(reason);
    this.kind = kind;
  }
}
