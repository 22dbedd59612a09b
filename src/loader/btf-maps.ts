import { BpfkitError, ErrorCode } from '../errors.js';
import type { Btf } from '../btf/btf.js';
import { describe, resolveType, sizeof } from '../btf/btf.js';
import { BtfVarLinkage } from '../btf/kinds.js';
import type { BtfMember, BtfStruct } from '../btf/types.js';
import { badInput } from '../elf/reader.js';
import type { LoadContext } from './context.js';
import { MapType } from './kinds.js';
import type { MapDef } from './model.js';

/** The `.maps` section, where libbpf-style map definitions live. */
export const BTF_MAPS_SECTION = '.maps';
/** libbpf's `LIBBPF_PIN_BY_NAME`. */
const PIN_BY_NAME = 1;
/** Ring buffer sizes are a power-of-two multiple of the page size; libbpf rounds up with the host's page size. */
const PAGE_SIZE = 4096;

const isMapInMap = (t: number): boolean => t === MapType.ARRAY_OF_MAPS || t === MapType.HASH_OF_MAPS;

/**
 * Reads a map definition struct the way libbpf's parse_btf_map_def does. Each member encodes
 * one attribute in its type: `__uint(name, N)` is a pointer to an array of N ints, `__type(name,
 * T)` a pointer to T, `__array(values, T)` a zero-length array of pointers to T.
 */
export function parseBtfMapDef(btf: Btf, name: string, def: BtfStruct, isInner: boolean): MapDef {
  const where = `map '${name}'`;
  const m: MapDef = { name, type: 0, keySize: 0, valueSize: 0, maxEntries: 0, flags: 0, origin: 'btf', btfKeyTypeId: 0, btfValueTypeId: 0 };
  def.members.forEach((member, i) => {
    const attr = member.name;
    switch (attr) {
      case 'type':
        m.type = uintField(btf, where, member);
        break;
      case 'max_entries':
        m.maxEntries = uintField(btf, where, member);
        break;
      case 'map_flags':
        m.flags = uintField(btf, where, member);
        break;
      case 'numa_node':
        m.numaNode = uintField(btf, where, member);
        break;
      case 'map_extra':
        m.mapExtra = uintField(btf, where, member);
        break;
      case 'key_size':
      case 'value_size': {
        const sz = uintField(btf, where, member);
        setSize(m, attr === 'key_size' ? 'key' : 'value', sz, where);
        break;
      }
      case 'key':
      case 'value': {
        const ptr = btf.type(member.type, `${where}: ${attr}`);
        if (ptr.kind !== 'PTR') badInput(`${where}: ${attr} spec is not PTR: ${ptr.kind}`);
        const sz = sizeof(btf, ptr.type);
        setSize(m, attr, sz, where);
        if (attr === 'key') m.btfKeyTypeId = ptr.type;
        else m.btfValueTypeId = ptr.type;
        break;
      }
      case 'values': {
        if (isInner) badInput(`${where}: multi-level inner maps are not supported`);
        if (i !== def.members.length - 1) badInput(`${where}: '${attr}' member should be last`);
        if (!isMapInMap(m.type) && m.type !== MapType.PROG_ARRAY) {
          badInput(`${where}: should be map-in-map or prog-array to have 'values'`);
        }
        if (m.valueSize !== 0 && m.valueSize !== 4) badInput(`${where}: conflicting value size ${m.valueSize} != 4`);
        m.valueSize = 4;
        const arr = btf.type(member.type, `${where}: values`);
        if (arr.kind !== 'ARRAY' || arr.nelems !== 0) badInput(`${where}: values spec should be a zero-sized array`);
        const ptr = resolveType(btf, arr.type);
        if (ptr.kind !== 'PTR') badInput(`${where}: values spec should be an array of pointers, not of ${describe(btf, ptr.id)}`);
        const target = resolveType(btf, ptr.type);
        if (m.type === MapType.PROG_ARRAY) {
          if (target.kind !== 'FUNC_PROTO') badInput(`${where}: prog-array values should point to a function prototype`);
          break;
        }
        if (target.kind !== 'STRUCT') badInput(`${where}: map-in-map inner def should be a struct, not ${describe(btf, target.id)}`);
        m.inner = parseBtfMapDef(btf, `${name}.inner`, target, true);
        break;
      }
      case 'pinning': {
        if (isInner) badInput(`${where}: inner def can't be pinned`);
        const v = uintField(btf, where, member);
        // libbpf 1.x knows none and by-name; cilium/ebpf and iproute2 objects use their own values
        // (PIN_OBJECT_NS, PIN_GLOBAL_NS), which change where a map is pinned, not what it is
        if (v !== 0 && v !== PIN_BY_NAME) m.convention = 'cilium';
        m.pinning = v;
        break;
      }
      default:
        // libbpf's strict mode (its default) refuses what it does not understand
        throw new BpfkitError(ErrorCode.Unsupported, `${where}: unknown field '${attr}'`);
    }
  });
  if (m.type === MapType.UNSPEC) badInput(`${where}: map type isn't specified`);
  if (m.type === MapType.RINGBUF) m.maxEntries = ringbufSize(m.maxEntries);
  return m;
}

function setSize(m: MapDef, which: 'key' | 'value', sz: number, where: string): void {
  const have = which === 'key' ? m.keySize : m.valueSize;
  if (have !== 0 && have !== sz) badInput(`${where}: conflicting ${which} size ${have} != ${sz}`);
  if (which === 'key') m.keySize = sz;
  else m.valueSize = sz;
}

/** `__uint(name, N)`: the N of `int (*name)[N]`. */
function uintField(btf: Btf, where: string, member: BtfMember): number {
  const ptr = resolveType(btf, member.type);
  if (ptr.kind !== 'PTR') badInput(`${where}: attr '${member.name}': expected PTR, got ${ptr.kind}`);
  const arr = btf.type(ptr.type, `${where}: attr '${member.name}'`);
  if (arr.kind !== 'ARRAY') badInput(`${where}: attr '${member.name}': expected ARRAY, got ${arr.kind}`);
  return arr.nelems;
}

/** libbpf rounds ring buffer sizes up to a power-of-two multiple of the page size. */
function ringbufSize(sz: number): number {
  if (sz === 0) return 0;
  if ((sz & (sz - 1)) === 0 && sz % PAGE_SIZE === 0) return sz;
  for (let mul = 1; mul * PAGE_SIZE <= 0xffffffff; mul *= 2) if (mul * PAGE_SIZE > sz) return mul * PAGE_SIZE;
  return 0;
}

/**
 * Maps declared in `.maps`: one per variable of the `.maps` DATASEC, in DATASEC order (which
 * the fix-up sorted by offset), as libbpf's bpf_object__init_user_btf_maps finds them.
 */
export function collectBtfMaps(ctx: LoadContext): void {
  const sec = ctx.elf.section(BTF_MAPS_SECTION);
  if (sec === undefined) return;
  const { btf } = ctx;
  if (btf === undefined) badInput(`section ${BTF_MAPS_SECTION}: map definitions need BTF, and the object has no .BTF section`);
  const datasec = btf.find(BTF_MAPS_SECTION, 'DATASEC');
  if (datasec === undefined) badInput(`BTF: DATASEC '${BTF_MAPS_SECTION}' not found`);
  datasec.vars.forEach((vi, i) => {
    const v = btf.type(vi.type, `DATASEC '${BTF_MAPS_SECTION}' variable ${i}`);
    const name = v.kind === 'VOID' ? '' : v.name;
    if (name === '') badInput(`map #${i}: empty name`);
    if (vi.offset + vi.size > sec.size) badInput(`map '${name}': BTF data is corrupted (offset ${vi.offset} + size ${vi.size} past the ${sec.size}-byte section)`);
    if (v.kind !== 'VAR') badInput(`map '${name}': unexpected var kind ${v.kind}`);
    if (v.linkage !== BtfVarLinkage.GLOBAL_ALLOCATED) {
      throw new BpfkitError(ErrorCode.Unsupported, `map '${name}': unsupported map linkage ${v.linkage === 0 ? 'static' : 'extern'}`);
    }
    const def = resolveType(btf, v.type);
    if (def.kind !== 'STRUCT') badInput(`map '${name}': unexpected def kind ${def.kind}`);
    if (def.size > vi.size) badInput(`map '${name}': invalid def size`);
    const m = parseBtfMapDef(btf, name, def, false);
    m.section = BTF_MAPS_SECTION;
    m.convention ??= 'libbpf';
    ctx.maps.push(m);
    ctx.places.push({ section: sec.index, offset: vi.offset, size: vi.size, kind: 'btf' });
  });
}
