import { BpfkitError, ErrorCode } from '../errors.js';
import type { Endian } from './decode.js';
import type { Instruction } from './instruction.js';
import { slotLength } from './instruction.js';

/** Encodes instructions to bytes (8 per slot, 16 for `lddw`). */
export function encodeProgram(program: readonly Instruction[], endian: Endian = 'little'): Uint8Array {
  const little = endian === 'little';
  const bytes = new Uint8Array(slotLength(program) * 8);
  const dv = new DataView(bytes.buffer);
  let at = 0;
  for (const ins of program) {
    writeSlot(dv, at, ins.opcode, ins.dst, ins.src, ins.off, ins.imm, little);
    at += 8;
    if (ins.opcode === 0x18) {
      writeSlot(dv, at, 0, 0, 0, 0, ins.immHi ?? 0, little);
      at += 8;
    }
  }
  return bytes;
}

function writeSlot(dv: DataView, at: number, op: number, dst: number, src: number, off: number, imm: number, little: boolean): void {
  dv.setUint8(at, op);
  dv.setUint8(at + 1, little ? ((src & 0xf) << 4) | (dst & 0xf) : ((dst & 0xf) << 4) | (src & 0xf));
  dv.setInt16(at + 2, off, little);
  dv.setInt32(at + 4, imm, little);
}

/** Lower-case hex of the encoded program, as `bpfkit asm` prints it. */
export function toHex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

/** Parses a hex string (whitespace allowed) into bytes; throws on odd length or a bad digit. */
export function fromHex(text: string): Uint8Array {
  const clean = text.replace(/\s+/g, '');
  if (clean.length % 2 !== 0 || /[^0-9a-fA-F]/.test(clean)) {
    throw new BpfkitError(ErrorCode.BadInput, 'expected an even number of hexadecimal digits');
  }
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  return out;
}
