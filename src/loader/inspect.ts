import { cTypeName } from '../btf/format.js';
import type { Btf } from '../btf/btf.js';
import { attachTypeName } from './attach-types.js';
import { MapFlag, mapTypeName, progTypeName } from './kinds.js';
import type { BpfObject, MapDef } from './model.js';

/** What `bpfkit inspect` reports: plain JSON-able data. */
export interface InspectReport {
  endian: 'little' | 'big';
  license: string;
  kernelVersion?: number;
  programs: InspectProgram[];
  maps: InspectMap[];
  globals: InspectGlobal[];
  btf?: InspectBtf;
  coreRelocations?: InspectCore[];
  externs?: InspectExtern[];
  /** What the loader accepted that libbpf 1.x would not (e.g. e_machine 0). */
  notes?: string[];
  /** struct_ops maps: the kernel struct each implements, its flags and which program fills which member. */
  structOps?: Array<{ name: string; section: string; struct: string; flags: number; members: Array<{ member: string; program: string }> }>;
}

export interface InspectExtern {
  name: string;
  kind: 'kconfig' | 'ksym' | 'kfunc';
  weak: boolean;
  resolution: string;
  value?: number | string;
  offset?: number;
  btfId?: number;
}

export interface InspectProgram {
  name: string;
  section: string;
  type: string;
  typeNumber: number;
  attachTo?: string;
  expectedAttachType?: string;
  /** Instructions in the linked program, counted in 8-byte slots as the kernel counts them. */
  instructions: number;
  subprograms: string[];
  poisonedInstructions: number;
  /** The loader convention the program was found by (`libbpf`, `cilium`, `old-clang`, `text`, `iproute2`). */
  convention: string;
  /** Where the type came from: `libbpf` (section table), `legacy` (bpf_load.c/iproute2 names), `option` (--type), `none`. */
  typeSource: string;
  /** Set when the program cannot be verified: why. */
  notVerifiable?: string;
}

export interface InspectMap {
  name: string;
  type: string;
  typeNumber: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  flagNames: string[];
  origin: string;
  section?: string;
  keyType?: string;
  valueType?: string;
  inner?: InspectMap;
  initialSlots?: { index: number; name: string }[];
  pinning?: number;
  /** The loader convention of the definition (`libbpf`, `cilium`, `bpf_load`, `iproute2`); absent for global data. */
  convention?: string;
  /** iproute2 `bpf_elf_map` ids. */
  id?: number;
  innerId?: number;
}

export interface InspectGlobal {
  name: string;
  section: string;
  offset: number;
  size: number;
  type?: string;
  /** The initial bytes, hex (zeroes for `.bss`). */
  initial: string;
}

export interface InspectBtf {
  types: number;
  strings: number;
  funcInfos: number;
  lineInfos: number;
  coreRelocations: number;
  /** Count of types per kind. */
  kinds: Record<string, number>;
}

export interface InspectCore {
  section: string;
  function: string;
  insn: number;
  kind: string;
  local: string;
  result: string;
}

const FLAG_NAMES = Object.entries(MapFlag) as [string, number][];
/** Names of the set flags; unknown bits as hex. */
export function mapFlagNames(flags: number): string[] {
  const out: string[] = [];
  let rest = flags >>> 0;
  for (const [name, bit] of FLAG_NAMES) {
    if ((rest & bit) !== 0) {
      out.push(name);
      rest &= ~bit;
    }
  }
  if (rest !== 0) out.push(`0x${rest.toString(16)}`);
  return out;
}

const hexBytes = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

function inspectMap(m: MapDef, btf: Btf | undefined): InspectMap {
  const out: InspectMap = {
    name: m.name,
    type: mapTypeName(m.type),
    typeNumber: m.type,
    keySize: m.keySize,
    valueSize: m.valueSize,
    maxEntries: m.maxEntries,
    flags: m.flags,
    flagNames: mapFlagNames(m.flags),
    origin: m.origin,
  };
  if (m.section !== undefined) out.section = m.section;
  if (btf !== undefined && m.btfKeyTypeId) out.keyType = cTypeName(btf, m.btfKeyTypeId);
  if (btf !== undefined && m.btfValueTypeId) out.valueType = cTypeName(btf, m.btfValueTypeId);
  if (m.inner !== undefined) out.inner = inspectMap(m.inner, btf);
  if (m.initialSlots !== undefined) out.initialSlots = m.initialSlots.map((s) => ({ ...s }));
  if (m.pinning !== undefined) out.pinning = m.pinning;
  if (m.convention !== undefined) out.convention = m.convention;
  if (m.id !== undefined) out.id = m.id;
  if (m.innerId !== undefined) out.innerId = m.innerId;
  return out;
}

/** Builds the `inspect` report of a loaded object. */
export function inspectObject(obj: BpfObject): InspectReport {
  const btf = obj.btfTypes;
  const report: InspectReport = {
    endian: obj.endian,
    license: obj.license,
    programs: obj.programs.map((p) => {
      let slots = 0;
      let poisoned = 0;
      for (const ins of p.instructions) {
        slots += ins.opcode === 0x18 ? 2 : 1;
        if (ins.meta?.poisoned !== undefined) poisoned++;
      }
      const ip: InspectProgram = {
        name: p.name,
        section: p.section,
        type: progTypeName(p.type),
        typeNumber: p.type,
        instructions: slots,
        subprograms: [...p.subprograms],
        poisonedInstructions: poisoned,
        convention: p.convention ?? 'libbpf',
        typeSource: p.typeSource ?? 'libbpf',
      };
      if (p.notVerifiable !== undefined) ip.notVerifiable = p.notVerifiable;
      if (p.attachTo !== undefined) ip.attachTo = p.attachTo;
      if (p.expectedAttachType !== undefined) ip.expectedAttachType = attachTypeName(p.expectedAttachType);
      return ip;
    }),
    maps: obj.maps.map((m) => inspectMap(m, btf)),
    ...(obj.structOps?.length
      ? { structOps: obj.structOps.map((m) => ({ name: m.name, section: m.section, struct: m.struct, flags: m.flags, members: m.members.map((x) => ({ ...x })) })) }
      : {}),
    globals: (obj.globals ?? []).map((g) => {
      const value = obj.maps[g.map]?.initialValue;
      const ig: InspectGlobal = {
        name: g.name,
        section: g.section,
        offset: g.offset,
        size: g.size,
        initial: value ? hexBytes(value.subarray(g.offset, g.offset + g.size)) : '',
      };
      if (btf !== undefined && g.btfTypeId !== undefined) ig.type = cTypeName(btf, g.btfTypeId);
      return ig;
    }),
  };
  if (obj.kernelVersion !== undefined) report.kernelVersion = obj.kernelVersion;
  if (obj.externs !== undefined) {
    report.externs = obj.externs.map((e) => {
      const x: InspectExtern = { name: e.name, kind: e.kind, weak: e.weak, resolution: e.resolution };
      if (e.value !== undefined) x.value = e.value;
      if (e.offset !== undefined) x.offset = e.offset;
      if (e.btfId !== undefined) x.btfId = e.btfId;
      return x;
    });
  }
  if (obj.notes !== undefined) report.notes = [...obj.notes];
  if (obj.btf !== undefined) {
    const kinds: Record<string, number> = {};
    for (const t of btf?.types ?? []) if (t.kind !== 'VOID') kinds[t.kind] = (kinds[t.kind] ?? 0) + 1;
    report.btf = { ...obj.btf, kinds };
  }
  if (obj.coreRelocations !== undefined) {
    report.coreRelocations = obj.coreRelocations.map((r) => ({
      section: r.section,
      function: r.function,
      insn: r.insn,
      kind: r.kind,
      local: r.local,
      result: r.poisoned !== undefined ? 'poisoned' : r.log.join('; '),
    }));
  }
  return report;
}

const pad = (s: string, n: number): string => (s.length >= n ? s : s + ' '.repeat(n - s.length));

/** Aligns rows of cells into columns separated by two spaces. */
function table(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : pad(c, widths[i]!))).join('  ').trimEnd());
}

function mapCells(m: InspectMap): string[] {
  return [
    m.name,
    m.type,
    String(m.keySize),
    String(m.valueSize),
    String(m.maxEntries),
    m.flagNames.length ? m.flagNames.join('|') : '-',
    m.convention ?? '-',
    [m.keyType ? `key ${m.keyType}` : '', m.valueType ? `value ${m.valueType}` : ''].filter(Boolean).join(', '),
  ];
}

/** The readable text of an `inspect` report. */
export function formatInspect(r: InspectReport): string {
  const lines: string[] = [];
  lines.push(`license: ${r.license || '(none)'}`);
  for (const n of r.notes ?? []) lines.push(`note: ${n}`);
  lines.push(`byte order: ${r.endian}-endian`);
  if (r.kernelVersion !== undefined) lines.push(`kernel version: 0x${r.kernelVersion.toString(16)}`);
  lines.push('', `programs (${r.programs.length}):`);
  lines.push(
    ...table([
      ['  name', 'section', 'type', 'loader', 'insns', 'sub-programs'],
      ...r.programs.map((p) => [
        `  ${p.name}`,
        p.section,
        p.typeSource === 'none' ? '(none)' : p.typeSource === 'option' ? `${p.type} (--type)` : p.type,
        p.convention,
        String(p.instructions),
        (p.subprograms.join(', ') || '-') + (p.poisonedInstructions ? `  (${p.poisonedInstructions} poisoned by CO-RE)` : ''),
      ]),
    ]),
  );
  for (const p of r.programs) if (p.notVerifiable !== undefined) lines.push(`  ${p.name}: not verifiable: ${p.notVerifiable}`);
  lines.push('', `maps (${r.maps.length}):`);
  if (r.maps.length > 0) {
    lines.push(...table([['  name', 'type', 'key', 'value', 'max_entries', 'flags', 'loader', 'types'], ...r.maps.map((m) => { const c = mapCells(m); c[0] = `  ${c[0]}`; return c; })]));
    for (const m of r.maps) {
      if (m.inner) lines.push(`  ${m.name}: inner map ${m.inner.name}: ${m.inner.type}, key ${m.inner.keySize}, value ${m.inner.valueSize}, max_entries ${m.inner.maxEntries}`);
      if (m.initialSlots) lines.push(`  ${m.name}: initial values ${m.initialSlots.map((s) => `[${s.index}] = ${s.name}`).join(', ')}`);
    }
  }
  if (r.structOps?.length) {
    lines.push('', `struct_ops maps (${r.structOps.length}):`);
    for (const m of r.structOps) {
      lines.push(`  ${m.name}: struct ${m.struct} (${m.section}${m.flags ? ', BPF_F_LINK' : ''}): ${m.members.map((x) => `${x.member} = ${x.program}`).join(', ') || 'no programs'}`);
    }
  }
  if (r.externs?.length) {
    lines.push('', `externs (${r.externs.length}):`);
    for (const e of r.externs) {
      const v = e.value !== undefined ? ` = ${typeof e.value === 'string' ? JSON.stringify(e.value) : e.value}` : '';
      lines.push(`  ${e.name}: ${e.kind}${e.weak ? ' (weak)' : ''}${v}: ${e.resolution}${e.btfId !== undefined ? ` (BTF id ${e.btfId})` : ''}`);
    }
  }
  lines.push('', `globals (${r.globals.length}):`);
  if (r.globals.length > 0) {
    lines.push(
      ...table([
        ['  section', 'offset', 'size', 'name', 'type', 'initial'],
        ...r.globals.map((g) => [`  ${g.section}`, `0x${g.offset.toString(16)}`, String(g.size), g.name, g.type ?? '-', g.initial.length > 32 ? `${g.initial.slice(0, 32)}...` : g.initial]),
      ]),
    );
  }
  if (r.btf) {
    const kinds = Object.entries(r.btf.kinds).map(([k, n]) => `${k} ${n}`).join(', ');
    lines.push('', `btf: ${r.btf.types} types (${kinds}), ${r.btf.strings} strings`);
    lines.push(`btf.ext: ${r.btf.funcInfos} func infos, ${r.btf.lineInfos} line infos, ${r.btf.coreRelocations} CO-RE relocations`);
  } else {
    lines.push('', 'btf: none');
  }
  if (r.coreRelocations?.length) {
    lines.push('', 'CO-RE relocations:');
    for (const c of r.coreRelocations) lines.push(`  ${c.function} insn ${c.insn}: ${c.local}: ${c.result}`);
  }
  return `${lines.join('\n')}\n`;
}
