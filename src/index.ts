/**
 * bpfkit's public API: load a clang-built eBPF object, verify it, run it on packets or contexts
 * in a simulated kernel (interpreter or WebAssembly JIT), and read its maps. Everything here runs
 * in Node and in browsers; the Node entry (`bpfkit` in Node) adds loading from a file path.
 *
 * @example
 * ```ts
 * const obj = loadObject(bytes);
 * const prog = obj.program('xdp_counter');
 * expect(prog.verify().accepted).toBe(true);
 * const r = prog.run({ packet: ethernet({ payload: ipv4({ src: '10.0.0.1', dst: '10.0.0.2', payload: udp({ sport: 1, dport: 2 }) }) }) });
 * expect(r.retval).toBe(XDP_PASS);
 * ```
 * @packageDocumentation
 */
export { loadObject, BpfkitObject, BpfkitProgram, type LoadObjectOptions, type ProgramRunOptions, type ProgramRunResult } from './api/object.js';
export { BpfkitMap } from './api/map.js';
export { VerifierRejectedError, tailCallReach } from './api/verdict.js';
export { findBtfType, decodeAs, type RingbufRecords, type PerfRecords } from './api/records.js';
export { generateTypes, type GenerateTypesOptions } from './api/typegen.js';
export * from './api/constants.js';
export { loadJitEngine as loadJit, jitEngineLoaded as jitLoaded, type EngineKind } from './run/engine.js';
export type { RunResult, RunOptions } from './run/program.js';
export type { TracingArgs } from './run/tracing-context.js';
export { KernelObjects } from './helpers/kernel-objects/objects.js';
export { KernelObject, type KernelFields, type KernelValue } from './helpers/kernel-objects/values.js';
export { toKernelJson, type KernelJson } from './run/kernel-json.js';
export type { ProgramReport, ObjectReport, VerifyError, VerifyOptions } from './verifier/index.js';
export { verifyObject, verifyProgram, formatReport } from './verifier/index.js';
export { SimClock, type ClockOptions } from './helpers/kernel/clock.js';
export type { BtfValue } from './helpers/btf-value.js';
export type { MapKey } from './helpers/map-view.js';
export { RuntimeFault, type FaultKind } from './helpers/fault.js';
export { BpfkitError, ErrorCode, isBpfkitError } from './errors.js';

// Packets for tests.
export * as packets from './packets/index.js';
export { ethernet, ipv4, ipv6, udp, tcp, icmp, icmpv6, arp, decodePacket, packetFromSpec, readPcap, writePcap, EtherType, IpProto, type Pcap, type PcapFrame } from './packets/index.js';

// Lower layers, for tools built on bpfkit.
export * as isa from './isa/index.js';
export { assemble, assembleBytes } from './isa/asm.js';
export { disassemble, formatInstruction } from './isa/disasm.js';
export { decodeProgram, type Endian } from './isa/decode.js';
export { encodeProgram, toHex, fromHex } from './isa/encode.js';
export type { Instruction, InstructionMeta, SourceLocation } from './isa/instruction.js';
export { loadObject as loadObjectModel, type LoadOptions } from './loader/load.js';
export type { BpfObject, ProgramDef, MapDef } from './loader/model.js';
export { inspectObject, formatInspect, type InspectReport } from './loader/inspect.js';
export { Memory } from './helpers/memory.js';
export { Interpreter, DEFAULT_BUDGET } from './vm/interpreter.js';
export { runRaw, prepareRaw, conformanceHelpers, type EngineName, type RawRunOptions, type RawRunResult } from './run/raw.js';
export { runConformanceCase, type ConformanceCaseResult, type ConformanceOutcome } from './run/conformance.js';
export { TraceRecorder, formatTrace, traceToJsonLines, CoverageCollector, ProfileCollector, formatProfile } from './observe/index.js';
export type { TraceEntry, ProfileReport } from './observe/index.js';
