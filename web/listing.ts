/**
 * The disassembly panel: `BpfkitProgram.disassemble()`'s listing (the `bpfkit disasm` text: source
 * lines interleaved with instructions) turned into rows, so verifier errors and runtime faults can
 * be pinned to their instruction and source line, with the message right under them.
 */
import { h, type Child } from './dom.js';

type Row =
  | { kind: 'title'; text: string }
  | { kind: 'function'; name: string }
  | { kind: 'source'; where: string; text: string }
  | { kind: 'insn'; pc: number; text: string; where: string | undefined };

/** Parses the listing's lines (see src/loader/listing.ts for the format). */
export function parseListing(text: string): Row[] {
  const rows: Row[] = [];
  let where: string | undefined;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const fn = /^[0-9a-f]{16} <(.+)>:$/.exec(line);
    const insn = /^\s*(\d+):\t(.*)$/.exec(line);
    const loc = /^; (\S+:\d+)$/.exec(line);
    if (fn) {
      rows.push({ kind: 'function', name: fn[1]! });
      where = undefined;
    } else if (insn) {
      rows.push({ kind: 'insn', pc: Number(insn[1]), text: insn[2]!, where });
    } else if (loc) {
      where = loc[1]!;
      rows.push({ kind: 'source', where, text: '' });
    } else if (line.startsWith('; ')) {
      // The source text follows its `; file:line`.
      const last = rows[rows.length - 1];
      if (last?.kind === 'source' && last.text === '') last.text = line.slice(2);
    } else {
      rows.push({ kind: 'title', text: line });
    }
  }
  return rows;
}

const TOKEN = /(\b[rw](?:10|[0-9])\b)|(\bcall\b|\bexit\b|\bgoto\b|\bif\b)|(\bbpf_\w+|\bmap\[[^\]]*\])|(-?\b0x[0-9a-f]+\b|-?\b\d+\b)|(<[^>]+>)/g;

/** An instruction with registers, keywords, helpers/maps, numbers and targets told apart. */
function highlight(text: string): Child[] {
  const out: Child[] = [];
  let at = 0;
  for (const m of text.matchAll(TOKEN)) {
    if (m.index > at) out.push(text.slice(at, m.index));
    const cls = m[1] ? 'tk-reg' : m[2] ? 'tk-kw' : m[3] ? 'tk-sym' : m[4] ? 'tk-num' : 'tk-target';
    out.push(h('span', { class: cls }, m[0]));
    at = m.index + m[0].length;
  }
  if (at < text.length) out.push(text.slice(at));
  return out;
}

export interface Pin {
  readonly pc: number;
  readonly message: string;
  /** `error` for the verifier, `fault` for a run that stopped. */
  readonly tone: 'error' | 'fault';
  readonly label: string;
}

/** Renders the listing; `pins` mark instructions (and their source lines) with a message. */
export function renderListing(text: string, pins: readonly Pin[]): HTMLElement {
  const rows = parseListing(text);
  const byPc = new Map<number, Pin[]>();
  for (const p of pins) byPc.set(p.pc, [...(byPc.get(p.pc) ?? []), p]);
  // The source lines an error points at, to highlight where C and assembly meet.
  const pinnedLines = new Set<string>();
  for (const r of rows) if (r.kind === 'insn' && r.where !== undefined && byPc.has(r.pc)) pinnedLines.add(r.where);
  const out = h('div', { class: 'listing', id: 'listing-rows' });
  for (const r of rows) {
    switch (r.kind) {
      case 'title':
        out.append(h('div', { class: 'row title' }, r.text));
        break;
      case 'function':
        out.append(h('div', { class: 'row fn' }, h('span', { class: 'gutter' }), `${r.name}:`));
        break;
      case 'source': {
        // The file name is the same on nearly every line: keep its end, where the line number is.
        const short = r.where.replace(/^.*\//, '');
        const line = short.length > 20 ? `…${short.slice(-19)}` : short;
        out.append(
          h(
            'div',
            { class: `row src${pinnedLines.has(r.where) ? ' pinned' : ''}`, 'data-line': r.where },
            h('span', { class: 'gutter', title: r.where }, line),
            h('span', { class: 'code' }, r.text || ' '),
          ),
        );
        break;
      }
      case 'insn': {
        const here = byPc.get(r.pc) ?? [];
        const tone = here.some((p) => p.tone === 'error') ? 'error' : here.length > 0 ? 'fault' : '';
        out.append(
          h(
            'div',
            { class: `row insn${tone ? ` pinned-${tone}` : ''}`, id: `pc-${r.pc}`, 'data-pc': r.pc, 'data-testid': tone ? `pinned-${tone}` : null },
            h('span', { class: 'gutter' }, r.pc),
            h('span', { class: 'code' }, ...highlight(r.text)),
          ),
        );
        for (const p of here) {
          out.append(
            h(
              'div',
              { class: `row pin ${p.tone}`, 'data-testid': `pin-${p.tone}`, 'data-pc': p.pc },
              h('span', { class: 'gutter' }, p.tone === 'error' ? '✖' : '⚡'),
              h('span', { class: 'code' }, h('b', {}, `${p.label}: `), p.message),
            ),
          );
        }
        break;
      }
    }
  }
  return out;
}

/** Scrolls the listing so instruction `pc` is in view (inside the listing's own scroll box). */
export function scrollToPc(container: HTMLElement, pc: number): void {
  const row = container.querySelector<HTMLElement>(`#pc-${pc}`);
  if (row === null) return;
  container.scrollTop += row.getBoundingClientRect().top - container.getBoundingClientRect().top - container.clientHeight / 3;
  row.classList.add('flash');
  setTimeout(() => row.classList.remove('flash'), 1200);
}
