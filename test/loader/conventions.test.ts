/**
 * Issue 14: every loader convention loads, each from its own fixture (fixtures/loader, built by
 * fixtures/loader/build.sh in both byte orders), and programs are found and typed as the
 * kernel's table (fixtures/loader/kernel.tsv, recorded with kernel-verify-each) saw them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PseudoCall, PseudoLd } from '../../src/isa/opcodes.js';
import { loadObject, MapType, ProgType, progTypeName } from '../../src/loader/index.js';
import type { BpfObject, LoadOptions } from '../../src/loader/index.js';
import { verifyProgram } from '../../src/verifier/index.js';

const ROOT = join(import.meta.dirname, '..', '..');
const DIR = join(ROOT, 'fixtures', 'loader');
const bytes = (name: string): Uint8Array => new Uint8Array(readFileSync(join(DIR, 'build', `${name}.o`)));
const load = (name: string, options: LoadOptions = {}): BpfObject => loadObject(bytes(name), options);
const prog = (o: BpfObject, name: string) => o.programs.find((p) => p.name === name)!;

interface KernelRow {
  file: string;
  program: string;
  section: string;
  accepted: string;
  progType: string;
  typeSource: string;
}
const kernel: KernelRow[] = readFileSync(join(DIR, 'kernel.tsv'), 'utf8')
  .trim()
  .split('\n')
  .slice(1)
  .map((l) => {
    const [file, program, section, accepted, , progType, typeSource] = l.split('\t');
    return { file: file!, program: program!, section: section!, accepted: accepted!, progType: progType!, typeSource: typeSource! };
  });

const VARIANTS = ['', '.eb'] as const;

describe('programs are found as the kernel (kernel-verify-each) found them', () => {
  const objects = [...new Set(kernel.filter((r) => r.program !== '-').map((r) => r.file.replace(/\.o$/, '')))];
  for (const name of objects) {
    for (const v of VARIANTS) {
      it(`${name}${v}.o: same program names and sections; types named by libbpf's table agree`, () => {
        const rows = kernel.filter((r) => r.file === `${name}.o`);
        const o = load(`${name}${v}`);
        expect(o.programs.map((p) => [p.name, p.section]).sort()).toEqual(rows.map((r) => [r.program, r.section]).sort());
        for (const r of rows) {
          const p = prog(o, r.program);
          if (r.typeSource === 'libbpf') expect(progTypeName(p.type)).toBe(r.progType);
        }
      });
    }
  }
});

describe('each convention', () => {
  for (const v of VARIANTS) {
    describe(`byte order ${v === '' ? 'little' : 'big'}`, () => {
      it('cilium/ebpf: static entry programs load; any pinning value is kept', () => {
        const o = load(`cilium${v}`);
        expect(o.programs.map((p) => [p.name, p.convention, p.typeSource])).toEqual([
          ['cil_from_netdev', 'cilium', 'none'],
          ['cil_to_host', 'cilium', 'libbpf'],
        ]);
        const m = o.maps.find((x) => x.name === 'cilium_counts')!;
        expect([m.pinning, m.convention]).toEqual([2, 'cilium']);
        // the sub-program is appended to the program that calls it
        expect(prog(o, 'cil_from_netdev').subprograms).toEqual(['count']);
      });

      it('iproute2: bpf_elf_map (id, pinning, inner map by id), classifier/action, ID/KEY tail-call sections', () => {
        const o = load(`iproute2${v}`);
        const maps = Object.fromEntries(o.maps.map((m) => [m.name, m]));
        expect(maps.jmp_tc).toMatchObject({ type: MapType.PROG_ARRAY, id: 1, pinning: 2, convention: 'iproute2', initialSlots: [{ index: 0, name: 'tail_zero' }] });
        expect(maps.outer!.inner).toMatchObject({ name: 'inner_tpl', type: MapType.ARRAY, valueSize: 8 });
        expect(maps.outer!.innerId).toBe(7);
        expect(prog(o, 'cls_main')).toMatchObject({ type: ProgType.SCHED_CLS, typeSource: 'libbpf' });
        expect(prog(o, 'act_main')).toMatchObject({ type: ProgType.SCHED_ACT, typeSource: 'libbpf' });
        expect(prog(o, 'tail_zero')).toMatchObject({ convention: 'iproute2', typeSource: 'none' });
      });

      it("bpf_load.c: 28-byte bpf_map_def with inner_map_idx, maps/NAME sections, bpf_load.c's section prefixes", () => {
        const o = load(`bpf_load${v}`);
        expect(o.maps.map((m) => [m.name, m.section, m.convention])).toEqual([
          ['counters', 'maps', 'bpf_load'],
          ['inner_proto', 'maps', 'bpf_load'],
          ['outer_map', 'maps/outer', 'bpf_load'],
        ]);
        expect(o.maps[2]!.inner).toMatchObject({ name: 'inner_proto', valueSize: 4 });
        expect(prog(o, 'bpf_prog1')).toMatchObject({ type: ProgType.SOCKET_FILTER, typeSource: 'legacy' });
        expect(prog(o, 'xdp_fwd_prog')).toMatchObject({ type: ProgType.XDP, typeSource: 'legacy' });
        expect(prog(o, 'do_len_hist')).toMatchObject({ type: ProgType.UNSPEC, typeSource: 'none' });
      });

      it('old clang: a code section without FUNC symbols is one program named after its global symbol', () => {
        const o = load(`old_clang${v}`);
        expect(o.programs.map((p) => [p.name, p.section, p.convention])).toEqual([
          ['bpf_prog1', 'socket1', 'old-clang'],
          ['bpf_prog2', 'kprobe/sys_write', 'old-clang'],
        ]);
        expect(o.maps.map((m) => [m.name, m.convention])).toEqual([['my_map', 'libbpf']]);
        expect(o.kernelVersion).toBe(0x050a00);
      });

      it('EM_NONE with BPF relocations: accepted with a note', () => {
        const o = load(`em_none${v}`);
        expect(o.notes).toEqual([expect.stringMatching(/^e_machine 0 \(EM_NONE\)/)]);
        expect(o.programs.map((p) => p.name)).toEqual(['bpf_prog1', 'bpf_prog2']);
      });

      it('.text-only objects: global functions are programs, static ones their sub-programs', () => {
        const o = load(`text_only${v}`);
        expect(o.programs.map((p) => [p.name, p.section, p.convention, p.subprograms])).toEqual([
          ['first', '.text', 'text', ['twice']],
          ['second', '.text', 'text', []],
        ]);
        expect(o.programs.every((p) => p.notVerifiable?.startsWith("section '.text' names no program type"))).toBe(true);
      });

      it('a call of an undefined function: only that program is not verifiable, naming the function', () => {
        const o = load(`undefined_call${v}`);
        expect(prog(o, 'uses_undefined').notVerifiable).toBe("cannot be linked: call of undefined function 'checksum_fold'");
        expect(prog(o, 'self_contained').notVerifiable).toBeUndefined();
        expect(verifyProgram(o, 'self_contained').accepted).toBe(true);
      });

      it('.kconfig externs: libbpf values, --kconfig values, weak missing ones 0, strong missing ones unresolved', () => {
        const without = load(`externs${v}`);
        expect(prog(without, 'kconfig_only').notVerifiable).toMatch(/extern 'CONFIG_HZ' \(\.kconfig\): no value; give the kernel config with --kconfig FILE/);
        const o = load(`externs${v}`, { kconfig: 'CONFIG_HZ=250\nCONFIG_BPF_JIT=m\n# CONFIG_FOO is not set\nCONFIG_DEFAULT_HOSTNAME="box"\n' });
        const ext = Object.fromEntries(o.externs!.map((e) => [e.name, e]));
        expect(ext.LINUX_KERNEL_VERSION).toMatchObject({ kind: 'kconfig', value: 0x061200, resolution: 'libbpf' });
        expect(ext.CONFIG_HZ).toMatchObject({ value: 250, resolution: '--kconfig', weak: false });
        expect(ext.CONFIG_BPF_JIT).toMatchObject({ value: 2, weak: true });
        expect(ext.CONFIG_BPF_MISSING_OPTION).toMatchObject({ value: 0, resolution: 'missing (weak: 0)' });
        expect(ext.CONFIG_DEFAULT_HOSTNAME).toMatchObject({ value: 'box' });
        const kcfg = o.maps.find((m) => m.name === '.kconfig')!;
        expect(kcfg).toMatchObject({ origin: 'kconfig', type: MapType.ARRAY, maxEntries: 1 });
        // libbpf's layout: by alignment (descending), then size, then name
        const byOffset = o.externs!.filter((e) => e.kind === 'kconfig').sort((a, b) => a.offset! - b.offset!);
        expect(byOffset.map((e) => [e.name, e.offset])).toEqual([
          ['CONFIG_BPF_JIT', 0],
          ['CONFIG_HZ', 4],
          ['LINUX_KERNEL_VERSION', 8],
          ['CONFIG_BPF_MISSING_OPTION', 12],
          ['CONFIG_DEFAULT_HOSTNAME', 13],
        ]);
        const dv = new DataView(kcfg.initialValue!.buffer, kcfg.initialValue!.byteOffset);
        expect(dv.getUint32(4, v === '')).toBe(250);
        const loads = prog(o, 'kconfig_only').instructions.filter((i) => i.meta?.map === '.kconfig');
        expect(loads.length).toBeGreaterThan(0);
        expect(loads.every((i) => i.src === PseudoLd.MAP_VALUE)).toBe(true);
        expect(verifyProgram(o, 'kconfig_only').accepted).toBe(true);
      });

      it('.ksyms: typed variables and kfuncs kept symbolic without kernel BTF', () => {
        const o = load(`externs${v}`, { kconfig: 'CONFIG_HZ=100' });
        const p = prog(o, 'ksyms');
        expect(p.notVerifiable).toBeUndefined();
        expect(p.instructions.filter((i) => i.opcode === 0x85 && i.src === PseudoCall.KFUNC).map((i) => i.meta?.callee)).toEqual(['bpf_rcu_read_lock', 'bpf_rcu_read_unlock']);
        expect(p.instructions.find((i) => i.meta?.reloc === 'ksym bpf_prog_active')?.src).toBe(PseudoLd.BTF_ID);
        const t = load(`ksym_typeless${v}`);
        expect(t.externs).toEqual([expect.objectContaining({ name: 'init_task', kind: 'ksym', resolution: 'object BTF (symbolic)' })]);
      });

      it('CO-RE ___flavor variants without kernel BTF resolve against the object\'s own BTF', () => {
        const o = load(`flavors${v}`);
        expect(prog(o, 'read_state').notVerifiable).toBeUndefined();
        // against a target where the flavors are ambiguous, only that program fails, with the reason
        const strict = load(`flavors${v}`, { targetBtf: bytes(`flavors${v}`) });
        expect(prog(strict, 'read_state').notVerifiable).toMatch(/field offset ambiguity/);
      });
    });
  }
});

describe('program types from the user', () => {
  it('--type TYPE types every program whose section names none; PROGRAM=TYPE one program, even over the section', () => {
    const o = load('bpf_load', { types: { do_len_hist: 'sched_cls', bpf_prog1: 'sched_cls' } });
    expect(prog(o, 'do_len_hist')).toMatchObject({ type: ProgType.SCHED_CLS, typeSource: 'option' });
    expect(prog(o, 'bpf_prog1')).toMatchObject({ type: ProgType.SCHED_CLS, typeSource: 'option' });
    expect(prog(o, 'xdp_fwd_prog')).toMatchObject({ type: ProgType.XDP, typeSource: 'legacy' });
    const all = load('text_only', { types: 'socket_filter' });
    expect(all.programs.map((p) => [p.type, p.typeSource, p.notVerifiable])).toEqual([
      [ProgType.SOCKET_FILTER, 'option', undefined],
      [ProgType.SOCKET_FILTER, 'option', undefined],
    ]);
  });

  it('the names are the kernel enum names lowercased, without the prefix; others are refused', () => {
    for (const name of ['socket_filter', 'sched_cls', 'xdp', 'cgroup_sock', 'lwt_out', 'raw_tracepoint_writable', 'cgroup_sock_addr']) {
      expect(() => load('text_only', { types: name })).not.toThrow();
    }
    expect(() => load('text_only', { types: 'XDP' })).toThrow(/unknown program type 'XDP'/);
    expect(() => load('text_only', { types: 'unspec' })).toThrow(/unknown program type 'unspec'/);
    expect(() => load('text_only', { types: 'tc' })).toThrow(/one of: socket_filter, kprobe, sched_cls/);
    expect(() => load('text_only', { types: { nosuch: 'xdp' } })).toThrow(/no program named 'nosuch' \(programs: first, second\)/);
  });
});
