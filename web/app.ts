/**
 * The bpfkit playground: drop an eBPF object (or pick an example) and see its programs and maps,
 * each program's listing with source lines, the verifier's verdict pinned to those lines, and
 * runs on a sample packet with the interpreter and the JIT side by side. Everything runs in the
 * page; the JIT's binaryen loads in the background when the page opens.
 */
import { loadJit, type BpfkitProgram, type ProgramReport, type ProgramRunOptions } from 'bpfkit/core';
import { byId, fill, h, nextFrame, table } from './dom.js';
import { describePacket, hexBytes, parseHex, verdictName } from './format.js';
import { renderListing, scrollToPc, type Pin } from './listing.js';
import { renderDetails, renderEngines } from './results.js';
import { ENGINES, Session, type EngineRun } from './run.js';
import { sampleById, SAMPLES } from './samples.js';
import { renderState } from './states.js';
import { errorPins, renderVerdict } from './verdict.js';

interface Example {
  readonly id: string;
  readonly file: string;
  readonly title: string;
  readonly blurb: string;
  readonly packet?: string;
  readonly program?: string;
}

const ui = {
  status: byId('status', HTMLDivElement),
  jit: byId('jit-status', HTMLSpanElement),
  examples: byId('examples', HTMLDivElement),
  drop: byId('drop-zone', HTMLLabelElement),
  file: byId('file-input', HTMLInputElement),
  object: byId('object', HTMLElement),
  objectName: byId('object-name', HTMLHeadingElement),
  facts: byId('object-facts', HTMLDivElement),
  programs: byId('programs', HTMLDivElement),
  maps: byId('maps', HTMLDivElement),
  programName: byId('program-name', HTMLHeadingElement),
  programType: byId('program-type', HTMLSpanElement),
  programVerdict: byId('program-verdict', HTMLSpanElement),
  listing: byId('listing', HTMLDivElement),
  unprivileged: byId('unprivileged', HTMLInputElement),
  verify: byId('verify-button', HTMLButtonElement),
  verdict: byId('verdict', HTMLDivElement),
  state: byId('state', HTMLDivElement),
  packetSelect: byId('packet-select', HTMLSelectElement),
  packetHex: byId('packet-hex', HTMLTextAreaElement),
  packetInfo: byId('packet-info', HTMLDivElement),
  runs: byId('runs-input', HTMLInputElement),
  reset: byId('reset-button', HTMLButtonElement),
  run: byId('run-button', HTMLButtonElement),
  engines: byId('engines', HTMLDivElement),
  results: byId('results', HTMLDivElement),
  packetDiff: byId('packet-diff', HTMLDivElement),
  mapsAfter: byId('maps-after', HTMLDivElement),
  mapsAgree: byId('maps-agree', HTMLSpanElement),
  printk: byId('printk', HTMLDivElement),
  ringbuf: byId('ringbuf', HTMLDivElement),
};

/** Program types that run on a packet (the others get a zeroed context). */
const PACKET_TYPES = new Set(['xdp', 'sched_cls', 'sched_act', 'socket_filter', 'cgroup_skb', 'lwt_in', 'lwt_out', 'lwt_xmit']);

let session: Session | undefined;
let example: Example | undefined;
let selected: string | undefined;
const reports = new Map<string, ProgramReport>();
/** Where the last run stopped, pinned in the listing next to the verifier's errors. */
let faultPins: Pin[] = [];
/** The instruction whose abstract state the state panel shows. */
let statePc: number | undefined;

function setStatus(text: string, state: 'idle' | 'busy' | 'ok' | 'error' | 'unverified'): void {
  ui.status.textContent = text;
  ui.status.dataset['state'] = state;
}

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

// The JIT: binaryen is a 15 MB module, so it loads in the background from the start.
const jitReady: Promise<string | undefined> = (async () => {
  await nextFrame();
  const t = performance.now();
  try {
    await loadJit();
    ui.jit.textContent = `JIT ready (${((performance.now() - t) / 1000).toFixed(1)} s to load)`;
    ui.jit.dataset['state'] = 'ready';
    ui.jit.className = 'pill ok';
    return undefined;
  } catch (e) {
    ui.jit.textContent = 'JIT unavailable';
    ui.jit.title = errorText(e);
    ui.jit.dataset['state'] = 'failed';
    ui.jit.className = 'pill bad';
    return errorText(e);
  }
})();

function program(): BpfkitProgram | undefined {
  return session !== undefined && selected !== undefined ? session.main.program(selected) : undefined;
}

function report(p: BpfkitProgram): ProgramReport {
  let r = reports.get(p.name);
  if (r === undefined) {
    r = p.verify({ unprivileged: ui.unprivileged.checked, states: true });
    reports.set(p.name, r);
  }
  return r;
}

function verdictBadge(r: ProgramReport): HTMLElement {
  return h('span', { class: `badge ${r.accepted ? 'ok' : 'bad'}` }, r.accepted ? 'accepted' : 'rejected');
}

// ---- Loading an object ----

async function loadBytes(name: string, bytes: Uint8Array, ex: Example | undefined): Promise<void> {
  setStatus(`Loading ${name}…`, 'busy');
  await nextFrame();
  try {
    session = new Session(name, bytes);
  } catch (e) {
    session = undefined;
    ui.object.hidden = true;
    setStatus(`Cannot load ${name}: ${errorText(e)}`, 'error');
    return;
  }
  example = ex;
  selected = undefined;
  reports.clear();
  for (const b of ui.examples.querySelectorAll('button')) b.classList.toggle('active', b.dataset['id'] === ex?.id);
  renderObject(bytes.length);
  ui.object.hidden = false;
  const first = ex?.program ?? session.main.programs[0]?.name;
  if (first !== undefined) selectProgram(first);
  const progs = session.main.programs.length;
  setStatus(`Loaded ${name}: ${progs} program${progs === 1 ? '' : 's'}, ${session.main.maps.length} maps.`, 'ok');
}

function renderObject(size: number): void {
  if (session === undefined) return;
  const obj = session.main;
  const info = obj.inspect();
  ui.objectName.textContent = session.name;
  const facts = [
    `${(size / 1024).toFixed(1)} KiB`,
    `${info.endian}-endian`,
    `license ${info.license || 'none'}`,
    info.btf !== undefined ? `BTF: ${info.btf.types} types, ${info.btf.lineInfos} line infos` : 'no BTF',
  ];
  fill(ui.facts, ...facts.map((f) => h('span', { class: 'fact' }, f)));
  const rows = obj.programs.map((p) => {
    const r = report(p);
    return h(
      'tr',
      { class: 'clickable', 'data-testid': `program-${p.name}`, 'data-program': p.name, onclick: () => selectProgram(p.name) },
      h('td', { class: 'mono' }, p.name),
      h('td', { class: 'mono muted' }, p.section),
      h('td', {}, p.type),
      h('td', { class: 'num' }, r.stats.instructions),
      h('td', {}, verdictBadge(r)),
    );
  });
  fill(ui.programs, rows.length > 0 ? table(['name', 'section', 'type', 'insns', 'verifier'], rows, { id: 'programs-table' }) : h('div', { class: 'muted' }, 'No programs.'));
  const maps = info.maps.map((m) => [
    h('span', { class: 'mono' }, m.name),
    m.type,
    h('span', { class: 'mono small' }, m.keyType ?? (m.keySize > 0 ? `${m.keySize} B` : '—')),
    h('span', { class: 'mono small' }, m.valueType ?? (m.valueSize > 0 ? `${m.valueSize} B` : '—')),
    h('span', { class: 'num' }, m.maxEntries),
  ]);
  fill(ui.maps, maps.length > 0 ? table(['name', 'type', 'key', 'value', 'max'], maps, { id: 'maps-table' }) : h('div', { class: 'muted' }, 'No maps.'));
}

// ---- A program: listing, verdict, run panel ----

function selectProgram(name: string): void {
  const p = session?.main.program(name);
  if (p === undefined) return;
  selected = name;
  faultPins = [];
  statePc = undefined;
  for (const tr of ui.programs.querySelectorAll('tr[data-program]')) tr.classList.toggle('selected', tr.getAttribute('data-program') === name);
  ui.programName.textContent = p.name;
  ui.programType.textContent = `${p.type} · ${p.section}`;
  showVerdict(report(p));
  const takesPacket = PACKET_TYPES.has(p.type);
  ui.packetSelect.disabled = !takesPacket;
  ui.packetHex.disabled = !takesPacket;
  if (takesPacket) choosePacket(example?.packet ?? 'ipv4-udp');
  else {
    ui.packetHex.value = '';
    ui.packetInfo.textContent = `${p.type} programs run on a zeroed context, not a packet.`;
  }
  ui.engines.replaceChildren();
  ui.results.hidden = true;
}

function showVerdict(r: ProgramReport): void {
  const p = program();
  if (p === undefined) return;
  ui.programVerdict.className = `badge ${r.accepted ? 'ok' : 'bad'}`;
  ui.programVerdict.textContent = r.accepted ? 'accepted' : 'rejected';
  fill(ui.verdict, renderVerdict(r, (pc) => scrollToPc(ui.listing, pc)));
  showListing(p, r);
  const firstError = r.errors[0];
  if (firstError !== undefined) scrollToPc(ui.listing, firstError.pc);
}

function showListing(p: BpfkitProgram, r: ProgramReport): void {
  const top = ui.listing.scrollTop;
  fill(ui.listing, renderListing(p.disassemble(), [...errorPins(r), ...faultPins]));
  ui.listing.scrollTop = top;
  showState(r);
}

/** The state panel for `statePc`, and its instruction highlighted in the listing. */
function showState(r: ProgramReport): void {
  for (const row of ui.listing.querySelectorAll('.row.insn.selected')) row.classList.remove('selected');
  if (statePc !== undefined) ui.listing.querySelector(`#pc-${statePc}`)?.classList.add('selected');
  fill(ui.state, renderState(r, statePc));
}

function pickState(e: Event): void {
  const p = program();
  const row = e.target instanceof Element ? e.target.closest<HTMLElement>('.row.insn[data-pc]') : null;
  if (p === undefined || row === null) return;
  statePc = Number(row.dataset['pc']);
  showState(report(p));
}

/** Verifies the selected program again; `all` (the privilege level changed) redoes every program. */
async function verifyNow(all: boolean): Promise<void> {
  const p = program();
  if (p === undefined) return;
  setStatus(`Verifying ${all ? 'every program' : p.name}${ui.unprivileged.checked ? ' as an unprivileged loader' : ''}…`, 'busy');
  await nextFrame();
  if (all) reports.clear();
  const r = p.verify({ unprivileged: ui.unprivileged.checked, states: true });
  reports.set(p.name, r);
  renderObject(session?.bytes.length ?? 0);
  for (const tr of ui.programs.querySelectorAll('tr[data-program]')) tr.classList.toggle('selected', tr.getAttribute('data-program') === p.name);
  showVerdict(r);
  setStatus(`${p.name}: ${r.accepted ? 'accepted' : `rejected (${r.errors.length} error${r.errors.length === 1 ? '' : 's'})`} by the verifier${ui.unprivileged.checked ? ' (unprivileged)' : ''}.`, r.accepted ? 'ok' : 'error');
}

function choosePacket(id: string): void {
  const s = sampleById(id) ?? SAMPLES[0]!;
  ui.packetSelect.value = s.id;
  ui.packetHex.value = hexBytes(s.build());
  showPacketInfo();
}

function showPacketInfo(): void {
  const bytes = parseHex(ui.packetHex.value);
  ui.packetInfo.textContent = bytes === undefined ? 'not hex bytes' : describePacket(bytes);
  ui.packetInfo.classList.toggle('bad', bytes === undefined);
}

async function runNow(): Promise<void> {
  const p = program();
  // Held across the awaits below: another object may be loaded meanwhile.
  const s = session;
  if (s === undefined || p === undefined) return;
  const takesPacket = PACKET_TYPES.has(p.type);
  const packet = takesPacket ? parseHex(ui.packetHex.value) : undefined;
  if (takesPacket && packet === undefined) {
    setStatus('The packet is not valid hex.', 'error');
    return;
  }
  ui.run.disabled = true;
  try {
    setStatus('Waiting for the JIT to load…', 'busy');
    const jitError = await jitReady;
    setStatus(`Running ${p.name} on both engines…`, 'busy');
    await nextFrame();
    const maxRuns = Math.max(1, Math.min(100_000, Math.floor(Number(ui.runs.value) || 1)));
    // A program the verifier rejects still runs here (to see where it faults), but never under a
    // green banner: the kernel would not have loaded it.
    const unverified = !report(p).accepted;
    const input: ProgramRunOptions = { ...(packet !== undefined ? { packet } : {}), ...(unverified ? { verify: false } : {}) };
    const runs: EngineRun[] = ENGINES.map((engine) =>
      engine === 'jit' && jitError !== undefined
        ? { engine, result: undefined, refused: `the JIT did not load: ${jitError}`, before: [], after: [], timing: undefined }
        : s.run(engine, p.name, input, { maxRuns, budgetMs: 400 }),
    );
    fill(ui.engines, renderEngines(runs, p.type));
    renderDetails(runs, packet, { packet: ui.packetDiff, maps: ui.mapsAfter, agree: ui.mapsAgree, printk: ui.printk, ringbuf: ui.ringbuf });
    ui.results.hidden = false;
    faultPins = faultsOf(runs);
    showListing(p, report(p));
    const fault = faultPins[0];
    if (fault !== undefined) scrollToPc(ui.listing, fault.pc);
    const summary = runSummary(p, runs, packet !== undefined ? packetLabel(packet) : undefined);
    if (unverified) setStatus(`Unverified run: the verifier rejects ${p.name}, so a kernel would not load it. ${summary}`, 'unverified');
    else setStatus(summary, 'ok');
  } catch (e) {
    setStatus(`Run failed: ${errorText(e)}`, 'error');
  } finally {
    ui.run.disabled = false;
  }
}

/** The chosen sample's name, unless the bytes were edited since. */
function packetLabel(packet: Uint8Array): string {
  const sample = sampleById(ui.packetSelect.value);
  const same = sample !== undefined && hexBytes(sample.build()) === hexBytes(packet);
  return same ? sample.label.replace(/ \(.*\)$/, '') : 'an edited packet';
}

/** `Ran xdp_counter on IPv4 / UDP: XDP_PASS on both engines.` */
function runSummary(p: BpfkitProgram, runs: readonly EngineRun[], packet: string | undefined): string {
  const outcomes = runs.map((r) => {
    if (r.result === undefined) return 'refused';
    if (r.result.error !== undefined) return 'fault';
    return verdictName(p.type, r.result.retval) ?? String(r.result.retval);
  });
  const what = outcomes.every((o) => o === outcomes[0]) ? `${outcomes[0]} on both engines` : runs.map((r, i) => `${outcomes[i]} (${r.engine})`).join(', ');
  return `Ran ${p.name}${packet !== undefined ? ` on ${packet}` : ''}: ${what}.`;
}

/** Where the runs stopped, once per place: the engines usually agree, and one pin says so. */
function faultsOf(runs: readonly EngineRun[]): Pin[] {
  const pins: Pin[] = [];
  for (const r of runs) {
    const f = r.result?.error;
    if (f === undefined) continue;
    const same = pins.findIndex((p) => p.pc === f.pc && p.message === f.reason);
    if (same >= 0) pins[same] = { ...pins[same]!, label: 'fault on both engines' };
    else pins.push({ pc: f.pc, message: f.reason, tone: 'fault', label: r.engine === 'jit' ? 'JIT fault' : 'interpreter fault' });
  }
  return pins;
}

// ---- Examples, file input, drag and drop ----

async function loadExample(ex: Example): Promise<void> {
  setStatus(`Fetching ${ex.file}…`, 'busy');
  try {
    const res = await fetch(`examples/${ex.file}`);
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    await loadBytes(ex.file, new Uint8Array(await res.arrayBuffer()), ex);
  } catch (e) {
    setStatus(`Cannot fetch ${ex.file}: ${errorText(e)}`, 'error');
  }
}

async function loadFile(file: File): Promise<void> {
  await loadBytes(file.name, new Uint8Array(await file.arrayBuffer()), undefined);
}

async function init(): Promise<void> {
  for (const s of SAMPLES) ui.packetSelect.append(h('option', { value: s.id }, s.label));
  ui.packetSelect.addEventListener('change', () => choosePacket(ui.packetSelect.value));
  ui.packetHex.addEventListener('input', showPacketInfo);
  ui.verify.addEventListener('click', () => void verifyNow(false));
  ui.listing.addEventListener('click', pickState);
  ui.unprivileged.addEventListener('change', () => void verifyNow(true));
  ui.run.addEventListener('click', () => void runNow());
  ui.reset.addEventListener('click', () => {
    session?.reset();
    ui.engines.replaceChildren();
    ui.results.hidden = true;
    setStatus('Maps reset: the object was reloaded.', 'ok');
  });
  ui.file.addEventListener('change', () => {
    const f = ui.file.files?.[0];
    if (f !== undefined) void loadFile(f);
  });
  // Drop anywhere on the page; the drop zone lights up.
  document.addEventListener('dragover', (e) => {
    e.preventDefault();
    ui.drop.classList.add('over');
  });
  document.addEventListener('dragleave', (e) => {
    if (e.relatedTarget === null) ui.drop.classList.remove('over');
  });
  document.addEventListener('drop', (e) => {
    e.preventDefault();
    ui.drop.classList.remove('over');
    const f = e.dataTransfer?.files[0];
    if (f !== undefined) void loadFile(f);
  });

  let list: Example[] = [];
  try {
    const res = await fetch('examples/index.json');
    list = (await res.json()) as Example[];
  } catch (e) {
    setStatus(`No examples: ${errorText(e)}`, 'error');
  }
  for (const ex of list) {
    ui.examples.append(
      h(
        'button',
        { type: 'button', class: 'example', 'data-testid': `example-${ex.id}`, 'data-id': ex.id, onclick: () => void loadExample(ex) },
        h('span', { class: 'example-title' }, ex.title),
        h('span', { class: 'example-blurb' }, ex.blurb),
      ),
    );
  }
  const wanted = /example=([\w-]+)/.exec(location.hash)?.[1];
  const ex = list.find((x) => x.id === wanted);
  if (ex !== undefined) await loadExample(ex);
  else setStatus('Pick an example or drop an object file.', 'idle');
  document.body.dataset['ready'] = 'true';
}

void init();
