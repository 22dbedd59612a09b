import type { ExecProgram } from '../helpers/exec-program.js';
import { Class, Jmp } from '../isa/opcodes.js';
import type { InstructionHook } from '../vm/interpreter.js';

/** Hit counts of one program, by slot. */
export interface ProgramCoverage {
  readonly program: ExecProgram;
  /** Executions of each slot. */
  readonly hits: Uint32Array;
  /** For each conditional jump's slot: [taken, not taken]. */
  readonly branches: Map<number, [number, number]>;
}

const isConditional = (op: number): boolean => {
  const cls = op & 7;
  if (cls !== Class.JMP && cls !== Class.JMP32) return false;
  const code = op & 0xf0;
  return code !== Jmp.JA && code !== Jmp.CALL && code !== Jmp.EXIT;
};

/**
 * Accumulates instruction and branch hit counts over many runs (of one or several programs) and
 * writes them as lcov, mapped to C source lines through BTF line info.
 */
export class CoverageCollector {
  private readonly programs = new Map<ExecProgram, ProgramCoverage>();

  /** Coverage of `prog`, created on first use. */
  of(prog: ExecProgram): ProgramCoverage {
    let c = this.programs.get(prog);
    if (c === undefined) {
      c = { program: prog, hits: new Uint32Array(prog.slots.length), branches: new Map() };
      this.programs.set(prog, c);
    }
    return c;
  }

  /** An interpreter hook that counts into `prog`'s coverage. */
  hookFor(prog: ExecProgram): InstructionHook {
    const cov = this.of(prog);
    const { op, off, imm } = prog.slots;
    const hits = cov.hits;
    let pending = -1;
    let pendingLo: Int32Array | undefined;
    return (pc, lo) => {
      if (pending >= 0 && lo === pendingLo) {
        const target = pending + 1 + (op[pending] === 0x06 ? imm[pending]! : off[pending]!);
        const b = cov.branches.get(pending) ?? [0, 0];
        // A jump whose target is the next instruction counts as taken: both edges coincide.
        if (pc === target) b[0]++;
        else b[1]++;
        cov.branches.set(pending, b);
      }
      pending = -1;
      hits[pc]!++;
      if (isConditional(op[pc]!)) {
        pending = pc;
        pendingLo = lo;
      }
    };
  }

  /**
   * What a run plugs in (`runProgram`'s `instrument` option) to count into this collector: the
   * interpreter's hook, or, on the JIT, `coverage` takes the counts its compiled-in counters made.
   */
  instrument(): { hookFor(prog: ExecProgram): InstructionHook; coverage: CoverageCollector } {
    return { hookFor: (prog) => this.hookFor(prog), coverage: this };
  }

  /** Adds counts gathered elsewhere (e.g. by JIT-emitted counters). */
  add(prog: ExecProgram, hits: ArrayLike<number>, branches?: ReadonlyMap<number, readonly [number, number]>): void {
    const cov = this.of(prog);
    for (let i = 0; i < cov.hits.length && i < hits.length; i++) cov.hits[i]! += hits[i]!;
    for (const [pc, [t, n]] of branches ?? []) {
      const b = cov.branches.get(pc) ?? [0, 0];
      b[0] += t;
      b[1] += n;
      cov.branches.set(pc, b);
    }
  }

  /** Every program covered so far. */
  all(): ProgramCoverage[] {
    return [...this.programs.values()];
  }

  /** Per source line: hits (the most-executed instruction of the line) and branch counts. */
  lines(): Map<string, Map<number, LineCoverage>> {
    const files = new Map<string, Map<number, LineCoverage>>();
    for (const cov of this.programs.values()) {
      const { source, slots } = cov.program;
      const isSecondSlot = new Uint8Array(slots.length);
      for (let pc = 0; pc < slots.length; pc++) if (slots.op[pc] === 0x18) isSecondSlot[++pc] = 1;
      for (let pc = 0; pc < slots.length; pc++) {
        const loc = source[pc];
        if (loc === undefined || isSecondSlot[pc]) continue;
        let byLine = files.get(loc.file);
        if (byLine === undefined) files.set(loc.file, (byLine = new Map()));
        let line = byLine.get(loc.line);
        if (line === undefined) byLine.set(loc.line, (line = { hits: 0, branches: [], functions: [] }));
        line.hits = Math.max(line.hits, cov.hits[pc]!);
        if (isConditional(slots.op[pc]!)) {
          const b = cov.branches.get(pc) ?? [0, 0];
          line.branches.push({ id: `${cov.program.name}:${pc}`, taken: b[0], notTaken: b[1], reached: cov.hits[pc]! > 0 });
        }
      }
      for (const fn of cov.program.functions) {
        const loc = source[fn.slot];
        if (loc === undefined) continue;
        const line = files.get(loc.file)?.get(loc.line);
        line?.functions.push({ name: fn.name, hits: cov.hits[fn.slot]! });
      }
    }
    return files;
  }

  /** The lcov tracefile (`genhtml` and coverage viewers read it). */
  toLcov(testName = ''): string {
    const out: string[] = [];
    const files = [...this.lines()].sort(([a], [b]) => a.localeCompare(b));
    for (const [file, byLine] of files) {
      out.push(`TN:${testName}`, `SF:${file}`);
      const lines = [...byLine].sort(([a], [b]) => a - b);
      const fns = new Map<string, { line: number; hits: number }>();
      for (const [n, l] of lines) {
        for (const f of l.functions) {
          const prev = fns.get(f.name);
          fns.set(f.name, { line: prev?.line ?? n, hits: (prev?.hits ?? 0) + f.hits });
        }
      }
      for (const [name, f] of fns) out.push(`FN:${f.line},${name}`);
      for (const [name, f] of fns) out.push(`FNDA:${f.hits},${name}`);
      out.push(`FNF:${fns.size}`, `FNH:${[...fns.values()].filter((f) => f.hits > 0).length}`);
      let brf = 0;
      let brh = 0;
      for (const [n, l] of lines) {
        l.branches.forEach((b, block) => {
          // lcov convention: '-' when the branch's condition was never evaluated.
          const t = b.reached ? String(b.taken) : '-';
          const nt = b.reached ? String(b.notTaken) : '-';
          out.push(`BRDA:${n},${block},0,${t}`, `BRDA:${n},${block},1,${nt}`);
          brf += 2;
          brh += (b.taken > 0 ? 1 : 0) + (b.notTaken > 0 ? 1 : 0);
        });
      }
      out.push(`BRF:${brf}`, `BRH:${brh}`);
      for (const [n, l] of lines) out.push(`DA:${n},${l.hits}`);
      out.push(`LF:${lines.length}`, `LH:${lines.filter(([, l]) => l.hits > 0).length}`, 'end_of_record');
    }
    return out.length ? `${out.join('\n')}\n` : '';
  }
}

/** Coverage of one source line. */
export interface LineCoverage {
  hits: number;
  branches: Array<{ id: string; taken: number; notTaken: number; reached: boolean }>;
  functions: Array<{ name: string; hits: number }>;
}
