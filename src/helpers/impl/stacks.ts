import { Errno } from '../errno.js';
import { FaultSignal } from '../fault.js';
import { BPF_F_USER_STACK, maxDepth, StackTraceMap } from '../maps/stack-trace.js';
import { u32, view } from './args.js';
import type { HelperGroup } from './group.js';

const SKIP_MASK = 0xffn;
const BPF_F_USER_BUILD_ID = 1n << 11n;

/**
 * bpf_get_stackid and bpf_get_stack on the simulated stacks the test sets
 * (`KernelState.stacks.kernel` / `.user`, innermost frame first; empty by default, which the
 * kernel answers with -EFAULT as for a stack it could not walk). get_stack copies the frames after
 * `skip` (at most size / 8, a stack walk stops at perf_event_max_stack), zero-fills the rest and
 * returns the bytes copied; unknown flags or a size not a multiple of 8 are -EINVAL, more frames
 * skipped than there are -EFAULT, both with the buffer zeroed. Build-id stacks are not simulated.
 */
export const stackHelpers: HelperGroup = (k) => {
  const frames = (flags: bigint): readonly bigint[] => ((flags & BPF_F_USER_STACK) !== 0n ? k.stacks.user : k.stacks.kernel);
  return {
    get_stackid: (_rt, _ctx, m, flagsArg) => {
      const map = k.mapArg(m, 'bpf_get_stackid');
      if (!(map instanceof StackTraceMap)) throw new FaultSignal('helper', `bpf_get_stackid: map '${map.name}' is not a stack trace map`);
      const flags = BigInt.asUintN(64, flagsArg);
      // Flags are checked before the walk; an empty walk is then -EFAULT (nothing past the skip).
      return BigInt(map.stackId(frames(flags), flags));
    },
    get_stack: (_rt, _ctx, buf, sizeArg, flagsArg) => {
      const size = u32(sizeArg);
      const out = view(k.memory, buf, size, true);
      const flags = BigInt.asUintN(64, flagsArg);
      const fail = (errno: number): bigint => {
        out.fill(0);
        return BigInt(-errno);
      };
      if ((flags & ~(SKIP_MASK | BPF_F_USER_STACK | BPF_F_USER_BUILD_ID)) !== 0n) return fail(Errno.EINVAL);
      if ((flags & BPF_F_USER_BUILD_ID) !== 0n) {
        if ((flags & BPF_F_USER_STACK) === 0n) return fail(Errno.EINVAL);
        throw new FaultSignal('helper', 'bpf_get_stack: BPF_F_USER_BUILD_ID (build-id stacks) is not simulated');
      }
      if (size % 8 !== 0) return fail(Errno.EINVAL);
      const skip = Number(flags & SKIP_MASK);
      const all = frames(flags);
      const nr = Math.min(all.length, maxDepth(size, skip));
      if (all.length === 0 || nr < skip) return fail(Errno.EFAULT);
      const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
      const ips = all.slice(skip, nr);
      ips.forEach((ip, i) => dv.setBigUint64(8 * i, BigInt.asUintN(64, ip), true));
      out.fill(0, ips.length * 8);
      return BigInt(ips.length * 8);
    },
  };
};
