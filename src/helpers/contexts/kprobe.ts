import type { Memory } from '../memory.js';
import type { ProgramContext } from './context.js';

/**
 * The kprobe context: x86-64 `struct pt_regs`, read-only, with the registers the test sets (the
 * rest zero). There is no kernel test run for kprobes; this is the layout the kernel hands a
 * kprobe program, and PT_REGS_PARM1..6 read di, si, dx, cx, r8, r9.
 */
export const PT_REGS = [
  'r15', 'r14', 'r13', 'r12', 'bp', 'bx', 'r11', 'r10', 'r9', 'r8', 'ax', 'cx', 'dx', 'si', 'di', 'orig_ax', 'ip', 'cs', 'flags', 'sp', 'ss',
] as const;
export type PtRegName = (typeof PT_REGS)[number];
/** The argument registers of the x86-64 calling convention, in order. */
export const ARG_REGS: readonly PtRegName[] = ['di', 'si', 'dx', 'cx', 'r8', 'r9'];

export type PtRegs = Partial<Record<PtRegName, bigint>>;

export class KprobeContext implements ProgramContext {
  readonly kind = 'kprobe' as const;
  readonly address: number;

  private readonly memory: Memory;

  constructor(memory: Memory, regs: PtRegs, args: readonly bigint[] = []) {
    this.memory = memory;
    this.address = memory.alloc('pt_regs', 'ctx', PT_REGS.length * 8, { writable: false }).start;
    this.reset(regs, args);
  }

  /** Makes this a fresh context with these registers (every byte of pt_regs is rewritten). */
  reset(regs: PtRegs, args: readonly bigint[] = []): void {
    const all: PtRegs = { ...regs };
    args.forEach((v, i) => {
      const r = ARG_REGS[i];
      if (r !== undefined && all[r] === undefined) all[r] = v;
    });
    const dv = this.memory.dv;
    PT_REGS.forEach((name, i) => dv.setBigUint64(this.address + i * 8, BigInt.asUintN(64, all[name] ?? 0n), true));
  }

  packetOut(): undefined {
    return undefined;
  }
}
