import { SHT, STT } from '../elf/constants.js';
import type { ElfSection } from '../elf/types.js';
import { BtfVarLinkage } from '../btf/kinds.js';
import type { LoadContext } from './context.js';
import { MapFlag, MapType } from './kinds.js';
import type { GlobalVariable, MapDef } from './model.js';

/** The kind of global data a section holds, by libbpf's naming rules; undefined when none. */
export function globalDataKind(s: ElfSection): 'data' | 'rodata' | 'bss' | undefined {
  const is = (base: string): boolean => s.name === base || s.name.startsWith(`${base}.`);
  if (s.type === SHT.PROGBITS && s.size > 0) {
    if (is('.data')) return 'data';
    if (is('.rodata')) return 'rodata';
  }
  if (s.type === SHT.NOBITS && is('.bss') && s.size > 0) return 'bss';
  return undefined;
}

/**
 * One internal map per global-data section, in section order, as libbpf 1.x makes them: an
 * ARRAY with one element (key 4 bytes) whose value is the section, named after the section.
 * `.rodata*` maps are read-only for programs (RDONLY_PROG); maps whose DATASEC has a
 * non-static variable are MMAPABLE (user space maps them), which leaves out string sections.
 */
export function collectGlobalData(ctx: LoadContext): void {
  for (const sec of ctx.elf.sections) {
    const kind = globalDataKind(sec);
    if (kind === undefined) continue;
    const datasec = ctx.btf?.find(sec.name, 'DATASEC');
    let flags = kind === 'rodata' ? MapFlag.RDONLY_PROG : 0;
    if (datasec !== undefined && datasec.vars.some((v) => {
      const t = ctx.btf!.types[v.type];
      return t !== undefined && t.kind === 'VAR' && t.linkage !== BtfVarLinkage.STATIC;
    })) {
      flags |= MapFlag.MMAPABLE;
    }
    const m: MapDef = {
      name: sec.name,
      type: MapType.ARRAY,
      keySize: 4,
      valueSize: sec.size,
      maxEntries: 1,
      flags,
      origin: kind,
      btfKeyTypeId: 0,
      btfValueTypeId: datasec?.id ?? 0,
      initialValue: kind === 'bss' ? new Uint8Array(sec.size) : sec.data.slice(),
      section: sec.name,
    };
    ctx.maps.push(m);
    ctx.places.push({ section: sec.index, offset: 0, size: sec.size, kind: 'data' });
  }
}

/** The variables of global-data sections, from the symbol table, typed from BTF where possible. */
export function collectGlobals(ctx: LoadContext): GlobalVariable[] {
  const out: GlobalVariable[] = [];
  ctx.places.forEach((p, mapIndex) => {
    const sec = p.kind === 'data' ? ctx.elf.sections[p.section] : undefined;
    if (sec === undefined) return; // the .kconfig map has no section
    const datasec = ctx.btf?.find(sec.name, 'DATASEC');
    for (const sym of ctx.elf.symbols) {
      if (sym.shndx !== sec.index || sym.type !== STT.OBJECT) continue;
      const g: GlobalVariable = { name: sym.name, section: sec.name, map: mapIndex, offset: sym.value, size: sym.size };
      const vi = datasec?.vars.find((v) => {
        const t = ctx.btf!.types[v.type];
        return t !== undefined && t.kind === 'VAR' && t.name === sym.name;
      });
      const vt = vi ? ctx.btf!.types[vi.type] : undefined;
      if (vt !== undefined && vt.kind === 'VAR') g.btfTypeId = vt.type;
      out.push(g);
    }
  });
  return out.sort((a, b) => a.map - b.map || a.offset - b.offset);
}
