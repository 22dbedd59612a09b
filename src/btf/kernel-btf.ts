import { parseBtfLazy, type LazyBtf } from './lazy.js';

/** Where the running kernel publishes its BTF (CONFIG_DEBUG_INFO_BTF). */
export const RUNNING_KERNEL_BTF = '/sys/kernel/btf/vmlinux';

const byBytes = new WeakMap<Uint8Array, LazyBtf>();
const byKey = new Map<string, LazyBtf>();

/**
 * Kernel BTF opened once per process: the same bytes (or the same file, by a key the caller
 * builds from its path, size and mtime) give the same {@link LazyBtf}, so a batch of objects
 * verified against one kernel BTF decodes and indexes it once.
 */
export function kernelBtf(bytes: Uint8Array, key?: string): LazyBtf {
  if (key !== undefined) {
    const k = byKey.get(key);
    if (k !== undefined) return k;
  }
  let btf = byBytes.get(bytes);
  if (btf === undefined) {
    btf = parseBtfLazy(bytes);
    byBytes.set(bytes, btf);
  }
  if (key !== undefined) byKey.set(key, btf);
  return btf;
}

/** True when a key was opened before (the caller then need not read the file again). */
export function cachedKernelBtf(key: string): LazyBtf | undefined {
  return byKey.get(key);
}
