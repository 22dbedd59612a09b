/**
 * bpfkit's Node entry: the whole public API, plus loading objects from a file path.
 * @packageDocumentation
 */
import { readFileSync, statSync } from 'node:fs';
import type { Btf } from './btf/btf.js';
import { cachedKernelBtf, kernelBtf } from './btf/kernel-btf.js';
import { parseTargetBtf } from './loader/load.js';
import { loadObject as loadFromBytes, type BpfkitObject, type LoadObjectOptions } from './api/object.js';
import { BpfkitError, ErrorCode } from './errors.js';

export * from './index.js';

/** {@link LoadObjectOptions}, where the kernel BTF may also be a file path (e.g. `/sys/kernel/btf/vmlinux`). */
export type NodeLoadObjectOptions = Omit<LoadObjectOptions, 'btf'> & { btf?: LoadObjectOptions['btf'] | string };

function readOrThrow(path: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    throw new BpfkitError(ErrorCode.Usage, `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
}

/** Kernel BTF from a file, opened once per process (by path, size and modification time). */
function btfFromPath(path: string): Btf {
  let key = path;
  try {
    const st = statSync(path);
    key = `${path}\u0000${st.size}\u0000${st.mtimeMs}`;
  } catch {
    // readOrThrow reports it.
  }
  const cached = cachedKernelBtf(key);
  if (cached !== undefined) return cached;
  const bytes = readOrThrow(path);
  return bytes[0] === 0x7f && bytes[1] === 0x45 ? parseTargetBtf(bytes) : kernelBtf(bytes, key);
}

/**
 * Loads an eBPF object from its bytes or from a file path into a fresh simulated kernel; `btf`
 * may be a path too. A missing file throws a BpfkitError (code USAGE); a malformed object one
 * with code BAD_INPUT.
 */
export function loadObject(input: Uint8Array | string, options: NodeLoadObjectOptions = {}): BpfkitObject {
  const { btf, ...rest } = options;
  const opts: LoadObjectOptions = { ...rest };
  if (btf !== undefined) opts.btf = typeof btf === 'string' ? btfFromPath(btf) : btf;
  return loadFromBytes(typeof input === 'string' ? readOrThrow(input) : input, opts);
}
