import { describe, expect, it } from 'vitest';
import { CORE_POISON_HELPER } from '../../src/btf/index.js';
import { loadObject } from '../../src/loader/index.js';
import type { BpfObject, ProgramDef } from '../../src/loader/index.js';
import { readBuild, readObject } from '../elf/facts.js';
import { libbpfCoreLog } from './oracle.js';

const targets = {
  identity: undefined,
  moved: 'core_target_moved.btf',
  missing: 'core_target_missing.btf',
} as const;

const load = (stem: string, target: keyof typeof targets): BpfObject => {
  const file = targets[target];
  return loadObject(readObject(stem), file === undefined ? {} : { targetBtf: readBuild(file) });
};

/** The instruction at slot `pc` of a program. */
function atSlot(p: ProgramDef, pc: number) {
  let s = 0;
  for (const ins of p.instructions) {
    if (s === pc) return ins;
    s += ins.opcode === 0x18 ? 2 : 1;
  }
  return undefined;
}

describe('CO-RE relocations resolve as libbpf resolves them (fixtures/kernel/core.*.log)', () => {
  for (const target of Object.keys(targets) as (keyof typeof targets)[]) {
    it(`against ${target === 'identity' ? "the object's own BTF" : `fixtures/build/${targets[target]}`}: same specs, candidates, patches and poisons`, () => {
      const obj = load('core', target);
      const ours = obj.coreRelocations!.map((r) => ({ index: r.index, local: r.local, candidates: r.candidates, log: r.log }));
      expect(ours).toEqual(libbpfCoreLog(target));
    });
  }
});

describe('CO-RE results in the instructions', () => {
  it('identity: every relocation keeps the value clang wrote', () => {
    const plain = readObject('core');
    const obj = loadObject(plain);
    for (const r of obj.coreRelocations!) {
      expect(r.poisoned).toBeUndefined();
      for (const line of r.log) {
        const m = /(\d+) -> (\d+)$/.exec(line)!;
        expect(m[1]).toBe(m[2]);
      }
    }
  });

  it('a moved field: loads use the new offset, offsets/sizes/enum values follow the target', () => {
    const obj = load('core', 'moved');
    const p = obj.programs[0]!;
    const seq = atSlot(p, 6)!; // r = h->seq
    expect(seq.opcode).toBe(0x61); // ldxw
    expect(seq.off).toBe(8); // was 4: the target inserted `id` before seq
    expect(seq.meta?.reloc).toBe('CO-RE <byte_off> [8] struct pkt_hdr.seq (0:3 @ offset 4)');
    expect(seq.meta?.source?.line).toBe(46);
    expect(atSlot(p, 9)!.off).toBe(24); // h->window
    expect(atSlot(p, 75)!.imm).toBe(16); // bpf_core_type_size(struct pkt_trailer)
    const reset = atSlot(p, 83)!; // bpf_core_enum_value(enum pkt_kind, PK_RESET)
    expect([reset.imm, reset.immHi]).toEqual([9, 0]);
    expect(atSlot(p, 90)!.imm).toBe(1); // bpf_core_type_id_kernel: the target's id
  });

  it('a missing field: the load is poisoned (call 0xbad2310 with the reason), existence checks become 0', () => {
    const obj = load('core', 'missing');
    const p = obj.programs[0]!;
    const seq = atSlot(p, 6)!;
    expect({ opcode: seq.opcode, src: seq.src, imm: seq.imm }).toEqual({ opcode: 0x85, src: 0, imm: CORE_POISON_HELPER });
    expect(CORE_POISON_HELPER).toBe(195896080);
    expect(seq.meta?.poisoned).toMatch(/^CO-RE relocation <byte_off> \[8\] struct pkt_hdr\.seq \(0:3 @ offset 4\) could not be applied: no matching targets found/);
    expect(seq.meta?.source?.text).toBe('\tr = h->seq;');
    expect(atSlot(p, 11)!.imm).toBe(0); // bpf_core_field_exists(h->ack)
    // a poisoned lddw becomes two poisoned calls, so every later slot stays where it was
    const a = atSlot(p, 83)!;
    const b = atSlot(p, 84)!;
    expect([a.opcode, a.imm, b.opcode, b.imm]).toEqual([0x85, CORE_POISON_HELPER, 0x85, CORE_POISON_HELPER]);
    expect(b.meta?.poisoned).toBeDefined();
    const before = loadObject(readObject('core')).programs[0]!;
    const slots = (q: ProgramDef) => q.instructions.reduce((n, i) => n + (i.opcode === 0x18 ? 2 : 1), 0);
    expect(slots(p)).toBe(slots(before));
    expect(p.instructions.filter((i) => i.meta?.poisoned !== undefined).length).toBe(5);
  });

  it('big-endian object: the same decisions against little-endian target BTF', () => {
    for (const target of ['identity', 'moved', 'missing'] as const) {
      const le = load('core', target).coreRelocations!;
      const be = load('core.eb', target).coreRelocations!;
      // the big-endian build orders some relocations differently (instruction scheduling)
      const decisions = (rs: typeof le) => rs.map((r) => JSON.stringify([r.kind, r.local, r.candidates, r.poisoned !== undefined])).sort();
      expect(decisions(be)).toEqual(decisions(le));
    }
  });

  it('a target BTF can be given as an ELF object too', () => {
    const viaElf = loadObject(readObject('core'), { targetBtf: readObject('core_target_moved') });
    expect(viaElf.coreRelocations!.map((r) => r.log)).toEqual(load('core', 'moved').coreRelocations!.map((r) => r.log));
  });
});
