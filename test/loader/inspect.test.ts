import { describe, expect, it } from 'vitest';
import { isBpfkitError } from '../../src/errors.js';
import { formatInspect, inspectObject, listProgram, loadObject } from '../../src/loader/index.js';
import { objdumpFacts, programFixtures, readBuild, readObject } from '../elf/facts.js';

describe('inspect', () => {
  it('is plain JSON for every fixture', () => {
    for (const stem of programFixtures()) {
      const r = inspectObject(loadObject(readObject(stem)));
      expect(JSON.parse(JSON.stringify(r))).toEqual(r);
    }
  });

  it('maps.o: programs, maps with types, inner maps, initial slots; BTF summary', () => {
    const r = inspectObject(loadObject(readObject('maps')));
    expect(r.license).toBe('GPL');
    expect(r.programs.map((p) => [p.name, p.section, p.type, p.instructions])).toEqual([
      ['tail_a', 'xdp', 'xdp', 13],
      ['tail_b', 'xdp', 'xdp', 2],
      ['maps_demo', 'xdp', 'xdp', 152],
    ]);
    const flows = r.maps.find((m) => m.name === 'flows')!;
    expect(flows).toMatchObject({ type: 'hash', keySize: 16, valueSize: 16, maxEntries: 1024, flagNames: ['NO_PREALLOC'], keyType: 'struct flow_key', valueType: 'struct counters' });
    const outer = r.maps.find((m) => m.name === 'outer_arr')!;
    expect(outer.inner).toMatchObject({ name: 'outer_arr.inner', type: 'array', valueSize: 8 });
    expect(outer.initialSlots).toEqual([{ index: 0, name: 'inner_a' }, { index: 3, name: 'inner_b' }]);
    expect(r.btf).toMatchObject({ types: 113, funcInfos: 3, coreRelocations: 0 });
    const text = formatInspect(r);
    expect(text).toContain('maps (16):');
    expect(text).toMatch(/^ {2}routes +lpm_trie +8 +4 +64 +NO_PREALLOC +libbpf +key struct lpm_v4_key, value __u32$/m);
    expect(text).toContain('jump_table: initial values [0] = tail_a, [2] = tail_b');
  });

  it('globals.o: globals with type and initial bytes; sub-programs and kernel version elsewhere', () => {
    const r = inspectObject(loadObject(readObject('globals')));
    expect(r.globals.find((g) => g.name === 'cfg_port')).toEqual({ name: 'cfg_port', section: '.rodata', offset: 4, size: 2, type: 'const volatile __u16', initial: '901f' });
    expect(formatInspect(r)).toMatch(/^ {2}\.rodata +0x4 +2 +cfg_port +const volatile __u16 +901f$/m);
    expect(inspectObject(loadObject(readObject('subprogs'))).programs[0]!.subprograms).toEqual(['loop_step', 'mix', 'clamp_len', 'mix3']);
    expect(formatInspect(inspectObject(loadObject(readObject('legacy_maps'))))).toContain('kernel version: 0x50a00');
  });

  it('core.o against a target that lacks fields: relocations and poisoned instructions are reported', () => {
    const r = inspectObject(loadObject(readObject('core'), { targetBtf: readBuild('core_target_missing.btf') }));
    expect(r.programs[0]!.poisonedInstructions).toBe(5);
    expect(r.coreRelocations!.filter((c) => c.result === 'poisoned').length).toBe(4);
    expect(formatInspect(r)).toContain('core_prog insn 6: <byte_off> [8] struct pkt_hdr.seq (0:3 @ offset 4): poisoned');
  });
});

describe('disasm listing', () => {
  it('prints what llvm-objdump prints for each instruction, plus source lines, map names and call targets', () => {
    const obj = loadObject(readObject('xdp_counter'));
    const text = listProgram(obj, 'xdp_counter', { helperName: () => undefined });
    const facts = objdumpFacts('xdp_counter');
    const lines = text.split('\n').filter((l) => /^ +\d+:\t/.test(l));
    expect(lines.length).toBe(facts.length);
    lines.forEach((l, i) => {
      const [, pc, body] = /^ +(\d+):\t(.*)$/.exec(l)!;
      expect(Number(pc)).toBe(facts[i]!.pc);
      if (facts[i]!.relocations.length === 0) expect(body).toBe(facts[i]!.text);
    });
    expect(text).toContain('r1 = map[proto_stats] ll');
    expect(text).toContain('r2 = map[.bss] + 0x0 ll');
    expect(text).toContain('; ./fixtures/src/xdp_counter.c:45\n; \tstruct proto_stats *st = bpf_map_lookup_elem(&proto_stats, &key);');
    expect(listProgram(obj, 'xdp_counter')).toContain('call bpf_map_lookup_elem');
  });

  it('names sub-programs at their calls and headers', () => {
    const text = listProgram(loadObject(readObject('subprogs')), 'sub_tc');
    expect(text).toContain('sub_tc: section tc, type sched_cls, sub-programs: clamp_len, mix');
    expect(text).toMatch(/^0000000000000000 <sub_tc>:$/m);
    expect(text).toMatch(/^000000000000000b <clamp_len>:$/m);
    expect(text).toMatch(/^ +2:\tcall 0x8 <clamp_len>$/m);
  });

  it('marks poisoned CO-RE instructions', () => {
    const text = listProgram(loadObject(readObject('core'), { targetBtf: readBuild('core_target_missing.btf') }), 'core_prog');
    expect(text).toMatch(/^ +6:\tcall 0xbad2310\t; poisoned: CO-RE relocation <byte_off> \[8\] struct pkt_hdr\.seq/m);
  });

  it('an unknown program name is a usage error naming the programs', () => {
    try {
      listProgram(loadObject(readObject('multi')), 'nope');
      throw new Error('expected an error');
    } catch (e) {
      expect(isBpfkitError(e) && e.code).toBe('USAGE');
      expect((e as Error).message).toMatch(/^no program named 'nope' \(programs: xdp_pass, xdp_drop, /);
    }
  });
});
