/**
 * A few DOM helpers so the playground needs no framework: an element builder that only ever
 * creates text nodes for strings (object files come from strangers: nothing reaches innerHTML),
 * and typed lookups that fail loudly when the page and the code disagree.
 */

export type Child = Node | string | number | null | undefined | false;
export type Attrs = Record<string, string | number | boolean | null | undefined | EventListener>;

/** `h('td', { class: 'num', 'data-field': 'retval' }, '2')`. Functions under `on…` keys become listeners. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (value === true) el.setAttribute(key, '');
    else if (value !== false && value !== null && value !== undefined) el.setAttribute(key, String(value));
  }
  append(el, children);
  return el;
}

export function append(el: Node, children: readonly Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

/** Replaces the children of `el`. */
export function fill(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

/** The element with id `id`, checked to be a `type`. */
export function byId<T extends HTMLElement>(id: string, type: new () => T): T {
  const el = document.getElementById(id);
  if (!(el instanceof type)) throw new Error(`playground: #${id} is missing or not a ${type.name}`);
  return el;
}

/** Lets the browser paint (status messages) before a long synchronous step. */
export const nextFrame = (): Promise<void> => new Promise((done) => requestAnimationFrame(() => setTimeout(done, 0)));

/** A table with a header row; `rows` are arrays of cells. */
export function table(head: readonly string[], rows: ReadonlyArray<readonly Child[] | HTMLTableRowElement>, attrs: Attrs = {}): HTMLTableElement {
  return h(
    'table',
    attrs,
    h('thead', {}, h('tr', {}, ...head.map((x) => h('th', {}, x)))),
    h('tbody', {}, ...rows.map((r) => (r instanceof HTMLTableRowElement ? r : h('tr', {}, ...r.map((c) => (c instanceof HTMLTableCellElement ? c : h('td', {}, c))))))),
  );
}
