/**
 * Parser of the bpf_conformance `.data` test format: sections introduced by `-- NAME` lines, `#`
 * starting a comment anywhere on a line. This only splits and decodes the sections; deciding what a
 * test means (run it, expect a failure, skip it) is the runner's business.
 */
import { BpfkitError, ErrorCode } from '../errors.js';

export interface ConformanceFile {
  /** The `-- asm` section, comments kept (the assembler strips them and counts lines). */
  asm?: string;
  /** 1-based line of the file where the `-- asm` body starts: add `line N - 1` of an asm error. */
  asmLine?: number;
  /** The `-- raw` section as instruction bytes (little-endian instruction words). */
  raw?: Uint8Array;
  /** The `-- mem` section: the bytes r1 points to on entry. */
  mem?: Uint8Array;
  /** The expected r0 at exit, all 64 bits, unsigned. */
  result?: bigint;
  /** The expected error message; '' when the section is present but empty. */
  error?: string;
  /** Every section name in file order, known or not (`c`, `no register offset`, ...). */
  sections: string[];
}

const HEADER = /^--\s+(\S.*?)\s*$/;

const bad = (msg: string): never => {
  throw new BpfkitError(ErrorCode.BadInput, msg);
};

/** Splits a conformance file into its sections and decodes the ones with a defined meaning. */
export function parseConformanceFile(text: string): ConformanceFile {
  const sections: string[] = [];
  const bodies = new Map<string, string[]>();
  let current: string[] | undefined;
  let asmLine: number | undefined;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const h = HEADER.exec(line);
    if (h) {
      const name = h[1]!;
      if (name === 'asm' && asmLine === undefined) asmLine = i + 2;
      sections.push(name);
      current = [];
      // A repeated section continues the first one, so nothing is silently dropped.
      const existing = bodies.get(name);
      if (existing) current = existing;
      else bodies.set(name, current);
      continue;
    }
    current?.push(line);
  }

  const out: ConformanceFile = { sections };
  const asm = bodies.get('asm');
  if (asm) {
    out.asm = asm.join('\n');
    out.asmLine = asmLine;
  }
  const raw = bodies.get('raw');
  if (raw) out.raw = parseRaw(raw);
  const mem = bodies.get('mem');
  if (mem) out.mem = parseHexBytes(mem, 'mem');
  const result = bodies.get('result');
  if (result) {
    const v = cleanLines(result).join(' ');
    if (v !== '') out.result = parseResult(v);
  }
  const error = bodies.get('error');
  if (error) out.error = cleanLines(error).join('\n');
  return out;
}

/** Lines with comments removed, trimmed, blanks dropped. */
function cleanLines(lines: readonly string[]): string[] {
  return lines.map((l) => l.replace(/#.*$/, '').trim()).filter((l) => l !== '');
}

function parseResult(v: string): bigint {
  const m = /^(-?)(0[xX][0-9a-fA-F]+|[0-9]+)$/.exec(v);
  if (!m) return bad(`-- result: not a number: ${v}`);
  const n = BigInt(m[2]!);
  if (n >= 1n << 64n) return bad(`-- result: does not fit 64 bits: ${v}`);
  return BigInt.asUintN(64, m[1] === '-' ? -n : n);
}

/** Hex byte pairs (`aa bb 11`), any number a line. */
function parseHexBytes(lines: readonly string[], section: string): Uint8Array {
  const bytes: number[] = [];
  for (const line of cleanLines(lines)) {
    for (const tok of line.split(/\s+/)) {
      if (!/^[0-9a-fA-F]{2}$/.test(tok)) return bad(`-- ${section}: expected hex byte pairs, found '${tok}'`);
      bytes.push(parseInt(tok, 16));
    }
  }
  return Uint8Array.from(bytes);
}

/**
 * `-- raw` is either one `0x...` 64-bit word a line (the little-endian u64 of the instruction, so
 * the low byte is the opcode) or hex byte pairs, eight per instruction.
 */
function parseRaw(lines: readonly string[]): Uint8Array {
  const clean = cleanLines(lines);
  if (clean.length > 0 && clean.every((l) => /^0[xX][0-9a-fA-F]{1,16}$/.test(l))) {
    const out = new Uint8Array(clean.length * 8);
    const dv = new DataView(out.buffer);
    clean.forEach((l, i) => dv.setBigUint64(i * 8, BigInt(l), true));
    return out;
  }
  const bytes = parseHexBytes(lines, 'raw');
  if (bytes.length % 8 !== 0) return bad(`-- raw: ${bytes.length} bytes is not a whole number of instructions`);
  return bytes;
}
