import { mapTypeName, ProgType } from '../loader/kinds.js';
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

/** A readable account of a run: verdict, packet, maps with entries, ring buffer, printk. */
export function formatRunSummary(instance: ObjectInstance, programName: string, input: Uint8Array | undefined, result: RunResult): string {
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
  if (result.redirect) lines.push(`redirect: ifindex ${result.redirect.ifindex}${result.redirect.map ? ` via ${result.redirect.map}` : ''}`);
  const btf = instance.object.btfTypes;
  for (const m of instance.maps) {
    const global = m.def.origin !== 'btf' && m.def.origin !== 'legacy';
    if (global && btf !== undefined && m.def.btfValueTypeId !== 0) {
      // Global data reads best as its variables.
      lines.push(`map ${m.name}: ${show(decodeValue(btf, m.def.btfValueTypeId, instance.map(m.name).data()))}`);
      continue;
    }
    const entries = m.entries(0);
    lines.push(`map ${m.name} (${mapTypeName(m.type)}): ${entries.length} entr${entries.length === 1 ? 'y' : 'ies'}`);
    const nonzero = entries.filter((e) => e.value.some((b) => b !== 0));
    for (const e of nonzero.slice(0, MAX_SHOWN)) lines.push(`  ${hexOf(e.key) || '-'} = ${shortHex(e.value)}`);
    if (nonzero.length > MAX_SHOWN) lines.push(`  ... ${nonzero.length - MAX_SHOWN} more`);
  }
  if (result.ringbuf.length) {
    lines.push(`ringbuf: ${result.ringbuf.length} record${result.ringbuf.length === 1 ? '' : 's'}`);
    for (const r of result.ringbuf.slice(0, MAX_SHOWN)) lines.push(`  ${shortHex(r)}`);
  }
  if (result.perf.length) lines.push(`perf events: ${result.perf.length} records`);
  if (result.printk.length) {
    lines.push('printk:');
    for (const p of result.printk) lines.push(`  ${p}`);
  }
  return lines.join('\n');
}
