import type { HelperTable } from '../helpers/abi.js';
import type { ExecProgram } from '../helpers/exec-program.js';
import type { InstructionHook } from '../vm/interpreter.js';

/** One row of a profile. */
export interface ProfileRow {
  /** `file.c:LINE` for source lines, the helper's name for helpers. */
  name: string;
  /** Source text of the line (lines only). */
  text?: string;
  /** Instructions executed on this line (lines) or calls made (helpers). */
  count: number;
  /** Nanoseconds attributed to it over all profiled runs. */
  ns: number;
  /** Share of the total run time, 0..1. */
  share: number;
}

export interface ProfileReport {
  runs: number;
  totalNs: number;
  instructions: number;
  /** Share of run time spent inside helpers, 0..1. */
  helperShare: number;
  lines: ProfileRow[];
  helpers: ProfileRow[];
}

/**
 * Where a program's time goes, per source line and per helper. Helper time is measured (a clock
 * around each call); instruction time is the rest of the run time, shared out over the lines by
 * the instructions each executed (counted with the interpreter hook in a separate pass, so the
 * timed runs carry no per-instruction cost).
 */
export class ProfileCollector {
  private readonly counts = new Map<ExecProgram, Float64Array>();
  private readonly helperNs = new Map<string, number>();
  private readonly helperCalls = new Map<string, number>();
  private totalNs = 0;
  private runs = 0;
  private countedRuns = 0;
  private timing = false;
  private readonly now: () => number;
  /**
   * What one timed helper call adds to its own figure: the clock read around it (~55 ns on this
   * kind of machine, more than a map lookup takes), subtracted from each call so short helpers
   * are not counted at twice their cost. Measured for the default clock; zero for an injected
   * clock unless given.
   */
  private readonly clockNs: number;

  constructor(now?: () => number, clockNs?: number) {
    this.now = now ?? ((): number => performance.now());
    this.clockNs = clockNs ?? (now === undefined ? clockCostNs(this.now) : 0);
  }

  /** Hook for the counting pass. */
  hookFor(prog: ExecProgram): InstructionHook {
    let c = this.counts.get(prog);
    if (c === undefined) this.counts.set(prog, (c = new Float64Array(prog.slots.length)));
    const counts = c;
    return (pc) => {
      counts[pc]!++;
    };
  }

  /** The counting pass's instrument: per-instruction counts, helpers untimed. */
  countingInstrument(): { hookFor(prog: ExecProgram): InstructionHook } {
    return { hookFor: (prog) => this.hookFor(prog) };
  }

  /** The timed pass's instrument: no per-instruction hook, helpers timed. */
  timingInstrument(): { hookFor(): undefined; wrapHelpers(table: HelperTable): HelperTable } {
    return { hookFor: () => undefined, wrapHelpers: (table) => this.wrapHelpers(table) };
  }

  /** Marks the end of one counting-pass run. */
  countedRun(): void {
    this.countedRuns++;
  }

  /** Wraps helpers so their time is measured during timed runs. */
  wrapHelpers(table: HelperTable): HelperTable {
    return {
      nameOf: (id) => table.nameOf(id),
      get: (id) => {
        const fn = table.get(id);
        if (fn === undefined) return undefined;
        const name = table.nameOf(id);
        return (rt, a1, a2, a3, a4, a5) => {
          if (!this.timing) return fn(rt, a1, a2, a3, a4, a5);
          const t0 = this.now();
          try {
            return fn(rt, a1, a2, a3, a4, a5);
          } finally {
            this.helperNs.set(name, (this.helperNs.get(name) ?? 0) + (this.now() - t0) * 1e6);
            this.helperCalls.set(name, (this.helperCalls.get(name) ?? 0) + 1);
          }
        };
      },
    };
  }

  /** Times `work`, which makes `runs` runs (a timed-pass measurement). */
  timed<T>(work: () => T, runs = 1): T {
    this.timing = true;
    const t0 = this.now();
    try {
      return work();
    } finally {
      this.totalNs += (this.now() - t0) * 1e6;
      this.runs += runs;
      this.timing = false;
    }
  }

  report(): ProfileReport {
    const helperNs = new Map([...this.helperNs].map(([name, ns]) => [name, Math.max(0, ns - (this.helperCalls.get(name) ?? 0) * this.clockNs)]));
    const helperTotal = [...helperNs.values()].reduce((a, b) => a + b, 0);
    const insnNs = Math.max(0, this.totalNs - helperTotal);
    const byLine = new Map<string, { text: string; count: number }>();
    let instructions = 0;
    for (const [prog, counts] of this.counts) {
      for (let pc = 0; pc < counts.length; pc++) {
        const n = counts[pc]!;
        if (n === 0) continue;
        instructions += n;
        const loc = prog.source[pc];
        const key = loc ? `${loc.file}:${loc.line}` : `${prog.name}+${pc} (no line info)`;
        const row = byLine.get(key) ?? { text: loc?.text.trim() ?? '', count: 0 };
        row.count += n;
        byLine.set(key, row);
      }
    }
    // Counts come from the counting pass; scale them to the number of timed runs.
    const perRun = this.countedRuns > 0 ? 1 / this.countedRuns : 1;
    const share = (ns: number): number => (this.totalNs > 0 ? ns / this.totalNs : 0);
    const lines: ProfileRow[] = [...byLine].map(([name, r]) => {
      const ns = instructions > 0 ? (insnNs * r.count) / instructions : 0;
      return { name, text: r.text, count: r.count * perRun, ns, share: share(ns) };
    });
    lines.sort((a, b) => b.ns - a.ns);
    const helpers: ProfileRow[] = [...helperNs].map(([name, ns]) => ({
      name,
      count: (this.helperCalls.get(name) ?? 0) / Math.max(1, this.runs),
      ns,
      share: share(ns),
    }));
    helpers.sort((a, b) => b.ns - a.ns);
    return {
      runs: this.runs,
      totalNs: this.totalNs,
      instructions: instructions * perRun,
      helperShare: share(helperTotal),
      lines,
      helpers,
    };
  }
}

/** The median time between two back-to-back reads of `now`, in ns, once the read is warm. */
function clockCostNs(now: () => number): number {
  const batches: number[] = [];
  for (let b = 0; b < 7; b++) {
    let sum = 0;
    for (let i = 0; i < 500; i++) {
      const t0 = now();
      sum += now() - t0;
    }
    batches.push((sum * 1e6) / 500);
  }
  batches.sort((a, b) => a - b);
  return batches[3]!;
}

/** A readable table of a profile. */
export function formatProfile(p: ProfileReport): string {
  const pct = (x: number): string => `${(x * 100).toFixed(1).padStart(5)}%`;
  const out = [
    `${p.runs} runs, ${(p.totalNs / Math.max(1, p.runs) / 1000).toFixed(2)} us/run, ${p.instructions.toFixed(0)} instructions/run, helpers ${pct(p.helperShare)} of the time`,
    '',
    '  time  insns/run  source line',
  ];
  for (const l of p.lines) out.push(`${pct(l.share)}  ${l.count.toFixed(0).padStart(9)}  ${l.name}  ${l.text ?? ''}`);
  if (p.helpers.length) {
    out.push('', '  time  calls/run  helper');
    for (const h of p.helpers) out.push(`${pct(h.share)}  ${h.count.toFixed(0).padStart(9)}  ${h.name}`);
  }
  return out.join('\n');
}
