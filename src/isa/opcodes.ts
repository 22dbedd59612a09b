/**
 * Opcode fields of the eBPF instruction set (RFC 9669). This module is the single source of the
 * numeric encoding; every other module composes opcodes from these names.
 */

/** Instruction classes: the low three bits of the opcode. */
export const Class = {
  LD: 0x00,
  LDX: 0x01,
  ST: 0x02,
  STX: 0x03,
  ALU: 0x04,
  JMP: 0x05,
  JMP32: 0x06,
  ALU64: 0x07,
} as const;

/** Source bit for ALU and JMP classes. */
export const Source = { K: 0x00, X: 0x08 } as const;

/** ALU operation codes (high four bits). */
export const Alu = {
  ADD: 0x00,
  SUB: 0x10,
  MUL: 0x20,
  DIV: 0x30,
  OR: 0x40,
  AND: 0x50,
  LSH: 0x60,
  RSH: 0x70,
  NEG: 0x80,
  MOD: 0x90,
  XOR: 0xa0,
  MOV: 0xb0,
  ARSH: 0xc0,
  END: 0xd0,
} as const;

/** Jump operation codes (high four bits). */
export const Jmp = {
  JA: 0x00,
  JEQ: 0x10,
  JGT: 0x20,
  JGE: 0x30,
  JSET: 0x40,
  JNE: 0x50,
  JSGT: 0x60,
  JSGE: 0x70,
  CALL: 0x80,
  EXIT: 0x90,
  JLT: 0xa0,
  JLE: 0xb0,
  JSLT: 0xc0,
  JSLE: 0xd0,
} as const;

/** Load/store size field. */
export const Size = { W: 0x00, H: 0x08, B: 0x10, DW: 0x18 } as const;

/** Load/store mode field. */
export const Mode = { IMM: 0x00, ABS: 0x20, IND: 0x40, MEM: 0x60, MEMSX: 0x80, ATOMIC: 0xc0 } as const;

/** Atomic operations, carried in the immediate of `STX | ATOMIC`. */
export const Atomic = {
  ADD: 0x00,
  OR: 0x40,
  AND: 0x50,
  XOR: 0xa0,
  FETCH: 0x01,
  XCHG: 0xe0 | 0x01,
  CMPXCHG: 0xf0 | 0x01,
} as const;

/** Pseudo source values of `lddw` (src field), as libbpf and the kernel define them. */
export const PseudoLd = {
  IMM64: 0,
  MAP_FD: 1,
  MAP_VALUE: 2,
  BTF_ID: 3,
  FUNC: 4,
  MAP_IDX: 5,
  MAP_IDX_VALUE: 6,
} as const;

/** Call kinds (src field of `CALL`). */
export const PseudoCall = { HELPER: 0, LOCAL: 1, KFUNC: 2 } as const;

export const classOf = (op: number): number => op & 0x07;
export const sizeOf = (op: number): number => op & 0x18;
export const modeOf = (op: number): number => op & 0xe0;
export const aluOpOf = (op: number): number => op & 0xf0;
export const sourceOf = (op: number): number => op & 0x08;

/** Bytes moved by a load/store of the given size field. */
export function sizeBytes(size: number): 1 | 2 | 4 | 8 {
  switch (size) {
    case Size.B:
      return 1;
    case Size.H:
      return 2;
    case Size.W:
      return 4;
    default:
      return 8;
  }
}

/** Composed opcodes the rest of bpfkit names directly. */
export const Op = {
  LDDW: Class.LD | Size.DW | Mode.IMM,
  CALL: Class.JMP | Jmp.CALL,
  CALLX: Class.JMP | Jmp.CALL | Source.X,
  EXIT: Class.JMP | Jmp.EXIT,
  JA: Class.JMP | Jmp.JA,
  JA32: Class.JMP32 | Jmp.JA,
} as const;

export const isJumpClass = (op: number): boolean => {
  const c = op & 7;
  return c === Class.JMP || c === Class.JMP32;
};
