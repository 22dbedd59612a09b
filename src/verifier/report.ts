/**
 * Text report of a verification: one block per error naming the program, the pc, the source
 * line, the instruction and the reason; with --verbose, the abstract state before it (registers,
 * stack, relations), in the spirit of PREVAIL's `-v` and the kernel's log.
 */
import type { ObjectReport, ProgramReport, VerifyError } from './result.js';

export function formatError(prog: ProgramReport, e: VerifyError): string[] {
  const lines: string[] = [];
  const where = e.source ? ` (${e.source})` : '';
  lines.push(`${prog.name}: pc ${e.pc}${where}: ${e.message}`);
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

/** The `--json` shape: only the fields the interface promises. */
export function toJson(report: ObjectReport): unknown {
  return {
    programs: report.programs.map((p) => ({
      name: p.name,
      section: p.section,
      accepted: p.accepted,
      errors: p.errors.map((e) => ({ pc: e.pc, source: e.source ?? null, message: e.message })),
      stats: { instructions: p.stats.instructions, ms: p.stats.ms },
    })),
  };
}
