/**
 * The packet after a run next to the packet before: a hex dump of the output with the bytes the
 * program changed highlighted (the old byte in the tooltip), and a one-line decode of each.
 */
import { h, type Child } from './dom.js';
import { describePacket, hexByte } from './format.js';

const WIDTH = 16;

/** Offsets at which `after` differs from `before` (bytes past the shorter one count as changed). */
export function changedOffsets(before: Uint8Array, after: Uint8Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < after.length; i++) if (i >= before.length || before[i] !== after[i]) out.push(i);
  return out;
}

function dump(bytes: Uint8Array, before: Uint8Array | undefined): HTMLElement {
  const lines: Child[] = [];
  for (let at = 0; at < bytes.length; at += WIDTH) {
    const cells: Child[] = [];
    const ascii: Child[] = [];
    for (let i = at; i < at + WIDTH; i++) {
      if (i >= bytes.length) {
        cells.push(h('span', { class: 'b pad' }, '  '));
        continue;
      }
      const b = bytes[i]!;
      const changed = before !== undefined && (i >= before.length || before[i] !== b);
      const title = changed ? (i < before.length ? `offset ${i}: was ${hexByte(before[i]!)}` : `offset ${i}: new byte`) : `offset ${i}`;
      cells.push(h('span', { class: changed ? 'b chg' : 'b', title, 'data-offset': i }, hexByte(b)));
      ascii.push(h('span', { class: changed ? 'chg' : '' }, b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '·'));
    }
    lines.push(h('div', { class: 'hexline' }, h('span', { class: 'off' }, at.toString(16).padStart(4, '0')), h('span', { class: 'bytes' }, ...cells), h('span', { class: 'ascii' }, ...ascii)));
  }
  return h('div', { class: 'hexdump' }, ...lines);
}

/** The output packet against the input; `note` says whether the other engine agrees. */
export function renderPacketDiff(before: Uint8Array, after: Uint8Array | undefined, note: Child): HTMLElement {
  if (after === undefined) return h('div', { class: 'muted' }, 'This program type has no packet.');
  const changed = changedOffsets(before, after);
  const grew = after.length !== before.length ? ` · length ${before.length} → ${after.length}` : '';
  const summary =
    changed.length === 0 && after.length === before.length
      ? h('span', { class: 'badge' }, 'unchanged')
      : h('span', { class: 'badge changed', 'data-testid': 'packet-changed' }, `${changed.length} byte${changed.length === 1 ? '' : 's'} changed${grew}`);
  const before1 = describePacket(before);
  const after1 = describePacket(after);
  return h(
    'div',
    { class: 'packet-diff' },
    h('div', { class: 'diff-head' }, summary, note),
    h('div', { class: 'decode' }, h('span', { class: 'muted' }, 'in  '), before1),
    h('div', { class: `decode${after1 !== before1 ? ' differs' : ''}` }, h('span', { class: 'muted' }, 'out '), after1),
    dump(after, before),
  );
}
