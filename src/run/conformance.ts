import { isBpfkitError } from '../errors.js';
import { assemble } from '../isa/asm.js';
import { parseConformanceFile } from '../isa/asm-text.js';
import { decodeProgram } from '../isa/decode.js';
import { runRaw, type EngineName } from './raw.js';

/**
 * How one bpf_conformance file came out:
 * - `passed`: the program ran and its r0 (or error) is what the file expects;
 * - `failed`: it ran, but the result or error differs (or the file is not a test at all);
 * - `refused`: the assembler or the decoder rejected the program before it could run.
 */
export type ConformanceOutcome = 'passed' | 'failed' | 'refused';

export interface ConformanceCaseResult {
  outcome: ConformanceOutcome;
  /** Which stage refused (`assembler`, `decoder`) when refused. */
  stage?: 'parser' | 'assembler' | 'decoder' | 'run';
  detail: string;
  /** r0 when the program ran to its end. */
  r0?: bigint;
}

/** Sections the format defines; `c` and `no register offset` carry notes a runner ignores. */
const KNOWN_SECTIONS = new Set(['asm', 'raw', 'mem', 'result', 'error', 'c', 'no register offset']);

const hex64 = (v: bigint): string => `0x${v.toString(16)}`;

/** Runs one conformance file's text on an engine and judges it against its own expectations. */
export function runConformanceCase(text: string, engine: EngineName = 'interp'): ConformanceCaseResult {
  let file;
  try {
    file = parseConformanceFile(text);
  } catch (e) {
    return { outcome: 'refused', stage: 'parser', detail: messageOf(e) };
  }
  const unknown = file.sections.filter((name) => !KNOWN_SECTIONS.has(name));
  if (unknown.length > 0) {
    return { outcome: 'refused', stage: 'parser', detail: `unknown section '-- ${unknown[0]}'` };
  }
  const bytes: Uint8Array | undefined = file.raw;
  let program;
  if (bytes === undefined) {
    if (file.asm === undefined || file.asm.replace(/#.*$/gm, '').trim() === '') {
      return { outcome: 'failed', stage: 'parser', detail: 'the file has no program' };
    }
    try {
      program = assemble(file.asm);
    } catch (e) {
      return { outcome: 'refused', stage: 'assembler', detail: messageOf(e) };
    }
  } else {
    try {
      program = decodeProgram(bytes);
    } catch (e) {
      return { outcome: 'refused', stage: 'decoder', detail: messageOf(e) };
    }
  }
  if (program.length === 0) return { outcome: 'failed', stage: 'parser', detail: 'the program is empty' };
  let r0: bigint;
  try {
    r0 = runRaw(program, file.mem, { engine }).r0;
  } catch (e) {
    if (!isBpfkitError(e)) throw e;
    if (file.error !== undefined && file.error !== '') {
      return { outcome: 'passed', stage: 'run', detail: `failed as expected: ${e.message}` };
    }
    return { outcome: 'failed', stage: 'run', detail: e.message };
  }
  if (file.error !== undefined) {
    return { outcome: 'failed', stage: 'run', detail: `expected error '${file.error}' but the program returned ${hex64(r0)}`, r0 };
  }
  if (file.result === undefined) return { outcome: 'failed', stage: 'run', detail: 'the file states no expected result', r0 };
  if (r0 !== file.result) {
    return { outcome: 'failed', stage: 'run', detail: `expected ${hex64(file.result)}, got ${hex64(r0)}`, r0 };
  }
  return { outcome: 'passed', stage: 'run', detail: `r0 = ${hex64(r0)}`, r0 };
}

function messageOf(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}
