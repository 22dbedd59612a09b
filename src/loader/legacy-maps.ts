import { BpfkitError, ErrorCode } from '../errors.js';
import { STB, STT } from '../elf/constants.js';
import { badInput, ByteReader } from '../elf/reader.js';
import type { LoadContext } from './context.js';
import type { MapDef } from './model.js';

/** The section of pre-BTF map definitions. */
export const LEGACY_MAPS_SECTION = 'maps';
/** `struct bpf_map_def`: type, key_size, value_size, max_entries, map_flags (five u32). */
const MAP_DEF_SIZE = 20;

/**
 * Legacy maps: every non-section symbol of the `maps` section is one `struct bpf_map_def`, all
 * definitions of equal size (the section size divided by their number), in symbol-table order,
 * as libbpf before 1.0 read them. Extra trailing fields must be zero.
 */
export function collectLegacyMaps(ctx: LoadContext): void {
  const sec = ctx.elf.section(LEGACY_MAPS_SECTION);
  if (sec === undefined) return;
  const syms = ctx.elf.symbols.filter((s) => s.shndx === sec.index && s.type !== STT.SECTION);
  if (sec.size === 0 || syms.length === 0 || sec.size % syms.length !== 0) {
    badInput(`section ${LEGACY_MAPS_SECTION}: unable to determine legacy map definition size (${sec.size} bytes, ${syms.length} symbols)`);
  }
  const defSize = sec.size / syms.length;
  const r = new ByteReader(sec.data, ctx.endian === 'little');
  for (const sym of syms) {
    const where = `map '${sym.name}' (legacy)`;
    if (sym.name === '') badInput(`${where}: symbol ${sym.index} has no name`);
    if (sym.bind === STB.LOCAL) throw new BpfkitError(ErrorCode.Unsupported, `${where}: static maps are not supported`);
    if (sym.value + defSize > sec.size) badInput(`${where}: definition at ${sym.value} runs past the ${sec.size}-byte maps section`);
    const at = sym.value;
    const field = (i: number): number => (i * 4 + 4 <= defSize ? r.u32(at + i * 4, `${where}: field ${i}`) : 0);
    for (let b = MAP_DEF_SIZE; b < defSize; b++) {
      if (sec.data[at + b] !== 0) badInput(`${where}: has unrecognized, non-zero options`);
    }
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
      section: LEGACY_MAPS_SECTION,
    };
    ctx.maps.push(m);
    ctx.places.push({ section: sec.index, offset: sym.value, size: defSize, kind: 'legacy' });
  }
}
