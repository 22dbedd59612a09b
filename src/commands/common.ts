import { readFileSync } from 'node:fs';
import { Option } from 'commander';
import { ErrorCode, isBpfkitError } from '../errors.js';

/**
 * An error that carries the exit code the CLI must use (0 ok, 1 rejected/fault, 2 bad input/usage)
 * and, for `--json`, a stable code (a {@link ErrorCode} value; by default USAGE for exit 2).
 */
export class ExitError extends Error {
  readonly code: string;
  constructor(
    message: string,
    readonly exitCode: number,
    code?: string,
  ) {
    super(message);
    this.code = code ?? (exitCode === 2 ? ErrorCode.Usage : 'FAILED');
  }
}

/** Reads a text file or standard input (`-`); a missing file is a usage error (exit 2). */
export function readText(file: string): string {
  return readBytesOrExit(file, (p) => readFileSync(p, 'utf8'));
}

/** Reads a binary file; a missing file is a usage error (exit 2). */
export function readBinary(file: string): Uint8Array {
  return readBytesOrExit(file, (p) => new Uint8Array(readFileSync(p)));
}

function readBytesOrExit<T>(file: string, read: (p: string | number) => T): T {
  try {
    return read(file === '-' ? 0 : file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const what = file === '-' ? 'standard input' : file;
    throw new ExitError(`cannot read ${what}: ${code === 'ENOENT' ? 'no such file' : (code ?? String(e))}`, 2);
  }
}

/** Set by `--debug` (anywhere on the command line): internal errors keep their stack trace. */
let debug = false;
export function setDebug(on: boolean): void {
  debug = on;
}

/** Set by `--json` (anywhere on the command line): every outcome is JSON, errors included. */
let json = false;
export function setJsonErrors(on: boolean): void {
  json = on;
}
export function jsonErrors(): boolean {
  return json;
}

/** The one line an error is under `--json`: `{"error":{"code","message"}}`. */
export function errorJson(code: string, message: string): string {
  return JSON.stringify({ error: { code, message } });
}

/**
 * Runs a command's work, turning bpfkit's own errors into a one-line message on stderr and the
 * exit code `code`. Anything else is a bug: one line saying so (exit 1), or, with `--debug`, the
 * error rethrown with its stack trace — users never see a stack trace unless they ask.
 */
export function guarded(code: number, work: () => void | Promise<void>): void | Promise<void> {
  const onError = (e: unknown): never => {
    if (e instanceof ExitError) fail(e.message, e.exitCode, e.code);
    if (isBpfkitError(e)) fail(e.message, code, e.code);
    if (debug) throw e;
    const what = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    fail(`internal error (a bpfkit bug): ${what.split('\n')[0]} (--debug shows the stack trace)`, 1, 'INTERNAL');
  };
  try {
    const r = work();
    if (r instanceof Promise) return r.catch(onError);
    return r;
  } catch (e) {
    return onError(e);
  }
}

/**
 * Reports a failure and exits with `code`: one line on stderr, or under `--json` one JSON line on
 * stdout (`errorCode` is then its `code`), so scripts parse every outcome the same way.
 */
export function fail(message: string, code: number, errorCode?: string): never {
  if (json) process.stdout.write(`${errorJson(errorCode ?? (code === 2 ? ErrorCode.Usage : 'FAILED'), message)}\n`);
  else process.stderr.write(`${message}\n`);
  process.exit(code);
}

export const engineOption = (): Option =>
  new Option('--engine <engine>', 'execution engine').choices(['interp', 'jit']).default('interp');

/** BTF values as JSON: 64-bit integers as numbers while exact, else as decimal strings. */
export function jsonSafe(v: unknown): unknown {
  return JSON.parse(JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? (Number.isSafeInteger(Number(x)) ? Number(x) : x.toString()) : x)));
}
