/**
 * What a run shows: the engines side by side (return value with its verdict name, instructions,
 * time per run), whether they agree, and the interpreter's packet, maps, printk and ring buffer.
 */
import { h, table, type Child } from './dom.js';
import { formatDuration, hexBytes, verdictName, verdictTone } from './format.js';
import { differingMaps, renderMaps, sameSnapshots } from './maps.js';
import { renderPacketDiff } from './packet-view.js';
import type { EngineRun } from './run.js';

const ENGINE_LABEL = { interp: 'Interpreter', jit: 'JIT (WebAssembly)' } as const;

const sameBytes = (a: Uint8Array | undefined, b: Uint8Array | undefined): boolean =>
  a === b || (a !== undefined && b !== undefined && a.length === b.length && a.every((x, i) => x === b[i]));

/** What differs between the two engines' runs, in words (empty: they agree). */
export function disagreements(a: EngineRun, b: EngineRun): string[] {
  const out: string[] = [];
  if (a.refused !== b.refused) out.push('one engine refused the run');
  const x = a.result;
  const y = b.result;
  if (x === undefined || y === undefined) return out;
  if (x.retval !== y.retval) out.push(`return value (${x.retval} vs ${y.retval})`);
  if (!sameBytes(x.packet, y.packet)) out.push('output packet');
  if (x.printk.join('\n') !== y.printk.join('\n')) out.push('printk');
  if (x.ringbuf.length !== y.ringbuf.length || x.ringbuf.some((r, i) => !sameBytes(r, y.ringbuf[i]))) out.push('ring buffer');
  if ((x.error?.message ?? '') !== (y.error?.message ?? '')) out.push('runtime fault');
  const maps = differingMaps(a.after, b.after);
  if (maps.length > 0) out.push(`maps ${maps.join(', ')}`);
  return out;
}

function engineRow(run: EngineRun, progType: string): HTMLTableRowElement {
  const r = run.result;
  const name = r !== undefined ? verdictName(progType, r.retval) : undefined;
  const retval: Child =
    r === undefined
      ? h('span', { class: 'bad' }, 'refused')
      : h('span', { class: `retval tone-${verdictTone(name)}` }, h('b', {}, String(r.retval)), name !== undefined ? ` ${name}` : null);
  const t = run.timing;
  const time = t !== undefined ? h('span', {}, h('b', {}, formatDuration(t.avgMs)), h('span', { class: 'muted time-avg' }, `avg of ${t.runs} runs`)) : '—';
  const first = t?.firstMs !== undefined ? `${formatDuration(t.firstMs)}${run.engine === 'jit' ? ' incl. compile' : ''}` : '—';
  return h(
    'tr',
    { 'data-testid': `result-${run.engine}`, 'data-engine': run.engine },
    h('th', {}, ENGINE_LABEL[run.engine]),
    h('td', { 'data-field': 'retval' }, retval),
    h('td', { 'data-field': 'executed', class: 'num' }, r !== undefined ? `${r.executed}` : '—'),
    h('td', { 'data-field': 'time', class: 'num' }, time),
    h('td', { 'data-field': 'first', class: 'num muted' }, first),
  );
}

/** The engines table, with faults and refusals under it and the agreement line. */
export function renderEngines(runs: readonly EngineRun[], progType: string): HTMLElement {
  const problems: Child[] = runs.flatMap((run) => {
    const label = ENGINE_LABEL[run.engine];
    if (run.refused !== undefined) return [h('div', { class: 'problem', 'data-testid': `refused-${run.engine}` }, h('b', {}, `${label}: `), run.refused)];
    const f = run.result?.error;
    return f !== undefined ? [h('div', { class: 'problem fault', 'data-testid': `fault-${run.engine}` }, h('b', {}, `${label} stopped: `), f.message)] : [];
  });
  const [a, b] = runs;
  let agree: Child = null;
  if (a !== undefined && b !== undefined) {
    const diff = disagreements(a, b);
    agree =
      diff.length === 0
        ? h('div', { class: 'agree ok', 'data-testid': 'engines-agree' }, '✔ Both engines agree: return value, packet, maps, printk and ring buffer.')
        : h('div', { class: 'agree bad', 'data-testid': 'engines-disagree' }, `✖ The engines disagree on ${diff.join('; ')}.`);
  }
  return h(
    'div',
    {},
    table(['Engine', 'Return value', 'Instructions', 'Time per run', 'First run'], runs.map((r) => engineRow(r, progType)), { class: 'engines' }),
    ...problems,
    agree,
  );
}

/** Fills the result cards from the interpreter's run; the JIT's is compared, not repeated. */
export function renderDetails(
  runs: readonly EngineRun[],
  input: Uint8Array | undefined,
  parts: { packet: HTMLElement; maps: HTMLElement; agree: HTMLElement; printk: HTMLElement; ringbuf: HTMLElement },
): void {
  const main = runs.find((r) => r.result !== undefined) ?? runs[0];
  if (main === undefined) return;
  const other = runs.find((r) => r !== main);
  const res = main.result;
  const samePacket = other?.result !== undefined && res !== undefined && sameBytes(res.packet, other.result.packet);
  const packetNote: Child =
    other?.result === undefined ? null : samePacket ? h('span', { class: 'muted small' }, `${ENGINE_LABEL[other.engine]}: identical output`) : h('span', { class: 'bad small' }, `${ENGINE_LABEL[other.engine]}: different output`);
  parts.packet.replaceChildren(input === undefined || res === undefined ? h('div', { class: 'muted' }, res === undefined ? 'No run.' : 'This program type has no packet.') : renderPacketDiff(input, res.packet, packetNote));
  parts.maps.replaceChildren(renderMaps(main.after, main.before));
  const mapsAgree = other !== undefined && sameSnapshots(main.after, other.after);
  parts.agree.replaceChildren(
    other === undefined ? '' : h('span', { class: `badge ${mapsAgree ? 'ok' : 'bad'}`, 'data-testid': 'maps-agree' }, mapsAgree ? 'same on both engines' : `differ: ${differingMaps(main.after, other.after).join(', ')}`),
  );
  const printk = res?.printk ?? [];
  parts.printk.replaceChildren(
    printk.length === 0
      ? h('div', { class: 'muted small' }, 'No bpf_printk output.')
      : h('ol', { class: 'printk mono', 'data-testid': 'printk-lines' }, ...printk.map((l) => h('li', {}, l.replace(/\n$/, '')))),
  );
  const rb = res?.ringbuf ?? [];
  parts.ringbuf.replaceChildren(
    rb.length === 0
      ? h('div', { class: 'muted small' }, 'No ring buffer records.')
      : h(
          'ol',
          { class: 'records mono', 'data-testid': 'ringbuf-records' },
          ...rb.map((r) => h('li', {}, h('span', { class: 'muted' }, `${r.length} B `), r.length > 48 ? `${hexBytes(r.subarray(0, 48))} …` : hexBytes(r))),
        ),
  );
}
