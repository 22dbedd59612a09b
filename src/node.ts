/**
 * bpfkit's Node entry: the whole public API, plus loading objects from a file path.
 * @packageDocumentation
 */
import { readFileSync } from 'node:fs';
import { loadObject as loadFromBytes, type BpfkitObject, type LoadObjectOptions } from './api/object.js';
import { BpfkitError, ErrorCode } from './errors.js';

export * from './index.js';

/**
 * Loads an eBPF object from its bytes or from a file path into a fresh simulated kernel.
 * A missing file throws a BpfkitError (code USAGE); a malformed object one with code BAD_INPUT.
 */
export function loadObject(input: Uint8Array | string, options: LoadObjectOptions = {}): BpfkitObject {
  if (typeof input !== 'string') return loadFromBytes(input, options);
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(input));
  } catch (e) {
    throw new BpfkitError(ErrorCode.Usage, `cannot read ${input}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  return loadFromBytes(bytes, options);
}
