import { existsSync, statSync } from 'node:fs';
import type { Btf } from '../btf/btf.js';
import { attachKindOf } from '../btf/attach.js';
import { cachedKernelBtf, kernelBtf, RUNNING_KERNEL_BTF } from '../btf/kernel-btf.js';
import { parseElf } from '../elf/file.js';
import { isBpfkitError } from '../errors.js';
import { loadObject, parseTargetBtf, type LoadOptions } from '../loader/load.js';
import type { BpfObject } from '../loader/model.js';
import { ExitError, readBinary } from './common.js';

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

/** Objects whose programs attach by kernel BTF (tp_btf, fentry, lsm, iter...) or call kfuncs need the kernel's BTF. */
function needsKernelBtf(bytes: Uint8Array): boolean {
  try {
    const elf = parseElf(bytes);
    return elf.sections.some((s) => {
      const kind = attachKindOf(s.name);
      return (kind !== undefined && kind !== 'raw_tp' && s.name.includes('/')) || s.name === '.ksyms';
    });
  } catch {
    return false;
  }
}

/**
 * Reads and loads an object file for a command. Anything that makes it unreadable as an eBPF
 * object (missing file, malformed ELF, unsupported feature) exits 2 with a one-line message.
 * Without `--btf`, an object that needs kernel BTF gets the running kernel's when the machine
 * has one (saying so on stderr, once); `--btf none` (or BPFKIT_KERNEL_BTF=none) turns that off.
 */
export function loadObjectFile(path: string, options: { btf?: string } = {}): BpfObject {
  const bytes = readBinary(path);
  const load: LoadOptions = {};
  const choice = options.btf ?? process.env.BPFKIT_KERNEL_BTF;
  if (choice !== undefined && choice !== 'none') load.btf = btfFile(choice);
  else if (choice === undefined && needsKernelBtf(bytes) && existsSync(RUNNING_KERNEL_BTF)) {
    if (!saidRunningKernel) {
      process.stderr.write(`note: using the running kernel's BTF, ${RUNNING_KERNEL_BTF} (--btf FILE for another, --btf none for none)\n`);
      saidRunningKernel = true;
    }
    load.btf = btfFile(RUNNING_KERNEL_BTF);
  }
  try {
    return loadObject(bytes, load);
  } catch (e) {
    if (isBpfkitError(e)) throw new ExitError(`${path}: ${e.message}`, 2);
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
