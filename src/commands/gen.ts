import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { generateTypes } from '../api/typegen.js';
import { ExitError, guarded } from './common.js';
import { loadObjectFile } from './object.js';

interface GenTypesOptions {
  output?: string;
  importFrom: string;
  btf?: string;
}

export function registerGen(program: Command): void {
  const gen = program.command('gen').description('generate code from an object (gen types: TypeScript from BTF)');
  gen
    .command('types')
    .description("TypeScript types from an object's BTF: map keys and values, global data, records, and a typed load()")
    .argument('<obj>', 'eBPF object file (clang -target bpf, built with -g for BTF)')
    .option('-o, --output <file>', 'write the TypeScript here instead of standard output')
    .option('--import-from <module>', 'the module the generated file imports bpfkit from', 'bpfkit')
    .option('--btf <file>', 'target BTF for CO-RE relocations')
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  bpfkit gen types prog.o -o src/prog.bpf.ts',
        '',
        "  import { load } from './prog.bpf.js';",
        "  const { programs, maps } = load('prog.o');",
        '  programs.xdp_main.run({ packet });',
        '  const stats = maps.flows.lookup({ proto: 17, port: 53 });   // FlowStats | undefined',
        '',
        'Exit codes: 0 written, 2 unreadable object or no BTF.',
      ].join('\n'),
    )
    .action((obj: string, opts: GenTypesOptions) =>
      guarded(2, () => {
        const object = loadObjectFile(obj, opts);
        if (object.btfTypes === undefined) throw new ExitError(`${obj}: no BTF to generate types from (compile with clang -g)`, 2);
        const text = generateTypes(object, { importFrom: opts.importFrom, source: obj.split('/').pop() ?? obj });
        if (opts.output === undefined) process.stdout.write(text);
        else {
          try {
            writeFileSync(opts.output, text);
          } catch (e) {
            throw new ExitError(`cannot write ${opts.output}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, 2);
          }
        }
      }),
    );
}
