#!/usr/bin/env node
/**
 * The `bpfkit` command line. Each command lives in `src/commands/` and only parses arguments,
 * reads files and prints; the work is done by the library.
 */
import { Command, CommanderError } from 'commander';
import { registerAsm } from './commands/asm.js';
import { setDebug } from './commands/common.js';
import { registerBench } from './commands/bench.js';
import { registerDemo } from './commands/demo.js';
import { registerDisasm } from './commands/disasm.js';
import { registerInspect } from './commands/inspect.js';
import { registerPlugin } from './commands/plugin.js';
import { registerRun } from './commands/run.js';
import { registerServe } from './commands/serve.js';
import { registerVerify } from './commands/verify.js';

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('bpfkit')
    .description('Parse, verify and run eBPF objects without a kernel.')
    // A usage error is one line on stderr (the issue #9 contract), with a pointer to the help
    // rather than the whole help text after it.
    .option('--debug', 'show the stack trace of an internal error (accepted anywhere on the line)')
    .configureOutput({ outputError: (text, write) => write(`${text.trimEnd()} (see bpfkit --help)\n`) })
    .exitOverride();
  // One line per command; keep this list in the order `--help` should show.
  registerInspect(program);
  registerDisasm(program);
  registerVerify(program);
  registerRun(program);
  registerBench(program);
  registerAsm(program);
  registerDemo(program);
  registerPlugin(program);
  registerServe(program);
  return program;
}

// `bpfkit ... | head` closes the pipe early: that is not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

async function main(argv: string[]): Promise<void> {
  // `--debug` is accepted anywhere (before or after the command), so it is taken out before parsing.
  setDebug(argv.includes('--debug'));
  const program = buildProgram();
  try {
    await program.parseAsync(argv.filter((a) => a !== '--debug'));
  } catch (e) {
    if (e instanceof CommanderError) process.exit(e.exitCode === 0 ? 0 : 2);
    throw e;
  }
}

void main(process.argv);
