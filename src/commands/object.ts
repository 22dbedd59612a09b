import { isBpfkitError } from '../errors.js';
import { loadObject, type LoadOptions } from '../loader/load.js';
import type { BpfObject } from '../loader/model.js';
import { ExitError, readBinary } from './common.js';

/**
 * Reads and loads an object file for a command. Anything that makes it unreadable as an eBPF
 * object (missing file, malformed ELF, unsupported feature) exits 2 with a one-line message.
 */
export function loadObjectFile(path: string, options: { btf?: string } = {}): BpfObject {
  const bytes = readBinary(path);
  const load: LoadOptions = {};
  if (options.btf !== undefined) load.targetBtf = readBinary(options.btf);
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
