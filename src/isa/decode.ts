import { BpfkitError, ErrorCode } from '../errors.js';
import type { Instruction } from './instruction.js';
import { encodingError } from './validate.js';

/** Byte order of an instruction stream: `bpfel` objects are little-endian, `bpfeb` big-endian. */
export type Endian = 'little' | 'big';

export interface DecodeOptions {
  endian?: Endian;
  /** Check reserved fields and opcodes (default true). Tools that must show garbage turn it off. */
  validate?: boolean;
}

/**
 * Decodes raw instruction bytes into instructions. `lddw` becomes one instruction holding both
 * halves of its immediate. Errors name the slot index (the pc) and the offending field.
 */
export function decodeProgram(bytes: Uint8Array, options: DecodeOptions = {}): Instruction[] {
  const little = (options.endian ?? 'little') === 'little';
  const validate = options.validate ?? true;
  if (bytes.length % 8 !== 0) {
    throw new BpfkitError(ErrorCode.BadInstruction, `program length ${bytes.length} is not a multiple of 8 bytes`);
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = bytes.length / 8;
  const out: Instruction[] = [];
  for (let pc = 0; pc < n; pc++) {
    const ins = decodeSlot(dv, pc * 8, little);
    if (ins.opcode === 0x18) {
      if (pc + 1 >= n) {
        throw new BpfkitError(ErrorCode.BadInstruction, `instruction ${pc}: lddw is missing its second slot`);
      }
      const hi = decodeSlot(dv, (pc + 1) * 8, little);
      if (validate && (hi.opcode !== 0 || hi.dst !== 0 || hi.src !== 0 || hi.off !== 0)) {
        throw new BpfkitError(
          ErrorCode.BadInstruction,
          `instruction ${pc + 1}: second slot of lddw must have opcode, registers and offset 0`,
        );
      }
      ins.immHi = hi.imm;
    }
    if (validate) {
      const why = encodingError(ins);
      if (why !== undefined) throw new BpfkitError(ErrorCode.BadInstruction, `instruction ${pc}: ${why}`);
    }
    out.push(ins);
    if (ins.opcode === 0x18) pc++;
  }
  return out;
}

function decodeSlot(dv: DataView, at: number, little: boolean): Instruction {
  const regs = dv.getUint8(at + 1);
  return {
    opcode: dv.getUint8(at),
    dst: little ? regs & 0xf : regs >> 4,
    src: little ? regs >> 4 : regs & 0xf,
    off: dv.getInt16(at + 2, little),
    imm: dv.getInt32(at + 4, little),
  };
}
