import type { FastHelperGroup, HelperGroup } from './group.js';
import { view } from './args.js';

const COMM_LEN = 16;

/** Clocks, the PRNG, the CPU and the current task: values the test controls. */
export const timeTaskHelpers: HelperGroup = (k) => ({
  ktime_get_ns: () => k.clock.monotonic(),
  ktime_get_boot_ns: () => k.clock.boot(),
  ktime_get_coarse_ns: () => k.clock.coarse(),
  ktime_get_tai_ns: () => k.clock.tai(),
  jiffies64: () => k.clock.jiffies(),
  get_prandom_u32: () => BigInt(k.random.nextU32()),
  get_smp_processor_id: () => BigInt(k.cpu),
  get_numa_node_id: () => 0n,
  get_current_pid_tgid: () => (BigInt(k.task.tgid >>> 0) << 32n) | BigInt(k.task.pid >>> 0),
  get_current_uid_gid: () => (BigInt(k.task.gid >>> 0) << 32n) | BigInt(k.task.uid >>> 0),
  get_current_comm: (_rt, buf, size) => {
    // strscpy_pad: at most size-1 bytes of the name, then NUL padding.
    const n = Number(BigInt.asUintN(32, size));
    const out = view(k.memory, buf, n, true);
    out.fill(0);
    const name = new TextEncoder().encode(k.task.comm).subarray(0, Math.min(COMM_LEN - 1, Math.max(n - 1, 0)));
    out.set(name);
    return 0n;
  },
});

/** Above it a clock reading stays a BigInt: a number would not hold it exactly. */
const MAX_EXACT = BigInt(Number.MAX_SAFE_INTEGER);

/** Fast paths (FastHelperFn) of the per-packet readings: numbers, no BigInt made for them. */
export const timeTaskFastHelpers: FastHelperGroup = (k) => ({
  ktime_get_ns: () => {
    const t = k.clock.monotonic();
    return t <= MAX_EXACT ? Number(t) : t;
  },
  get_prandom_u32: () => k.random.nextU32(),
  get_smp_processor_id: () => k.cpu,
});
