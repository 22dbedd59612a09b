import type { Command } from 'commander';
import { helperName } from '../helpers/helper-ids.js';
import { formatInstruction } from '../isa/disasm.js';
import { slotOffsets } from '../isa/instruction.js';
import { listProgram } from '../loader/listing.js';
import { guarded } from './common.js';
import { loadObjectFile, requireProgram } from './object.js';

export function registerDisasm(program: Command): void {
  program
    .command('disasm')
    .description('disassemble the linked programs, source lines interleaved (like llvm-objdump -S)')
    .argument('<obj>', 'eBPF object file')
    .option('--program <name>', 'only this program')
    .option('--json', 'print JSON: one entry per instruction with pc, text and source line')
    .option('--btf <file>', 'target BTF for CO-RE relocations')
    .addHelpText('after', '\nExamples:\n  bpfkit disasm prog.o\n  bpfkit disasm prog.o --program xdp_prog\n\nExit codes: 0 ok, 2 unreadable object or unknown program.')
    .action((file: string, opts: { program?: string; json?: boolean; btf?: string }) =>
      guarded(2, () => {
        const obj = loadObjectFile(file, opts);
        if (opts.program !== undefined) requireProgram(obj, opts.program, file);
        const programs = obj.programs.filter((p) => opts.program === undefined || p.name === opts.program);
        if (opts.json) {
          const out = programs.map((p) => {
            const pcs = slotOffsets(p.instructions);
            return {
              name: p.name,
              section: p.section,
              instructions: p.instructions.map((ins, i) => ({
                pc: pcs[i],
                text: formatInstruction(ins, { pc: pcs[i]!, helperName: (id) => (helperName(id) === 'unknown' ? undefined : helperName(id)) }),
                ...(ins.meta?.source ? { source: `${ins.meta.source.file}:${ins.meta.source.line}` } : {}),
              })),
            };
          });
          process.stdout.write(`${JSON.stringify({ programs: out }, null, 2)}\n`);
          return;
        }
        process.stdout.write(programs.map((p) => listProgram(obj, p.name)).join('\n'));
      }),
    );
}
