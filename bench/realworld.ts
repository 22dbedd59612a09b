/**
 * `npm run realworld -- DIR [--kernel FILE] [--list]`: loads and verifies every object of a
 * vbpf/ebpf-samples tree (commit 9955a73) in one process, the way a user would (passing the
 * program types the kernel's table marks `assumed`, as `--type PROGRAM=TYPE` does), and prints
 * the confusion table against the kernel's verdict on each program
 * (`shared/realworld/kernel-ebpf-samples.tsv`, found beside the repository or one of its
 * parents). A benchmark, not a test: the corpus is fetched, never committed.
 *
 * Counted per program the kernel judged (`kernel_accepted` 0 or 1, outside `invalid/`):
 * - verdict: bpfkit accepted it, or rejected it with a verifier error (agree / false accept /
 *   false reject against the kernel);
 * - no verdict, by cause: the object did not load, the program was not found, the program could
 *   not be prepared (its type, a link error), or the verifier stopped on something bpfkit does
 *   not model (an error that says so).
 * `--list` also prints every disagreement and every program without a verdict.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { loadObject } from '../src/loader/load.js';
import type { BpfObject, ProgramDef } from '../src/loader/model.js';
import { verifyProgram, type ProgramReport } from '../src/verifier/index.js';

const TSV = join('shared', 'realworld', 'kernel-ebpf-samples.tsv');

interface KernelRow {
  file: string;
  program: string;
  section: string;
  accepted: '0' | '1' | 'skip';
  error: string;
  progType: string;
  typeSource: string;
}

interface Args {
  dir: string;
  kernel?: string;
  list: boolean;
}

function parseArgs(argv: string[]): Args {
  let dir: string | undefined;
  let kernel: string | undefined;
  let list = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--kernel') kernel = argv[++i];
    else if (a === '--list') list = true;
    else if (a.startsWith('-')) usage(`unknown option ${a}`);
    else if (dir === undefined) dir = a;
    else usage(`one directory only (got ${dir} and ${a})`);
  }
  if (dir === undefined) usage('give the directory of a vbpf/ebpf-samples tree');
  const out: Args = { dir: resolve(dir), list };
  if (kernel !== undefined) out.kernel = resolve(kernel);
  return out;
}

function usage(why: string): never {
  process.stderr.write(`realworld: ${why}\nusage: npm run realworld -- DIR [--kernel kernel-ebpf-samples.tsv] [--list]\n`);
  process.exit(2);
}

/** The kernel's verdicts: `--kernel`, else `shared/realworld/` beside the repository or one of its parents. */
function findKernelTsv(explicit: string | undefined): string {
  if (explicit !== undefined) {
    if (!existsSync(explicit)) usage(`no such file: ${explicit}`);
    return explicit;
  }
  // dist/bench/realworld.js → the repository root is two levels up
  let d = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
  for (;;) {
    const parent = dirname(d);
    const candidate = join(parent, TSV);
    if (existsSync(candidate)) return candidate;
    if (parent === d) usage(`cannot find ${TSV} beside the repository or its parents; give it with --kernel FILE`);
    d = parent;
  }
}

function readKernel(path: string): KernelRow[] {
  const lines = readFileSync(path, 'utf8').split('\n').filter((l) => l !== '');
  return lines.slice(1).map((l) => {
    const [file, program, section, accepted, error, progType, typeSource] = l.split('\t');
    return { file: file!, program: program!, section: section!, accepted: accepted as KernelRow['accepted'], error: error ?? '', progType: progType ?? '-', typeSource: typeSource ?? '-' };
  });
}

function objectsUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d).sort()) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else if (e.endsWith('.o')) out.push(p);
    }
  };
  walk(dir);
  return out;
}

/** Why a rejection is not a verdict: the verifier stopped on something bpfkit says it does not model. */
const LIMITATION = /bpfkit does not|not known to bpfkit|not modell?ed|(?<!by the kernel)\bnot supported\b(?! by the kernel)|unsupported/i;

type Outcome =
  | { kind: 'accepted' }
  | { kind: 'rejected'; error: string }
  | { kind: 'none'; cause: string; detail: string };

const oneLine = (s: string): string => s.replace(/\s+/g, ' ').trim();

/** A cause short enough to group by: the message with names and numbers taken out. */
function causeOf(message: string): string {
  return oneLine(message)
    .replace(/'[^']*'/g, "'…'")
    .replace(/\b(section|function|program|map|extern) [^\s:,]+/g, '$1 …')
    .replace(/\b\d+\b/g, 'N')
    .slice(0, 110);
}

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  const tsvPath = findKernelTsv(args.kernel);
  const kernel = readKernel(tsvPath);
  const byFile = new Map<string, KernelRow[]>();
  for (const r of kernel) byFile.set(r.file, [...(byFile.get(r.file) ?? []), r]);

  const files = objectsUnder(args.dir);
  if (files.length === 0) usage(`no .o files under ${args.dir}`);

  // Each object is loaded (timed), verified (timed), then dropped: one process for the corpus,
  // without keeping every loaded object alive (which would time the garbage collector instead).
  // CPU time is printed beside wall time: on a shared machine wall time says little.
  const loaded = new Map<string, { programs: number } | Error>();
  const outcomes = new Map<string, Outcome>(); // `${file}\t${program}`
  let loadMs = 0;
  let loadCpuMs = 0;
  let verifyMs = 0;
  let verifyCpuMs = 0;
  const timings: Array<{ key: string; ms: number; cpuMs: number; instructions: number }> = [];
  let programsFound = 0;
  let unlisted = 0;
  const emptyObjects: string[] = [];
  for (const path of files) {
    const rel = relative(args.dir, path);
    const rows = byFile.get(rel) ?? [];
    // the types a user passes for sections that name none (`--type PROGRAM=TYPE`)
    const types: Record<string, string> = {};
    for (const r of rows) if (r.typeSource === 'assumed' && r.progType !== '-') types[r.program] = r.progType;
    const bytes = new Uint8Array(readFileSync(path));
    let obj: BpfObject;
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    try {
      obj = loadObject(bytes, { types });
    } catch (e) {
      loaded.set(rel, e as Error);
      const m = (e as Error).message;
      for (const r of rows) outcomes.set(`${rel}\t${r.program}`, { kind: 'none', cause: `object not loaded: ${causeOf(m)}`, detail: oneLine(m) });
      continue;
    } finally {
      loadMs += performance.now() - t0;
      const c = process.cpuUsage(c0);
      loadCpuMs += (c.user + c.system) / 1000;
    }
    loaded.set(rel, { programs: obj.programs.length });
    if (obj.programs.length === 0) emptyObjects.push(rel);
    programsFound += obj.programs.length;
    for (const p of obj.programs) {
      if (!rows.some((r) => r.program === p.name)) unlisted++;
      const c1 = process.cpuUsage();
      const t = performance.now();
      const o = verifyOne(obj, p);
      const ms = performance.now() - t;
      const c = process.cpuUsage(c1);
      verifyMs += ms;
      const cpuMs = (c.user + c.system) / 1000;
      verifyCpuMs += cpuMs;
      timings.push({ key: `${rel} ${p.name}`, ms, cpuMs, instructions: p.instructions.length });
      outcomes.set(`${rel}\t${p.name}`, o);
    }
  }

  // Confusion table over the programs the kernel judged (outside invalid/).
  const judged = kernel.filter((r) => (r.accepted === '0' || r.accepted === '1') && !r.file.startsWith('invalid/'));
  let agreeAccept = 0;
  let agreeReject = 0;
  let falseAccept = 0;
  let falseReject = 0;
  const causes = new Map<string, number>();
  const rejectCauses = new Map<string, number>();
  const listing: string[] = [];
  const sizeOf = new Map(timings.map((t) => [t.key, t.instructions]));
  let ciliumAgree = 0;
  let ciliumAll = 0;
  let bigAccepted = 0;
  let bigAll = 0;
  for (const r of judged) {
    const o = outcomes.get(`${r.file}\t${r.program}`);
    const bpfkitAcc = o?.kind === 'accepted';
    const agrees = o !== undefined && o.kind !== 'none' && bpfkitAcc === (r.accepted === '1');
    if (r.file.startsWith('cilium-core/')) {
      ciliumAll++;
      if (agrees) ciliumAgree++;
    }
    if (r.accepted === '1' && (sizeOf.get(`${r.file} ${r.program}`) ?? 0) >= 3000) {
      bigAll++;
      if (bpfkitAcc) bigAccepted++;
    }
  }
  for (const r of judged) {
    const key = `${r.file}\t${r.program}`;
    const o = outcomes.get(key) ?? (loaded.has(r.file) ? { kind: 'none' as const, cause: 'program not found by the loader', detail: `section ${r.section}` } : { kind: 'none' as const, cause: 'object not in DIR', detail: '' });
    const kAcc = r.accepted === '1';
    if (o.kind === 'none') {
      causes.set(o.cause, (causes.get(o.cause) ?? 0) + 1);
      listing.push(`no verdict     ${r.file} ${r.program} [${r.section}]: ${o.detail || o.cause}`);
    } else if (o.kind === 'accepted') {
      if (kAcc) agreeAccept++;
      else {
        falseAccept++;
        listing.push(`false accept   ${r.file} ${r.program} [${r.section}] kernel: ${r.error}`);
      }
    } else if (kAcc) {
      falseReject++;
      const c = causeOf(o.error.replace(/\bR\d+\b/g, 'R'));
      rejectCauses.set(c, (rejectCauses.get(c) ?? 0) + 1);
      listing.push(`false reject   ${r.file} ${r.program} [${r.section}] bpfkit: ${o.error}`);
    } else agreeReject++;
  }
  const verdicts = agreeAccept + agreeReject + falseAccept + falseReject;
  const noVerdict = judged.length - verdicts;
  const objectsOutside = [...loaded.keys()].filter((f) => !f.startsWith('invalid/'));
  const loadedOutside = objectsOutside.filter((f) => !(loaded.get(f) instanceof Error));
  const invalidRefused = [...loaded.entries()].filter(([f, o]) => f.startsWith('invalid/') && o instanceof Error);

  const pad = (s: string | number, n: number): string => String(s).padStart(n);
  const out: string[] = [];
  out.push(`realworld: ${args.dir}`);
  out.push(`kernel verdicts: ${tsvPath}`);
  out.push(`objects: ${files.length}; outside invalid/ loaded ${loadedOutside.length}/${objectsOutside.length}; invalid/ refused ${invalidRefused.length}/${files.length - objectsOutside.length}`);
  out.push(`programs found: ${programsFound} (${unlisted} not in the kernel's table); objects with no program: ${emptyObjects.length}${emptyObjects.length ? ` (${emptyObjects.join(', ')})` : ''}`);
  out.push(`load time: ${(loadMs / 1000).toFixed(2)} s wall, ${(loadCpuMs / 1000).toFixed(2)} s CPU (${files.length} objects, one process)   verify time: ${(verifyMs / 1000).toFixed(2)} s wall, ${(verifyCpuMs / 1000).toFixed(2)} s CPU`);
  // per-program wall time: the budget is 1 s for any one program
  // CPU time beside it (it counts the collector's threads too): on a loaded machine wall time
  // says more about the neighbours than about the program
  const slow = [...timings].sort((a, b) => b.ms - a.ms);
  const slowCpu = [...timings].sort((a, b) => b.cpuMs - a.cpuMs);
  const secs = (ms: number): string => (ms / 1000).toFixed(2);
  out.push(`slowest (wall): ${slow.slice(0, 3).map((t) => `${t.key} ${secs(t.ms)} s`).join('; ')}   over 1 s: ${slow.filter((t) => t.ms > 1000).length}`);
  out.push(`slowest (CPU): ${slowCpu.slice(0, 3).map((t) => `${t.key} ${secs(t.cpuMs)} s`).join('; ')}   over 1 s: ${slowCpu.filter((t) => t.cpuMs > 1000).length}   peak RSS: ${Math.round(process.resourceUsage().maxRSS / 1024)} MB`);
  out.push('');
  out.push(`programs the kernel judged: ${judged.length}   verdict: ${verdicts}   agree: ${agreeAccept + agreeReject}   false accept: ${falseAccept}   false reject: ${falseReject}   no verdict: ${noVerdict}`);
  out.push(`Cilium datapath (cilium-core/): agree ${ciliumAgree}/${ciliumAll}   kernel-accepted programs of 3000+ instructions accepted: ${bigAccepted}/${bigAll}`);
  out.push('');
  out.push('                     bpfkit accepted  bpfkit rejected  no verdict');
  const kAccRows = judged.filter((r) => r.accepted === '1').length;
  const kRejRows = judged.length - kAccRows;
  out.push(`kernel accepted ${pad(kAccRows, 4)} ${pad(agreeAccept, 16)} ${pad(falseReject, 16)} ${pad(kAccRows - agreeAccept - falseReject, 11)}`);
  out.push(`kernel rejected ${pad(kRejRows, 4)} ${pad(falseAccept, 16)} ${pad(agreeReject, 16)} ${pad(kRejRows - falseAccept - agreeReject, 11)}`);
  if (causes.size > 0) {
    out.push('');
    out.push('no verdict, by cause:');
    for (const [c, n] of [...causes].sort((a, b) => b[1] - a[1])) out.push(`${pad(n, 5)}  ${c}`);
  }
  if (rejectCauses.size > 0) {
    out.push('');
    out.push('false reject, by verifier message:');
    for (const [c, n] of [...rejectCauses].sort((a, b) => b[1] - a[1])) out.push(`${pad(n, 5)}  ${c}`);
  }
  if (args.list && listing.length > 0) {
    out.push('');
    out.push(...listing);
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

function verifyOne(obj: BpfObject, p: ProgramDef): Outcome {
  if (p.notVerifiable !== undefined) return { kind: 'none', cause: `not verifiable: ${causeOf(p.notVerifiable)}`, detail: p.notVerifiable };
  let report: ProgramReport;
  try {
    report = verifyProgram(obj, p.name);
  } catch (e) {
    const m = (e as Error).message ?? String(e);
    return { kind: 'none', cause: `verifier threw: ${causeOf(m)}`, detail: oneLine(m) };
  }
  if (report.accepted) return { kind: 'accepted' };
  const first = report.errors[0]?.message ?? '(no error message)';
  const limit = report.errors.find((e) => LIMITATION.test(e.message));
  if (limit !== undefined) return { kind: 'none', cause: `verifier limitation: ${causeOf(limit.message)}`, detail: oneLine(limit.message) };
  return { kind: 'rejected', error: oneLine(first) };
}

main();
