/**
 * Random valid eBPF programs for differential testing of the engines. Seeded, so a failure is
 * reproducible from its seed. Programs always terminate: backward jumps only close loops with a
 * bounded counter, and every path ends in `exit` (or a fault).
 *
 * Register conventions inside a generated program: r6 keeps the `mem` pointer (r1 on entry), r7 is
 * a scratch pointer for computed addresses, r9 counts loop iterations; random ALU code writes
 * r0..r5 and r8 (and reads everything), so pointers survive long enough to be used.
 */
import { insn, type Instruction } from '../../src/isa/instruction.js';
import { slotOffsets } from '../../src/isa/instruction.js';

/** mulberry32: small, fast, good enough for test generation. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  /** An int32 biased to the values that break arithmetic: 0, ±1, extremes, small, powers of two. */
  imm(): number {
    switch (this.int(8)) {
      case 0:
        return this.pick([0, 1, -1, 2, -2]);
      case 1:
        return this.pick([0x7fffffff, -0x80000000, 0x7fff, -0x8000, 0xff, 0xffff, 0x80]);
      case 2:
        return 1 << this.int(31);
      case 3:
        return -(1 << this.int(31));
      case 4:
        return this.range(-64, 64);
      default:
        return (this.next() * 4294967296) | 0;
    }
  }
  /** A 64-bit value with the same bias, as [lo, hi]. */
  wide(): [number, number] {
    switch (this.int(6)) {
      case 0:
        return [0, this.pick([0, -1, 0x7fffffff, -0x80000000, 1])];
      case 1:
        return [-1, this.pick([0, -1, 0x7fffffff])];
      case 2: {
        const v = this.imm();
        return [v, v >> 31];
      }
      default:
        return [this.imm(), this.imm()];
    }
  }
}

/** One generated test: a program, its `mem`, and an optional budget. */
export interface GenCase {
  readonly seed: number;
  readonly program: Instruction[];
  readonly mem: Uint8Array;
  budget?: number;
}

const MEM_SIZE = 64;
const WRITABLE = [0, 1, 2, 3, 4, 5, 8];
const READABLE = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];

const ALU_OPS = [0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80, 0x90, 0xa0, 0xb0, 0xc0, 0xd0];
const JMP_OPS = [0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0xa0, 0xb0, 0xc0, 0xd0];
const ATOMIC_KINDS = [0x00, 0x01, 0x40, 0x41, 0x50, 0x51, 0xa0, 0xa1, 0xe1, 0xf1];

interface Fixup {
  at: number;
  label: string;
  /** `imm` for calls and the 32-bit ja, `off` for other jumps. */
  field: 'off' | 'imm';
}

/** Instructions with symbolic jump targets, resolved by {@link Builder.finish}. */
class Builder {
  readonly ins: Instruction[] = [];
  private readonly labels = new Map<string, number>();
  private readonly fixups: Fixup[] = [];
  private n = 0;
  fresh(prefix: string): string {
    return `${prefix}${this.n++}`;
  }
  emit(i: Instruction): void {
    this.ins.push(i);
  }
  label(name: string): void {
    this.labels.set(name, this.ins.length);
  }
  jump(i: Instruction, label: string): void {
    this.fixups.push({ at: this.ins.length, label, field: i.opcode === 0x06 || i.opcode === 0x85 ? 'imm' : 'off' });
    this.ins.push(i);
  }
  finish(): Instruction[] {
    const pcs = slotOffsets(this.ins);
    const total = pcs.length === 0 ? 0 : pcs[pcs.length - 1]! + (this.ins[this.ins.length - 1]!.opcode === 0x18 ? 2 : 1);
    for (const f of this.fixups) {
      const idx = this.labels.get(f.label)!;
      const target = idx < pcs.length ? pcs[idx]! : total;
      const rel = target - pcs[f.at]! - 1;
      if (f.field === 'off') this.ins[f.at]!.off = rel;
      else this.ins[f.at]!.imm = rel;
    }
    return this.ins;
  }
}

/** Shapes the generator mixes; `weights` below say how often each appears. */
type Segment =
  | 'alu'
  | 'stack'
  | 'mem'
  | 'computed'
  | 'atomic'
  | 'branch'
  | 'loop'
  | 'call'
  | 'helper'
  | 'odd';

const WEIGHTS: ReadonlyArray<[Segment, number]> = [
  ['alu', 10],
  ['stack', 5],
  ['mem', 5],
  ['computed', 3],
  ['atomic', 3],
  ['branch', 6],
  ['loop', 3],
  ['call', 2],
  ['helper', 1],
  ['odd', 1],
];
const TOTAL_WEIGHT = WEIGHTS.reduce((a, [, w]) => a + w, 0);

class Gen {
  readonly b = new Builder();
  /** Functions to emit after main: label → body kind. */
  private readonly functions: Array<{ label: string; recursive: boolean }> = [];
  constructor(readonly r: Rng) {}

  private segment(): Segment {
    let x = this.r.int(TOTAL_WEIGHT);
    for (const [s, w] of WEIGHTS) {
      if (x < w) return s;
      x -= w;
    }
    return 'alu';
  }

  aluOne(): void {
    const r = this.r;
    const wide = r.chance(0.55);
    let op = r.pick(ALU_OPS);
    const x = r.chance(0.5) && op !== 0x80;
    const d = r.pick(WRITABLE);
    const s = r.pick(READABLE);
    let off = 0;
    let imm = x ? 0 : r.imm();
    if (op === 0xd0) {
      // Byte swaps: to-le / to-be (ALU) or bswap (ALU64, source bit clear).
      imm = r.pick([16, 32, 64]);
      const cls = wide ? 0x07 : 0x04;
      const be = !wide && r.chance(0.5);
      this.b.emit(insn(0xd0 | cls | (be ? 0x08 : 0), d, 0, 0, imm));
      return;
    }
    if (op === 0x80) {
      this.b.emit(insn(0x80 | (wide ? 0x07 : 0x04), d));
      return;
    }
    if ((op === 0x30 || op === 0x90) && r.chance(0.5)) off = 1;
    if (op === 0xb0 && x && r.chance(0.5)) off = wide ? r.pick([8, 16, 32]) : r.pick([8, 16]);
    if ((op === 0x30 || op === 0x90) && !x && r.chance(0.2)) imm = r.pick([0, -1]);
    if (op === 0x60 || op === 0x70 || op === 0xc0) {
      if (!x) imm = r.chance(0.8) ? r.int(wide ? 64 : 32) : r.imm();
    }
    op |= (wide ? 0x07 : 0x04) | (x ? 0x08 : 0);
    this.b.emit(insn(op, d, x ? s : 0, off, imm));
  }

  alu(n: number): void {
    for (let i = 0; i < n; i++) this.aluOne();
  }

  /** Loads a value worth testing into a writable register: lddw, mov or mov32. */
  seed(reg: number): void {
    const r = this.r;
    const [lo, hi] = r.wide();
    if (r.chance(0.5)) this.b.emit(insn(0x18, reg, 0, 0, lo, hi));
    else this.b.emit(insn(r.chance(0.5) ? 0xb7 : 0xb4, reg, 0, 0, lo));
  }

  private size(): { bits: number; size: number } {
    const bits = this.r.pick([0x00, 0x08, 0x10, 0x18]);
    return { bits, size: bits === 0x00 ? 4 : bits === 0x08 ? 2 : bits === 0x10 ? 1 : 8 };
  }

  /** A load, an immediate store or a register store at base + off. */
  access(base: number, off: number): void {
    const r = this.r;
    const { bits } = this.size();
    switch (r.int(4)) {
      case 0: {
        const sx = bits !== 0x18 && r.chance(0.3);
        this.b.emit(insn((sx ? 0x81 : 0x61) | bits, r.pick(WRITABLE), base, off));
        break;
      }
      case 1:
        this.b.emit(insn(0x62 | bits, base, 0, off, r.imm()));
        break;
      default:
        this.b.emit(insn(0x63 | bits, base, r.pick(READABLE), off));
    }
  }

  stackOff(size = 8): number {
    const r = this.r;
    if (r.chance(0.08)) return r.pick([0, 8, -520, -513, 16, -1024, 512]);
    return -size * r.range(1, 512 / size);
  }

  memOff(): number {
    const r = this.r;
    if (r.chance(0.1)) return r.pick([MEM_SIZE, MEM_SIZE - 1, -1, -8, 4096, -4096, 0x7fff]);
    return r.range(0, MEM_SIZE - 8);
  }

  atomic(): void {
    const r = this.r;
    const wide = r.chance(0.5);
    const kind = r.pick(ATOMIC_KINDS);
    const onStack = r.chance(0.5);
    const base = onStack ? 10 : 6;
    const off = onStack ? -8 * r.range(1, 8) : r.chance(0.1) ? this.memOff() : 8 * r.range(0, MEM_SIZE / 8 - 1);
    this.b.emit(insn(wide ? 0xdb : 0xc3, base, r.pick(WRITABLE), off, kind));
  }

  branch(depth: number, inLoop: boolean): void {
    const r = this.r;
    const wide = r.chance(0.5);
    const x = r.chance(0.5);
    const op = r.pick(JMP_OPS) | (wide ? 0x05 : 0x06) | (x ? 0x08 : 0);
    const skip = this.b.fresh('skip');
    this.b.jump(insn(op, r.pick(READABLE), x ? r.pick(READABLE) : 0, 0, x ? 0 : r.imm()), skip);
    this.body(r.range(1, 3), depth + 1, inLoop);
    if (r.chance(0.3)) {
      // An if/else: jump over the else arm, sometimes with the 32-bit ja.
      const end = this.b.fresh('end');
      this.b.jump(r.chance(0.3) ? insn(0x06, 0, 0, 0, 0) : insn(0x05), end);
      this.b.label(skip);
      this.body(r.range(1, 2), depth + 1, inLoop);
      this.b.label(end);
    } else {
      this.b.label(skip);
    }
  }

  loop(depth: number): void {
    const r = this.r;
    const head = this.b.fresh('loop');
    this.b.emit(insn(0xb7, 9, 0, 0, r.range(1, 12)));
    this.b.label(head);
    this.body(r.range(1, 3), depth + 1, true);
    this.b.emit(insn(0x07, 9, 0, 0, -1));
    const close = r.pick([
      insn(0x55, 9, 0, 0, 0), // jne r9, 0
      insn(0x65, 9, 0, 0, 0), // jsgt r9, 0
      insn(0x56, 9, 0, 0, 0), // jne32 w9, 0
      insn(0x26, 9, 0, 0, 0), // jgt32 w9, 0
    ]);
    this.b.jump(close, head);
  }

  call(): void {
    const r = this.r;
    const recursive = r.chance(0.3);
    const label = this.b.fresh(recursive ? 'rec' : 'fn');
    if (recursive) {
      // r5 counts the recursion: deep enough (> 7) and the call-depth limit faults.
      this.b.emit(insn(0xb7, 5, 0, 0, r.range(0, 10)));
    }
    this.functions.push({ label, recursive });
    this.b.jump(insn(0x85, 0, 1, 0, 0), label);
  }

  helper(): void {
    const r = this.r;
    const roll = r.int(10);
    if (roll < 7) this.b.emit(insn(0x85, 0, 0, 0, 5));
    else if (roll < 8) this.b.emit(insn(0x85, 0, 0, 0, r.pick([1, 6, 12, 999])));
    else {
      // callx through a register holding helper 5 or some other value.
      this.b.emit(insn(0xb7, 8, 0, 0, r.pick([5, 5, 7, -1])));
      this.b.emit(insn(0x8d, 8));
    }
  }

  /** Things that fault or end the program in unusual ways; rare on purpose. */
  odd(): void {
    const r = this.r;
    switch (r.int(5)) {
      case 0:
        this.b.emit(insn(r.pick([0x8f, 0xdf, 0x0d, 0xee, 0x9d, 0xff]), 0, 0, 0, 0));
        break;
      case 1:
        this.b.emit(insn(0x30, 0, 0, 0, r.imm())); // LD_ABS without a socket buffer
        break;
      case 2:
        this.b.emit(insn(0x85, 0, 2, 0, r.range(1, 100))); // kfunc
        break;
      case 3: {
        // Conditional exit.
        const skip = this.b.fresh('skip');
        this.b.jump(insn(0x55, r.pick(READABLE), 0, 0, r.imm()), skip);
        this.b.emit(insn(0x95));
        this.b.label(skip);
        break;
      }
      default: {
        // A store, then a jump that skips the program's `exit` when the condition holds: the
        // program runs off its end (loading refuses jumps that leave the program, not this).
        this.b.emit(insn(0x7a, 10, 0, -8, r.imm()));
        this.b.jump(insn(0x15, r.pick(READABLE), 0, 0, r.pick([0, 1, -1])), 'end-of-program');
      }
    }
  }

  body(n: number, depth: number, inLoop = false): void {
    for (let i = 0; i < n; i++) {
      let s = this.segment();
      if (depth > 2 && (s === 'loop' || s === 'branch')) s = 'alu';
        if (inLoop && (s === 'loop' || s === 'call')) s = 'alu';
      switch (s) {
        case 'alu':
          this.alu(this.r.range(1, 6));
          break;
        case 'stack': {
          const { size } = this.size();
          this.access(10, this.stackOff(size));
          break;
        }
        case 'mem':
          this.access(6, this.memOff());
          break;
        case 'computed': {
          // r7 = base + (reg & mask): in bounds most of the time, then an access through r7.
          const onStack = this.r.chance(0.4);
          const src = this.r.pick(WRITABLE);
          this.b.emit(insn(0xbf, 7, src));
          this.b.emit(insn(0x57, 7, 0, 0, this.r.chance(0.8) ? 0x1f : 0xffff));
          if (onStack) {
            this.b.emit(insn(0x87, 7));
            this.b.emit(insn(0x0f, 7, 10));
            this.access(7, -8);
          } else {
            this.b.emit(insn(0x0f, 7, 6));
            this.access(7, this.r.range(0, 24));
          }
          break;
        }
        case 'atomic':
          this.atomic();
          break;
        case 'branch':
          this.branch(depth, inLoop);
          break;
        case 'loop':
          this.loop(depth);
          break;
        case 'call':
          this.call();
          break;
        case 'helper':
          this.helper();
          break;
        case 'odd':
          this.odd();
          break;
      }
    }
  }

  /** Functions called from main: own stack use, ALU, maybe a memory access through r6. */
  emitFunctions(): void {
    for (let i = 0; i < this.functions.length; i++) {
      const f = this.functions[i]!;
      this.b.label(f.label);
      const r = this.r;
      this.b.emit(insn(0x7b, 10, r.pick(READABLE), -8 * r.range(1, 4)));
      this.alu(r.range(0, 4));
      if (r.chance(0.5)) this.access(6, this.memOff());
      if (r.chance(0.3)) this.access(10, r.chance(0.7) ? -8 : 8);
      if (f.recursive) {
        const done = this.b.fresh('done');
        this.b.jump(insn(0x15, 5, 0, 0, 0), done);
        this.b.emit(insn(0x07, 5, 0, 0, -1));
        this.b.jump(insn(0x85, 0, 1, 0, 0), f.label);
        this.b.label(done);
      }
      this.b.emit(insn(0x79, r.pick(WRITABLE), 10, -8));
      this.b.emit(insn(0x95));
    }
  }
}

/** A random program with `mem` of {@link MEM_SIZE} random bytes. */
export function generateCase(seed: number): GenCase {
  const r = new Rng(seed);
  const g = new Gen(r);
  const b = g.b;
  b.emit(insn(0xbf, 6, 1));
  for (const reg of [0, 2, 3, 4, 5, 8]) if (r.chance(0.6)) g.seed(reg);
  // Occasionally start with a long straight-line stretch, to cross many blocks' worth of budget.
  g.body(r.range(2, r.chance(0.1) ? 30 : 10), 0);
  // Fold every register into r0, so a difference anywhere shows in the result.
  for (const reg of [1, 2, 3, 4, 5, 7, 8, 9]) if (r.chance(0.7)) b.emit(insn(0xaf, 0, reg));
  b.emit(insn(0x95));
  g.emitFunctions();
  // The last instruction: `exit` (nothing reaches it) or, now and then, one that runs off the end.
  b.label('end-of-program');
  b.emit(r.chance(0.5) ? insn(0x95) : r.pick([insn(0x07, 0, 0, 0, 1), insn(0x85, 0, 0, 0, 5), insn(0x55, 0, 0, -1, 7)]));
  const program = b.finish();
  const mem = new Uint8Array(MEM_SIZE);
  for (let i = 0; i < MEM_SIZE; i++) mem[i] = r.int(256);
  return { seed, program, mem };
}
