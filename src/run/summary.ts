import { findBtfType } from '../btf/find.js';
import { enumValue, resolveType, type Btf } from '../btf/index.js';
import { MapType, mapTypeName, ProgType } from '../loader/kinds.js';
import { decodeValue, type BtfValue } from '../helpers/btf-value.js';
import type { ObjectInstance } from '../helpers/kernel.js';
import { hexOf } from '../helpers/maps/map.js';
import type { RunResult } from './program.js';

const XDP_ACTIONS = ['XDP_ABORTED', 'XDP_DROP', 'XDP_PASS', 'XDP_TX', 'XDP_REDIRECT'];
const TC_ACTIONS: Record<number, string> = {
  [-1]: 'TC_ACT_UNSPEC',
  0: 'TC_ACT_OK',
  1: 'TC_ACT_RECLASSIFY',
  2: 'TC_ACT_SHOT',
  3: 'TC_ACT_PIPE',
  4: 'TC_ACT_STOLEN',
  5: 'TC_ACT_QUEUED',
  6: 'TC_ACT_REPEAT',
  7: 'TC_ACT_REDIRECT',
};

/** The name of a program's return value where its type gives one (XDP actions, tc verdicts). */
export function verdictName(progType: number, retval: number): string | undefined {
  if (progType === ProgType.XDP) return XDP_ACTIONS[retval];
  if (progType === ProgType.SCHED_CLS || progType === ProgType.SCHED_ACT) return TC_ACTIONS[retval | 0];
  return undefined;
}

const MAX_SHOWN = 8;
const MAX_BYTES = 32;

const shortHex = (b: Uint8Array): string => (b.length > MAX_BYTES ? `${hexOf(b.subarray(0, MAX_BYTES))}... (${b.length} bytes)` : hexOf(b));

function show(v: BtfValue): string {
  // 64-bit values print as numbers while they are exact, else as decimal strings.
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? (Number.isSafeInteger(Number(x)) ? Number(x) : x.toString()) : x));
}

/** Options of {@link formatRunSummary}. */
export interface SummaryOptions {
  /** Decode ring-buffer records as this BTF type (`struct event`), see `bpfkit run --ringbuf-type`. */
  ringbufType?: string;
}

/**
 * A readable account of a run: verdict, packet, maps with entries, ring buffer, printk. Keys and
 * values print typed through BTF when the object describes them (structs, arrays, strings,
 * enums), per-CPU maps with every CPU's value.
 */
export function formatRunSummary(instance: ObjectInstance, programName: string, input: Uint8Array | undefined, result: RunResult, options: SummaryOptions = {}): string {
  const def = instance.program(programName);
  const lines: string[] = [];
  const verdict = verdictName(def.type, result.retval);
  if (result.error) lines.push(`${def.name} (${def.section}): stopped by a runtime fault (below)`);
  else lines.push(`${def.name} (${def.section}): returned ${result.retval}${verdict ? ` (${verdict})` : ''} after ${result.executed} instructions${result.tailCalls ? `, ${result.tailCalls} tail calls` : ''}`);
  if (result.packet !== undefined) {
    const same = input !== undefined && hexOf(input) === hexOf(result.packet);
    lines.push(`packet: ${result.packet.length} bytes${same ? ', unchanged' : input !== undefined ? `, was ${input.length} bytes, changed` : ''}`);
    if (!same) lines.push(`  ${shortHex(result.packet)}`);
  }
  if (result.redirect) {
    const sock = result.redirect.socket;
    lines.push(sock ? `redirect: socket ${sock.local}${sock.remote ? ` <-> ${sock.remote}` : ''} (key ${sock.key} of ${result.redirect.map ?? '?'})` : `redirect: ifindex ${result.redirect.ifindex}${result.redirect.map ? ` via ${result.redirect.map}` : ''}`);
  }
  if (result.ctx !== undefined) lines.push(`ctx: ${hexOf(result.ctx)}`);
  lines.push(...formatMaps(instance));
  if (result.ringbuf.length) {
    const n = result.ringbuf.length;
    const btf = instance.object.btfTypes;
    if (options.ringbufType !== undefined) {
      const id = findBtfType(btf, options.ringbufType);
      lines.push(`ringbuf: ${n} record${n === 1 ? '' : 's'} (${options.ringbufType})`);
      for (const r of result.ringbuf.slice(0, MAX_SHOWN)) lines.push(`  ${show(withEnumNames(btf!, id, decodeValue(btf!, id, r)))}`);
    } else {
      lines.push(`ringbuf: ${n} record${n === 1 ? '' : 's'}${btf !== undefined ? ' (--ringbuf-type NAME decodes them)' : ''}`);
      for (const r of result.ringbuf.slice(0, MAX_SHOWN)) lines.push(`  ${shortHex(r)}`);
    }
    if (n > MAX_SHOWN) lines.push(`  ... ${n - MAX_SHOWN} more`);
  }
  if (result.perf.length) lines.push(`perf events: ${result.perf.length} records`);
  if (result.printk.length) {
    lines.push('printk:');
    for (const p of result.printk) lines.push(`  ${p}`);
  }
  if (result.seq !== undefined) {
    lines.push('seq_file:');
    for (const l of result.seq.replace(/\n$/, '').split('\n')) lines.push(`  ${l}`);
  }
  return lines.join('\n');
}

/** A decoded value with enum members shown by name (`VERDICT_PASS`), for people rather than programs. */
export function withEnumNames(btf: Btf, id: number, v: BtfValue): BtfValue {
  const t = resolveType(btf, id);
  switch (t.kind) {
    case 'ENUM':
    case 'ENUM64': {
      const hit = t.values.find((e) => BigInt(enumValue(t.signed, t.kind, e)) === BigInt(v as number | bigint));
      return hit !== undefined ? hit.name : v;
    }
    case 'ARRAY':
      return Array.isArray(v) ? v.map((x) => withEnumNames(btf, t.type, x)) : v;
    case 'STRUCT':
    case 'UNION': {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) return v;
      const out: { [k: string]: BtfValue } = { ...v };
      const walk = (members: typeof t.members): void => {
        for (const m of members) {
          if (m.name === '') {
            const inner = resolveType(btf, m.type);
            if (inner.kind === 'STRUCT' || inner.kind === 'UNION') walk(inner.members);
          } else if (m.name in out && m.bitfieldSize === 0) out[m.name] = withEnumNames(btf, m.type, out[m.name]!);
        }
      };
      walk(t.members);
      return out;
    }
    case 'DATASEC': {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) return v;
      const out: { [k: string]: BtfValue } = { ...v };
      for (const sv of t.vars) {
        const vt = btf.type(sv.type);
        if (vt.kind === 'VAR' && vt.name in out) out[vt.name] = withEnumNames(btf, vt.type, out[vt.name]!);
      }
      return out;
    }
    default:
      return v;
  }
}

const PER_CPU: ReadonlySet<number> = new Set([MapType.PERCPU_ARRAY, MapType.PERCPU_HASH, MapType.LRU_PERCPU_HASH]);

/** The maps of an instance after runs: global data as its variables, entries typed through BTF when it can. */
export function formatMaps(instance: ObjectInstance): string[] {
  const lines: string[] = [];
  const btf = instance.object.btfTypes;
  const cpus = instance.kernel.cpus;
  const typed = (id: number, bytes: Uint8Array): string => (btf !== undefined && id !== 0 ? show(withEnumNames(btf, id, decodeValue(btf, id, bytes))) : hexOf(bytes));
  for (const m of instance.maps) {
    const global = m.def.origin !== 'btf' && m.def.origin !== 'legacy';
    if (global && btf !== undefined && m.def.btfValueTypeId !== 0) {
      // Global data reads best as its variables.
      lines.push(`map ${m.name}: ${typed(m.def.btfValueTypeId, instance.map(m.name).data())}`);
      continue;
    }
    const perCpu = PER_CPU.has(m.type);
    const byCpu = perCpu ? Array.from({ length: cpus }, (_, c) => m.entries(c)) : [m.entries(0)];
    const entries = byCpu[0]!;
    lines.push(`map ${m.name} (${mapTypeName(m.type)}${perCpu ? `, ${cpus} CPUs` : ''}): ${entries.length} entr${entries.length === 1 ? 'y' : 'ies'}`);
    // Entries all zero (on every CPU) are left out: a fresh array map is all zeroes.
    const shown = entries.map((e, i) => ({ key: e.key, values: byCpu.map((c) => c[i]!.value) })).filter((e) => e.values.some((v) => v.some((b) => b !== 0)));
    const keyText = (k: Uint8Array): string => (m.def.btfKeyTypeId !== 0 ? typed(m.def.btfKeyTypeId, k) : hexOf(k) || '-');
    const valueText = (v: Uint8Array): string => (m.def.btfValueTypeId !== 0 && btf !== undefined ? typed(m.def.btfValueTypeId, v) : shortHex(v));
    for (const e of shown.slice(0, MAX_SHOWN)) {
      if (perCpu) lines.push(`  ${keyText(e.key)} = ${e.values.map((v, c) => `cpu${c} ${valueText(v)}`).join(', ')}`);
      else lines.push(`  ${keyText(e.key)} = ${valueText(e.values[0]!)}`);
    }
    if (shown.length > MAX_SHOWN) lines.push(`  ... ${shown.length - MAX_SHOWN} more`);
  }
  return lines;
}
