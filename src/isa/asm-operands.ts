/**
 * Operand parsing for the uBPF / bpf_conformance assembler syntax: registers (`%r0`..`%r10`),
 * integers (decimal or `0x` hex, optionally signed), memory operands (`[%r1+8]`) and jump targets
 * (`+3`, `-2` or a label). Every failure is reported through the {@link AsmFail} callback so the
 * assembler can attach the source line.
 */

/** Raises an assembler error for the current line; never returns. */
export type AsmFail = (reason: string) => never;

const INTEGER = /^([+-]?)(0[xX][0-9a-fA-F]+|[0-9]+)$/;
const REGISTER = /^%?r([0-9]+)$/;
const IDENT = /^[A-Za-z_.$][\w.$]*$/;
const MEMORY = /^\[\s*([^\]+\-\s]*)\s*(?:([+-])\s*([^\]\s]*)\s*)?\]$/;

export interface ParsedInteger {
  value: bigint;
  /** Written in hexadecimal: hex literals may use the full unsigned range of their width. */
  hex: boolean;
}

/** Parses an integer literal, or returns undefined when the text is not one. */
export function parseInteger(text: string): ParsedInteger | undefined {
  const m = INTEGER.exec(text);
  if (!m) return undefined;
  const magnitude = BigInt(m[2]!);
  return { value: m[1] === '-' ? -magnitude : magnitude, hex: /^0x/i.test(m[2]!) };
}

/** True when the operand is written as a register (so an ALU/JMP source is X, not K). */
export const looksLikeRegister = (text: string): boolean => text.startsWith('%') || REGISTER.test(text);

/** `%rN` (the `%` is optional) with N in 0..10. */
export function parseRegister(text: string, fail: AsmFail): number {
  const m = REGISTER.exec(text);
  if (!m) return fail(`Invalid register: ${text || '(missing)'}`);
  const n = Number(m[1]);
  if (n > 10) return fail(`Invalid register: ${text} (registers are %r0..%r10)`);
  return n;
}

/**
 * A signed integer of `bits` bits. Decimal literals must fit the signed range; hex literals may
 * also use the unsigned range (`0xffffffff` is -1), which is how the conformance files write bit
 * patterns. So `mov32 %r0, 2147483648` and `mov32 %r0, 0x100000000` are both refused, matching
 * `negative/invalid_imm32_dec_range.data` and `invalid_imm32_hex_range.data`.
 */
export function parseSigned(text: string, bits: 32 | 64, what: string, fail: AsmFail): bigint {
  const n = parseInteger(text);
  if (!n) return fail(`Invalid ${what}: ${text || '(missing)'}`);
  const width = BigInt(bits);
  const min = -(1n << (width - 1n));
  const max = n.hex ? (1n << width) - 1n : (1n << (width - 1n)) - 1n;
  if (n.value < min || n.value > max) return fail(`${capitalise(what)} out of ${bits}-bit range: ${text}`);
  return BigInt.asIntN(bits, n.value);
}

/** A 32-bit immediate as the signed value the `imm` field stores. */
export const parseImm32 = (text: string, fail: AsmFail): number => Number(parseSigned(text, 32, 'immediate', fail));

/** A 16-bit signed offset (memory displacement or jump offset); always range-checked as signed. */
export function parseOffset16(sign: string, digits: string, original: string, fail: AsmFail): number {
  const n = parseInteger(digits);
  if (!n || digits.startsWith('+') || digits.startsWith('-')) return fail(`Invalid offset: ${original}`);
  const v = sign === '-' ? -n.value : n.value;
  if (v < -32768n || v > 32767n) return fail(`Offset out of 16-bit range: ${original}`);
  return Number(v);
}

/** `[%rN]`, `[%rN+OFF]` or `[%rN-OFF]`. */
export function parseMemory(text: string, fail: AsmFail): { reg: number; off: number } {
  const m = MEMORY.exec(text);
  if (!m) return fail(`Invalid memory operand: ${text || '(missing)'} (expected [%rN+offset])`);
  const reg = parseRegister(m[1]!, fail);
  if (m[2] === undefined) return { reg, off: 0 };
  return { reg, off: parseOffset16(m[2], m[3]!, text, fail) };
}

/** A jump target: a relative slot offset (`+3`, `-2`, `3`) or a label name. */
export type JumpTarget = { kind: 'relative'; offset: bigint } | { kind: 'label'; name: string };

export function parseJumpTarget(text: string, fail: AsmFail): JumpTarget {
  const n = parseInteger(text);
  if (n) return { kind: 'relative', offset: n.value };
  if (IDENT.test(text)) return { kind: 'label', name: text };
  return fail(`Invalid jump target: ${text || '(missing)'}`);
}

export const isIdentifier = (text: string): boolean => IDENT.test(text);

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
