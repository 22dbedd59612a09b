import { describe, expect, it } from 'vitest';
import type { MapDef } from '../../src/loader/index.js';
import { loadObject, MapType } from '../../src/loader/index.js';
import { programFixtures, readObject } from '../elf/facts.js';
import { hasKernelFile, kernelRun, libbpfLinkLog, libbpfView } from './oracle.js';
import type { LibbpfMap } from './oracle.js';

const hex = (b: Uint8Array | undefined): string => Array.from(b ?? [], (x) => x.toString(16).padStart(2, '0')).join('');

function asLibbpf(m: MapDef): LibbpfMap {
  const out: LibbpfMap = {
    name: m.name,
    type: m.type,
    key: m.keySize,
    value: m.valueSize,
    maxEntries: m.maxEntries,
    flags: m.flags,
    btfKey: m.btfKeyTypeId,
    btfValue: m.btfValueTypeId,
  };
  if (m.initialValue !== undefined) out.initial = hex(m.initialValue);
  if (m.inner !== undefined) out.inner = asLibbpf(m.inner);
  return out;
}

describe("the loader's maps and programs are libbpf's (recorded with fixtures/kernel/libbpf-open.c)", () => {
  for (const stem of programFixtures().filter((s) => hasKernelFile(`${s}.libbpf.txt`))) {
    const obj = loadObject(readObject(stem));
    const view = libbpfView(stem);

    it(`${stem}: maps in libbpf's order with libbpf's sizes, flags, BTF ids, inner maps and initial bytes`, () => {
      expect(obj.maps.map(asLibbpf)).toEqual(view.maps);
    });

    it(`${stem}: programs with libbpf's section, type, expected attach type and size`, () => {
      expect(
        obj.programs.map((p) => {
          // libbpf counts the entry function's own instructions before sub-programs are appended
          const end = p.functions[1]?.slot ?? p.instructions.reduce((n, i) => n + (i.opcode === 0x18 ? 2 : 1), 0);
          return { name: p.name, section: p.section, type: p.type, expectedAttachType: p.expectedAttachType, insns: end };
        }),
      ).toEqual(view.programs);
    });
  }
});

describe('map order and internal map names match the kernel run (fixtures/kernel/*.json)', () => {
  for (const [stem, prog] of [
    ['xdp_counter', 'xdp_counter'],
    ['globals', 'count_globals'],
    ['maps', 'maps_demo'],
    ['subprogs', 'sub_xdp'],
  ] as const) {
    it(`${stem}`, () => {
      const run = kernelRun(`${stem}.${prog}.json`);
      expect(run.accepted).toBe(true);
      const obj = loadObject(readObject(stem));
      // kernel-run leaves ring buffers out of its map dump
      const names = obj.maps.filter((m) => m.type !== MapType.RINGBUF).map((m) => m.name);
      expect(names).toEqual(Object.keys(run.maps));
    });
  }
});

describe('sub-programs are laid out and called as libbpf links them (fixtures/kernel/*.link.log)', () => {
  for (const stem of ['subprogs', 'btf_kinds']) {
    it(stem, () => {
      const obj = loadObject(readObject(stem));
      const log = libbpfLinkLog(stem, obj.programs.map((p) => p.name));
      expect(log.map((l) => l.main)).toEqual(obj.programs.filter((p) => p.subprograms.length > 0).map((p) => p.name));
      for (const l of log) {
        const p = obj.programs.find((q) => q.name === l.main)!;
        expect(p.subprograms).toEqual(l.added.map((a) => a.sub));
        const slots: number[] = [];
        let pc = 0;
        for (const ins of p.instructions) {
          slots.push(pc);
          pc += ins.opcode === 0x18 ? 2 : 1;
        }
        // each appended sub-program has libbpf's size and sits where libbpf put it
        for (const a of l.added) {
          const f = p.functions.find((q) => q.name === a.sub)!;
          const next = p.functions.find((q) => q.slot > f.slot)?.slot ?? pc;
          expect(next - f.slot, a.sub).toBe(a.insns);
        }
        for (const c of l.calls) {
          const callee = p.functions.find((f) => f.name === c.sub)!;
          expect(callee.slot, `${c.sub} in ${l.main}`).toBe(c.at);
          const caller = p.functions.find((f) => f.name === c.func)!;
          const ins = p.instructions[slots.indexOf(caller.slot + c.insn)];
          expect(ins?.imm, `${l.main}: ${c.func} insn #${c.insn}`).toBe(c.imm);
          expect(ins?.meta?.callee).toBe(c.sub);
        }
      }
    });
  }
});
