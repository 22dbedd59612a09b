#!/usr/bin/env node
/**
 * The `bpfkit` command line. It parses arguments, reads files and prints; every piece of work is
 * done by the library.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { isBpfkitError } from './errors.js';
import { assembleBytes } from './isa/asm.js';
import { fromHex, toHex } from './isa/encode.js';
import { runRaw, type EngineName } from './run/raw.js';

/** An error that carries the exit code the CLI must use. */
class ExitError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

function readInput(file: string): string {
  try {
    return file === '-' ? readFileSync(0, 'utf8') : readFileSync(file, 'utf8');
  } catch (e) {
    throw new ExitError(`cannot read ${file === '-' ? 'standard input' : file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, 2);
  }
}

/** Runs `work`, mapping bpfkit's errors to a one-line message and `code`. */
function guarded(code: number, work: () => void): void {
  try {
    work();
  } catch (e) {
    if (e instanceof ExitError) fail(e.message, e.exitCode);
    if (isBpfkitError(e)) fail(e.message, code);
    throw e;
  }
}

function fail(message: string, code: number): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

const engineOption = () =>
  new Option('--engine <engine>', 'execution engine').choices(['interp', 'jit']).default('interp');

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('bpfkit')
    .description('Parse, verify and run eBPF objects without a kernel.')
    .showHelpAfterError()
    .exitOverride();

  program
    .command('asm')
    .description('assemble uBPF assembler syntax; prints the program as one hex string (little-endian bytes)')
    .argument('<file>', "source file, or '-' for standard input")
    .addHelpText('after', '\nExample:\n  echo "mov %r0, 1\\nexit" | bpfkit asm -')
    .action((file: string) =>
      guarded(1, () => {
        process.stdout.write(`${toHex(assembleBytes(readInput(file)))}\n`);
      }),
    );

  program
    .command('plugin')
    .description('bpf_conformance plugin: program hex on stdin, memory hex as argument; prints r0 in hex')
    .argument('[memory]', 'memory as a hex string (r1 points at a copy, r2 holds its length)')
    .addOption(engineOption())
    .allowUnknownOption(true)
    .action((memory: string | undefined, opts: { engine: EngineName }) =>
      guarded(1, () => {
        let code: Uint8Array;
        let mem: Uint8Array | undefined;
        try {
          code = fromHex(readInput('-'));
          mem = memory !== undefined && memory !== '' ? fromHex(memory) : undefined;
        } catch (e) {
          throw new ExitError(`bad hex input: ${(e as Error).message}`, 1);
        }
        const { r0 } = runRaw(code, mem, { engine: opts.engine });
        process.stdout.write(`${r0.toString(16)}\n`);
      }),
    );

  return program;
}

function main(argv: string[]): void {
  const program = buildProgram();
  try {
    program.parse(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      // Commander already printed its message; help and version are not errors.
      process.exit(e.exitCode === 0 ? 0 : 2);
    }
    throw e;
  }
}

main(process.argv);
