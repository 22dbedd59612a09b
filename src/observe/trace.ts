import type { HelperTable } from '../helpers/abi.js';
import type { ExecProgram } from '../helpers/exec-program.js';
import type { Memory } from '../helpers/memory.js';
import { helperName } from '../helpers/helper-ids.js';
import { formatInstruction } from '../isa/disasm.js';
import type { Instruction, SourceLocation } from '../isa/instruction.js';
import { slotOffsets } from '../isa/instruction.js';
import type { InstructionHook } from '../vm/interpreter.js';

/** A memory access an instruction made (or tried to make). */
export interface TraceMemoryAccess {
  kind: 'read' | 'write' | 'atomic';
  address: number;
  size: number;
  /** Region name, or `?` when the address is in no region (the access faults). */
  region: string;
  /** The value read (before the instruction) or written, as hex; absent when the access faults. */
  value?: string;
}

/** One executed instruction. */
export interface TraceEntry {
  /** 0-based count of executed instructions. */
  step: number;
  pc: number;
  /** The program the instruction belongs to (changes at a tail call). */
  program: string;
  /** The instruction in llvm-objdump syntax. */
  insn: string;
  source?: SourceLocation;
  /** Registers the instruction changed, with their new values (hex). */
  writes: Array<{ reg: string; value: string }>;
  mem?: TraceMemoryAccess;
  helper?: { id: number; name: string; args: string[]; ret: string };
}

export interface TraceOptions {
  /** Most entries kept (default 100,000); later instructions are counted but not stored. */
  limit?: number;
}

const hex64 = (lo: number, hi: number): string =>
  hi === 0 ? `0x${(lo >>> 0).toString(16)}` : `0x${(hi >>> 0).toString(16)}${(lo >>> 0).toString(16).padStart(8, '0')}`;
const hexBig = (v: bigint): string => `0x${BigInt.asUintN(64, v).toString(16)}`;

/**
 * Records what each instruction did, using the interpreter's per-instruction hook: registers are
 * compared with the snapshot taken before the instruction, memory accesses are computed from the
 * instruction and the registers, and helper calls are seen through a wrapped helper table.
 */
export class TraceRecorder {
  readonly entries: TraceEntry[] = [];
  /** Instructions executed, including those past the limit. */
  executed = 0;
  private readonly limit: number;
  private memory: Memory | undefined;
  private prog: ExecProgram | undefined;
  private byPc = new Map<number, Instruction>();
  private last: TraceEntry | undefined;
  private lastLo = new Int32Array(11);
  private lastHi = new Int32Array(11);
  private lastRegs: Int32Array | undefined;
  /** Destination register the last instruction always writes (ALU, loads), or -1. */
  private lastDst = -1;

  constructor(options: TraceOptions = {}) {
    this.limit = options.limit ?? 100_000;
  }

  /** True when entries were dropped because of the limit. */
  get truncated(): boolean {
    return this.executed > this.entries.length;
  }

  /** Binds the recorder to the program about to run (call again after a tail call). */
  attach(prog: ExecProgram, memory: Memory): void {
    this.prog = prog;
    this.memory = memory;
    this.byPc = new Map();
    const pcs = slotOffsets(prog.instructions);
    prog.instructions.forEach((ins, i) => this.byPc.set(pcs[i]!, ins));
    this.last = undefined;
    this.lastRegs = undefined;
  }

  /** The hook to give the interpreter. */
  readonly hook: InstructionHook = (pc, lo, hi) => {
    this.settle(lo, hi);
    const step = this.executed++;
    if (this.entries.length >= this.limit || this.prog === undefined) {
      this.last = undefined;
      return;
    }
    const ins = this.byPc.get(pc);
    const entry: TraceEntry = {
      step,
      pc,
      program: this.prog.name,
      insn: ins ? describe(ins, pc) : '<unknown>',
      writes: [],
    };
    const source = this.prog.source[pc];
    if (source) entry.source = source;
    if (ins) {
      const mem = this.access(ins, lo, hi);
      if (mem) entry.mem = mem;
    }
    this.entries.push(entry);
    this.last = entry;
    const cls = ins ? ins.opcode & 7 : -1;
    this.lastDst = ins && (cls === 0 ? ins.opcode === 0x18 : cls === 1 || cls === 4 || cls === 7) ? ins.dst : -1;
    this.lastLo.set(lo);
    this.lastHi.set(hi);
    this.lastRegs = lo;
  };

  /** Records the register writes of the last instruction once the next one (or the end) is reached. */
  settle(lo?: Int32Array, hi?: Int32Array): void {
    const e = this.last;
    if (e === undefined || lo === undefined || hi === undefined || lo !== this.lastRegs) return;
    // Changed registers, plus the destination of an ALU op or load even when its value stayed.
    const dst = this.lastDst;
    for (let r = 0; r < 11; r++) {
      if (lo[r] !== this.lastLo[r] || hi[r] !== this.lastHi[r] || r === dst) e.writes.push({ reg: `r${r}`, value: hex64(lo[r]!, hi[r]!) });
    }
    this.last = undefined;
  }

  /** Ends the trace. The last instruction of a run is `exit` (or the one that faulted): it writes no register. */
  finish(): void {
    this.last = undefined;
  }

  /** What a run plugs in (`runProgram`'s `instrument` option): this recorder's hook and helper wrapper. */
  instrument(): { hookFor(prog: ExecProgram, memory: Memory): InstructionHook; wrapHelpers(table: HelperTable): HelperTable } {
    return {
      hookFor: (prog, memory) => {
        this.attach(prog, memory);
        return this.hook;
      },
      wrapHelpers: (table) => this.wrapHelpers(table),
    };
  }

  /** Wraps a helper table so each call is recorded on the calling instruction's entry. */
  wrapHelpers(table: HelperTable): HelperTable {
    return {
      nameOf: (id) => table.nameOf(id),
      get: (id) => {
        const fn = table.get(id);
        if (fn === undefined) return undefined;
        return (rt, a1, a2, a3, a4, a5) => {
          const entry = this.last;
          const ret = fn(rt, a1, a2, a3, a4, a5);
          if (entry !== undefined) {
            entry.helper = { id, name: table.nameOf(id), args: [a1, a2, a3, a4, a5].map(hexBig), ret: hexBig(ret) };
          }
          return ret;
        };
      },
    };
  }

  private access(ins: Instruction, lo: Int32Array, hi: Int32Array): TraceMemoryAccess | undefined {
    const op = ins.opcode;
    const cls = op & 7;
    const size = [4, 2, 1, 8][(op >> 3) & 3]!;
    let kind: TraceMemoryAccess['kind'];
    let base: number;
    if (cls === 1) {
      kind = 'read';
      base = ins.src;
    } else if (cls === 2 || cls === 3) {
      kind = cls === 3 && (op & 0xe0) === 0xc0 ? 'atomic' : 'write';
      base = ins.dst;
    } else {
      return undefined;
    }
    const address = (lo[base]! >>> 0) + ins.off;
    const memory = this.memory!;
    const region = hi[base] === 0 ? memory.regionAt(address) : undefined;
    const out: TraceMemoryAccess = { kind, address, size, region: region?.name ?? '?' };
    const inside = region !== undefined && address >= region.start && address + size <= region.end;
    if (kind === 'write') {
      const v = cls === 2 ? ins.imm : lo[ins.src]!;
      const vHi = cls === 2 ? ins.imm >> 31 : hi[ins.src]!;
      out.value = size === 8 ? hex64(v, vHi) : hex64(size === 4 ? v : v & (size === 2 ? 0xffff : 0xff), 0);
    } else if (inside) {
      const dv = memory.dv;
      out.value =
        size === 8
          ? hex64(dv.getInt32(address, true), dv.getInt32(address + 4, true))
          : hex64(size === 4 ? dv.getInt32(address, true) : size === 2 ? dv.getUint16(address, true) : dv.getUint8(address), 0);
    }
    return out;
  }
}

/** The instruction in llvm-objdump syntax, with helpers and maps named as `bpfkit disasm` names them. */
function describe(ins: Instruction, pc: number): string {
  if (ins.opcode === 0x18 && ins.meta?.map !== undefined) {
    const off = ins.src === 2 && (ins.immHi ?? 0) !== 0 ? ` + 0x${(ins.immHi! >>> 0).toString(16)}` : '';
    return `r${ins.dst} = map[${ins.meta.map}]${off} ll`;
  }
  return formatInstruction(ins, { pc, helperName: (id) => (helperName(id) === 'unknown' ? undefined : helperName(id)) });
}

/** Readable text: the source line once per change of line, then the instructions under it. */
export function formatTrace(entries: readonly TraceEntry[]): string {
  const lines: string[] = [];
  let lastLine = '';
  for (const e of entries) {
    const where = e.source ? `${e.source.file}:${e.source.line}` : '';
    if (where !== lastLine && e.source) {
      lines.push(`; ${where}: ${e.source.text.trim()}`);
      lastLine = where;
    }
    let text = `${String(e.step).padStart(6)}  ${String(e.pc).padStart(4)}: ${e.insn}`;
    const notes: string[] = [];
    for (const w of e.writes) notes.push(`${w.reg}=${w.value}`);
    if (e.mem) notes.push(`${e.mem.kind} ${e.mem.size}@0x${e.mem.address.toString(16)} [${e.mem.region}]${e.mem.value !== undefined ? ` ${e.mem.value}` : ''}`);
    if (e.helper) notes.push(`${e.helper.name}(${e.helper.args.join(', ')}) = ${e.helper.ret}`);
    if (notes.length) text = `${text.padEnd(56)} ; ${notes.join('  ')}`;
    lines.push(text);
  }
  return lines.join('\n');
}

/** JSON lines: one object per executed instruction. */
export const traceToJsonLines = (entries: readonly TraceEntry[]): string => entries.map((e) => JSON.stringify(e)).join('\n');
