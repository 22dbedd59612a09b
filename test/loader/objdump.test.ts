import { describe, expect, it } from 'vitest';
import { encodeProgram } from '../../src/isa/encode.js';
import type { Instruction } from '../../src/isa/instruction.js';
import { loadObject } from '../../src/loader/index.js';
import type { BpfObject } from '../../src/loader/index.js';
import { objdumpFacts, programFixtures, readObject } from '../elf/facts.js';

/** Every function of the object with its instructions, taken from the linked programs. */
function functionsOf(obj: BpfObject): Map<string, Instruction[]> {
  const out = new Map<string, Instruction[]>();
  for (const p of obj.programs) {
    const slots: number[] = [];
    let pc = 0;
    for (const ins of p.instructions) {
      slots.push(pc);
      pc += ins.opcode === 0x18 ? 2 : 1;
    }
    p.functions.forEach((f, i) => {
      if (out.has(f.name)) return;
      const end = p.functions[i + 1]?.slot ?? pc;
      out.set(f.name, p.instructions.filter((_, k) => slots[k]! >= f.slot && slots[k]! < end));
    });
  }
  return out;
}

describe('instructions, relocations and line info vs llvm-objdump -d -l -r', () => {
  for (const base of programFixtures()) {
    for (const stem of [base, `${base}.eb`]) {
      const obj = loadObject(readObject(stem));
      const funcs = functionsOf(obj);
      const facts = objdumpFacts(stem).filter((f) => funcs.has(f.func));

      it(`${stem}: instruction count of every function`, () => {
        const counts = new Map<string, number>();
        for (const f of facts) counts.set(f.func, (counts.get(f.func) ?? 0) + 1);
        expect(counts.size).toBe(funcs.size);
        for (const [name, insns] of funcs) expect(insns.length, name).toBe(counts.get(name));
      });

      it(`${stem}: bytes of every instruction the loader did not relocate, relocations named like readelf`, () => {
        for (const [name, insns] of funcs) {
          const dumped = facts.filter((f) => f.func === name);
          insns.forEach((ins, i) => {
            const d = dumped[i]!;
            const relocated = ins.meta?.reloc !== undefined || ins.meta?.callee !== undefined;
            if (!relocated) {
              expect(Array.from(encodeProgram([ins], obj.endian)), `${name} pc ${d.pc}: ${d.text}`).toEqual(d.bytes);
            }
            if (ins.meta?.reloc !== undefined && !ins.meta.reloc.startsWith('CO-RE')) {
              expect([ins.meta.reloc]).toEqual(d.relocations);
            }
          });
        }
      });

      it(`${stem}: every instruction has a source line; where llvm-objdump (DWARF) starts a line, BTF agrees`, () => {
        let checked = 0;
        for (const [name, insns] of funcs) {
          const dumped = facts.filter((f) => f.func === name);
          insns.forEach((ins, i) => {
            const src = ins.meta?.source;
            expect(src, `${name} instruction ${i}`).toBeDefined();
            expect(src!.file).toBe(`./fixtures/src/${base}.c`);
            const d = dumped[i]!;
            if (d.line === undefined) return;
            const here = `${src!.file}:${src!.line}`;
            if (i === 0 && here !== d.line) {
              // BTF may place a function's prologue on its declaration, DWARF on a line below it
              expect(src!.text, `${name}: first line`).toContain(`${name}(`);
              expect(src!.line).toBeLessThan(Number(d.line.split(':')[1]));
            } else {
              expect(here, `${name} pc ${d.pc}`).toBe(d.line);
            }
            checked++;
          });
        }
        expect(checked).toBeGreaterThan(funcs.size);
      });
    }
  }
});
