/**
 * Programs for the verifier fuzz and soundness suites: the fixture programs, small mutations of
 * them (load/store offsets and sizes, bounds-check constants and operators, ALU immediates,
 * registers, dropped instructions), random packet-parsing XDP programs, random inputs for each
 * program type, and a runner that runs one program on both engines and says what went wrong.
 */
import fc from 'fast-check';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isBpfkitError } from '../../src/errors.js';
import { ObjectInstance } from '../../src/helpers/kernel.js';
import { RingbufMap, RingbufQuery } from '../../src/helpers/maps/ringbuf.js';
import { assemble } from '../../src/isa/asm.js';
import { formatInstruction } from '../../src/isa/disasm.js';
import type { Instruction } from '../../src/isa/instruction.js';
import { loadObject } from '../../src/loader/index.js';
import { ProgType } from '../../src/loader/kinds.js';
import type { BpfObject, ProgramDef } from '../../src/loader/model.js';
import { runProgram, type RunResult } from '../../src/run/program.js';
import type { ContextInput } from '../../src/run/context.js';
import { ROOT } from './fuzz.js';

export interface CorpusProgram {
  fixture: string;
  object: BpfObject;
  name: string;
  type: number;
  size: number;
}

/** Program types bpfkit can run (createContext knows how to build their context). */
export const RUNNABLE = new Set<number>([
  ProgType.XDP,
  ProgType.SCHED_CLS,
  ProgType.SCHED_ACT,
  ProgType.SOCKET_FILTER,
  ProgType.CGROUP_SKB,
  ProgType.LWT_IN,
  ProgType.LWT_OUT,
  ProgType.LWT_XMIT,
  ProgType.KPROBE,
  ProgType.TRACEPOINT,
  ProgType.RAW_TRACEPOINT,
]);

export const PACKET_TYPES = new Set<number>([ProgType.XDP, ProgType.SCHED_CLS, ProgType.SCHED_ACT, ProgType.SOCKET_FILTER, ProgType.CGROUP_SKB, ProgType.LWT_IN, ProgType.LWT_OUT, ProgType.LWT_XMIT]);

/** Every runnable program of every little-endian fixture object, up to `maxInstructions` long. */
export function corpusPrograms(maxInstructions = Infinity): CorpusProgram[] {
  const out: CorpusProgram[] = [];
  for (const dir of ['build', 'kernel-cases/build', 'verifier/build']) {
    const abs = join(ROOT, 'fixtures', dir);
    for (const f of readdirSync(abs).sort()) {
      if (!f.endsWith('.o') || f.endsWith('.eb.o')) continue;
      let object: BpfObject;
      try {
        object = loadObject(new Uint8Array(readFileSync(join(abs, f))));
      } catch {
        continue;
      }
      for (const p of object.programs) {
        if (!RUNNABLE.has(p.type) || p.instructions.length > maxInstructions) continue;
        out.push({ fixture: `${dir}/${f}`, object, name: p.name, type: p.type, size: p.instructions.length });
      }
    }
  }
  return out;
}

/** One edit of one instruction; `at` and `value` are reduced modulo what they apply to. */
export interface Mutation {
  at: number;
  kind: 'offset' | 'size' | 'imm' | 'jmpop' | 'reg' | 'drop';
  value: number;
}

export const mutationArb: fc.Arbitrary<Mutation> = fc.record({
  at: fc.nat(),
  kind: fc.constantFrom<Mutation['kind']>('offset', 'offset', 'size', 'imm', 'imm', 'jmpop', 'reg', 'drop'),
  value: fc.oneof(fc.integer({ min: -16, max: 16 }), fc.integer({ min: -0x8000, max: 0x7fff })),
});

const cls = (op: number): number => op & 7;
const isMem = (op: number): boolean => cls(op) >= 1 && cls(op) <= 3 && (op & 0xe0) === 0x60;
const isCondJump = (op: number): boolean => (cls(op) === 5 || cls(op) === 6) && ![0x00, 0x80, 0x90].includes(op & 0xf0);
const isAlu = (op: number): boolean => cls(op) === 4 || cls(op) === 7;
const SIZES = [0x00, 0x08, 0x10, 0x18];
const JMP_OPS = [0x10, 0x20, 0x30, 0x50, 0x60, 0x70, 0xa0, 0xb0, 0xc0, 0xd0];

/**
 * Applies `ms` to a copy of `program`. Edits that target the kind of instruction they fit (a
 * memory access for `offset`, a conditional jump for `jmpop`, ...) search forward from `at` for one;
 * jump offsets are never edited (jumping into the middle of lddw tests the CFG check, not bounds).
 */
export function mutateProgram(program: readonly Instruction[], ms: readonly Mutation[]): Instruction[] {
  const out = program.map((i) => ({ ...i }));
  for (const m of ms) {
    const fits = (i: Instruction): boolean => {
      switch (m.kind) {
        case 'offset':
        case 'size':
          return isMem(i.opcode);
        case 'imm':
          return (isAlu(i.opcode) || isCondJump(i.opcode) || cls(i.opcode) === 2) && (i.opcode & 0x08) === 0;
        case 'jmpop':
          return isCondJump(i.opcode);
        case 'reg':
          return i.opcode !== 0x18 && i.opcode !== 0x85 && i.opcode !== 0x95;
        case 'drop':
          return i.opcode !== 0x18;
      }
    };
    let idx = -1;
    for (let k = 0; k < out.length; k++) {
      const j = (m.at + k) % out.length;
      if (fits(out[j]!)) {
        idx = j;
        break;
      }
    }
    if (idx < 0) continue;
    const ins = out[idx]!;
    switch (m.kind) {
      case 'offset':
        ins.off = ((ins.off + m.value) << 16) >> 16;
        break;
      case 'size':
        ins.opcode = (ins.opcode & ~0x18) | SIZES[Math.abs(m.value) % 4]!;
        break;
      case 'imm':
        ins.imm = Math.abs(m.value) <= 16 ? (ins.imm + m.value) | 0 : m.value;
        break;
      case 'jmpop':
        ins.opcode = (ins.opcode & 0x0f) | JMP_OPS[Math.abs(m.value) % JMP_OPS.length]!;
        break;
      case 'reg':
        if (m.value & 1) ins.src = Math.abs(m.value >> 1) % 11;
        else ins.dst = Math.abs(m.value >> 1) % 11;
        break;
      case 'drop':
        // `ja +0` keeps every jump offset valid.
        out[idx] = { opcode: 0x05, dst: 0, src: 0, off: 0, imm: 0, ...(ins.meta ? { meta: ins.meta } : {}) };
        break;
    }
  }
  return out;
}

/** `object` with program `name`'s instructions replaced. */
export function withProgram(object: BpfObject, name: string, instructions: Instruction[]): BpfObject {
  return { ...object, programs: object.programs.map((p): ProgramDef => (p.name === name ? { ...p, instructions } : p)) };
}

/** Parameters of a random packet-parsing XDP program (see {@link packetProgram}). */
export interface PacketProgramSpec {
  /** Bytes the bounds check covers (data + check > data_end → out). */
  check: number;
  /** Jump form of the bounds check: 0 `jgt r4, r3`, 1 `jge r4, r3`, 2 `jlt r3, r4`, 3 `jle r3, r4`, 4 `jgt r3, r4` (inverted). */
  form: number;
  /** Extra slack subtracted from/added to the load offset. */
  loads: Array<{ off: number; size: number }>;
  /** A variable offset: a packet byte masked with `mask` added to the pointer before the check (none when 0). */
  mask: number;
  /** Store the loaded value back into the packet. */
  store: boolean;
}

export const packetProgramArb: fc.Arbitrary<PacketProgramSpec> = fc.record({
  check: fc.oneof(fc.integer({ min: 0, max: 80 }), fc.constantFrom(0x7fff, 0xffff, -1, -8)),
  form: fc.integer({ min: 0, max: 4 }),
  loads: fc.array(fc.record({ off: fc.integer({ min: -8, max: 88 }), size: fc.constantFrom(1, 2, 4, 8) }), { minLength: 1, maxLength: 3 }),
  mask: fc.constantFrom(0, 0, 1, 7, 63, 255, 0xffff),
  store: fc.boolean(),
});

/**
 * A bounds-check-and-load XDP program: r2 = data (plus a masked packet byte when `mask`), r4 =
 * r2 + check, a comparison with data_end in one of five forms, then the loads on the in-bounds path.
 */
export function packetProgram(s: PacketProgramSpec): Instruction[] {
  const sz = (n: number): string => ({ 1: 'b', 2: 'h', 4: 'w', 8: 'dw' })[n] ?? 'b';
  const lines = ['ldxw %r2, [%r1+0]', 'ldxw %r3, [%r1+4]', 'mov %r0, 0'];
  if (s.mask !== 0) {
    // The variable offset needs its own proven-in-bounds byte to read from.
    lines.push('mov %r5, %r2', 'add %r5, 1', 'jgt %r5, %r3, +OUT', 'ldxb %r6, [%r2+0]', `and %r6, ${s.mask}`, 'add %r2, %r6');
  }
  lines.push('mov %r4, %r2', `add %r4, ${s.check}`);
  const taken = ['jgt %r4, %r3, +OUT', 'jge %r4, %r3, +OUT', 'jlt %r3, %r4, +OUT', 'jle %r3, %r4, +OUT', 'jgt %r3, %r4, +OUT'][s.form]!;
  lines.push(taken);
  for (const l of s.loads) {
    lines.push(`ldx${sz(l.size)} %r7, [%r2${l.off >= 0 ? '+' : ''}${l.off}]`, 'add %r0, %r7');
    if (s.store) lines.push(`stx${sz(l.size)} [%r2${l.off >= 0 ? '+' : ''}${l.off}], %r7`);
  }
  lines.push('and %r0, 3', 'exit');
  const out = lines.length;
  lines.push('mov %r0, 2', 'exit');
  // Resolve +OUT to the relative offset of the `mov %r0, 2` at index `out`.
  const text = lines.map((l, i) => l.replace('+OUT', `+${out - i - 1}`)).join('\n');
  return assemble(text);
}

/** An object holding one XDP program `prog`. */
export function xdpObject(instructions: Instruction[]): BpfObject {
  return {
    endian: 'little',
    license: 'GPL',
    programs: [{ name: 'prog', section: 'xdp', type: ProgType.XDP, instructions, functions: [{ name: 'prog', slot: 0 }], subprograms: [] }],
    maps: [],
  };
}

/** Base frames the random packets start from (real protocol headers, so parsers go deep). */
const basePackets: Uint8Array[] = readdirSync(join(ROOT, 'fixtures', 'kernel-cases', 'packets'))
  .filter((f) => f.endsWith('.bin'))
  .sort()
  .map((f) => new Uint8Array(readFileSync(join(ROOT, 'fixtures', 'kernel-cases', 'packets', f))));

/** A random input: a fixture frame or random bytes, resized, with a few bytes overwritten. */
export interface InputSpec {
  base: number;
  length: number;
  edits: Array<[number, number]>;
  args: bigint[];
}

export const inputArb = (maxLength = 1600): fc.Arbitrary<InputSpec> =>
  fc.record({
    base: fc.nat({ max: basePackets.length }),
    length: fc.oneof(fc.integer({ min: 0, max: 80 }), fc.integer({ min: 0, max: maxLength }), fc.constantFrom(14, 34, 42, 54, 60, 1514)),
    edits: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
    args: fc.array(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), { maxLength: 6 }),
  });

/** The ContextInput an input spec stands for, for a program of type `type`. */
export function contextFor(type: number, s: InputSpec, exactCtx = false): ContextInput {
  const base = basePackets[s.base];
  const bytes = new Uint8Array(s.length);
  if (base !== undefined) bytes.set(base.subarray(0, Math.min(base.length, s.length)));
  else for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 151 + s.length) & 0xff;
  for (const [at, v] of s.edits) if (bytes.length > 0) bytes[at % bytes.length] = v;
  if (PACKET_TYPES.has(type)) return { packet: bytes };
  if (type === ProgType.KPROBE) return { args: s.args };
  if (type === ProgType.RAW_TRACEPOINT) return { args: [...s.args, ...new Array<bigint>(12 - s.args.length).fill(0n)] };
  if (exactCtx) return { ctx: bytes };
  // Tracepoint records: the kernel hands a record of the tracepoint's full size; give plenty.
  const ctx = new Uint8Array(Math.max(512, bytes.length));
  ctx.set(bytes);
  return { ctx };
}

export const inputHex = (ctx: ContextInput): string => {
  const b = ctx.packet ?? ctx.ctx;
  if (b !== undefined) return `${b.length} bytes: ${Buffer.from(b).toString('hex')}`;
  return `args [${(ctx.args ?? []).map((a) => `0x${a.toString(16)}`).join(', ')}]`;
};

/** What a run left behind, reduced to what both engines must agree on. */
export interface RunSummary {
  /** undefined when the input was refused before running (TestRunError / usage). */
  result: RunResult | undefined;
  refused: string | undefined;
  /** Ring buffer records reserved and neither submitted nor discarded when the run ended. */
  leaked: number;
}

/** Runs `name` on `instance` once on `input` with `engine` (maps keep their state across runs). */
export function runOn(instance: ObjectInstance, name: string, input: ContextInput, engine: 'interp' | 'jit', budget?: number): RunSummary {
  let result: RunResult | undefined;
  let refused: string | undefined;
  try {
    result = runProgram(instance, name, { ...input, engine, ...(budget !== undefined ? { budget } : {}) });
  } catch (e) {
    // Only bpfkit's own refusals (TestRunError, unsupported map or program types) are outcomes.
    if (!isBpfkitError(e)) throw e;
    refused = e.message;
  }
  let leaked = 0;
  // runProgram consumes every finished record after the run: data left means a record still reserved.
  for (const m of instance.maps) if (m instanceof RingbufMap && m.query(RingbufQuery.AVAIL_DATA) > 0n) leaked++;
  return { result, refused, leaked };
}

/** A fresh instance of `object` (what each engine gets, so map state evolves identically). */
export const instanceOf = (object: BpfObject): ObjectInstance | string => {
  try {
    return new ObjectInstance(object, { cpus: 2 });
  } catch (e) {
    if (!isBpfkitError(e)) throw e;
    return e.message;
  }
};

/** Where two engines' summaries differ, or undefined. */
export function engineDifference(a: RunSummary, b: RunSummary): string | undefined {
  if (a.refused !== b.refused) return `refused: interp ${a.refused ?? '-'} | jit ${b.refused ?? '-'}`;
  const x = a.result;
  const y = b.result;
  if (x === undefined || y === undefined) return undefined;
  if ((x.error?.message ?? '') !== (y.error?.message ?? '')) return `error: interp ${x.error?.message ?? '-'} | jit ${y.error?.message ?? '-'}`;
  if (x.r0 !== y.r0) return `r0: interp ${x.r0} | jit ${y.r0}`;
  if (x.executed !== y.executed) return `executed: interp ${x.executed} | jit ${y.executed}`;
  if (x.tailCalls !== y.tailCalls) return `tail calls: interp ${x.tailCalls} | jit ${y.tailCalls}`;
  const px = x.packet ? Buffer.from(x.packet).toString('hex') : '';
  const py = y.packet ? Buffer.from(y.packet).toString('hex') : '';
  if (px !== py) return 'packet bytes differ';
  if (a.leaked !== b.leaked) return `leaked ring buffer records: interp ${a.leaked} | jit ${b.leaked}`;
  return undefined;
}

/** The program as assembler text, one numbered line per instruction, for reproducers. */
export const listing = (program: readonly Instruction[]): string => program.map((i, k) => `  ${String(k).padStart(4)}: ${formatInstruction(i)}`).join('\n');
