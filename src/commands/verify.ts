import type { Command } from 'commander';
import { formatReport, formatStates, toJson, verifyObject, verifyProgram, type ObjectReport } from '../verifier/index.js';
import { ExitError, guarded } from './common.js';
import { paintVerdicts } from './style.js';
import { loadObjectFile, requireProgram } from './object.js';

interface VerifyCliOptions {
  program?: string;
  json?: boolean;
  verbose?: boolean;
  states?: boolean;
  unprivileged?: boolean;
  btf?: string;
}

export function registerVerify(program: Command): void {
  program
    .command('verify')
    .description("check an object's programs the way the kernel's verifier does, without root or a kernel")
    .argument('<obj...>', 'eBPF object file(s) (clang -target bpf); several verify as a batch')
    .option('--program <name>', 'verify only this program')
    .option('--json', 'print JSON: {"programs":[{name, section, accepted, errors:[{pc, source, message}], stats}]}')
    .option('-v, --verbose', 'show the abstract state before each error, loop bounds and stack use')
    .option('--states', 'print the state proven before each instruction (by source line) and the path to each error; with --json, adds states and paths')
    .option('--unprivileged', "apply the kernel's rules for loaders without CAP_BPF/CAP_PERFMON")
    .option('--btf <file>', 'kernel BTF for CO-RE relocations and BTF-attached programs (default: /sys/kernel/btf/vmlinux when the object needs it and it exists; none: no kernel BTF)')
    .addHelpText(
      'after',
      '\nExamples:\n  bpfkit verify prog.o\n  bpfkit verify build/*.o\n  bpfkit verify prog.o --program xdp_main --verbose\n  bpfkit verify prog.o --json | jq \'.programs[] | select(.accepted == false)\'\n\nExit codes: 0 every program passes, 1 a program is rejected, 2 unreadable object or unknown program.',
    )
    .action((objs: string[], opts: VerifyCliOptions) =>
      guarded(2, () => {
        const options = { verbose: opts.verbose === true, unprivileged: opts.unprivileged === true, states: opts.states === true };
        const batch = objs.length > 1;
        const programs: Array<ObjectReport['programs'][number] & { object?: string }> = [];
        let unreadable = 0;
        objs.forEach((obj, i) => {
          // Progress for long batches goes to a terminal's stderr only, never into pipes or logs.
          if (batch && process.stderr.isTTY) process.stderr.write(`\r[${i + 1}/${objs.length}] ${obj}\u001b[K`);
          let report: ObjectReport;
          try {
            const object = loadObjectFile(obj, opts);
            if (opts.program !== undefined) {
              requireProgram(object, opts.program, obj);
              report = { programs: [verifyProgram(object, opts.program, options)] };
            } else {
              report = verifyObject(object, options);
            }
          } catch (e) {
            // In a batch an unreadable object is reported and the rest still run (exit 2 at the end).
            if (!batch || !(e instanceof ExitError)) throw e;
            if (process.stderr.isTTY) process.stderr.write('\r\u001b[K');
            process.stderr.write(`${e.message}\n`);
            unreadable++;
            return;
          }
          if (opts.json) programs.push(...report.programs.map((p) => (batch ? { ...p, object: obj } : p)));
          else {
            if (batch && process.stderr.isTTY) process.stderr.write('\r\u001b[K');
            process.stdout.write(`${batch ? `${obj}:\n` : ''}${paintVerdicts(opts.states ? formatStates(report) : formatReport(report, opts.verbose === true))}\n`);
          }
          programs.push(...(opts.json ? [] : report.programs));
        });
        if (batch && process.stderr.isTTY) process.stderr.write('\r\u001b[K');
        if (opts.json) {
          const json = toJson({ programs }, { states: opts.states === true }) as { programs: Array<Record<string, unknown>> };
          // A batch names each program's object; a single object keeps the documented shape.
          if (batch) json.programs.forEach((p, i) => (p.object = programs[i]!.object));
          process.stdout.write(`${JSON.stringify(json)}\n`);
        }
        // a rejection is a result, not a failure of the command: exit 1 without a message
        if (unreadable > 0) process.exitCode = 2;
        else if (programs.some((p) => !p.accepted)) process.exitCode = 1;
      }),
    );
}
