/**
 * Text report of a verification: one block per error naming the program, the pc, the source
 * line, the instruction and the reason; with --verbose, the abstract state before it (registers,
 * stack, relations), in the spirit of PREVAIL's `-v` and the kernel's log.
 */
import type { ObjectReport, PathStep, ProgramReport, VerifyError } from './result.js';

export function formatError(prog: ProgramReport, e: VerifyError): string[] {
  const lines: string[] = [];
  const where = e.source ? ` (${e.source})` : '';
  lines.push(`${prog.name}: pc ${e.pc}${where}: ${e.message}`);
  if (e.kernel) lines.push(`    kernel: ${e.kernel}`);
  if (e.sourceText) lines.push(`    ${e.source}: ${e.sourceText}`);
  if (e.instruction) lines.push(`    ${e.pc}: ${e.instruction}`);
  if (e.context) lines.push(`    ${e.context}`);
  if (e.state) for (const s of e.state) lines.push(`    | ${s}`);
  return lines;
}

export function formatProgram(prog: ProgramReport, verbose = false): string[] {
  const head = `${prog.accepted ? 'ok' : 'REJECTED'}  ${prog.name} (${prog.section}): ${prog.stats.instructions} instructions, ${prog.stats.ms} ms`;
  const lines = [head];
  for (const e of prog.errors) lines.push(...formatError(prog, e).map((l) => `  ${l}`));
  if (verbose && prog.details) {
    const d = prog.details;
    lines.push(`  ${d.blocks} blocks, ${d.deadInstructions} instructions never reached`);
    for (const l of d.loops) lines.push(`  loop at pc ${l.pc}: at most ${l.maxIterations} iterations`);
    for (const s of d.stackDepth) lines.push(`  stack of ${s.function}: ${s.bytes} bytes`);
  }
  return lines;
}

export function formatReport(report: ObjectReport, verbose = false): string {
  return report.programs.flatMap((p) => formatProgram(p, verbose)).join('\n');
}

/**
 * The `--json` shape: only the fields the interface promises. With `states` (`--json --states`)
 * each program also gets its `states` array and each error its `path`.
 */
export function toJson(report: ObjectReport, options: { states?: boolean } = {}): unknown {
  return {
    programs: report.programs.map((p) => ({
      name: p.name,
      section: p.section,
      accepted: p.accepted,
      errors: p.errors.map((e) => ({
        pc: e.pc,
        source: e.source ?? null,
        message: e.message,
        ...(e.kernel ? { kernel: e.kernel } : {}),
        ...(options.states && e.path ? { path: e.path } : {}),
      })),
      stats: { instructions: p.stats.instructions, ms: p.stats.ms },
      ...(options.states && p.states ? { states: p.states } : {}),
    })),
  };
}

/**
 * `verify --states`: per program, each instruction under its source line (printed once per
 * change of line, like `llvm-objdump -S`) with the state proven before it, one line per frame's
 * registers / stack (uninitialised ones left out); then for each error the shortest path to it.
 */
export function formatStates(report: ObjectReport): string {
  const out: string[] = [];
  const steps = <T extends PathStep>(list: readonly T[], indent: string, extra?: (s: T) => string | undefined): void => {
    let lastSource: string | undefined;
    for (const st of list) {
      if (st.source && st.source !== lastSource) out.push(`${indent}; ${st.source}: ${st.sourceText ?? ''}`);
      lastSource = st.source ?? lastSource;
      out.push(`${indent}${String(st.pc).padStart(5)}: ${st.instruction}${extra?.(st) ?? ''}`);
      for (const l of st.state) if (l) out.push(`${indent}         | ${l}`);
    }
  };
  for (const p of report.programs) {
    out.push(...formatProgram(p));
    if (p.states) {
      const inlined = p.states.some((s) => (s.contexts ?? 1) > 1);
      out.push(
        inlined
          ? `  states before each instruction (sub-programs are analysed per call site; their states are joined over call sites, [n contexts] says how many):`
          : `  states before each instruction:`,
      );
      steps(p.states, '  ', (st) => {
        if (st.unreachable) return '    ; unreachable';
        return (st.contexts ?? 1) > 1 ? `    ; [${st.contexts} contexts]` : undefined;
      });
    }
    for (const e of p.errors) {
      if (!e.path) continue;
      out.push(`  path to the error at pc ${e.pc} (${e.path.length} steps from the entry):`);
      steps(e.path, '  ');
      out.push(`  -> ${e.message}`);
    }
  }
  return out.join('\n');
}
