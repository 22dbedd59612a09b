/**
 * Differential testing of the engines: run a program on the interpreter and on the JIT, compare
 * everything a program can leave behind (r0, the error's kind, pc and text, the instruction count,
 * the bytes of `mem` and of the stack), shrink a disagreement to a minimal program, print it in
 * uBPF assembler syntax.
 */
import { formatInstruction } from '../../src/isa/disasm.js';
import { slotCount, slotOffsets, type Instruction } from '../../src/isa/instruction.js';
import { RuntimeFault } from '../../src/helpers/fault.js';
import { STACK_FRAME_SIZE, MAX_CALL_FRAMES } from '../../src/helpers/memory.js';
import { prepareRaw, type EngineName, type RawRunOptions } from '../../src/run/raw.js';
import type { GenCase } from './gen-programs.js';

export interface Outcome {
  r0: bigint | undefined;
  /** `name: message`, plus kind and pc for runtime faults. */
  error: string | undefined;
  executed: number;
  mem: Uint8Array;
  stack: Uint8Array;
}

export type JitSettings = NonNullable<RawRunOptions['jit']>;

export function runOn(engine: EngineName, c: GenCase, jit?: JitSettings): Outcome {
  const options: RawRunOptions = { engine };
  if (c.budget !== undefined) options.budget = c.budget;
  if (jit !== undefined) options.jit = jit;
  let runner;
  try {
    runner = prepareRaw(c.program, c.mem, options);
  } catch (e) {
    return { r0: undefined, error: `prepare: ${describe(e)}`, executed: 0, mem: new Uint8Array(), stack: new Uint8Array() };
  }
  let r0: bigint | undefined;
  let error: string | undefined;
  try {
    r0 = runner.run().r0;
  } catch (e) {
    error = describe(e);
  }
  const m = runner.memory;
  const region = runner.memRegion;
  return {
    r0,
    error,
    executed: runner.engine.executed,
    mem: region ? m.u8.slice(region.start, region.end) : new Uint8Array(),
    stack: m.u8.slice(m.stackTop - STACK_FRAME_SIZE * MAX_CALL_FRAMES, m.stackTop),
  };
}

function describe(e: unknown): string {
  if (e instanceof RuntimeFault) return `RuntimeFault[${e.kind} @${e.pc}]: ${e.message}`;
  if (e instanceof Error) return `${e.name}: ${e.message}`;
  return `thrown: ${String(e)}`;
}

const firstDiff = (a: Uint8Array, b: Uint8Array): number => {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
};

/** What differs between two outcomes, or undefined when they agree in every respect. */
export function difference(a: Outcome, b: Outcome): string | undefined {
  if (a.error !== b.error) return `error: interp ${a.error ?? '(none)'} | jit ${b.error ?? '(none)'}`;
  if (a.r0 !== b.r0) return `r0: interp ${hex(a.r0)} | jit ${hex(b.r0)}`;
  if (a.executed !== b.executed) return `executed: interp ${a.executed} | jit ${b.executed}`;
  const m = firstDiff(a.mem, b.mem);
  if (m >= 0) return `mem byte ${m}: interp ${a.mem[m]} | jit ${b.mem[m]}`;
  const s = firstDiff(a.stack, b.stack);
  if (s >= 0) return `stack byte ${s - a.stack.length} below the top: interp ${a.stack[s]} | jit ${b.stack[s]}`;
  return undefined;
}

const hex = (v: bigint | undefined): string => (v === undefined ? '(none)' : `0x${v.toString(16)}`);

/** Compares the engines on one case; returns the difference, if any. */
export function disagreement(c: GenCase, jit?: JitSettings): string | undefined {
  return difference(runOn('interp', c), runOn('jit', c, jit));
}

const JUMPS_BY_OFF = (op: number): boolean => {
  const cls = op & 7;
  return (cls === 5 || cls === 6) && op !== 0x85 && op !== 0x8d && op !== 0x95 && op !== 0x06;
};

/**
 * The program without instruction `i`, jumps and calls re-aimed so they still land on the same
 * instructions (a jump to the removed one lands on its successor).
 */
export function withoutInstruction(program: readonly Instruction[], i: number): Instruction[] {
  const pcs = slotOffsets(program);
  const pos = pcs[i]!;
  const w = slotCount(program[i]!);
  const moved = (pc: number): number => (pc <= pos ? pc : Math.max(pos, pc - w));
  const out: Instruction[] = [];
  program.forEach((ins, j) => {
    if (j === i) return;
    const copy: Instruction = { ...ins };
    const pc = pcs[j]!;
    if (JUMPS_BY_OFF(ins.opcode)) copy.off = moved(pc + 1 + ins.off) - moved(pc) - 1;
    else if (ins.opcode === 0x06 || (ins.opcode === 0x85 && ins.src === 1)) copy.imm = moved(pc + 1 + ins.imm) - moved(pc) - 1;
    out.push(copy);
  });
  return out;
}

/** Deletes instructions one at a time while `fails` still holds; returns the smallest case found. */
export function shrink(c: GenCase, fails: (c: GenCase) => boolean): GenCase {
  let best = c;
  for (let changed = true; changed; ) {
    changed = false;
    for (let i = best.program.length - 1; i >= 0; i--) {
      if (i >= best.program.length) continue;
      const candidate: GenCase = { ...best, program: withoutInstruction(best.program, i) };
      if (candidate.program.length > 0 && fails(candidate)) {
        best = candidate;
        changed = true;
      }
    }
  }
  return best;
}

/** The case as text: uBPF assembler, one instruction a line with its pc, then mem and budget. */
export function formatCase(c: GenCase): string {
  const pcs = slotOffsets(c.program);
  const lines = c.program.map((ins, i) => `  ${String(pcs[i]).padStart(4)}: ${formatInstruction(ins, { syntax: 'ubpf', pc: pcs[i]! })}`);
  const mem = Array.from(c.mem, (b) => b.toString(16).padStart(2, '0')).join(' ');
  return [`seed ${c.seed}${c.budget !== undefined ? `, budget ${c.budget}` : ''}`, '-- asm', ...lines, '-- mem', mem].join('\n');
}
