/**
 * struct_ops maps (`SEC(".struct_ops")`, `SEC(".struct_ops.link")`): each variable of such a
 * section is one map of type BPF_MAP_TYPE_STRUCT_OPS whose value is a kernel struct of function
 * pointers (tcp_congestion_ops, sched_ext_ops...). The section's relocations say which program
 * fills which member, as libbpf's bpf_object__collect_st_ops_relos reads them; that member is the
 * program's attach target (its prototype types the program's arguments).
 */
import { BpfkitError, ErrorCode } from '../errors.js';
import { type Btf, resolveType } from '../btf/btf.js';
import { structOpsTarget } from '../btf/attach.js';
import { ProgType } from './kinds.js';
import type { ProgramDef } from './model.js';
import type { LoadContext } from './context.js';

/** BPF_F_LINK: a `.struct_ops.link` map is attached through a BPF link. */
const BPF_F_LINK = 1 << 13;

/** One struct_ops map: the variable, the kernel struct it implements, and which program fills which member. */
export interface StructOpsDef {
  /** The variable's name (libbpf names the map after it). */
  name: string;
  section: string;
  /** The struct's name (`tcp_congestion_ops`), looked up in the kernel's BTF. */
  struct: string;
  /** `.struct_ops.link`: BPF_F_LINK, attached as a link. */
  link: boolean;
  flags: number;
  /** The size of the object's own struct (the kernel's may be larger). */
  size: number;
  members: Array<{ member: string; program: string }>;
}

const isStructOpsSection = (name: string): boolean => name === '.struct_ops' || name === '.struct_ops.link';

/** The struct_ops maps of the object, in section and variable order. */
export function collectStructOps(ctx: LoadContext): StructOpsDef[] {
  const out: StructOpsDef[] = [];
  for (const sec of ctx.elf.sections) {
    if (!isStructOpsSection(sec.name)) continue;
    const btf = ctx.btf;
    const datasec = btf?.find(sec.name, 'DATASEC');
    if (btf === undefined || datasec === undefined) {
      throw new BpfkitError(ErrorCode.BadInput, `struct_ops init: DATASEC ${sec.name} not found in the object's BTF (libbpf needs it to find the struct_ops maps)`);
    }
    const rels = ctx.elf.relocationsFor(sec.index)?.entries ?? [];
    for (const v of datasec.vars) {
      const vt = btf.types[v.type];
      if (vt === undefined || vt.kind !== 'VAR') continue;
      const st = resolveType(btf, vt.type);
      if (st.kind !== 'STRUCT') throw new BpfkitError(ErrorCode.BadInput, `struct_ops init: ${vt.name} is not a struct`);
      const link = sec.name === '.struct_ops.link';
      const def: StructOpsDef = { name: vt.name, section: sec.name, struct: st.name, link, flags: link ? BPF_F_LINK : 0, size: st.size, members: [] };
      for (const r of rels) {
        if (r.offset < v.offset || r.offset >= v.offset + v.size) continue;
        const moff = (r.offset - v.offset) * 8;
        const m = st.members.find((x) => x.bitsOffset === moff);
        const sym = ctx.elf.symbols[r.symbol];
        // the program at the symbol's place (a FUNC symbol, or a section symbol and the addend)
        const at = sym === undefined ? -1 : (sym.value + (r.addend ?? 0)) / 8;
        const prog = sym === undefined ? undefined : ctx.funcs.find((f) => f.section.index === sym.shndx && f.secSlot === at && !f.isSubprog);
        if (m === undefined || prog === undefined) {
          throw new BpfkitError(ErrorCode.BadInput, `struct_ops reloc ${vt.name}: cannot find member at moff ${moff / 8}`);
        }
        const ptr = resolveType(btf, m.type);
        if (ptr.kind !== 'PTR' || resolveType(btf, ptr.type).kind !== 'FUNC_PROTO') {
          throw new BpfkitError(ErrorCode.BadInput, `struct_ops reloc ${vt.name}: member ${m.name} is not func ptr`);
        }
        def.members.push({ member: m.name, program: prog.name });
      }
      out.push(def);
    }
  }
  return out;
}

/**
 * Gives each struct_ops program the member its map assigns it (the attach target), as libbpf
 * does before loading. A struct_ops program no map uses has no target: libbpf does not load it
 * (and the kernel refuses one without, -ENOTSUPP), so it is left unverified with that reason.
 */
export function bindStructOpsPrograms(programs: ProgramDef[], maps: readonly StructOpsDef[], kernel: Btf | undefined): void {
  for (const p of programs) {
    if (p.type !== ProgType.STRUCT_OPS) continue;
    const uses = maps.flatMap((m) => m.members.filter((x) => x.program === p.name).map((x) => ({ map: m, member: x.member })));
    if (uses.length === 0) {
      p.notVerifiable ??= `struct_ops program ${p.name} is not used by any struct_ops map (.struct_ops section): it has no attach target, so libbpf does not load it`;
      continue;
    }
    if (kernel === undefined) continue;
    const { map, member } = uses[0]!;
    try {
      p.attachBtf = structOpsTarget(kernel, p.name, map.struct, member);
    } catch (e) {
      if (!(e instanceof BpfkitError)) throw e;
      p.attachError = e.message;
      p.notVerifiable ??= e.message;
    }
  }
}
