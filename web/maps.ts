/**
 * Map contents for the page: a snapshot per map (typed through BTF when the object has it, bytes
 * otherwise), compared before and after a run so changed entries stand out. Global data sections
 * show one row per variable; array slots that are still zero are counted, not listed.
 */
import type { BpfkitMap, BpfkitObject, BtfValue } from 'bpfkit/core';

/** One entry as bytes (what `BpfkitMap.entries()` returns). */
type MapEntry = ReturnType<BpfkitMap['entries']>[number];
import { h, table, type Child } from './dom.js';
import { formatValue, hexBytes, isZero } from './format.js';

export interface MapRow {
  readonly key: string;
  readonly value: string;
  readonly zero: boolean;
}

export interface MapSnapshot {
  readonly name: string;
  readonly type: string;
  readonly rows: readonly MapRow[];
  /** Why there are no rows to show (ring buffers, program arrays...). */
  readonly note?: string;
}

/** Maps whose contents are not key/value pairs a reader wants, and where they show up instead. */
const ELSEWHERE: Record<string, string> = {
  ringbuf: 'records are listed under Ring buffer',
  perf_event_array: 'per-CPU event output (not listed)',
  prog_array: 'program slots for tail calls',
  array_of_maps: 'slots hold inner maps',
  hash_of_maps: 'slots hold inner maps',
  devmap: 'redirect targets',
  devmap_hash: 'redirect targets',
  queue: 'FIFO: values are popped, not looked up',
  stack: 'LIFO: values are popped, not looked up',
};

const isGlobalData = (m: BpfkitMap): boolean => m.def.origin === 'data' || m.def.origin === 'rodata' || m.def.origin === 'bss';
const allZero = (b: Uint8Array): boolean => b.every((x) => x === 0);

const attempt = <T>(f: () => T): T | undefined => {
  try {
    return f();
  } catch {
    return undefined;
  }
};

/** Entries typed through BTF: keys and values, or values only (maps whose key has no BTF type). */
function typed(m: BpfkitMap, raw: readonly MapEntry[]): Array<{ key: BtfValue | undefined; value: BtfValue | undefined }> | undefined {
  const both = attempt(() => m.entriesTyped());
  if (both !== undefined) return both;
  if (m.def.btfValueTypeId === 0) return undefined;
  return raw.map((e) => ({ key: undefined, value: attempt(() => m.lookup(e.key)) }));
}

/** Bytes as hex, long values cut (their length said). */
const shortHex = (b: Uint8Array): string => (b.length > 32 ? `${hexBytes(b.subarray(0, 32))} … (${b.length} bytes)` : hexBytes(b));

function snapshotMap(m: BpfkitMap): MapSnapshot {
  const base = { name: m.name, type: m.type };
  const elsewhere = ELSEWHERE[m.type];
  if (elsewhere !== undefined) return { ...base, rows: [], note: elsewhere };
  let raw: MapEntry[];
  try {
    raw = m.entries();
  } catch (e) {
    return { ...base, rows: [], note: e instanceof Error ? e.message : String(e) };
  }
  // Global data: one DATASEC value whose members are the section's variables.
  const section = isGlobalData(m) ? attempt(() => m.lookup(0)) : undefined;
  if (section !== undefined && typeof section === 'object' && !Array.isArray(section)) {
    return { ...base, rows: Object.entries(section).map(([name, x]) => ({ key: name, value: formatValue(x), zero: isZero(x) })) };
  }
  const values = typed(m, raw);
  const rows = raw.map((e, i) => {
    const t = values?.[i];
    return {
      key: t?.key !== undefined ? formatValue(t.key) : hexBytes(e.key),
      value: t?.value !== undefined ? formatValue(t.value) : shortHex(e.value),
      zero: allZero(e.value),
    };
  });
  return { ...base, rows };
}

export function snapshotMaps(obj: BpfkitObject): MapSnapshot[] {
  return obj.maps.map(snapshotMap);
}

/** True when two snapshots hold the same entries. */
export function sameSnapshots(a: readonly MapSnapshot[], b: readonly MapSnapshot[]): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Names of the maps whose contents differ between `a` and `b`. */
export function differingMaps(a: readonly MapSnapshot[], b: readonly MapSnapshot[]): string[] {
  return a.filter((m, i) => JSON.stringify(m) !== JSON.stringify(b[i])).map((m) => m.name);
}

/** `1 entry`, `3 entries`, `2 variables`. */
const count = (n: number, noun: string): string => `${n} ${n === 1 ? noun : noun.endsWith('y') ? `${noun.slice(0, -1)}ies` : `${noun}s`}`;

/** Zero array slots and zero global variables are hidden unless the run just changed them. */
const hideable = (m: MapSnapshot): boolean => m.type === 'array' || m.type === 'percpu_array' || m.name.startsWith('.');

/** Cards, one per map, with the entries after the run and what the run changed marked. */
export function renderMaps(after: readonly MapSnapshot[], before: readonly MapSnapshot[] | undefined): HTMLElement {
  const cards: Child[] = after.map((m, i) => {
    const old = new Map((before?.[i]?.rows ?? []).map((r) => [r.key, r.value]));
    const shown = m.rows.filter((r) => !(hideable(m) && r.zero) || (before !== undefined && old.has(r.key) && old.get(r.key) !== r.value));
    const hidden = m.rows.length - shown.length;
    const changed = shown.filter((r) => before !== undefined && old.get(r.key) !== r.value).length;
    const rows = shown.map((r) => {
      const status = before === undefined ? '' : !old.has(r.key) ? 'new' : old.get(r.key) !== r.value ? 'changed' : '';
      const was = status === 'changed' ? old.get(r.key) : undefined;
      return h(
        'tr',
        { class: status, 'data-key': r.key },
        h('td', { class: 'mono key' }, r.key),
        h('td', { class: 'mono' }, r.value, was !== undefined ? h('div', { class: 'was' }, `was ${was}`) : null),
      );
    });
    const perCpu = m.type.startsWith('percpu') || m.type.startsWith('lru_percpu') ? ' · CPU 0' : '';
    // Long maps the run did not touch start folded, so what changed stays in view.
    const folded = before !== undefined && changed === 0 && rows.length > 4;
    return h(
      'details',
      { class: 'map-card', 'data-map': m.name, open: !folded },
      h(
        'summary',
        { class: 'map-head' },
        h('span', { class: 'map-name mono' }, m.name),
        h('span', { class: 'badge' }, m.type + perCpu),
        changed > 0 ? h('span', { class: 'badge changed' }, `${changed} changed`) : null,
        folded ? h('span', { class: 'muted small' }, `unchanged · ${count(rows.length, 'entry')}`) : null,
      ),
      m.note !== undefined
        ? h('div', { class: 'muted small' }, m.note)
        : rows.length > 0
          ? table(['key', 'value'], rows, { class: 'kv' })
          : h('div', { class: 'muted small' }, m.rows.length === 0 ? 'empty' : `all zero (${count(m.rows.length, m.name.startsWith('.') ? 'variable' : 'entry')})`),
      hidden > 0 && rows.length > 0 ? h('div', { class: 'muted small' }, `${count(hidden, m.name.startsWith('.') ? 'zero variable' : 'zero entry')} not shown`) : null,
    );
  });
  return h('div', { class: 'maps-grid' }, ...cards);
}
