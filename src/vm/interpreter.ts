import type { EngineInstance, EngineOptions, HelperFn, HelperRuntime, HelperTable } from '../helpers/abi.js';
import { FUNC_POINTER_BASE, HELPER_ARGS, kfuncId, TailCallSignal, type FastHelperFn } from '../helpers/abi.js';
import type { ExecProgram } from '../helpers/exec-program.js';
import { FaultSignal, RuntimeFault, type FaultKind } from '../helpers/fault.js';
import { MAX_CALL_FRAMES, type Memory, PROBE_ZERO } from '../helpers/memory.js';
import { bswap32, mul64, out, sdiv32, sdiv64, smod32, smod64, udiv32, udiv64, umod32, umod64 } from './u64.js';

/** Default instruction budget of a run. */
export const DEFAULT_BUDGET = 1_000_000;

/** Result of a legacy packet load (`LD_ABS`/`LD_IND`): the value, or undefined to end the program with 0. */
export type LegacyLoad = (offset: number, size: 1 | 2 | 4) => number | undefined;

/**
 * Called before each instruction executes, with the live registers (lo/hi halves). Tracing,
 * coverage and profiling are built on it; with no hook the loop pays one predictable branch.
 */
export type InstructionHook = (pc: number, lo: Int32Array, hi: Int32Array) => void;

export interface InterpreterOptions extends EngineOptions {
  hook?: InstructionHook;
}

/** Thrown internally to end the program early with r0 = 0 (an out-of-bounds `LD_ABS`). */
class AbortWithZero extends Error {
  constructor() {
    // Control flow: no stack trace (see TailCallSignal).
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super();
    Error.stackTraceLimit = limit;
  }
}

const SIZE_OF_LD = [4, 2, 1, 0]; // indexed by (size >> 3): W, H, B, DW
/** Products below 2^53 are exact in a double; 2^-32 scales one exactly to its high word. */
const TWO53 = 9007199254740992;
const TWO_NEG32 = 1 / 4294967296;

/** r0 values most programs return (verdicts, small counts), made once: no BigInt per run for them. */
const SMALL: readonly bigint[] = Array.from({ length: 1024 }, (_, i) => BigInt(i));

/**
 * Register `i` as a helper argument. Most (pointers, small constants) fit in 32 bits: one
 * conversion, or none. A function of its own, not a closure over L and H: a closure makes
 * callHelper allocate a context on every call, fast path included.
 */
function regArg(L: Int32Array, H: Int32Array, i: number): bigint {
  const h = H[i]!;
  const l = L[i]! >>> 0;
  if (h === 0) return l < SMALL.length ? SMALL[l]! : BigInt(l);
  return (BigInt(h >>> 0) << 32n) | BigInt(l);
}

/**
 * The uBPF-style interpreter: a flat switch over the pre-decoded slots, registers as lo/hi int32
 * pairs so no 64-bit value is ever allocated on the hot path.
 */
export class Interpreter implements HelperRuntime, EngineInstance {
  readonly memory: Memory;
  private readonly prog: ExecProgram;
  private readonly helpers: HelperTable;
  /** The table's answers by helper id, asked on a helper's first call (two lookups a call before). */
  private readonly resolved: Array<{ readonly fn: HelperFn | undefined; readonly fast: FastHelperFn | undefined } | undefined> = [];
  private readonly legacyLoad: LegacyLoad | undefined;
  private readonly hook: InstructionHook | undefined;
  /** Instructions left in the budget; shared with callbacks run through {@link callFunction}. */
  remaining: number;
  /** Instructions executed so far in this run. */
  executed = 0;
  private budget: number;
  /** The pc of the helper call in progress (HelperRuntime). */
  pc = 0;
  /** Absolute depth of the innermost live frame. */
  private depth = 0;
  // The last region an access hit, kept across instructions: most accesses hit the same one.
  private rStart = 0;
  private rEnd = 0;
  private wStart = 0;
  private wEnd = 0;
  /** Registers of a run from {@link run} (lo and hi halves of r0..r10). */
  private readonly runL = new Int32Array(11);
  private readonly runH = new Int32Array(11);
  /** Registers of callbacks by depth (see {@link invoke}). */
  private readonly cbL: Int32Array[] = [];
  private readonly cbH: Int32Array[] = [];
  /** Whether the caller takes tail calls from {@link takeTailCall} (EngineOptions.returnOnTailCall). */
  private readonly returnOnTailCall: boolean;
  /** The target of the tail call the last run ended with, or -1. */
  private tailTarget = -1;
  /** Callbacks in progress (callFunction): a tail call there unwinds by exception, as before. */
  private callbacks = 0;

  /**
   * The slots plus one sentinel slot (opcode 0, which no instruction has): running off the end
   * lands on it, so the loop needs no pc bounds check. Jump targets were checked at load.
   */
  private readonly padded: { op: Uint8Array; dst: Uint8Array; src: Uint8Array; off: Int16Array; imm: Int32Array };

  constructor(prog: ExecProgram, memory: Memory, helpers: HelperTable, options: InterpreterOptions = {}) {
    this.prog = prog;
    const n = prog.slots.length + 1;
    const pad = <T extends Uint8Array | Int16Array | Int32Array>(a: T, make: (n: number) => T): T => {
      const b = make(n);
      b.set(a);
      return b;
    };
    this.padded = {
      op: pad(prog.slots.op, (k) => new Uint8Array(k)),
      dst: pad(prog.slots.dst, (k) => new Uint8Array(k)),
      src: pad(prog.slots.src, (k) => new Uint8Array(k)),
      off: pad(prog.slots.off, (k) => new Int16Array(k)),
      imm: pad(prog.slots.imm, (k) => new Int32Array(k)),
    };
    this.memory = memory;
    this.helpers = helpers;
    this.legacyLoad = options.legacyLoad;
    this.hook = options.hook;
    this.budget = options.budget ?? DEFAULT_BUDGET;
    this.remaining = this.budget;
    this.returnOnTailCall = options.returnOnTailCall === true;
  }

  /** Runs the program from slot 0 with r1..r5 = `args`; returns r0 (unsigned 64-bit). */
  run(args: readonly bigint[] = [], budget?: number): bigint {
    this.startRun(budget);
    return this.invoke(0, 0, args);
  }

  /** A fresh run from slot 0: the budget (a new one when given) and counters reset. */
  private startRun(budget: number | undefined): void {
    if (budget !== undefined) this.budget = budget;
    this.remaining = this.budget;
    this.executed = 0;
    this.depth = 0;
  }

  /** Runs a bpf function as a callback, in a fresh frame below the current one. */
  callFunction(slot: number, args: readonly bigint[]): bigint {
    const saved = this.depth;
    this.callbacks++;
    try {
      return this.invoke(slot, saved + 1, args);
    } finally {
      this.callbacks--;
      this.depth = saved;
      this.memory.setStackDepth(saved);
      this.invalidate();
    }
  }

  /**
   * HelperRuntime: a tail call ends the run by returning from the helper call (exec looks at
   * `tailTarget` after each one). A callback's frames lie under a helper that would carry on, so a
   * tail call there is still thrown.
   */
  deferTailCall(target: number): boolean {
    if (!this.returnOnTailCall || this.callbacks !== 0) return false;
    this.tailTarget = target;
    return true;
  }

  /** EngineInstance: the tail call the last run ended with (-1: none), cleared. */
  takeTailCall(): number {
    const t = this.tailTarget;
    this.tailTarget = -1;
    return t;
  }

  private invoke(entry: number, depth: number, args: readonly bigint[]): bigint {
    // A run's own registers (depth 0) are reused, zeroed: two typed arrays made per run cost more
    // than an empty program's execution. Callbacks, which run while the caller's are live, get new ones.
    let L: Int32Array;
    let H: Int32Array;
    if (depth === 0) {
      L = this.runL;
      H = this.runH;
      for (let r = 0; r < 11; r++) L[r] = H[r] = 0;
    } else {
      // One pair per depth, made once: a callback's registers are live only while it runs, and
      // whatever runs meanwhile (its callees, nested callbacks) is deeper.
      L = this.cbL[depth] ??= new Int32Array(11);
      H = this.cbH[depth] ??= new Int32Array(11);
      for (let r = 0; r < 11; r++) L[r] = H[r] = 0;
    }
    for (let i = 0; i < 5 && i < args.length; i++) {
      const a = args[i]!;
      // Most arguments (pointers, lengths) fit 32 bits: Number() tells exactly, with no BigInt made.
      const n = Number(a);
      if (n >= 0 && n <= 0xffffffff) {
        L[i + 1] = n | 0;
        continue;
      }
      const v = BigInt.asUintN(64, a);
      L[i + 1] = Number(v & 0xffffffffn) | 0;
      H[i + 1] = Number(v >> 32n) | 0;
    }
    return this.invokeRegs(entry, depth, L, H);
  }

  /**
   * {@link run} with r1 as an unsigned 32-bit number (a context pointer): no BigInt on the way in
   * (runProgram's path).
   */
  run32(r1: number, budget?: number): bigint {
    this.startRun(budget);
    // The run's own registers, zeroed, as invoke's depth-0 runs: no typed arrays made per run.
    const L = this.runL;
    const H = this.runH;
    for (let r = 0; r < 11; r++) L[r] = H[r] = 0;
    L[1] = r1 | 0;
    return this.invokeRegs(0, 0, L, H);
  }

  private invokeRegs(entry: number, depth: number, L: Int32Array, H: Int32Array): bigint {
    if (depth >= MAX_CALL_FRAMES) {
      throw new RuntimeFault('call-depth', this.pc, `call depth exceeds ${MAX_CALL_FRAMES} frames`, this.prog.source[this.pc]);
    }
    const length = this.prog.slots.length;
    if (entry < 0 || entry >= length) {
      // A callback pointer outside the program (the padded slots only cover pc = length).
      throw this.fault('invalid', entry < 0 ? 0 : length - 1, `jump out of the program to pc ${entry}`);
    }
    this.depth = depth;
    this.memory.setStackDepth(depth);
    L[10] = this.memory.framePointer(depth);
    this.invalidate();
    try {
      this.exec(entry, L, H);
    } catch (e) {
      if (e instanceof AbortWithZero) {
        // The program ended (with r0 = 0): it used the budget up to the LD_ABS/LD_IND.
        this.executed = this.budget - this.remaining;
        return 0n;
      }
      // A fault: every path that raises one stores the budget left first, so this counts the
      // instructions up to and including the faulting one.
      if (e instanceof RuntimeFault) this.executed = this.budget - this.remaining;
      throw e;
    }
    const lo = L[0]!;
    const hi = H[0]!;
    if (hi === 0 && lo >= 0 && lo < SMALL.length) return SMALL[lo]!;
    return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
  }

  private invalidate(): void {
    this.rStart = this.rEnd = this.wStart = this.wEnd = 0;
  }

  private fault(kind: FaultKind, pc: number, reason: string): RuntimeFault {
    return new RuntimeFault(kind, pc, reason, this.prog.source[pc]);
  }

  /**
   * The slow path of a memory access: computes the full 64-bit address, checks it against the
   * memory model, refreshes the region cache, and returns the address.
   */
  private access(baseLo: number, baseHi: number, off: number, size: number, write: boolean, pc: number): number {
    let lo = (baseLo >>> 0) + off;
    let hi = baseHi;
    if (lo < 0) {
      lo += 4294967296;
      hi = (hi - 1) | 0;
    } else if (lo > 0xffffffff) {
      lo -= 4294967296;
      hi = (hi + 1) | 0;
    }
    let region;
    try {
      region = this.memory.check(lo, hi, size, write);
    } catch (e) {
      if (e instanceof FaultSignal) throw this.fault(e.kind, pc, e.message);
      throw e;
    }
    // a probe load of unmapped memory reads 0 (from PROBE_ZERO's bytes); nothing is cached
    if (region === PROBE_ZERO) return PROBE_ZERO.start;
    let start = region.start;
    let end = region.end;
    if (region.stride > 0) {
      start += Math.floor((lo - region.start) / region.stride) * region.stride;
      end = start + region.elemSize;
    }
    if (write) {
      this.wStart = start;
      this.wEnd = end;
    } else {
      this.rStart = start;
      this.rEnd = end;
    }
    return lo;
  }

  /** Calls helper `id` with r1..r5 and sets r0; true when regions may have changed (exec then forgets its cached bounds). */
  private callHelper(id: number, pc: number, L: Int32Array, H: Int32Array): boolean {
    const poison = this.prog.poisoned.size > 0 ? this.prog.poisoned.get(pc) : undefined;
    if (poison !== undefined) throw this.fault('poisoned', pc, `instruction poisoned by a failed CO-RE relocation: ${poison}`);
    let h = id >= 0 ? this.resolved[id] : undefined;
    if (h === undefined) {
      h = { fn: this.helpers.get(id), fast: this.helpers.fast?.(id) };
      if (id >= 0) this.resolved[id] = h;
    }
    const fn = h.fn;
    if (fn === undefined) {
      throw this.fault('helper', pc, `helper ${this.helpers.nameOf(id)} (#${id}) is not supported`);
    }
    const fast = h.fast;
    if (fast !== undefined) return this.callFast(fast, pc, L, H);
    this.pc = pc;
    const depth = this.depth;
    let r0: bigint;
    try {
      r0 = fn(this, regArg(L, H, 1), regArg(L, H, 2), regArg(L, H, 3), regArg(L, H, 4), regArg(L, H, 5));
    } catch (e) {
      if (e instanceof FaultSignal) throw this.fault(e.kind, pc, e.message);
      throw e;
    }
    this.depth = depth;
    const n = Number(r0);
    if (n >= 0 && n <= 0xffffffff) {
      L[0] = n | 0;
      H[0] = 0;
    } else {
      const v = BigInt.asUintN(64, r0);
      L[0] = Number(v & 0xffffffffn) | 0;
      H[0] = Number(v >> 32n) | 0;
    }
    // r1-r5 are caller-saved: the kernel leaves them unreadable after a call; keep them as they were.
    this.invalidate();
    return true;
  }

  /** A helper's fast path (FastHelperFn): r1..r5 go to HELPER_ARGS as halves, r0 comes back a number. */
  private callFast(fast: FastHelperFn, pc: number, L: Int32Array, H: Int32Array): boolean {
    const dv = this.memory.dv;
    for (let i = 1; i <= 5; i++) {
      dv.setInt32(HELPER_ARGS + 8 * (i - 1), L[i]!, true);
      dv.setInt32(HELPER_ARGS + 8 * (i - 1) + 4, H[i]!, true);
    }
    this.pc = pc;
    const depth = this.depth;
    const layout = this.memory.layout;
    let r0: number | bigint;
    try {
      r0 = fast(this, HELPER_ARGS);
    } catch (e) {
      if (e instanceof FaultSignal) throw this.fault(e.kind, pc, e.message);
      throw e;
    }
    this.depth = depth;
    if (typeof r0 === 'number') {
      L[0] = r0 | 0;
      H[0] = r0 >= 0 && r0 <= 0xffffffff ? 0 : Math.floor(r0 / 0x100000000) | 0;
    } else {
      const v = BigInt.asUintN(64, r0);
      L[0] = Number(v & 0xffffffffn) | 0;
      H[0] = Number(v >> 32n) | 0;
    }
    // A fast path (a map operation) moves no region as a rule: the cached bounds stay exact unless the layout changed.
    return this.memory.layout !== layout;
  }

  private exec(entry: number, L: Int32Array, H: Int32Array): void {
    const { op, dst, src, off, imm } = this.padded;
    const length = this.prog.slots.length;
    const mem = this.memory;
    let dv = mem.dv;
    let pc = entry;
    let remaining = this.remaining;
    let rS = this.rStart;
    let rE = this.rEnd;
    let wS = this.wStart;
    let wE = this.wEnd;
    // Saved r6-r9 (lo, hi), r10 and the return pc of each live local call.
    const frames: number[] = [];
    const baseDepth = this.depth;
    const hook = this.hook;

    for (;;) {
      if (--remaining < 0) {
        this.remaining = 0;
        this.executed = this.budget;
        throw this.fault('budget', pc, `instruction budget of ${this.budget} exhausted`);
      }
      if (hook !== undefined) hook(pc, L, H);
      const d = dst[pc]!;
      switch (op[pc]) {
        // ---- ALU64, immediate source -------------------------------------------------
        case 0x07: {
          const k = imm[pc]!;
          const lo = (L[d]! >>> 0) + (k >>> 0);
          H[d] = H[d]! + (k >> 31) + (lo > 0xffffffff ? 1 : 0);
          L[d] = lo;
          break;
        }
        case 0x17: {
          const k = imm[pc]!;
          const lo = (L[d]! >>> 0) - (k >>> 0);
          H[d] = H[d]! - (k >> 31) - (lo < 0 ? 1 : 0);
          L[d] = lo;
          break;
        }
        case 0x27: {
          const k = imm[pc]!;
          const a = L[d]!;
          // Both factors below 2^32 and an exact product (counters, sizes): no call.
          if ((H[d]! | (k >> 31)) === 0) {
            const p = (a >>> 0) * k;
            if (p < TWO53) {
              L[d] = Math.imul(a, k);
              H[d] = Math.floor(p * TWO_NEG32);
              break;
            }
          }
          mul64(a, H[d]!, k, k >> 31);
          L[d] = out.lo;
          H[d] = out.hi;
          break;
        }
        case 0x37: {
          const k = imm[pc]!;
          // Unsigned, both below 2^32: an integer division in place (the high word stays 0).
          if (off[pc] !== 1 && (H[d]! | (k >> 31)) === 0 && k !== 0) {
            L[d] = ((L[d]! >>> 0) / k) | 0;
            break;
          }
          if (off[pc] === 1) sdiv64(L[d]!, H[d]!, k, k >> 31);
          else udiv64(L[d]!, H[d]!, k, k >> 31);
          L[d] = out.lo;
          H[d] = out.hi;
          break;
        }
        case 0x47: {
          const k = imm[pc]!;
          L[d] = L[d]! | k;
          H[d] = H[d]! | (k >> 31);
          break;
        }
        case 0x57: {
          const k = imm[pc]!;
          L[d] = L[d]! & k;
          H[d] = H[d]! & (k >> 31);
          break;
        }
        case 0x67:
          shl64(L, H, d, imm[pc]! & 63);
          break;
        case 0x77:
          shr64(L, H, d, imm[pc]! & 63);
          break;
        case 0x87: {
          const lo = L[d]!;
          L[d] = -lo;
          H[d] = ~H[d]! + (lo === 0 ? 1 : 0);
          break;
        }
        case 0x97: {
          const k = imm[pc]!;
          if (off[pc] !== 1 && (H[d]! | (k >> 31)) === 0 && k !== 0) {
            L[d] = ((L[d]! >>> 0) % k) | 0;
            break;
          }
          if (off[pc] === 1) smod64(L[d]!, H[d]!, k, k >> 31);
          else umod64(L[d]!, H[d]!, k, k >> 31);
          L[d] = out.lo;
          H[d] = out.hi;
          break;
        }
        case 0xa7: {
          const k = imm[pc]!;
          L[d] = L[d]! ^ k;
          H[d] = H[d]! ^ (k >> 31);
          break;
        }
        case 0xb7: {
          const k = imm[pc]!;
          L[d] = k;
          H[d] = k >> 31;
          break;
        }
        case 0xc7:
          sar64(L, H, d, imm[pc]! & 63);
          break;
        case 0xd7: {
          const k = imm[pc]!;
          const lo = L[d]!;
          if (k === 16) {
            L[d] = ((lo & 0xff) << 8) | ((lo >>> 8) & 0xff);
            H[d] = 0;
          } else if (k === 32) {
            L[d] = bswap32(lo);
            H[d] = 0;
          } else {
            L[d] = bswap32(H[d]!);
            H[d] = bswap32(lo);
          }
          break;
        }
        // ---- ALU64, register source --------------------------------------------------
        case 0x0f: {
          const s = src[pc]!;
          const lo = (L[d]! >>> 0) + (L[s]! >>> 0);
          H[d] = H[d]! + H[s]! + (lo > 0xffffffff ? 1 : 0);
          L[d] = lo;
          break;
        }
        case 0x1f: {
          const s = src[pc]!;
          const lo = (L[d]! >>> 0) - (L[s]! >>> 0);
          H[d] = H[d]! - H[s]! - (lo < 0 ? 1 : 0);
          L[d] = lo;
          break;
        }
        case 0x2f: {
          const s = src[pc]!;
          const a = L[d]!;
          const b = L[s]!;
          if ((H[d]! | H[s]!) === 0) {
            const p = (a >>> 0) * (b >>> 0);
            if (p < TWO53) {
              L[d] = Math.imul(a, b);
              H[d] = Math.floor(p * TWO_NEG32);
              break;
            }
          }
          mul64(a, H[d]!, b, H[s]!);
          L[d] = out.lo;
          H[d] = out.hi;
          break;
        }
        case 0x3f: {
          const s = src[pc]!;
          const b = L[s]!;
          if (off[pc] !== 1 && (H[d]! | H[s]!) === 0 && b !== 0) {
            L[d] = ((L[d]! >>> 0) / (b >>> 0)) | 0;
            break;
          }
          if (off[pc] === 1) sdiv64(L[d]!, H[d]!, L[s]!, H[s]!);
          else udiv64(L[d]!, H[d]!, L[s]!, H[s]!);
          L[d] = out.lo;
          H[d] = out.hi;
          break;
        }
        case 0x4f: {
          const s = src[pc]!;
          L[d] = L[d]! | L[s]!;
          H[d] = H[d]! | H[s]!;
          break;
        }
        case 0x5f: {
          const s = src[pc]!;
          L[d] = L[d]! & L[s]!;
          H[d] = H[d]! & H[s]!;
          break;
        }
        case 0x6f:
          shl64(L, H, d, L[src[pc]!]! & 63);
          break;
        case 0x7f:
          shr64(L, H, d, L[src[pc]!]! & 63);
          break;
        case 0x9f: {
          const s = src[pc]!;
          const b = L[s]!;
          if (off[pc] !== 1 && (H[d]! | H[s]!) === 0 && b !== 0) {
            L[d] = ((L[d]! >>> 0) % (b >>> 0)) | 0;
            break;
          }
          if (off[pc] === 1) smod64(L[d]!, H[d]!, L[s]!, H[s]!);
          else umod64(L[d]!, H[d]!, L[s]!, H[s]!);
          L[d] = out.lo;
          H[d] = out.hi;
          break;
        }
        case 0xaf: {
          const s = src[pc]!;
          L[d] = L[d]! ^ L[s]!;
          H[d] = H[d]! ^ H[s]!;
          break;
        }
        case 0xbf: {
          const s = src[pc]!;
          const o = off[pc]!;
          if (o === 0) {
            L[d] = L[s]!;
            H[d] = H[s]!;
          } else {
            const v = o === 8 ? (L[s]! << 24) >> 24 : o === 16 ? (L[s]! << 16) >> 16 : L[s]!;
            L[d] = v;
            H[d] = v >> 31;
          }
          break;
        }
        case 0xcf:
          sar64(L, H, d, L[src[pc]!]! & 63);
          break;
        // ---- ALU32, immediate source (results zero-extended) ---------------------------
        case 0x04:
          L[d] = L[d]! + imm[pc]!;
          H[d] = 0;
          break;
        case 0x14:
          L[d] = L[d]! - imm[pc]!;
          H[d] = 0;
          break;
        case 0x24:
          L[d] = Math.imul(L[d]!, imm[pc]!);
          H[d] = 0;
          break;
        case 0x34:
          L[d] = off[pc] === 1 ? sdiv32(L[d]!, imm[pc]!) : udiv32(L[d]!, imm[pc]!);
          H[d] = 0;
          break;
        case 0x44:
          L[d] = L[d]! | imm[pc]!;
          H[d] = 0;
          break;
        case 0x54:
          L[d] = L[d]! & imm[pc]!;
          H[d] = 0;
          break;
        case 0x64:
          L[d] = L[d]! << (imm[pc]! & 31);
          H[d] = 0;
          break;
        case 0x74:
          L[d] = L[d]! >>> (imm[pc]! & 31);
          H[d] = 0;
          break;
        case 0x84:
          L[d] = -L[d]!;
          H[d] = 0;
          break;
        case 0x94:
          L[d] = off[pc] === 1 ? smod32(L[d]!, imm[pc]!) : umod32(L[d]!, imm[pc]!);
          H[d] = 0;
          break;
        case 0xa4:
          L[d] = L[d]! ^ imm[pc]!;
          H[d] = 0;
          break;
        case 0xb4:
          L[d] = imm[pc]!;
          H[d] = 0;
          break;
        case 0xc4:
          L[d] = L[d]! >> (imm[pc]! & 31);
          H[d] = 0;
          break;
        case 0xd4: {
          // to-little-endian on a little-endian machine: truncate only.
          const k = imm[pc]!;
          if (k === 16) {
            L[d] = L[d]! & 0xffff;
            H[d] = 0;
          } else if (k === 32) {
            H[d] = 0;
          }
          break;
        }
        // ---- ALU32, register source ----------------------------------------------------
        case 0x0c:
          L[d] = L[d]! + L[src[pc]!]!;
          H[d] = 0;
          break;
        case 0x1c:
          L[d] = L[d]! - L[src[pc]!]!;
          H[d] = 0;
          break;
        case 0x2c:
          L[d] = Math.imul(L[d]!, L[src[pc]!]!);
          H[d] = 0;
          break;
        case 0x3c:
          L[d] = off[pc] === 1 ? sdiv32(L[d]!, L[src[pc]!]!) : udiv32(L[d]!, L[src[pc]!]!);
          H[d] = 0;
          break;
        case 0x4c:
          L[d] = L[d]! | L[src[pc]!]!;
          H[d] = 0;
          break;
        case 0x5c:
          L[d] = L[d]! & L[src[pc]!]!;
          H[d] = 0;
          break;
        case 0x6c:
          L[d] = L[d]! << (L[src[pc]!]! & 31);
          H[d] = 0;
          break;
        case 0x7c:
          L[d] = L[d]! >>> (L[src[pc]!]! & 31);
          H[d] = 0;
          break;
        case 0x9c:
          L[d] = off[pc] === 1 ? smod32(L[d]!, L[src[pc]!]!) : umod32(L[d]!, L[src[pc]!]!);
          H[d] = 0;
          break;
        case 0xac:
          L[d] = L[d]! ^ L[src[pc]!]!;
          H[d] = 0;
          break;
        case 0xbc: {
          const o = off[pc]!;
          const v = L[src[pc]!]!;
          L[d] = o === 8 ? (v << 24) >> 24 : o === 16 ? (v << 16) >> 16 : v;
          H[d] = 0;
          break;
        }
        case 0xcc:
          L[d] = L[d]! >> (L[src[pc]!]! & 31);
          H[d] = 0;
          break;
        case 0xdc: {
          // to-big-endian: swap, then truncate to the width.
          const k = imm[pc]!;
          const lo = L[d]!;
          if (k === 16) {
            L[d] = ((lo & 0xff) << 8) | ((lo >>> 8) & 0xff);
            H[d] = 0;
          } else if (k === 32) {
            L[d] = bswap32(lo);
            H[d] = 0;
          } else {
            L[d] = bswap32(H[d]!);
            H[d] = bswap32(lo);
          }
          break;
        }
        // ---- Loads --------------------------------------------------------------------
        case 0x61: {
          const s = src[pc]!;
          let a = (L[s]! >>> 0) + off[pc]!;
          if (H[s] !== 0 || a < rS || a + 4 > rE) {
            this.remaining = remaining;
            a = this.access(L[s]!, H[s]!, off[pc]!, 4, false, pc);
            rS = this.rStart;
            rE = this.rEnd;
          }
          L[d] = dv.getInt32(a, true);
          H[d] = 0;
          break;
        }
        case 0x69: {
          const s = src[pc]!;
          let a = (L[s]! >>> 0) + off[pc]!;
          if (H[s] !== 0 || a < rS || a + 2 > rE) {
            this.remaining = remaining;
            a = this.access(L[s]!, H[s]!, off[pc]!, 2, false, pc);
            rS = this.rStart;
            rE = this.rEnd;
          }
          L[d] = dv.getUint16(a, true);
          H[d] = 0;
          break;
        }
        case 0x71: {
          const s = src[pc]!;
          let a = (L[s]! >>> 0) + off[pc]!;
          if (H[s] !== 0 || a < rS || a + 1 > rE) {
            this.remaining = remaining;
            a = this.access(L[s]!, H[s]!, off[pc]!, 1, false, pc);
            rS = this.rStart;
            rE = this.rEnd;
          }
          L[d] = dv.getUint8(a);
          H[d] = 0;
          break;
        }
        case 0x79: {
          const s = src[pc]!;
          let a = (L[s]! >>> 0) + off[pc]!;
          if (H[s] !== 0 || a < rS || a + 8 > rE) {
            this.remaining = remaining;
            a = this.access(L[s]!, H[s]!, off[pc]!, 8, false, pc);
            rS = this.rStart;
            rE = this.rEnd;
          }
          L[d] = dv.getInt32(a, true);
          H[d] = dv.getInt32(a + 4, true);
          break;
        }
        case 0x81: {
          const s = src[pc]!;
          let a = (L[s]! >>> 0) + off[pc]!;
          if (H[s] !== 0 || a < rS || a + 4 > rE) {
            this.remaining = remaining;
            a = this.access(L[s]!, H[s]!, off[pc]!, 4, false, pc);
            rS = this.rStart;
            rE = this.rEnd;
          }
          const v = dv.getInt32(a, true);
          L[d] = v;
          H[d] = v >> 31;
          break;
        }
        case 0x89: {
          const s = src[pc]!;
          let a = (L[s]! >>> 0) + off[pc]!;
          if (H[s] !== 0 || a < rS || a + 2 > rE) {
            this.remaining = remaining;
            a = this.access(L[s]!, H[s]!, off[pc]!, 2, false, pc);
            rS = this.rStart;
            rE = this.rEnd;
          }
          const v = dv.getInt16(a, true);
          L[d] = v;
          H[d] = v >> 31;
          break;
        }
        case 0x91: {
          const s = src[pc]!;
          let a = (L[s]! >>> 0) + off[pc]!;
          if (H[s] !== 0 || a < rS || a + 1 > rE) {
            this.remaining = remaining;
            a = this.access(L[s]!, H[s]!, off[pc]!, 1, false, pc);
            rS = this.rStart;
            rE = this.rEnd;
          }
          const v = dv.getInt8(a);
          L[d] = v;
          H[d] = v >> 31;
          break;
        }
        // ---- Stores of an immediate -----------------------------------------------------
        case 0x62:
        case 0x6a:
        case 0x72:
        case 0x7a: {
          const o = op[pc]!;
          const size = o === 0x62 ? 4 : o === 0x6a ? 2 : o === 0x72 ? 1 : 8;
          let a = (L[d]! >>> 0) + off[pc]!;
          if (H[d] !== 0 || a < wS || a + size > wE) {
            this.remaining = remaining;
            a = this.access(L[d]!, H[d]!, off[pc]!, size, true, pc);
            wS = this.wStart;
            wE = this.wEnd;
          }
          const k = imm[pc]!;
          if (size === 4) dv.setInt32(a, k, true);
          else if (size === 2) dv.setInt16(a, k, true);
          else if (size === 1) dv.setInt8(a, k);
          else {
            dv.setInt32(a, k, true);
            dv.setInt32(a + 4, k >> 31, true);
          }
          break;
        }
        // ---- Stores of a register ---------------------------------------------------------
        case 0x63: {
          const s = src[pc]!;
          let a = (L[d]! >>> 0) + off[pc]!;
          if (H[d] !== 0 || a < wS || a + 4 > wE) {
            this.remaining = remaining;
            a = this.access(L[d]!, H[d]!, off[pc]!, 4, true, pc);
            wS = this.wStart;
            wE = this.wEnd;
          }
          dv.setInt32(a, L[s]!, true);
          break;
        }
        case 0x6b: {
          const s = src[pc]!;
          let a = (L[d]! >>> 0) + off[pc]!;
          if (H[d] !== 0 || a < wS || a + 2 > wE) {
            this.remaining = remaining;
            a = this.access(L[d]!, H[d]!, off[pc]!, 2, true, pc);
            wS = this.wStart;
            wE = this.wEnd;
          }
          dv.setInt16(a, L[s]!, true);
          break;
        }
        case 0x73: {
          const s = src[pc]!;
          let a = (L[d]! >>> 0) + off[pc]!;
          if (H[d] !== 0 || a < wS || a + 1 > wE) {
            this.remaining = remaining;
            a = this.access(L[d]!, H[d]!, off[pc]!, 1, true, pc);
            wS = this.wStart;
            wE = this.wEnd;
          }
          dv.setInt8(a, L[s]!);
          break;
        }
        case 0x7b: {
          const s = src[pc]!;
          let a = (L[d]! >>> 0) + off[pc]!;
          if (H[d] !== 0 || a < wS || a + 8 > wE) {
            this.remaining = remaining;
            a = this.access(L[d]!, H[d]!, off[pc]!, 8, true, pc);
            wS = this.wStart;
            wE = this.wEnd;
          }
          dv.setInt32(a, L[s]!, true);
          dv.setInt32(a + 4, H[s]!, true);
          break;
        }
        // ---- Atomics ----------------------------------------------------------------------
        case 0xc3:
        case 0xdb: {
          const wide = op[pc] === 0xdb;
          const size = wide ? 8 : 4;
          // An atomic reads and writes: check it as a write (the stricter of the two).
          this.remaining = remaining;
          const a = this.access(L[d]!, H[d]!, off[pc]!, size, true, pc);
          wS = this.wStart;
          wE = this.wEnd;
          atomic(dv, a, wide, imm[pc]!, src[pc]!, L, H);
          break;
        }
        // ---- 64-bit immediate and legacy packet loads -------------------------------------
        case 0x18:
          L[d] = imm[pc]!;
          H[d] = imm[pc + 1]!;
          pc++;
          break;
        case 0x20:
        case 0x28:
        case 0x30:
        case 0x40:
        case 0x48:
        case 0x50: {
          const o = op[pc]!;
          const size = SIZE_OF_LD[(o & 0x18) >> 3]! as 1 | 2 | 4;
          const offset = (o & 0xe0) === 0x40 ? (L[src[pc]!]! + imm[pc]!) | 0 : imm[pc]!;
          if (this.legacyLoad === undefined) {
            // Like every fault, count the instructions up to this one.
            this.remaining = remaining;
            throw this.fault('invalid', pc, 'LD_ABS/LD_IND need a socket buffer context');
          }
          this.remaining = remaining;
          const v = this.legacyLoad(offset, size);
          if (v === undefined) {
            // The program ends with r0 = 0. In the run's own function (the kernel refuses LD_ABS
            // beside bpf-to-bpf calls and callbacks) by returning: a throw costs ~3 us.
            if (frames.length !== 0 || baseDepth !== 0) throw new AbortWithZero();
            L[0] = H[0] = 0;
            this.executed = this.budget - remaining;
            return;
          }
          L[0] = v;
          H[0] = 0;
          break;
        }
        // ---- Jumps ------------------------------------------------------------------------
        case 0x05:
          pc += off[pc]!;
          break;
        case 0x06:
          pc += imm[pc]!;
          break;
        case 0x15:
          if (L[d] === imm[pc] && H[d] === imm[pc]! >> 31) pc += off[pc]!;
          break;
        case 0x1d: {
          const s = src[pc]!;
          if (L[d] === L[s] && H[d] === H[s]) pc += off[pc]!;
          break;
        }
        case 0x55:
          if (L[d] !== imm[pc] || H[d] !== imm[pc]! >> 31) pc += off[pc]!;
          break;
        case 0x5d: {
          const s = src[pc]!;
          if (L[d] !== L[s] || H[d] !== H[s]) pc += off[pc]!;
          break;
        }
        case 0x45: {
          const k = imm[pc]!;
          if ((L[d]! & k) !== 0 || (H[d]! & (k >> 31)) !== 0) pc += off[pc]!;
          break;
        }
        case 0x4d: {
          const s = src[pc]!;
          if ((L[d]! & L[s]!) !== 0 || (H[d]! & H[s]!) !== 0) pc += off[pc]!;
          break;
        }
        // Unsigned 64-bit compares: high words decide unless equal, then the low words (one
        // case per opcode: the comparison is not re-derived from the opcode at run time).
        case 0x25: {
          const bl = imm[pc]!;
          const bh = bl >> 31 >>> 0;
          const ah = H[d]! >>> 0;
          if (ah > bh || (ah === bh && L[d]! >>> 0 > (bl >>> 0))) pc += off[pc]!;
          break;
        }
        case 0x2d: {
          const s = src[pc]!;
          const bl = L[s]! >>> 0;
          const bh = H[s]! >>> 0;
          const ah = H[d]! >>> 0;
          if (ah > bh || (ah === bh && L[d]! >>> 0 > bl)) pc += off[pc]!;
          break;
        }
        case 0x35: {
          const bl = imm[pc]!;
          const bh = bl >> 31 >>> 0;
          const ah = H[d]! >>> 0;
          if (ah > bh || (ah === bh && L[d]! >>> 0 >= (bl >>> 0))) pc += off[pc]!;
          break;
        }
        case 0x3d: {
          const s = src[pc]!;
          const bl = L[s]! >>> 0;
          const bh = H[s]! >>> 0;
          const ah = H[d]! >>> 0;
          if (ah > bh || (ah === bh && L[d]! >>> 0 >= bl)) pc += off[pc]!;
          break;
        }
        case 0xa5: {
          const bl = imm[pc]!;
          const bh = bl >> 31 >>> 0;
          const ah = H[d]! >>> 0;
          if (ah < bh || (ah === bh && L[d]! >>> 0 < (bl >>> 0))) pc += off[pc]!;
          break;
        }
        case 0xad: {
          const s = src[pc]!;
          const bl = L[s]! >>> 0;
          const bh = H[s]! >>> 0;
          const ah = H[d]! >>> 0;
          if (ah < bh || (ah === bh && L[d]! >>> 0 < bl)) pc += off[pc]!;
          break;
        }
        case 0xb5: {
          const bl = imm[pc]!;
          const bh = bl >> 31 >>> 0;
          const ah = H[d]! >>> 0;
          if (ah < bh || (ah === bh && L[d]! >>> 0 <= (bl >>> 0))) pc += off[pc]!;
          break;
        }
        case 0xbd: {
          const s = src[pc]!;
          const bl = L[s]! >>> 0;
          const bh = H[s]! >>> 0;
          const ah = H[d]! >>> 0;
          if (ah < bh || (ah === bh && L[d]! >>> 0 <= bl)) pc += off[pc]!;
          break;
        }
        // Signed 64-bit compares: signed high words, then unsigned low words.
        case 0x65: {
          const bl = imm[pc]!;
          const bh = bl >> 31;
          const ah = H[d]!;
          if (ah > bh || (ah === bh && L[d]! >>> 0 > (bl >>> 0))) pc += off[pc]!;
          break;
        }
        case 0x6d: {
          const s = src[pc]!;
          const bl = L[s]! >>> 0;
          const bh = H[s]!;
          const ah = H[d]!;
          if (ah > bh || (ah === bh && L[d]! >>> 0 > bl)) pc += off[pc]!;
          break;
        }
        case 0x75: {
          const bl = imm[pc]!;
          const bh = bl >> 31;
          const ah = H[d]!;
          if (ah > bh || (ah === bh && L[d]! >>> 0 >= (bl >>> 0))) pc += off[pc]!;
          break;
        }
        case 0x7d: {
          const s = src[pc]!;
          const bl = L[s]! >>> 0;
          const bh = H[s]!;
          const ah = H[d]!;
          if (ah > bh || (ah === bh && L[d]! >>> 0 >= bl)) pc += off[pc]!;
          break;
        }
        case 0xc5: {
          const bl = imm[pc]!;
          const bh = bl >> 31;
          const ah = H[d]!;
          if (ah < bh || (ah === bh && L[d]! >>> 0 < (bl >>> 0))) pc += off[pc]!;
          break;
        }
        case 0xcd: {
          const s = src[pc]!;
          const bl = L[s]! >>> 0;
          const bh = H[s]!;
          const ah = H[d]!;
          if (ah < bh || (ah === bh && L[d]! >>> 0 < bl)) pc += off[pc]!;
          break;
        }
        case 0xd5: {
          const bl = imm[pc]!;
          const bh = bl >> 31;
          const ah = H[d]!;
          if (ah < bh || (ah === bh && L[d]! >>> 0 <= (bl >>> 0))) pc += off[pc]!;
          break;
        }
        case 0xdd: {
          const s = src[pc]!;
          const bl = L[s]! >>> 0;
          const bh = H[s]!;
          const ah = H[d]!;
          if (ah < bh || (ah === bh && L[d]! >>> 0 <= bl)) pc += off[pc]!;
          break;
        }
        // ---- 32-bit jumps -------------------------------------------------------------------
        case 0x16:
          if (L[d] === imm[pc]) pc += off[pc]!;
          break;
        case 0x1e:
          if (L[d] === L[src[pc]!]) pc += off[pc]!;
          break;
        case 0x56:
          if (L[d] !== imm[pc]) pc += off[pc]!;
          break;
        case 0x5e:
          if (L[d] !== L[src[pc]!]) pc += off[pc]!;
          break;
        case 0x46:
          if ((L[d]! & imm[pc]!) !== 0) pc += off[pc]!;
          break;
        case 0x4e:
          if ((L[d]! & L[src[pc]!]!) !== 0) pc += off[pc]!;
          break;
        case 0x26:
          if (L[d]! >>> 0 > imm[pc]! >>> 0) pc += off[pc]!;
          break;
        case 0x2e:
          if (L[d]! >>> 0 > L[src[pc]!]! >>> 0) pc += off[pc]!;
          break;
        case 0x36:
          if (L[d]! >>> 0 >= imm[pc]! >>> 0) pc += off[pc]!;
          break;
        case 0x3e:
          if (L[d]! >>> 0 >= L[src[pc]!]! >>> 0) pc += off[pc]!;
          break;
        case 0xa6:
          if (L[d]! >>> 0 < imm[pc]! >>> 0) pc += off[pc]!;
          break;
        case 0xae:
          if (L[d]! >>> 0 < L[src[pc]!]! >>> 0) pc += off[pc]!;
          break;
        case 0xb6:
          if (L[d]! >>> 0 <= imm[pc]! >>> 0) pc += off[pc]!;
          break;
        case 0xbe:
          if (L[d]! >>> 0 <= L[src[pc]!]! >>> 0) pc += off[pc]!;
          break;
        case 0x66:
          if (L[d]! > imm[pc]!) pc += off[pc]!;
          break;
        case 0x6e:
          if (L[d]! > L[src[pc]!]!) pc += off[pc]!;
          break;
        case 0x76:
          if (L[d]! >= imm[pc]!) pc += off[pc]!;
          break;
        case 0x7e:
          if (L[d]! >= L[src[pc]!]!) pc += off[pc]!;
          break;
        case 0xc6:
          if (L[d]! < imm[pc]!) pc += off[pc]!;
          break;
        case 0xce:
          if (L[d]! < L[src[pc]!]!) pc += off[pc]!;
          break;
        case 0xd6:
          if (L[d]! <= imm[pc]!) pc += off[pc]!;
          break;
        case 0xde:
          if (L[d]! <= L[src[pc]!]!) pc += off[pc]!;
          break;
        // ---- Calls and exit --------------------------------------------------------------------
        case 0x85: {
          const kind = src[pc]!;
          if (kind === 1) {
            // bpf-to-bpf call: a new frame; r6-r9 and r10 are restored at its exit.
            if (this.depth + 1 >= MAX_CALL_FRAMES) {
              this.remaining = remaining;
              throw this.fault('call-depth', pc, `call depth exceeds ${MAX_CALL_FRAMES} frames`);
            }
            frames.push(pc, L[6]!, H[6]!, L[7]!, H[7]!, L[8]!, H[8]!, L[9]!, H[9]!, L[10]!);
            this.depth++;
            mem.setStackDepth(this.depth);
            L[10] = mem.framePointer(this.depth);
            rS = rE = wS = wE = 0;
            pc += imm[pc]!;
            break;
          }
          this.remaining = remaining;
          let moved: boolean;
          if (kind === 2) {
            // kfuncs dispatch through the helper table under ids of their own (kernel-objects/kfuncs.ts)
            if (this.helpers.get(kfuncId(imm[pc]!)) === undefined) throw this.fault('helper', pc, `kfunc call (BTF id ${imm[pc]}) is not supported`);
            moved = this.callHelper(kfuncId(imm[pc]!), pc, L, H);
          } else moved = this.callHelper(imm[pc]!, pc, L, H);
          remaining = this.remaining;
          if (this.tailTarget >= 0) {
            // A deferred tail call: the program ends here, its frames with it.
            this.executed = this.budget - remaining;
            this.depth = baseDepth;
            return;
          }
          dv = mem.dv;
          if (moved) rS = rE = wS = wE = 0;
          break;
        }
        case 0x8d: {
          // callx: the register holds a helper id (uBPF's convention) or a function pointer.
          const lo = L[d]! >>> 0;
          if (H[d] === 0 && lo >= FUNC_POINTER_BASE && lo < FUNC_POINTER_BASE + length) {
            if (this.depth + 1 >= MAX_CALL_FRAMES) {
              this.remaining = remaining;
              throw this.fault('call-depth', pc, `call depth exceeds ${MAX_CALL_FRAMES} frames`);
            }
            frames.push(pc, L[6]!, H[6]!, L[7]!, H[7]!, L[8]!, H[8]!, L[9]!, H[9]!, L[10]!);
            this.depth++;
            mem.setStackDepth(this.depth);
            L[10] = mem.framePointer(this.depth);
            rS = rE = wS = wE = 0;
            pc = lo - FUNC_POINTER_BASE - 1;
            break;
          }
          if (H[d] !== 0) {
            this.remaining = remaining;
            throw this.fault('bad-call', pc, `callx to 0x${(H[d]! >>> 0).toString(16)}${lo.toString(16).padStart(8, '0')}, which is neither a helper nor a function`);
          }
          this.remaining = remaining;
          this.callHelper(lo | 0, pc, L, H);
          remaining = this.remaining;
          if (this.tailTarget >= 0) {
            this.executed = this.budget - remaining;
            this.depth = baseDepth;
            return;
          }
          dv = mem.dv;
          rS = rE = wS = wE = 0;
          break;
        }
        case 0x95: {
          if (frames.length === 0) {
            this.remaining = remaining;
            this.executed = this.budget - remaining;
            this.depth = baseDepth;
            return;
          }
          L[10] = frames.pop()!;
          H[9] = frames.pop()!;
          L[9] = frames.pop()!;
          H[8] = frames.pop()!;
          L[8] = frames.pop()!;
          H[7] = frames.pop()!;
          L[7] = frames.pop()!;
          H[6] = frames.pop()!;
          L[6] = frames.pop()!;
          pc = frames.pop()!;
          this.depth--;
          mem.setStackDepth(this.depth);
          rS = rE = wS = wE = 0;
          break;
        }
        default:
          this.remaining = remaining;
          if (pc === length) throw this.fault('invalid', length - 1, 'execution fell off the end of the program');
          throw this.fault('invalid', pc, `unknown opcode 0x${op[pc]!.toString(16).padStart(2, '0')}`);
      }
      pc++;
    }
  }
}

function shl64(L: Int32Array, H: Int32Array, d: number, n: number): void {
  if (n === 0) return;
  if (n < 32) {
    H[d] = (H[d]! << n) | (L[d]! >>> (32 - n));
    L[d] = L[d]! << n;
  } else {
    H[d] = L[d]! << (n - 32);
    L[d] = 0;
  }
}

function shr64(L: Int32Array, H: Int32Array, d: number, n: number): void {
  if (n === 0) return;
  if (n < 32) {
    L[d] = (L[d]! >>> n) | (H[d]! << (32 - n));
    H[d] = H[d]! >>> n;
  } else {
    L[d] = H[d]! >>> (n - 32);
    H[d] = 0;
  }
}

function sar64(L: Int32Array, H: Int32Array, d: number, n: number): void {
  if (n === 0) return;
  if (n < 32) {
    L[d] = (L[d]! >>> n) | (H[d]! << (32 - n));
    H[d] = H[d]! >> n;
  } else {
    L[d] = H[d]! >> (n - 32);
    H[d] = H[d]! >> 31;
  }
}

/** Executes one atomic read-modify-write at `a` (already checked). */
function atomic(dv: DataView, a: number, wide: boolean, kind: number, s: number, L: Int32Array, H: Int32Array): void {
  const oldLo = dv.getInt32(a, true);
  const oldHi = wide ? dv.getInt32(a + 4, true) : 0;
  let newLo = oldLo;
  let newHi = oldHi;
  const op = kind & 0xf0;
  if (kind === 0xf1) {
    // cmpxchg: compare with r0; r0 receives the old value either way.
    const equal = wide ? oldLo === L[0] && oldHi === H[0] : oldLo === L[0];
    if (equal) {
      newLo = L[s]!;
      newHi = H[s]!;
    }
    L[0] = oldLo;
    H[0] = oldHi;
  } else if (kind === 0xe1) {
    newLo = L[s]!;
    newHi = H[s]!;
    L[s] = oldLo;
    H[s] = oldHi;
  } else {
    const bl = L[s]!;
    const bh = H[s]!;
    if (op === 0x00) {
      const lo = (oldLo >>> 0) + (bl >>> 0);
      newLo = lo | 0;
      newHi = (oldHi + bh + (lo > 0xffffffff ? 1 : 0)) | 0;
    } else if (op === 0x40) {
      newLo = oldLo | bl;
      newHi = oldHi | bh;
    } else if (op === 0x50) {
      newLo = oldLo & bl;
      newHi = oldHi & bh;
    } else {
      newLo = oldLo ^ bl;
      newHi = oldHi ^ bh;
    }
    if (kind & 0x01) {
      L[s] = oldLo;
      H[s] = oldHi;
    }
  }
  dv.setInt32(a, newLo, true);
  if (wide) dv.setInt32(a + 4, newHi, true);
}
