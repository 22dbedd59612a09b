import type { Command } from 'commander';
import { formatInspect, inspectObject } from '../loader/inspect.js';
import { decodeValue } from '../helpers/btf-value.js';
import { withEnumNames } from '../run/summary.js';
import { guarded, jsonSafe } from './common.js';
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
        const object = loadObjectFile(obj, opts);
        const report = inspectObject(object);
        // Initial values of globals typed through BTF (structs, arrays, strings, enums by name):
        // JSON adds them as `value` next to the hex; the text table shows them instead of the hex.
        const btf = object.btfTypes;
        report.globals.forEach((g, i) => {
          const def = object.globals?.[i];
          const bytes = def !== undefined ? object.maps[def.map]?.initialValue : undefined;
          if (btf === undefined || def?.btfTypeId === undefined || bytes === undefined || def.name !== g.name) return;
          try {
            const value = withEnumNames(btf, def.btfTypeId, decodeValue(btf, def.btfTypeId, bytes.subarray(def.offset, def.offset + def.size)));
            if (opts.json) (g as typeof g & { value?: unknown }).value = jsonSafe(value);
            else g.initial = JSON.stringify(jsonSafe(value));
          } catch {
            // A type bpfkit cannot decode keeps its hex.
          }
        });
        process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatInspect(report)}\n`);
      }),
    );
}
