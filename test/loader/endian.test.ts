import { describe, expect, it } from 'vitest';
import type { Instruction } from '../../src/isa/instruction.js';
import { loadObject } from '../../src/loader/index.js';
import type { BpfObject, ProgramDef } from '../../src/loader/index.js';
import { programFixtures, readObject } from '../elf/facts.js';

/**
 * Source lines whose code clang compiles differently for bpfeb, because what the C means there
 * depends on byte order. Every other instruction must be identical in both builds.
 */
const BYTE_ORDER_LINES: Record<string, Record<number, string>> = {
  maps: { 189: 'a 64-bit store of two u32 initialisers (`lk = { 32, 0x0100000a }`) packs them in memory order' },
  btf_kinds: { 62: 'bitfield store: bitfields are allocated from the other end of the word on big-endian' },
  core: {
    54: '`bpf_core_field_offset(h->window)`: merged into its neighbours in the big-endian build',
    55: 'BPF_CORE_READ_BITFIELD: the left shift (a CO-RE lshift_u64 value) depends on byte order',
    56: 'BPF_CORE_READ_BITFIELD of a signed bitfield, same reason',
    50: 'the scheduler moved a constant set-up of the bitfield code into this line in one build only',
    51: 'same: instructions of the bitfield code scheduled into this line differently',
  },
  xdp_counter: {
    36: '`h_proto != bpf_htons(ETH_P_IP)`: bpf_htons is a no-op on big-endian, so the constant differs',
    55: '`check += bpf_htons(0x0100)`: same reason',
  },
};

const isJump = (i: Instruction): boolean => {
  const cls = i.opcode & 7;
  const op = i.opcode & 0xf0;
  return (cls === 5 || cls === 6) && op !== 0x80 && op !== 0x90;
};

/**
 * Instructions grouped by source line; jump offsets are replaced by the line they land on, so a
 * different instruction count in one place does not make every jump across it differ.
 */
function byLine(p: ProgramDef): Map<string, string[]> {
  const slots: number[] = [];
  let pc = 0;
  for (const ins of p.instructions) {
    slots.push(pc);
    pc += ins.opcode === 0x18 ? 2 : 1;
  }
  const lineAt = (slot: number): string => {
    const k = slots.indexOf(slot);
    const s = k < 0 ? undefined : p.instructions[k]!.meta?.source;
    return s ? `${s.line}` : `slot ${slot}`;
  };
  const out = new Map<string, string[]>();
  p.instructions.forEach((ins, k) => {
    const line = `${ins.meta?.source?.line}`;
    const target = isJump(ins) ? `->${lineAt(slots[k]! + 1 + (ins.opcode === 0x06 ? ins.imm : ins.off))}` : `off ${ins.off}`;
    const key = `${ins.opcode} ${ins.dst} ${ins.src} ${target} ${ins.imm} ${ins.immHi ?? ''} ${JSON.stringify({ ...ins.meta, source: undefined })}`;
    out.set(line, [...(out.get(line) ?? []), key]);
  });
  return out;
}

/** The object without what legitimately depends on byte order (instruction bytes, data bytes). */
function shape(obj: BpfObject, loose: boolean) {
  return {
    license: obj.license,
    kernelVersion: obj.kernelVersion,
    // where clang compiled a line differently, instruction counts, function slots and the line
    // info of merged lines differ too
    programs: obj.programs.map((p) => ({
      ...p,
      instructions: loose ? 0 : p.instructions.length,
      functions: p.functions.map((f) => ({ ...f, slot: loose ? 0 : f.slot })),
    })),
    maps: obj.maps.map((m) => ({ ...m, initialValue: m.initialValue?.length })),
    globals: obj.globals,
    btf: obj.btf === undefined ? undefined : { ...obj.btf, lineInfos: loose ? 0 : obj.btf.lineInfos, strings: loose ? 0 : obj.btf.strings },
  };
}

describe('every fixture loads in both byte orders into the same programs and maps', () => {
  for (const base of programFixtures()) {
    const le = loadObject(readObject(base));
    const be = loadObject(readObject(`${base}.eb`));
    const allowed = BYTE_ORDER_LINES[base] ?? {};

    it(`${base}: same programs (names, sections, types, functions, sub-programs), maps, globals, BTF`, () => {
      expect(le.endian).toBe('little');
      expect(be.endian).toBe('big');
      const loose = Object.keys(allowed).length > 0;
      expect(shape(be, loose)).toEqual(shape(le, loose));
    });

    it(`${base}: identical instructions and metadata, line by line${Object.keys(allowed).length ? ' (except byte-order-dependent lines)' : ''}`, () => {
      le.programs.forEach((p, i) => {
        const a = byLine(p);
        const b = byLine(be.programs[i]!);
        const lines = (m: Map<string, string[]>) => [...m.keys()].filter((l) => !(Number(l) in allowed)).sort();
        expect(lines(b)).toEqual(lines(a));
        const differing = [...a.keys()].filter((line) => JSON.stringify(a.get(line)) !== JSON.stringify(b.get(line))).map(Number);
        expect(differing.filter((l) => !(l in allowed)), `${p.name}: lines that differ`).toEqual([]);
      });
      if (Object.keys(allowed).length === 0) {
        expect(be.programs.map((p) => p.instructions)).toEqual(le.programs.map((p) => p.instructions));
      }
    });

    it(`${base}: global data has the same values in each byte order`, () => {
      for (const g of le.globals ?? []) {
        const a = le.maps[g.map]!.initialValue!.subarray(g.offset, g.offset + g.size);
        const b = be.maps[g.map]!.initialValue!.subarray(g.offset, g.offset + g.size);
        // scalars read back equal; byte arrays (strings) are identical
        const elem = g.size % 4 === 0 && g.name !== 'banner' ? 4 : g.size === 2 ? 2 : 1;
        const swap = (x: Uint8Array) => Array.from({ length: x.length }, (_, k) => x[k - (k % elem) + (elem - 1 - (k % elem))]);
        expect(Array.from(b), g.name).toEqual(elem === 1 ? Array.from(a) : swap(a));
      }
    });
  }
});
