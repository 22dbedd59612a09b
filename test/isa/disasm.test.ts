import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { assemble, assembleBytes } from '../../src/isa/asm.js';
import { decodeProgram } from '../../src/isa/decode.js';
import { disassemble, formatInstruction, type DisasmOptions } from '../../src/isa/disasm.js';
import { encodeProgram, fromHex, toHex } from '../../src/isa/encode.js';
import { insn, type Instruction } from '../../src/isa/instruction.js';
import { allValidInstructions } from './all-instructions.js';
import { positiveFiles } from './conformance-files.js';

interface Fact {
  mcpu: 'v1' | 'v3';
  bytes: string;
  text: string;
  line: number;
}

/** The llvm-objdump output recorded by scripts/isa-llvm-facts.sh. */
function loadFacts(): Fact[] {
  const text = readFileSync(new URL('./llvm-objdump-facts.txt', import.meta.url), 'utf8');
  const facts: Fact[] = [];
  let mcpu: Fact['mcpu'] | undefined;
  text.split('\n').forEach((line, i) => {
    const mode = /^## mcpu=(v1|v3)$/.exec(line);
    if (mode) mcpu = mode[1] as Fact['mcpu'];
    if (line === '' || line.startsWith('#')) return;
    const tab = line.indexOf('\t');
    if (!mcpu || tab < 0) throw new Error(`facts line ${i + 1} is malformed`);
    facts.push({ mcpu, bytes: line.slice(0, tab), text: line.slice(tab + 1), line: i + 1 });
  });
  return facts;
}

/** llvm-objdump's `<.text+0xADDR>` annotation for a destination slot (addresses wrap at 2^64). */
const objdumpTarget = (pc: number): string => {
  const addr = BigInt.asUintN(64, BigInt(pc) * 8n);
  return addr === 0n ? '.text' : `.text+0x${addr.toString(16)}`;
};

describe('LLVM syntax reproduces llvm-objdump 19 (test/isa/llvm-objdump-facts.txt)', () => {
  const facts = loadFacts();
  it('has facts for both decodings', () => {
    expect(facts.filter((f) => f.mcpu === 'v1').length).toBeGreaterThan(200);
    expect(facts.filter((f) => f.mcpu === 'v3').length).toBe(facts.filter((f) => f.mcpu === 'v1').length);
  });
  for (const mcpu of ['v1', 'v3'] as const) {
    it(`prints every recorded line (mcpu=${mcpu})`, () => {
      // The facts are one object's .text: slot numbers run on, so jump annotations resolve.
      let pc = 0;
      const mismatches: string[] = [];
      for (const f of facts.filter((x) => x.mcpu === mcpu)) {
        const bytes = fromHex(f.bytes);
        const [ins] = decodeProgram(bytes, { validate: false }) as [Instruction];
        const got = formatInstruction(ins, { pc, target: objdumpTarget, mcpu });
        if (got !== f.text) mismatches.push(`line ${f.line} ${f.bytes}: expected '${f.text}', got '${got}'`);
        pc += bytes.length / 8;
      }
      expect(mismatches).toEqual([]);
    });
  }

  it('prints targets only when named, and helper names only on request', () => {
    expect(formatInstruction(insn(0x05, 0, 0, 3))).toBe('goto +0x3');
    expect(formatInstruction(insn(0x25, 1, 0, 3, 2), { pc: 4, target: (pc) => (pc === 8 ? 'LBB0_2' : undefined) })).toBe(
      'if r1 > 0x2 goto +0x3 <LBB0_2>',
    );
    const helperName = (id: number): string | undefined => (id === 1 ? 'bpf_map_lookup_elem' : undefined);
    expect(formatInstruction(insn(0x85, 0, 0, 0, 1))).toBe('call 0x1');
    expect(formatInstruction(insn(0x85, 0, 0, 0, 1), { helperName })).toBe('call bpf_map_lookup_elem');
    expect(formatInstruction(insn(0x85, 0, 0, 0, 2), { helperName })).toBe('call 0x2');
    expect(formatInstruction(insn(0x85, 0, 1, 0, 1), { helperName })).toBe('call 0x1');
  });

  it('gives one line per instruction with lddw as one line', () => {
    const p = assemble('lddw %r1, 0x1122334455667788\nja +0\nexit');
    expect(disassemble(p, { target: objdumpTarget })).toEqual(['r1 = 0x1122334455667788 ll', 'goto +0x0 <.text+0x18>', 'exit']);
  });
});

/** Assembles the ubpf disassembly of `p` back and compares bytes. */
function ubpfRoundTrip(p: Instruction[], opts: DisasmOptions = {}): { text: string[]; back: string; want: string } {
  const text = disassemble(p, { ...opts, syntax: 'ubpf' });
  return { text, back: toHex(assembleBytes(text.join('\n'))), want: toHex(encodeProgram(p)) };
}

describe('ubpf syntax re-assembles to the same bytes', () => {
  const files = positiveFiles().filter((f) => f.asm !== undefined);
  it('for every positive conformance program', () => {
    const bad: string[] = [];
    for (const f of files) {
      const p = assemble(f.asm!);
      const { back, want } = ubpfRoundTrip(p);
      if (back !== want) bad.push(f.name);
    }
    expect(bad).toEqual([]);
    expect(files.length).toBeGreaterThanOrEqual(300);
  });

  it('for every valid instruction, one at a time', () => {
    for (const ins of allValidInstructions()) {
      const { text, back, want } = ubpfRoundTrip([ins]);
      expect(back, text[0]).toBe(want);
    }
  });

  it('for extreme field values', () => {
    const p = [
      insn(0x07, 1, 0, 0, -0x80000000), insn(0xb4, 2, 0, 0, 0x7fffffff), insn(0x57, 3, 0, 0, 0xffff0000 | 0),
      insn(0x15, 1, 0, -32768, 65535), insn(0x06, 0, 0, 0, 0x7fffffff), insn(0x85, 0, 1, 0, -0x80000000),
      insn(0x7a, 10, 0, 32767, -65536), insn(0x18, 0, 0, 0, 0, -0x80000000), insn(0x18, 0, 2, 0, -1, -1),
    ];
    const { text, back, want } = ubpfRoundTrip(p);
    expect(back, text.join('\n')).toBe(want);
  });

  it('uses the conformance spellings', () => {
    const src = [
      'mov32 %r0, 0', 'add %r1, -3', 'ldxb %r0, [%r1+2]', 'stxdw [%r10-8], %r0', 'lddw %r0, 0x123456789abcdef0',
      'jne %r0, %r1, +1', 'lock cmpxchg [%r10-8], %r1', 'lock fetch add32 [%r10-4], %r1', 'call 5', 'call local -3',
      'call %r2', 'movsx864 %r1, %r2', 'sdiv32 %r1, 3', 'be16 %r1', 'ja32 -1', 'ldxsh %r0, [%r10-2]', 'exit',
    ];
    expect(disassemble(assemble(src.join('\n')), { syntax: 'ubpf' })).toEqual(src);
  });

  it('notes helper names and callees as comments', () => {
    const ins = insn(0x85, 0, 0, 0, 1);
    expect(formatInstruction(ins, { syntax: 'ubpf', helperName: () => 'bpf_map_lookup_elem' })).toBe('call 1 # bpf_map_lookup_elem');
    expect(formatInstruction({ ...insn(0x85, 0, 1, 0, 4), meta: { callee: 'f' } }, { syntax: 'ubpf' })).toBe('call local +4 # f');
  });
});

describe('invalid instructions', () => {
  const invalid = [
    insn(0xff), insn(0x00), insn(0x07, 1, 2, 1, 5), insn(0xd4, 0, 0, 0, 8), insn(0x95, 1), insn(0xc3, 1, 2, 0, 2),
    insn(0x18, 1, 9, 0, 1, 2), insn(0x0f, 11, 12), insn(0x8e), insn(0x87, 0, 0, 0, 1),
  ];
  it('print as <unknown> in llvm syntax and never throw', () => {
    for (const ins of invalid) expect(formatInstruction(ins)).toBe('<unknown>');
    const garbage = { opcode: 0x07, dst: 1, src: 0, off: 0, imm: 5, immHi: 3 };
    expect(() => formatInstruction(garbage)).not.toThrow();
  });

  it('print as raw .insn lines in ubpf syntax that re-assemble', () => {
    expect(formatInstruction(insn(0x07, 1, 2, 1, 5), { syntax: 'ubpf' })).toMatch(
      /^\.insn 0x07, 1, 2, 1, 5 # invalid: field src must be 0/,
    );
    const { text, back, want } = ubpfRoundTrip(invalid);
    expect(back, text.join('\n')).toBe(want);
  });

  it('decoded without validation, a program of any bytes disassembles', () => {
    const bytes = new Uint8Array(8 * 64);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 151 + 7) & 0xff;
    for (let i = 0; i < bytes.length; i += 8) if (bytes[i] === 0x18) bytes[i] = 0x19;
    const p = decodeProgram(bytes, { validate: false });
    for (const syntax of ['llvm', 'ubpf'] as const) expect(disassemble(p, { syntax })).toHaveLength(64);
    const { back, want } = ubpfRoundTrip(p);
    expect(back).toBe(want);
  });
});
