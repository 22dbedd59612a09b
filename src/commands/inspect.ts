import type { Command } from 'commander';
import { formatInspect, inspectObject } from '../loader/inspect.js';
import { guarded } from './common.js';
import { loaderOptions, loadObjectFile, type ObjectFileOptions } from './object.js';

export function registerInspect(program: Command): void {
  const cmd = program
    .command('inspect')
    .description('programs, maps, globals, BTF and license of an eBPF object')
    .argument('<obj>', 'eBPF object file (clang -target bpf)')
    .option('--json', 'print JSON')
    .option('--btf <file>', 'target BTF for CO-RE relocations (e.g. a copy of /sys/kernel/btf/vmlinux)');
  loaderOptions(cmd)
    .addHelpText('after', '\nExamples:\n  bpfkit inspect prog.o\n  bpfkit inspect prog.o --json | jq .maps\n\nExit codes: 0 ok, 2 unreadable object.')
    .action((obj: string, opts: ObjectFileOptions & { json?: boolean }) =>
      guarded(2, () => {
        const report = inspectObject(loadObjectFile(obj, opts));
        process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatInspect(report)}\n`);
      }),
    );
}
