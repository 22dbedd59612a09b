/**
 * bpfkit's public API. Everything here runs in Node and in browsers (no Node-only imports).
 * @packageDocumentation
 */
export { BpfkitError, ErrorCode, isBpfkitError } from './errors.js';
export * as isa from './isa/index.js';
export { assemble, assembleBytes } from './isa/asm.js';
export { decodeProgram, type Endian } from './isa/decode.js';
export { encodeProgram, toHex, fromHex } from './isa/encode.js';
export type { Instruction, InstructionMeta, SourceLocation } from './isa/instruction.js';
export { Memory } from './helpers/memory.js';
export { RuntimeFault } from './helpers/fault.js';
export { Interpreter, DEFAULT_BUDGET } from './vm/interpreter.js';
export { runRaw, conformanceHelpers, type EngineName, type RawRunOptions, type RawRunResult } from './run/raw.js';
export { runConformanceCase, type ConformanceCaseResult, type ConformanceOutcome } from './run/conformance.js';
