/** The verifier panel: the verdict, and each error with its pc, source line and message. */
import type { ProgramReport } from 'bpfkit/core';
import { h } from './dom.js';
import { formatDuration } from './format.js';
import type { Pin } from './listing.js';

/** The errors of a report as pins for the listing. */
export const errorPins = (r: ProgramReport): Pin[] => r.errors.map((e) => ({ pc: e.pc, message: e.message, tone: 'error', label: 'verifier' }));

/** `onPick(pc)` scrolls the listing to an error's instruction. */
export function renderVerdict(r: ProgramReport, onPick: (pc: number) => void): HTMLElement {
  const stats = `${r.stats.instructions} instructions · verified in ${formatDuration(r.stats.ms)}`;
  const head = h(
    'div',
    { class: `verdict ${r.accepted ? 'accepted' : 'rejected'}`, 'data-accepted': String(r.accepted), id: 'verdict-head' },
    h('span', { class: 'verdict-icon' }, r.accepted ? '✔' : '✖'),
    h(
      'div',
      {},
      h('div', { class: 'verdict-title' }, r.accepted ? 'Accepted' : `Rejected: ${r.errors.length} error${r.errors.length === 1 ? '' : 's'}`),
      h('div', { class: 'muted small' }, stats),
    ),
  );
  const errors = r.errors.map((e) =>
    h(
      'button',
      { type: 'button', class: 'verify-error', 'data-testid': 'verify-error', 'data-pc': e.pc, title: 'show in the listing', onclick: () => onPick(e.pc) },
      h('div', { class: 'where mono' }, `pc ${e.pc}`, e.source !== undefined ? h('span', { class: 'src-ref' }, e.source) : null),
      e.sourceText !== undefined && e.sourceText !== '' ? h('code', { class: 'src-text' }, e.sourceText.trim()) : null,
      h('div', { class: 'msg' }, e.message),
      e.context !== undefined ? h('div', { class: 'muted small' }, e.context) : null,
    ),
  );
  return h('div', {}, head, ...errors);
}
