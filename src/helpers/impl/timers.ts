import { FUNC_POINTER_BASE } from '../abi.js';
import { Errno } from '../errno.js';
import { FaultSignal } from '../fault.js';
import { lowAddress } from './args.js';
import type { HelperGroup } from './group.js';

const CLOCK_REALTIME = 0;
const CLOCK_MONOTONIC = 1;
const CLOCK_BOOTTIME = 7;
const BPF_F_TIMER_ABS = 1n;
const BPF_F_TIMER_CPU_PIN = 2n;
const EDEADLK = 35;

/**
 * bpf_timer_* on the simulated clock (kernel/bpf/helpers.c semantics and errors): init once per
 * timer (-EBUSY after), a callback before a start (-EINVAL), start relative to CLOCK_MONOTONIC or
 * absolute (BPF_F_TIMER_ABS), cancel answers 1 when it stopped a started timer and -EDEADLK from
 * the timer's own callback, and drops the callback (set it again before a new start). Callbacks run when the test advances time (src/run/timers.ts).
 */
export const timerHelpers: HelperGroup = (k) => {
  const timer = (ptr: bigint, name: string) => {
    const a = lowAddress(ptr);
    if (a <= 0) throw new FaultSignal('helper', `${name}: 0x${BigInt.asUintN(64, ptr).toString(16)} is not a struct bpf_timer`);
    return { address: a, t: k.timers.get(a) };
  };
  return {
    timer_init: (_rt, ptr, m, flags) => {
      const map = k.mapArg(m, 'bpf_timer_init');
      const { address, t } = timer(ptr, 'bpf_timer_init');
      const clock = Number(BigInt.asUintN(64, flags));
      if (clock !== CLOCK_REALTIME && clock !== CLOCK_MONOTONIC && clock !== CLOCK_BOOTTIME) return BigInt(-Errno.EINVAL);
      if (t !== undefined) return BigInt(-Errno.EBUSY);
      const region = k.memory.regionAt(address);
      let value = address;
      if (region !== undefined && region.stride > 0) value = region.start + Math.floor((address - region.start) / region.stride) * region.stride;
      k.timers.add({ address, map: map.index, value, clock });
      return 0n;
    },
    timer_set_callback: (_rt, ptr, fn) => {
      const { t } = timer(ptr, 'bpf_timer_set_callback');
      if (t === undefined) return BigInt(-Errno.EINVAL);
      const v = BigInt.asUintN(64, fn);
      if (v < BigInt(FUNC_POINTER_BASE) || v > 0xffffffffn) throw new FaultSignal('helper', 'bpf_timer_set_callback: not a pointer to a bpf function');
      t.program = k.run.program;
      t.slot = Number(v) - FUNC_POINTER_BASE - k.run.slotBias;
      return 0n;
    },
    timer_start: (_rt, ptr, nsecs, flags) => {
      const { t } = timer(ptr, 'bpf_timer_start');
      const f = BigInt.asUintN(64, flags);
      if (t === undefined || t.slot === undefined) return BigInt(-Errno.EINVAL);
      if (f & ~(BPF_F_TIMER_ABS | BPF_F_TIMER_CPU_PIN)) return BigInt(-Errno.EINVAL);
      const ns = BigInt.asUintN(64, nsecs);
      t.expires = f & BPF_F_TIMER_ABS ? ns : k.clock.now() + ns;
      return 0n;
    },
    timer_cancel: (_rt, ptr) => {
      const { address, t } = timer(ptr, 'bpf_timer_cancel');
      if (t === undefined) return BigInt(-Errno.EINVAL);
      if (k.run.inTimer === address) return BigInt(-EDEADLK);
      const active = t.expires !== undefined;
      t.expires = undefined;
      // The kernel drops the callback's program with the cancel (recorded: a start after it is -EINVAL).
      t.program = undefined;
      t.slot = undefined;
      return active ? 1n : 0n;
    },
  };
};

