import { describe, expect, it } from 'vitest';
import { isBpfkitError } from '../../src/errors.js';
import { parseElf } from '../../src/elf/index.js';
import {
  cTypeName,
  essentialName,
  findMemberPath,
  formatBtf,
  memberOffset,
  parseBtf,
  parseBtfExt,
  resolveType,
  sizeof,
} from '../../src/btf/index.js';
import { readObject } from '../elf/facts.js';
import { libbpfCoreLog } from '../loader/oracle.js';
import { BtfBuilder } from './builder.js';

const expectBad = (f: () => unknown, message: RegExp): void => {
  try {
    f();
  } catch (e) {
    expect(isBpfkitError(e) && e.code).toBe('BAD_INPUT');
    expect((e as Error).message).toMatch(message);
    return;
  }
  throw new Error('expected a BAD_INPUT error');
};

function sample(): { b: BtfBuilder; ids: Record<string, number> } {
  const b = new BtfBuilder();
  const int = b.int('int', 4, true);
  const u8 = b.int('unsigned char', 1);
  const u32t = b.typedef('u32', b.int('unsigned int', 4));
  const cv = b.modifier('const', b.modifier('volatile', u32t));
  const inner = b.struct('', 8, [['lo', int, 0], ['hi', int, 32]], true);
  const idx = b.int('__ARRAY_SIZE_TYPE__', 4);
  const arr = b.array(u8, idx, 6);
  const s = b.struct('hdr', 24, [['tag', u8, 0], ['pad', arr, 8], ['len', cv, 64], ['', inner, 128]]);
  const p = b.ptr(s);
  return { b, ids: { int, u8, u32t, cv, inner, arr, s, p } };
}

describe('BTF graph helpers', () => {
  for (const little of [true, false]) {
    const { b, ids } = sample();
    const btf = parseBtf(b.bytes(little));
    it(`${little ? 'little' : 'big'}-endian blob parses to the same graph`, () => {
      expect(btf.endian).toBe(little ? 'little' : 'big');
      expect(formatBtf(btf)).toBe(formatBtf(parseBtf(sample().b.bytes(true))));
    });
    it('resolveType skips typedefs and modifiers; sizeof follows arrays, pointers and typedefs', () => {
      expect(resolveType(btf, ids.cv!).name).toBe('unsigned int');
      expect(sizeof(btf, ids.cv!)).toBe(4);
      expect(sizeof(btf, ids.arr!)).toBe(6);
      expect(sizeof(btf, ids.s!)).toBe(24);
      expect(sizeof(btf, ids.p!)).toBe(8);
    });
    it('memberOffset and findMemberPath (through an anonymous union)', () => {
      expect(memberOffset(btf, ids.s!, 'len')?.bitsOffset).toBe(64);
      expect(memberOffset(btf, ids.s!, 'hi')).toBeUndefined();
      expect(findMemberPath(btf, ids.p! - 0 - 1, 'hi')).toMatchObject({ path: [3, 1], bitsOffset: 160 });
      expect(cTypeName(btf, ids.cv!)).toBe('const volatile u32');
      expect(cTypeName(btf, ids.p!)).toBe('struct hdr *');
      expect(cTypeName(btf, ids.arr!)).toBe('unsigned char[6]');
    });
  }

  it('essential names drop the last ___flavor suffix', () => {
    expect(essentialName('task_struct___v2')).toBe('task_struct');
    expect(essentialName('pkt_hdr___old')).toBe('pkt_hdr');
    expect(essentialName('a___b___c')).toBe('a___b');
    expect(essentialName('__u32')).toBe('__u32');
    expect(essentialName('x____y')).toBe('x____y');
  });
});

describe('malformed BTF is reported, never looped on', () => {
  it('a typedef cycle', () => {
    const b = new BtfBuilder();
    b.typedef('a', 2);
    b.typedef('b', 1);
    const btf = parseBtf(b.bytes());
    expectBad(() => sizeof(btf, 1), /chain longer than 32 \(a cycle\?\)/);
    expectBad(() => resolveType(btf, 2), /a cycle/);
  });
  it('a type id out of range names the type and the field', () => {
    const b = new BtfBuilder();
    b.struct('s', 4, [['x', 77, 0]]);
    expectBad(() => parseBtf(b.bytes()), /BTF type \[1\] STRUCT 's': member 0 'x' type id 77 out of range \(1 types\)/);
  });
  it('an unknown kind, a truncated record, a bad string offset, a bad header', () => {
    const b = new BtfBuilder();
    b.type('x', 25, 0, 0);
    expectBad(() => parseBtf(b.bytes()), /BTF type \[1\] at type-section offset 0x0: unknown kind 25/);
    const c = new BtfBuilder();
    c.struct('s', 8, [['a', 0, 0], ['b', 0, 32]]);
    const bytes = c.bytes();
    const dv = new DataView(bytes.buffer);
    dv.setUint32(12, 20, true); // type_len cuts the second member short
    expectBad(() => parseBtf(bytes), /STRUCT: 2 members: 24 bytes at offset 0xc past end/);
    const d = new BtfBuilder();
    d.int('int', 4);
    const e = d.bytes();
    new DataView(e.buffer).setUint32(24, 999, true);
    expectBad(() => parseBtf(e), /BTF type \[1\] INT: name: string offset 0x3e7 past end of the BTF string section/);
    expectBad(() => parseBtf(new Uint8Array([0x9f, 0xeb, 2, 0])), /version 2 is not 1/);
    expectBad(() => parseBtf(new Uint8Array([1, 2, 3])), /bad magic/);
  });
});

describe('.BTF.ext records', () => {
  it('core.o: func_info, line_info with source text, and the 27 CO-RE records libbpf saw', () => {
    const elf = parseElf(readObject('core'));
    const btf = parseBtf(elf.section('.BTF')!.data);
    const ext = parseBtfExt(elf.section('.BTF.ext')!.data, btf);
    expect([...ext.funcInfo.keys()]).toEqual(['xdp']);
    expect(ext.funcInfo.get('xdp')).toEqual([{ insnOff: 0, typeId: 7 }]);
    const lines = ext.lineInfo.get('xdp')!;
    expect(lines[0]).toEqual({ insnOff: 0, file: './fixtures/src/core.c', text: 'int core_prog(struct xdp_md *ctx)', line: 36, column: 0 });
    const relos = ext.coreRelos.get('xdp')!;
    const log = libbpfCoreLog('identity');
    expect(relos.length).toBe(log.length);
    // libbpf prints each relocation's raw access string inside its spec: `(0:3 @ offset 4)`
    relos.forEach((r, i) => {
      const enumerator = /::(\w+) = /.exec(log[i]!.local)?.[1];
      if (enumerator !== undefined) {
        // enum value relocations name the enumerator by its index
        const t = btf.type(r.typeId);
        expect(t.kind === 'ENUM' && t.values[Number(r.accessStr)]!.name, `relo #${i}`).toBe(enumerator);
      } else {
        expect(r.accessStr, `relo #${i}`).toBe(/\(([\d:]+) @/.exec(log[i]!.local)?.[1] ?? '0');
      }
      expect(r.typeId).toBe(Number(/\[(\d+)\]/.exec(log[i]!.local)![1]));
    });
  });

  it('both byte orders give the same records', () => {
    for (const stem of ['core', 'subprogs', 'maps']) {
      const read = (s: string) => {
        const elf = parseElf(readObject(s));
        return parseBtfExt(elf.section('.BTF.ext')!.data, parseBtf(elf.section('.BTF')!.data));
      };
      const le = read(stem);
      const be = read(`${stem}.eb`);
      expect([...be.funcInfo]).toEqual([...le.funcInfo]);
      expect(be.coreRelos.size).toBe(le.coreRelos.size);
    }
  });

  it('malformed: record size too small, section past the end', () => {
    const elf = parseElf(readObject('core'));
    const btf = parseBtf(elf.section('.BTF')!.data);
    const ext = elf.section('.BTF.ext')!.data.slice();
    const dv = new DataView(ext.buffer);
    const funcOff = dv.getUint32(8, true);
    dv.setUint32(32 + funcOff, 4, true);
    expectBad(() => parseBtfExt(ext, btf), /func_info: record size 4 is not between 8 and 1024/);
    const ext2 = elf.section('.BTF.ext')!.data.slice();
    new DataView(ext2.buffer).setUint32(20, 0xffff, true);
    expectBad(() => parseBtfExt(ext2, btf), /BTF.ext header: line_info 0x[0-9a-f]+ \+ 0xffff past end of data/);
  });
});
