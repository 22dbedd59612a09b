import type { Command } from 'commander';
import { assemble } from '../isa/asm.js';
import { encodeProgram, toHex } from '../isa/encode.js';
import { guarded, readText } from './common.js';

export function registerAsm(program: Command): void {
  program
    .command('asm')
    .description('assemble uBPF assembler syntax; prints the program as one hex string (little-endian bytes)')
    .argument('<file>', "source file, or '-' for standard input")
    .option('--json', 'print JSON: {"hex", "instructions", "slots"}')
    .addHelpText('after', '\nExample:\n  printf "mov %r0, 1\\nexit\\n" | bpfkit asm -\n\nExit codes: 0 ok, 1 bad assembler input (line N: reason), 2 unreadable file.')
    .action((file: string, opts: { json?: boolean }) =>
      guarded(1, () => {
        const program = assemble(readText(file));
        const hex = toHex(encodeProgram(program));
        const out = opts.json ? JSON.stringify({ hex, instructions: program.length, slots: hex.length / 16 }) : hex;
        process.stdout.write(`${out}\n`);
      }),
    );
}
