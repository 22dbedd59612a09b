import { SHF, STT } from '../elf/constants.js';
import { TAIL_CALL_SECTION } from './tail-calls.js';
import type { ElfSection } from '../elf/types.js';
import { badInput, ByteReader } from '../elf/reader.js';
import type { LoadContext } from './context.js';
import { MapType } from './kinds.js';
import type { LoaderConvention, MapDef } from './model.js';

/** The section of pre-BTF map definitions; bpf_load.c-era objects also use `maps/NAME` sections. */
export const LEGACY_MAPS_SECTION = 'maps';
/** `struct bpf_map_def` as libbpf read it: type, key_size, value_size, max_entries, map_flags. */
const MAP_DEF_SIZE = 20;
/** iproute2's `struct bpf_elf_map` adds id, pinning, inner_id, inner_idx: nine u32. */
const ELF_MAP_SIZE = 36;
/** iproute2 before inner maps: type, size_key, size_value, max_elem, flags, id, pinning. */
const OLD_ELF_MAP_SIZE = 28;

export const isLegacyMapSection = (name: string): boolean => name === LEGACY_MAPS_SECTION || name.startsWith(`${LEGACY_MAPS_SECTION}/`);

/**
 * Legacy maps: every named non-section symbol of a `maps` or `maps/NAME` section is one
 * definition, all definitions of a section of equal size (the section size divided by their
 * number), read in offset order as bpf_load.c and iproute2 read them. The record size says the
 * layout:
 * - 20 bytes or less: `struct bpf_map_def` (libbpf; missing trailing fields are 0);
 * - 21 to 35: samples/bpf's bpf_load.c, which adds inner_map_idx (index of the inner map's
 *   definition) and numa_node; but in an object with iproute2 tail-call sections (`ID/KEY`),
 *   iproute2's older 28-byte `struct bpf_elf_map` (id, pinning), as Cilium's old datapath has;
 * - 36 or more: iproute2's `struct bpf_elf_map` (id, pinning, inner_id naming the inner map's id,
 *   inner_idx).
 * Fields past the known ones are ignored, as those loaders ignore them.
 */
export function collectLegacyMaps(ctx: LoadContext): void {
  const raws: Raw[] = [];
  const iproute2 = ctx.elf.sections.some((s) => (s.flags & SHF.EXECINSTR) !== 0 && TAIL_CALL_SECTION.test(s.name));
  for (const sec of ctx.elf.sections) {
    if (!isLegacyMapSection(sec.name) || sec.size === 0) continue;
    raws.push(...collectSection(ctx, sec, iproute2));
  }
  // A map-in-map's inner definition: bpf_load.c names it by index (over every legacy map of the
  // object, `maps/NAME` sections included), iproute2 by id.
  for (const { def, innerIdx } of raws) {
    if (def.type !== MapType.ARRAY_OF_MAPS && def.type !== MapType.HASH_OF_MAPS) continue;
    const inner = def.innerId !== undefined ? raws.find((r) => r.def.id === def.innerId && r.def !== def)?.def : innerIdx !== undefined ? raws[innerIdx]?.def : undefined;
    if (inner !== undefined && inner !== def) def.inner = { ...inner };
  }
}

interface Raw {
  def: MapDef;
  innerIdx?: number;
}

function collectSection(ctx: LoadContext, sec: ElfSection, iproute2: boolean): Raw[] {
  const syms = ctx.elf.symbols
    .filter((s) => s.shndx === sec.index && s.type !== STT.SECTION && s.type !== STT.FILE && s.name !== '')
    .sort((a, b) => a.value - b.value);
  if (syms.length === 0 || sec.size % syms.length !== 0) {
    badInput(`section ${sec.name}: unable to determine legacy map definition size (${sec.size} bytes, ${syms.length} symbols)`);
  }
  const defSize = sec.size / syms.length;
  const convention: LoaderConvention =
    defSize >= ELF_MAP_SIZE || (iproute2 && defSize >= OLD_ELF_MAP_SIZE) ? 'iproute2' : defSize > MAP_DEF_SIZE || sec.name !== LEGACY_MAPS_SECTION ? 'bpf_load' : 'libbpf';
  const r = new ByteReader(sec.data, ctx.endian === 'little');
  const raws: Raw[] = [];
  for (const sym of syms) {
    const where = `map '${sym.name}' (legacy)`;
    if (sym.value + defSize > sec.size) badInput(`${where}: definition at ${sym.value} runs past the ${sec.size}-byte section ${sec.name}`);
    const at = sym.value;
    const field = (i: number): number => (i * 4 + 4 <= defSize ? r.u32(at + i * 4, `${where}: field ${i}`) : 0);
    const m: MapDef = {
      name: sym.name,
      type: field(0),
      keySize: field(1),
      valueSize: field(2),
      maxEntries: field(3),
      flags: field(4),
      origin: 'legacy',
      btfKeyTypeId: 0,
      btfValueTypeId: 0,
      section: sec.name,
      convention,
    };
    const raw: Raw = { def: m };
    if (convention === 'iproute2') {
      m.id = field(5);
      m.pinning = field(6);
      const innerId = defSize >= ELF_MAP_SIZE ? field(7) : 0;
      if (innerId !== 0) m.innerId = innerId;
    } else if (convention === 'bpf_load' && defSize > MAP_DEF_SIZE) {
      raw.innerIdx = field(5);
      if (defSize >= 28 && field(6) !== 0) m.numaNode = field(6);
    }
    raws.push(raw);
    ctx.maps.push(m);
    ctx.places.push({ section: sec.index, offset: sym.value, size: defSize, kind: 'legacy' });
  }
  return raws;
}
