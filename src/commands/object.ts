import { existsSync, statSync } from 'node:fs';
import type { Command } from 'commander';
import type { Btf } from '../btf/btf.js';
import { attachKindOf } from '../btf/attach.js';
import { cachedKernelBtf, kernelBtf, RUNNING_KERNEL_BTF } from '../btf/kernel-btf.js';
import { parseElf } from '../elf/file.js';
import { isBpfkitError } from '../errors.js';
import { loadObject, parseTargetBtf, type LoadOptions } from '../loader/load.js';
import type { BpfObject, ProgramDef } from '../loader/model.js';
import { ExitError, readBinary, readText } from './common.js';

/** The options every command that loads an object shares. */
export interface ObjectFileOptions {
  btf?: string;
  /** `--type TYPE` / `--type PROGRAM=TYPE`, as given (repeatable). */
  type?: string[];
  kconfig?: string;
}

const collect = (v: string, prev: string[] | undefined): string[] => [...(prev ?? []), v];

/** Adds `--type` and `--kconfig` to a command that loads an object. */
export function loaderOptions(command: Command): Command {
  return command
    .option(
      '--type <TYPE|PROGRAM=TYPE>',
      "program type where the section names none: TYPE for every such program, PROGRAM=TYPE for one (repeatable); TYPE is the kernel's name without BPF_PROG_TYPE_, lowercased (xdp, sched_cls, socket_filter, kprobe, cgroup_sock, lwt_out, ...)",
      collect,
    )
    .option('--kconfig <file>', 'kernel config for .kconfig externs (CONFIG_X=y lines, as /proc/config.gz holds)');
}

/** `--type` values as the loader takes them: `{ PROGRAM: TYPE, '*': TYPE }`. */
export function parseTypeOptions(values: readonly string[] | undefined): Record<string, string> | undefined {
  if (values === undefined || values.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    const [prog, type] = eq < 0 ? ['*', v] : [v.slice(0, eq), v.slice(eq + 1)];
    if (prog === '' || type === '') throw new ExitError(`--type ${v}: expected TYPE or PROGRAM=TYPE`, 2);
    if (out[prog] !== undefined && out[prog] !== type) {
      throw new ExitError(`--type ${v}: ${prog === '*' ? 'a default type' : `program '${prog}'`} already has type ${out[prog]}`, 2);
    }
    out[prog] = type;
  }
  return out;
}

let saidRunningKernel = false;

/**
 * Kernel BTF for `--btf FILE`, opened once per process (a batch verifies every object against
 * one copy). `--btf none` turns the running kernel's default off.
 */
function btfFile(path: string): Btf {
  let key: string | undefined;
  try {
    const st = statSync(path);
    key = `${path}\u0000${st.size}\u0000${st.mtimeMs}`;
  } catch {
    // readBinary below reports the missing file.
  }
  const cached = key !== undefined ? cachedKernelBtf(key) : undefined;
  if (cached !== undefined) return cached;
  const bytes = readBinary(path);
  try {
    const isElf = bytes[0] === 0x7f && bytes[1] === 0x45;
    return isElf ? parseTargetBtf(bytes) : kernelBtf(bytes, key);
  } catch (e) {
    if (isBpfkitError(e)) throw new ExitError(`--btf ${path}: ${e.message}`, 2);
    throw e;
  }
}

/** Objects whose programs attach by kernel BTF (tp_btf, fentry, lsm, iter, struct_ops members...) or call kfuncs need the kernel's BTF. */
function needsKernelBtf(bytes: Uint8Array): boolean {
  try {
    const elf = parseElf(bytes);
    return elf.sections.some((s) => {
      const kind = attachKindOf(s.name);
      return (kind !== undefined && kind !== 'raw_tp' && s.name.includes('/')) || s.name === '.ksyms' || s.name === '.struct_ops' || s.name === '.struct_ops.link';
    });
  } catch {
    return false;
  }
}

/** In a `verify --jobs` worker the note is the main thread's to print: the worker only records it. */
let noteSilently = false;
export const silenceRunningKernelNote = (): void => {
  noteSilently = true;
};
/** True once an object was loaded with the running kernel's BTF (what the note says). */
export const usedRunningKernelBtf = (): boolean => saidRunningKernel;

/** Says once, when the command ends, that the running kernel's BTF was used. */
export function noteRunningKernelBtf(): void {
  if (saidRunningKernel) return;
  saidRunningKernel = true;
  if (noteSilently) return;
  // Said when the command ends: an error stays the one line it must be (exit 2).
  process.once('exit', (code) => {
    if (code !== 2 && process.exitCode !== 2) process.stderr.write(`note: used the running kernel's BTF, ${RUNNING_KERNEL_BTF} (--btf FILE for another, --btf none for none)\n`);
  });
}

/**
 * Reads and loads an object file for a command. Anything that makes it unreadable as an eBPF
 * object (missing file, malformed ELF, unsupported feature, a bad --type) exits 2 with a
 * one-line message.
 */
export function loadObjectFile(path: string, options: ObjectFileOptions = {}): BpfObject {
  const bytes = readBinary(path);
  const load: LoadOptions = {};
  // Without --btf, an object that needs kernel BTF gets the running kernel's when the machine has
  // one (saying so on stderr, once); --btf none (or BPFKIT_KERNEL_BTF=none) turns that off.
  const choice = options.btf ?? process.env.BPFKIT_KERNEL_BTF;
  if (choice !== undefined && choice !== 'none') load.btf = btfFile(choice);
  else if (choice === undefined && needsKernelBtf(bytes) && existsSync(RUNNING_KERNEL_BTF)) {
    noteRunningKernelBtf();
    load.btf = btfFile(RUNNING_KERNEL_BTF);
  }
  const types = parseTypeOptions(options.type);
  if (types !== undefined) load.types = types;
  if (options.kconfig !== undefined) load.kconfig = readText(options.kconfig);
  try {
    return loadObject(bytes, load);
  } catch (e) {
    if (isBpfkitError(e)) throw new ExitError(`${path}: ${e.message}`, 2, e.code);
    throw e;
  }
}

/** The program named `name`, or exit 2 listing the programs there are. */
export function requireProgram(obj: BpfObject, name: string, path: string): void {
  if (!obj.programs.some((p) => p.name === name)) {
    const names = obj.programs.map((p) => p.name).join(', ') || 'none';
    throw new ExitError(`${path}: no program named '${name}' (programs: ${names})`, 2);
  }
}

/** The program named `name`, which must be one the loader could prepare (exit 2 saying why not). */
export function requireRunnable(obj: BpfObject, name: string, path: string): ProgramDef {
  requireProgram(obj, name, path);
  const p = obj.programs.find((q) => q.name === name)!;
  if (p.notVerifiable !== undefined) throw new ExitError(`${path}: program '${name}' not verified: ${p.notVerifiable}`, 2);
  return p;
}

/** An object without programs is never a pass: exit 2 saying so. */
export function requirePrograms(obj: BpfObject, path: string): void {
  if (obj.programs.length === 0) throw new ExitError(`${path}: no program found (no code section with instructions)`, 2);
}
