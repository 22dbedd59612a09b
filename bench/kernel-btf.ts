/**
 * Verification with and without the kernel's BTF (issue 16, part 3): every tracing fixture
 * (fixtures/tracing/build/*.o) verified `--rounds` times as one batch, once loaded plainly (the
 * object's own BTF: CO-RE left as compiled, BTF-typed arguments unknown) and once against the
 * kernel BTF (default /sys/kernel/btf/vmlinux, else the fixture's), which is opened once per
 * process. Prints wall time of each batch, the ratio, and the heap and RSS after each.
 * Not a test: `node dist/bench/kernel-btf.js [--btf FILE] [--rounds N]`.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cachedKernelBtf, kernelBtf } from '../src/btf/kernel-btf.js';
import type { LazyBtf } from '../src/btf/lazy.js';
import { loadObject } from '../src/loader/load.js';
import { verifyObject } from '../src/verifier/index.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const args = process.argv.slice(2);
const opt = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const btfPath = opt('--btf') ?? (existsSync('/sys/kernel/btf/vmlinux') ? '/sys/kernel/btf/vmlinux' : join(repo, 'fixtures/tracing/build/kernel.btf'));
const rounds = Number(opt('--rounds') ?? '5');
const dir = join(repo, 'fixtures/tracing/build');
const objects = readdirSync(dir)
  .filter((f) => f.endsWith('.o'))
  .map((f) => ({ name: f, bytes: new Uint8Array(readFileSync(join(dir, f))) }));

const mb = (n: number): string => `${(n / 1e6).toFixed(1)} MB`;
const gc = (globalThis as { gc?: () => void }).gc;

function batch(withBtf: boolean): { ms: number; programs: number; accepted: number; failed: number } {
  let programs = 0;
  let accepted = 0;
  let failed = 0;
  const t0 = performance.now();
  for (let r = 0; r < rounds; r++) {
    for (const o of objects) {
      try {
        // as the CLI does: the file is read and opened once per process (by path, size and mtime)
        const btf = withBtf ? (cachedKernelBtf(btfPath) ?? kernelBtf(new Uint8Array(readFileSync(btfPath)), btfPath)) : undefined;
        const obj = loadObject(o.bytes, btf ? { btf } : {});
        const rep = verifyObject(obj);
        programs += rep.programs.length;
        accepted += rep.programs.filter((p) => p.accepted).length;
      } catch {
        failed++;
      }
    }
  }
  return { ms: performance.now() - t0, programs: programs / rounds, accepted: accepted / rounds, failed: failed / rounds };
}

// warm up both paths (JIT of the verifier itself), then measure
batch(false);
gc?.();
const plain = batch(false);
gc?.();
const plainHeap = process.memoryUsage();
const first = performance.now();
const btf = kernelBtf(new Uint8Array(readFileSync(btfPath)), btfPath) as LazyBtf;
const openMs = performance.now() - first;
const withBtf = batch(true);
gc?.();
const btfHeap = process.memoryUsage();
console.log(`objects: ${objects.length}, rounds: ${rounds}, kernel BTF: ${btfPath} (${btf.length} types, opened in ${openMs.toFixed(0)} ms, ${btf.decodedCount} decoded after the batches)`);
console.log(`plain:     ${plain.ms.toFixed(0)} ms for ${rounds} batches (${plain.programs} programs, ${plain.accepted} accepted, ${plain.failed} objects not loaded); heap ${mb(plainHeap.heapUsed)}, rss ${mb(plainHeap.rss)}`);
console.log(`with BTF:  ${withBtf.ms.toFixed(0)} ms for ${rounds} batches (${withBtf.programs} programs, ${withBtf.accepted} accepted, ${withBtf.failed} objects not loaded); heap ${mb(btfHeap.heapUsed)}, rss ${mb(btfHeap.rss)}`);
console.log(`ratio (with BTF, opening included / plain): ${((withBtf.ms + openMs) / plain.ms).toFixed(2)}x`);
