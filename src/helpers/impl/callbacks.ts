import { FUNC_POINTER_BASE, mapHandle } from '../abi.js';
import { Errno } from '../errno.js';
import { FaultSignal } from '../fault.js';
import type { HelperGroup } from './group.js';
import { u32 } from './args.js';

/** Loop indexes as BigInts made once: most loops are short, and each iteration passes one. */
const INDEX: readonly bigint[] = Array.from({ length: 1024 }, (_, i) => BigInt(i));

/** BPF_MAX_LOOPS: bpf_loop runs at most 8M iterations. */
export const BPF_MAX_LOOPS = 1 << 23;

export function slotOf(fn: bigint, helper: string): number {
  // Number() is exact in this range and rounds nothing else into it: no BigInt made per call.
  const n = Number(fn);
  if (n >= FUNC_POINTER_BASE && n <= 0xffffffff) return n - FUNC_POINTER_BASE;
  const v = BigInt.asUintN(64, fn);
  if (v >= BigInt(FUNC_POINTER_BASE) && v <= 0xffffffffn) return Number(v) - FUNC_POINTER_BASE;
  throw new FaultSignal('helper', `${helper}: 0x${v.toString(16)} is not a pointer to a bpf function`);
}

/**
 * bpf_loop and bpf_for_each_map_elem: the callback runs as a bpf function in its own frame and
 * shares the run's instruction budget; returning 1 stops the iteration. Both return how many
 * times the callback ran.
 *
 * The kernel inlines bpf_loop when its flags are 0, and the inlined code returns -E2BIG for too
 * many loops as a 32-bit value (0x00000000fffffff9); the helper proper (flags != 0) returns the
 * 64-bit -EINVAL. bpfkit gives the same two answers.
 */
export const callbackHelpers: HelperGroup = (k) => ({
  loop: (rt, nrLoops, fn, ctx, flags) => {
    if (flags !== 0n) return BigInt(-Errno.EINVAL);
    const n = u32(nrLoops);
    if (n > BPF_MAX_LOOPS) return BigInt(-Errno.E2BIG >>> 0);
    const slot = slotOf(fn, 'bpf_loop');
    let i = 0;
    // One argument list for every iteration: engines copy it into the callee's registers.
    const args = [0n, ctx];
    while (i < n) {
      args[0] = i < INDEX.length ? INDEX[i]! : BigInt(i);
      const r = rt.callFunction(slot, args);
      i++;
      if (r !== 0n) break;
    }
    return BigInt(i);
  },
  for_each_map_elem: (rt, m, fn, ctx, flags) => {
    const map = k.mapArg(m, 'bpf_for_each_map_elem');
    if (flags !== 0n) return BigInt(-Errno.EINVAL);
    if (map.forEach === undefined) {
      throw new FaultSignal('helper', `bpf_for_each_map_elem: map '${map.name}' (${map.typeName}) cannot be iterated`);
    }
    const slot = slotOf(fn, 'bpf_for_each_map_elem');
    const handle = BigInt(mapHandle(map.index));
    const args = [handle, 0n, 0n, ctx];
    return BigInt(
      map.forEach(k.cpu, (key, value) => {
        args[1] = BigInt(key);
        args[2] = BigInt(value);
        return rt.callFunction(slot, args) !== 0n;
      }),
    );
  },
});
