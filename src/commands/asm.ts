import type { Command } from 'commander';
import { assembleBytes } from '../isa/asm.js';
import { toHex } from '../isa/encode.js';
import { guarded, readText } from './common.js';

export function registerAsm(program: Command): void {
  program
    .command('asm')
    .description('assemble uBPF assembler syntax; prints the program as one hex string (little-endian bytes)')
    .argument('<file>', "source file, or '-' for standard input")
    .addHelpText('after', '\nExample:\n  printf "mov %r0, 1\\nexit\\n" | bpfkit asm -\n\nExit codes: 0 ok, 1 bad assembler input (line N: reason), 2 unreadable file.')
    .action((file: string) =>
      guarded(1, () => {
        process.stdout.write(`${toHex(assembleBytes(readText(file)))}\n`);
      }),
    );
}
