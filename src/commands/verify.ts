import type { Command } from 'commander';
import { guarded } from './common.js';
import { paintVerdicts } from './style.js';
import { loaderOptions } from './object.js';
import { parseJobs, verifyInWorkers, verifyObjectFile, type NotVerified, type ObjectOutcome, type VerifyCliOptions } from './verify-batch.js';

export function registerVerify(program: Command): void {
  const cmd = program
    .command('verify')
    .description("check an object's programs the way the kernel's verifier does, without root or a kernel")
    .argument('<obj...>', 'eBPF object file(s) (clang -target bpf); several verify as a batch')
    .option('--program <name>', 'verify only this program')
    .option('--json', 'print JSON: {"programs":[{name, section, accepted, errors:[{pc, source, message}], stats}]}')
    .option('-v, --verbose', 'show the abstract state before each error, loop bounds and stack use')
    .option('--states', 'print the state proven before each instruction (by source line) and the path to each error; with --json, adds states and paths')
    .option('--unprivileged', "apply the kernel's rules for loaders without CAP_BPF/CAP_PERFMON")
    .option('--jobs <n>', 'verify several objects in N worker threads (default: the number of cores); output keeps the order given')
    .option('--btf <file>', 'kernel BTF for CO-RE relocations, BTF-attached programs and kfuncs (default: /sys/kernel/btf/vmlinux when the object needs it and it exists; none: no kernel BTF)');
  loaderOptions(cmd)
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  bpfkit verify prog.o',
        '  bpfkit verify build/*.o',
        '  bpfkit verify --jobs 4 corpus/*.o                  (4 worker threads; default: one per core)',
        '  bpfkit verify prog.o --program xdp_main --verbose',
        "  bpfkit verify prog.o --json | jq '.programs[] | select(.accepted == false)'",
        '  bpfkit verify tc_prog.o --type sched_cls            (sections such as 2/1, from-netdev, .text name no type)',
        '  bpfkit verify sockex.o --type bpf_prog1=socket_filter --type bpf_prog2=xdp',
        '',
        'A program whose section names no type (and no --type gives one), or that cannot be linked',
        '(a call of an undefined function such as memset), is reported as not verified.',
        '',
        'Exit codes: 0 every program verified and passes, 1 a program is rejected, 2 unreadable object,',
        'an object without programs, a program not verified, or unknown program.',
      ].join('\n'),
    )
    .action((objs: string[], opts: VerifyCliOptions) =>
      guarded(2, async () => {
        const batch = objs.length > 1;
        const jobs = parseJobs(opts.jobs);
        const programs: boolean[] = [];
        const jsonPrograms: Array<Record<string, unknown>> = [];
        const notVerified: NotVerified[] = [];
        let unreadable = 0;
        const unreadableJson: Array<{ object: string; code: string; message: string }> = [];
        // Progress for long batches goes to a terminal's stderr only, never into pipes or logs.
        const progress = (i: number): void => {
          if (batch && process.stderr.isTTY) process.stderr.write(`\r[${i + 1}/${objs.length}] ${objs[i]}\u001b[K`);
        };
        const print = (i: number, o: ObjectOutcome): void => {
          const obj = objs[i]!;
          if (o.unreadable !== undefined) {
            // In a batch an unreadable object is reported and the rest still run (exit 2 at the end).
            if (process.stderr.isTTY) process.stderr.write('\r\u001b[K');
            if (opts.json) unreadableJson.push({ object: obj, code: o.unreadable.code, message: o.unreadable.message });
            else process.stderr.write(`${o.unreadable.message}\n`);
            unreadable++;
            return;
          }
          notVerified.push(...o.skipped);
          programs.push(...o.accepted);
          if (opts.json) jsonPrograms.push(...o.json);
          else {
            if (batch && process.stderr.isTTY) process.stderr.write('\r\u001b[K');
            const text = o.text !== '' ? paintVerdicts(o.text) : '';
            process.stdout.write(`${batch ? `${obj}:\n` : ''}${[text, ...o.lines].filter((l) => l !== '').join('\n')}\n`);
          }
        };
        if (batch && jobs > 1) {
          // Worker threads, each taking the next object; printed in the order given.
          await verifyInWorkers(objs, opts, jobs, (i, o) => {
            progress(i);
            print(i, o);
          });
        } else {
          objs.forEach((obj, i) => {
            progress(i);
            print(i, verifyObjectFile(obj, opts, batch));
          });
        }
        if (batch && process.stderr.isTTY) process.stderr.write('\r\u001b[K');
        if (opts.json) {
          const json = { programs: jsonPrograms };
          // programs not verified keep the shape's name and section, with verified: false and why
          for (const p of notVerified) json.programs.push({ ...(p.object !== undefined ? { object: p.object } : {}), name: p.name, section: p.section, accepted: false, verified: false, reason: p.reason });
          // Under --json the objects that could not be read are JSON too (same exit code 2).
          if (unreadableJson.length > 0) (json as Record<string, unknown>).errors = unreadableJson;
          process.stdout.write(`${JSON.stringify(json)}\n`);
        }
        // a program not verified is never a pass: exit 2 with one line saying why
        if (notVerified.length > 0) {
          const first = notVerified[0]!;
          const more = notVerified.length > 1 ? ` (and ${notVerified.length - 1} more)` : '';
          // under --json the programs' entries already say why (verified: false, reason)
          if (!opts.json) process.stderr.write(`${first.object !== undefined ? `${first.object}: ` : ''}program '${first.name}' not verified: ${first.reason}${more}\n`);
          process.exitCode = 2;
        }
        // a rejection is a result, not a failure of the command: exit 1 without a message
        else if (unreadable > 0) process.exitCode = 2;
        else if (programs.some((accepted) => !accepted)) process.exitCode = 1;
      }),
    );
}
