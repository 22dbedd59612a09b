#!/usr/bin/env node
/**
 * The `bpfkit` command line. Each command lives in `src/commands/` and only parses arguments,
 * reads files and prints; the work is done by the library.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { registerAsm } from './commands/asm.js';
import { errorJson, setDebug, setJsonErrors } from './commands/common.js';
import { registerGen } from './commands/gen.js';
import { loadJitEngine } from './run/engine.js';
import { loadJit } from './run/raw.js';
import { registerBench } from './commands/bench.js';
import { registerDemo } from './commands/demo.js';
import { registerDisasm } from './commands/disasm.js';
import { registerInspect } from './commands/inspect.js';
import { registerPlugin } from './commands/plugin.js';
import { registerRun } from './commands/run.js';
import { registerServe } from './commands/serve.js';
import { registerVerify } from './commands/verify.js';

/** The package's version, read from package.json (dist/src/cli.js → ../../package.json). */
function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

export function buildProgram(options: { json?: boolean } = {}): Command {
  const program = new Command();
  program
    .name('bpfkit')
    .description('Parse, verify and run eBPF objects without a kernel.')
    .version(packageVersion(), '-V, --version', 'print the version')
    // A usage error is one line on stderr (the issue #9 contract), with a pointer to the help
    // rather than the whole help text after it.
    .option('--debug', 'show the stack trace of an internal error (accepted anywhere on the line)')
    .configureOutput({
      outputError: (text, write) => {
        // Under --json a usage error is JSON on stdout like every other outcome.
        if (options.json) process.stdout.write(`${errorJson('USAGE', text.trim().replace(/^error: /, ''))}\n`);
        else write(`${text.trimEnd()} (see bpfkit --help)\n`);
      },
    })
    .exitOverride();
  // One line per command; keep this list in the order `--help` should show.
  registerInspect(program);
  registerDisasm(program);
  registerVerify(program);
  registerRun(program);
  registerBench(program);
  registerAsm(program);
  registerGen(program);
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
  const json = argv.includes('--json');
  setJsonErrors(json);
  // A process asked for the JIT loads it (binaryen, about a second) before any command runs, so
  // synchronous run paths find it ready; every other process never pays for binaryen.
  if (argv.some((a, i) => a === '--engine=jit' || (a === '--engine' && argv[i + 1] === 'jit'))) {
    try {
      await Promise.all([loadJit(), loadJitEngine()]);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      if (json) process.stdout.write(`${errorJson('UNSUPPORTED', message)}\n`);
      else process.stderr.write(`${message}\n`);
      process.exit(2);
    }
  }
  const program = buildProgram({ json });
  try {
    await program.parseAsync(argv.filter((a) => a !== '--debug'));
  } catch (e) {
    if (e instanceof CommanderError) process.exit(e.exitCode === 0 ? 0 : 2);
    throw e;
  }
}

void main(process.argv);
