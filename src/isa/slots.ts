import type { Instruction } from './instruction.js';

/**
 * The pre-decoded form both engines and the verifier read: one entry per 8-byte slot, as typed
 * arrays. The second slot of an `lddw` holds the high half of the immediate in `imm` and opcode 0.
 */
export interface Slots {
  readonly length: number;
  readonly op: Uint8Array;
  readonly dst: Uint8Array;
  readonly src: Uint8Array;
  readonly off: Int16Array;
  readonly imm: Int32Array;
}

export function toSlots(program: readonly Instruction[]): Slots {
  let n = 0;
  for (const ins of program) n += ins.opcode === 0x18 ? 2 : 1;
  const op = new Uint8Array(n);
  const dst = new Uint8Array(n);
  const src = new Uint8Array(n);
  const off = new Int16Array(n);
  const imm = new Int32Array(n);
  let pc = 0;
  for (const ins of program) {
    op[pc] = ins.opcode;
    dst[pc] = ins.dst;
    src[pc] = ins.src;
    off[pc] = ins.off;
    imm[pc] = ins.imm;
    pc++;
    if (ins.opcode === 0x18) {
      imm[pc] = ins.immHi ?? 0;
      pc++;
    }
  }
  return { length: n, op, dst, src, off, imm };
}
