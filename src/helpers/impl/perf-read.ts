import { Errno } from '../errno.js';
import { FaultSignal } from '../fault.js';
import { PerfEventArray, type PerfCounter } from '../maps/perf-event.js';
import type { KernelState } from '../kernel/state.js';
import { copyOut, u32, zeroOut } from './args.js';
import type { HelperGroup } from './group.js';

const BPF_F_INDEX_MASK = 0xffffffffn;
const BPF_F_CURRENT_CPU = 0xffffffffn;
/** sizeof(struct bpf_perf_event_value). */
const PERF_VALUE_SIZE = 24;

/** The counter bpf_perf_event_read(_value) reads, or a negative errno (kernel/trace/bpf_trace.c). */
function readCounter(k: KernelState, m: bigint, flags: bigint, name: string): PerfCounter | number {
  const map = k.mapArg(m, name);
  if (!(map instanceof PerfEventArray)) throw new FaultSignal('helper', `${name}: map '${map.name}' is a ${map.typeName} map, not a perf_event_array`);
  const f = BigInt.asUintN(64, flags);
  if (f & ~BPF_F_INDEX_MASK) return -Errno.EINVAL;
  const index = f === BPF_F_CURRENT_CPU ? k.cpu : Number(f);
  if (index >= map.maxEntries) return -Errno.E2BIG;
  return map.counter(index) ?? -Errno.ENOENT;
}

/**
 * bpf_perf_event_read and bpf_perf_event_read_value on the counters a test places in a perf event
 * array (PerfEventArray.setCounter): -ENOENT for an empty slot (the kernel's answer without an
 * opened event), -E2BIG past the array, -EINVAL for flags beyond the index. read_value fills
 * struct bpf_perf_event_value { counter, enabled, running } and zeroes it on failure.
 */
export const perfReadHelpers: HelperGroup = (k) => ({
  perf_event_read: (_rt, m, flags) => {
    const c = readCounter(k, m, flags, 'bpf_perf_event_read');
    return typeof c === 'number' ? BigInt(c) : BigInt.asUintN(64, c.counter);
  },
  perf_event_read_value: (_rt, m, flags, buf, size) => {
    const n = u32(size);
    if (n !== PERF_VALUE_SIZE) {
      zeroOut(k.memory, buf, n);
      return BigInt(-Errno.EINVAL);
    }
    const c = readCounter(k, m, flags, 'bpf_perf_event_read_value');
    if (typeof c === 'number') {
      zeroOut(k.memory, buf, n);
      return BigInt(c);
    }
    const out = new Uint8Array(PERF_VALUE_SIZE);
    const dv = new DataView(out.buffer);
    dv.setBigUint64(0, BigInt.asUintN(64, c.counter), true);
    dv.setBigUint64(8, BigInt.asUintN(64, c.enabled), true);
    dv.setBigUint64(16, BigInt.asUintN(64, c.running), true);
    copyOut(k.memory, buf, out);
    return 0n;
  },
});
