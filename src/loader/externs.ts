import type { Btf } from '../btf/btf.js';
import { resolveType, sizeof } from '../btf/btf.js';
import { SHN, STB, STT } from '../elf/constants.js';
import { badInput } from '../elf/reader.js';
import type { ExternPlace, LoadContext } from './context.js';
import { MapFlag, MapType } from './kinds.js';
import type { ExternDef, MapDef } from './model.js';

export const KCONFIG_SECTION = '.kconfig';
export const KSYMS_SECTION = '.ksyms';

/** The kernel bpfkit models: LINUX_KERNEL_VERSION when no `--kconfig` file says otherwise. */
export const MODELLED_KERNEL = { major: 6, minor: 18, patch: 0 } as const;
const KERNEL_VERSION = (MODELLED_KERNEL.major << 16) + (MODELLED_KERNEL.minor << 8) + MODELLED_KERNEL.patch;

/** Values libbpf itself provides (not from the kernel config). */
const LIBBPF_PROVIDED: Readonly<Record<string, number>> = {
  LINUX_KERNEL_VERSION: KERNEL_VERSION,
  LINUX_HAS_BPF_COOKIE: 1,
  LINUX_HAS_SYSCALL_WRAPPER: 1,
};

type KcfgKind = 'bool' | 'char' | 'tristate' | 'int' | 'chars';

interface Kcfg {
  kind: KcfgKind;
  size: number;
  align: number;
  signed: boolean;
}

/** A kernel config as `--kconfig` gives it: `CONFIG_X=y|m|n|"str"|number`, `# CONFIG_X is not set`. */
export function parseKconfig(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const unset = /^# (CONFIG_\w+) is not set$/.exec(line);
    if (unset) {
      out.set(unset[1]!, 'n');
      continue;
    }
    if (line === '' || line.startsWith('#')) continue;
    const m = /^(\w+)=(.*)$/.exec(line);
    if (!m) badInput(`kconfig: '${line}' is not NAME=VALUE`);
    out.set(m[1]!, m[2]!);
  }
  return out;
}

/**
 * Finds the object's externs the way libbpf's bpf_object__collect_externs does: each undefined
 * global symbol whose BTF VAR or FUNC sits in the `.kconfig` or `.ksyms` DATASEC. kconfig values
 * are laid out in one `.kconfig` map (sorted by alignment, size and name, as libbpf sorts them)
 * and set from `kconfig` (libbpf's rules: a missing strong value is an error, a missing weak one
 * is 0); ksyms and kfuncs are looked up by name in the target (kernel) BTF when one is given,
 * else kept symbolic (the object's own BTF id). An extern that cannot be resolved only marks the
 * programs that use it.
 */
export function collectExterns(ctx: LoadContext, kconfig: Map<string, string> | undefined, target: Btf | undefined): void {
  const { btf, elf } = ctx;
  const undef = elf.symbols.filter((s) => s.shndx === SHN.UNDEF && s.index !== 0 && s.name !== '' && (s.bind === STB.GLOBAL || s.bind === STB.WEAK) && s.type !== STT.SECTION);
  if (undef.length === 0 || btf === undefined) return;
  const kcfgSec = btf.find(KCONFIG_SECTION, 'DATASEC');
  const ksymSec = btf.find(KSYMS_SECTION, 'DATASEC');
  const inSec = (sec: typeof kcfgSec, name: string): number | undefined => {
    for (const v of sec?.vars ?? []) {
      const t = btf.types[v.type];
      if (t !== undefined && t.kind !== 'VOID' && t.name === name) return t.id;
    }
    return undefined;
  };
  const kcfgs: { place: ExternPlace; k: Kcfg }[] = [];
  for (const sym of undef) {
    const weak = sym.bind === STB.WEAK;
    const kcfgId = inSec(kcfgSec, sym.name);
    if (kcfgId !== undefined) {
      const v = btf.type(kcfgId);
      const k = v.kind === 'VAR' ? kcfgType(btf, v.type) : undefined;
      const def: ExternDef = { name: sym.name, kind: 'kconfig', weak, resolution: 'missing' };
      const place: ExternPlace = { def, localId: kcfgId };
      if (k === undefined) place.unresolved = `extern '${sym.name}' (.kconfig): its type is not one libbpf supports (bool, char, tristate, integer, char array)`;
      else kcfgs.push({ place, k });
      ctx.externs.set(sym.name, place);
      continue;
    }
    // libbpf knows an extern only through its DATASEC: anything else ("failed to find BTF for
    // extern") is left for the programs that use it to report
    const ksymId = inSec(ksymSec, sym.name);
    if (ksymId === undefined) continue;
    const t = btf.type(ksymId);
    const isFunc = t.kind === 'FUNC';
    const def: ExternDef = { name: sym.name, kind: isFunc ? 'kfunc' : 'ksym', weak, resolution: '' };
    const place: ExternPlace = { def, localId: ksymId };
    if (!isFunc) place.typed = t.kind === 'VAR' && resolveType(btf, t.type).kind !== 'VOID';
    if (target !== undefined && target !== btf) {
      const found = target.named(sym.name).find((x) => (isFunc ? x.kind === 'FUNC' : x.kind === 'VAR'));
      if (found !== undefined) {
        def.btfId = found.id;
        def.resolution = 'kernel BTF';
      } else if (weak) {
        def.btfId = 0;
        def.resolution = 'missing (weak: 0)';
      } else {
        def.resolution = 'missing';
        place.unresolved = `extern '${sym.name}' (.ksyms): no ${isFunc ? 'function' : 'variable'} of that name in the kernel BTF`;
      }
    } else {
      def.btfId = ksymId;
      def.resolution = 'object BTF (symbolic)';
    }
    ctx.externs.set(sym.name, place);
  }
  if (kcfgs.length > 0) layoutKconfig(ctx, kcfgs, kconfig);
}

function layoutKconfig(ctx: LoadContext, kcfgs: { place: ExternPlace; k: Kcfg }[], kconfig: Map<string, string> | undefined): void {
  kcfgs.sort((a, b) => b.k.align - a.k.align || a.k.size - b.k.size || (a.place.def.name < b.place.def.name ? -1 : a.place.def.name > b.place.def.name ? 1 : 0));
  let off = 0;
  for (const { place, k } of kcfgs) {
    off = Math.ceil(off / k.align) * k.align;
    place.def.offset = off;
    place.def.size = k.size;
    off += k.size;
  }
  const data = new Uint8Array(off);
  const dv = new DataView(data.buffer);
  const little = ctx.endian === 'little';
  for (const { place, k } of kcfgs) {
    const { def } = place;
    const name = def.name;
    const raw = kconfig?.get(name);
    const provided = LIBBPF_PROVIDED[name];
    let value: number | string | undefined;
    try {
      if (raw !== undefined) {
        value = kcfgValue(name, k, raw);
        def.resolution = '--kconfig';
      } else if (provided !== undefined) {
        value = provided;
        def.resolution = 'libbpf';
      } else if (def.weak) {
        value = 0;
        def.resolution = 'missing (weak: 0)';
      } else {
        place.unresolved = `extern '${name}' (.kconfig): no value${kconfig === undefined ? '; give the kernel config with --kconfig FILE' : ' in the kernel config'}`;
      }
    } catch (e) {
      place.unresolved = (e as Error).message;
    }
    if (value === undefined) continue;
    def.value = value;
    const at = def.offset!;
    if (typeof value === 'string') {
      const bytes = new TextEncoder().encode(value);
      data.set(bytes.subarray(0, k.size - 1), at);
    } else if (k.size === 8) dv.setBigUint64(at, BigInt.asUintN(64, BigInt(value)), little);
    else if (k.size === 4) dv.setUint32(at, value >>> 0, little);
    else if (k.size === 2) dv.setUint16(at, value & 0xffff, little);
    else dv.setUint8(at, value & 0xff);
  }
  const map: MapDef = {
    name: KCONFIG_SECTION,
    type: MapType.ARRAY,
    keySize: 4,
    valueSize: Math.max(off, 1),
    maxEntries: 1,
    flags: MapFlag.RDONLY_PROG | MapFlag.MMAPABLE,
    origin: 'kconfig',
    btfKeyTypeId: 0,
    btfValueTypeId: ctx.btf?.find(KCONFIG_SECTION, 'DATASEC')?.id ?? 0,
    initialValue: data.length > 0 ? data : new Uint8Array(1),
    section: KCONFIG_SECTION,
  };
  ctx.kconfigMap = ctx.maps.length;
  ctx.maps.push(map);
  // no ELF section holds it: a place no relocation can match
  ctx.places.push({ section: -1, offset: 0, size: map.valueSize, kind: 'data' });
  const ds = ctx.btf?.find(KCONFIG_SECTION, 'DATASEC');
  if (ds !== undefined) {
    ds.size = map.valueSize;
    for (const v of ds.vars) {
      const t = ctx.btf!.types[v.type];
      const place = t !== undefined && t.kind !== 'VOID' ? ctx.externs.get(t.name) : undefined;
      if (place?.def.offset !== undefined) v.offset = place.def.offset;
    }
    ds.vars.sort((a, b) => a.offset - b.offset);
  }
}

/** libbpf's find_kcfg_type: what a kconfig extern's C type allows. */
function kcfgType(btf: Btf, id: number): Kcfg | undefined {
  const t = resolveType(btf, id);
  if (t.kind === 'INT') {
    if (t.bits !== t.size * 8 || t.bitsOffset !== 0) return undefined;
    if ((t.encoding & 4) !== 0) return t.size === 1 ? { kind: 'bool', size: 1, align: 1, signed: false } : undefined;
    // any one-byte integer is a char to libbpf (y/n/m stored as the letter, or a number)
    if (t.size === 1) return { kind: 'char', size: 1, align: 1, signed: (t.encoding & 1) !== 0 };
    if (![1, 2, 4, 8].includes(t.size)) return undefined;
    return { kind: 'int', size: t.size, align: t.size, signed: (t.encoding & 1) !== 0 };
  }
  if (t.kind === 'ENUM') {
    if (t.name !== 'libbpf_tristate' || t.size !== 4) return undefined;
    return { kind: 'tristate', size: 4, align: 4, signed: false };
  }
  if (t.kind === 'ARRAY') {
    const e = resolveType(btf, t.type);
    if (e.kind !== 'INT' || e.size !== 1 || (e.encoding & 4) !== 0 || t.nelems === 0) return undefined;
    return { kind: 'chars', size: sizeof(btf, t.id), align: 1, signed: false };
  }
  return undefined;
}

/** A value from the config file, checked against the extern's type as libbpf's set_kcfg_value_* do. */
function kcfgValue(name: string, k: Kcfg, raw: string): number | string {
  const where = `extern '${name}' (.kconfig)`;
  if (raw === 'y' || raw === 'n' || raw === 'm') {
    switch (k.kind) {
      case 'bool':
        if (raw === 'm') throw new Error(`${where}: value 'm' for a bool`);
        return raw === 'y' ? 1 : 0;
      case 'tristate':
        return raw === 'y' ? 1 : raw === 'm' ? 2 : 0;
      case 'char':
        return raw.charCodeAt(0);
      default:
        throw new Error(`${where}: value '${raw}' for a ${k.kind === 'chars' ? 'char array' : 'integer'}`);
    }
  }
  if (raw.startsWith('"')) {
    if (k.kind !== 'chars') throw new Error(`${where}: a string value for a non-string extern`);
    if (!raw.endsWith('"') || raw.length < 2) throw new Error(`${where}: string value ${raw} is not quoted`);
    return raw.slice(1, -1);
  }
  if (k.kind !== 'int' && k.kind !== 'char') throw new Error(`${where}: a number for a ${k.kind}`);
  let n: bigint;
  try {
    n = BigInt(raw);
  } catch {
    throw new Error(`${where}: '${raw}' is not a number`);
  }
  const bits = BigInt(k.size * 8);
  const fits = k.signed ? n >= -(1n << (bits - 1n)) && n < 1n << (bits - 1n) : n >= 0n && n < 1n << bits;
  if (!fits) throw new Error(`${where}: value ${raw} does not fit ${k.size} bytes`);
  return Number(BigInt.asIntN(53, n));
}
