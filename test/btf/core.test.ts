import { describe, expect, it } from 'vitest';
import { isBpfkitError } from '../../src/errors.js';
import { CORE_POISON_HELPER, CoreReloKind, CoreResolver, parseBtf, patchCoreInstruction } from '../../src/btf/index.js';
import type { Btf } from '../../src/btf/index.js';
import type { Instruction } from '../../src/isa/instruction.js';
import { BtfBuilder } from './builder.js';

/** local: struct s { int a; unsigned int arr[4]; unsigned int u; int i; } */
function local(): { btf: Btf; s: number } {
  const b = new BtfBuilder();
  const int = b.int('int', 4, true);
  const uint = b.int('unsigned int', 4);
  const idx = b.int('__ARRAY_SIZE_TYPE__', 4);
  const arr = b.array(uint, idx, 4);
  const s = b.struct('s', 28, [['a', int, 0], ['arr', arr, 32], ['u', uint, 160], ['i', int, 192]]);
  return { btf: parseBtf(b.bytes()), s };
}

const ldx = (off: number, size = 0x00): Instruction => ({ opcode: 0x61 | size, dst: 1, src: 2, off, imm: 0 });

describe('CO-RE on synthetic BTF', () => {
  it('array element access: the index is kept, the array moved', () => {
    const { btf, s } = local();
    const t = new BtfBuilder();
    const long = t.int('long', 8, true);
    const int = t.int('int', 4, true);
    const uint = t.int('unsigned int', 4);
    const arr = t.array(uint, int, 4);
    t.struct('s', 40, [['pre', long, 0], ['a', int, 64], ['arr', arr, 96], ['u', uint, 224], ['i', int, 256]]);
    const r = new CoreResolver(btf, parseBtf(t.bytes()), 'little').resolve({ insnOff: 0, typeId: s, accessStr: '0:1:2', kind: CoreReloKind.FIELD_BYTE_OFFSET }, 'test');
    expect(r.local).toBe('<byte_off> [5] struct s.arr[2] (0:1:2 @ offset 12)');
    expect(r.candidates).toEqual([{ spec: '<byte_off> [5] struct s.arr[2] (0:2:2 @ offset 20)', matched: true }]);
    expect(patchCoreInstruction(ldx(12), r, 0, 'test').out[0]!.off).toBe(20);
  });

  it('a field found inside an anonymous union of the target', () => {
    const { btf, s } = local();
    const t = new BtfBuilder();
    const int = t.int('int', 4, true);
    const uint = t.int('unsigned int', 4);
    const un = t.struct('', 4, [['u', uint, 0], ['alias', uint, 0]], true);
    t.struct('s', 12, [['a', int, 0], ['', un, 64]]);
    const r = new CoreResolver(btf, parseBtf(t.bytes()), 'little').resolve({ insnOff: 0, typeId: s, accessStr: '0:2', kind: CoreReloKind.FIELD_BYTE_OFFSET }, 'test');
    expect(r.candidates[0]).toEqual({ spec: '<byte_off> [4] struct s.u (0:1:0 @ offset 8)', matched: true });
    expect(r.newValue).toBe(8n);
  });

  it('a field that grew: unsigned loads widen, signed ones are poisoned', () => {
    const { btf, s } = local();
    const t = new BtfBuilder();
    const u64 = t.int('unsigned long', 8);
    const s64 = t.int('long', 8, true);
    t.struct('s', 16, [['u', u64, 0], ['i', s64, 64]]);
    const resolver = new CoreResolver(btf, parseBtf(t.bytes()), 'little');
    const u = resolver.resolve({ insnOff: 0, typeId: s, accessStr: '0:2', kind: CoreReloKind.FIELD_BYTE_OFFSET }, 'test');
    const pu = patchCoreInstruction(ldx(20), u, 3, 'test');
    expect(pu.log).toEqual(['patched insn #3 (LDX/ST/STX) off 20 -> 0', 'patched insn #3 (LDX/ST/STX) mem_sz 4 -> 8']);
    expect(pu.out[0]!.opcode).toBe(0x79); // ldxdw
    const i = resolver.resolve({ insnOff: 0, typeId: s, accessStr: '0:3', kind: CoreReloKind.FIELD_BYTE_OFFSET }, 'test');
    const pi = patchCoreInstruction(ldx(24), i, 4, 'test');
    expect(pi.log).toEqual(['substituting insn #4 w/ invalid insn']);
    expect([pi.out[0]!.opcode, pi.out[0]!.imm]).toEqual([0x85, CORE_POISON_HELPER]);
  });

  it('two flavors that disagree are an ambiguity error, as in libbpf', () => {
    const { btf, s } = local();
    const t = new BtfBuilder();
    const int = t.int('int', 4, true);
    t.struct('s', 4, [['a', int, 0]]);
    t.struct('s___v2', 8, [['pad', int, 0], ['a', int, 32]]);
    try {
      new CoreResolver(btf, parseBtf(t.bytes()), 'little').resolve({ insnOff: 0, typeId: s, accessStr: '0:0', kind: CoreReloKind.FIELD_BYTE_OFFSET }, 'relo');
      throw new Error('expected an error');
    } catch (e) {
      expect(isBpfkitError(e) && e.code).toBe('BAD_INPUT');
      expect((e as Error).message).toBe('relo: <byte_off> [5] struct s.a (0:0 @ offset 0): field offset ambiguity: 0 != 32');
    }
  });

  it('a bad access string or kind is reported', () => {
    const { btf, s } = local();
    const resolver = new CoreResolver(btf, btf, 'little');
    expect(() => resolver.resolve({ insnOff: 0, typeId: s, accessStr: '0:9', kind: 0 }, 'r')).toThrow(/member index 9 out of range/);
    expect(() => resolver.resolve({ insnOff: 0, typeId: s, accessStr: 'x', kind: 0 }, 'r')).toThrow(/access string 'x'/);
    expect(() => resolver.resolve({ insnOff: 0, typeId: s, accessStr: '0', kind: 42 }, 'r')).toThrow(/unknown CO-RE relocation kind 42/);
    expect(() => resolver.resolve({ insnOff: 0, typeId: 999, accessStr: '0', kind: 0 }, 'r')).toThrow(/type id 999 out of range/);
  });
});
