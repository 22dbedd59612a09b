import type { Command } from 'commander';
import { formatReport, toJson, verifyObject, verifyProgram, type ObjectReport } from '../verifier/index.js';
import { guarded } from './common.js';
import { loadObjectFile, requireProgram } from './object.js';

interface VerifyCliOptions {
  program?: string;
  json?: boolean;
  verbose?: boolean;
  unprivileged?: boolean;
  btf?: string;
}

export function registerVerify(program: Command): void {
  program
    .command('verify')
    .description("check an object's programs the way the kernel's verifier does, without root or a kernel")
    .argument('<obj>', 'eBPF object file (clang -target bpf)')
    .option('--program <name>', 'verify only this program')
    .option('--json', 'print JSON: {"programs":[{name, section, accepted, errors:[{pc, source, message}], stats}]}')
    .option('-v, --verbose', 'show the abstract state before each error, loop bounds and stack use')
    .option('--unprivileged', "apply the kernel's rules for loaders without CAP_BPF/CAP_PERFMON")
    .option('--btf <file>', 'target BTF for CO-RE relocations (e.g. a copy of /sys/kernel/btf/vmlinux)')
    .addHelpText(
      'after',
      '\nExamples:\n  bpfkit verify prog.o\n  bpfkit verify prog.o --program xdp_main --verbose\n  bpfkit verify prog.o --json | jq \'.programs[] | select(.accepted == false)\'\n\nExit codes: 0 every program passes, 1 a program is rejected, 2 unreadable object or unknown program.',
    )
    .action((obj: string, opts: VerifyCliOptions) =>
      guarded(2, () => {
        const object = loadObjectFile(obj, opts);
        const options = { verbose: opts.verbose === true, unprivileged: opts.unprivileged === true };
        let report: ObjectReport;
        if (opts.program !== undefined) {
          requireProgram(object, opts.program, obj);
          report = { programs: [verifyProgram(object, opts.program, options)] };
        } else {
          report = verifyObject(object, options);
        }
        process.stdout.write(opts.json ? `${JSON.stringify(toJson(report))}\n` : `${formatReport(report, opts.verbose === true)}\n`);
        // a rejection is a result, not a failure of the command: exit 1 without a message
        if (report.programs.some((p) => !p.accepted)) process.exitCode = 1;
      }),
    );
}
