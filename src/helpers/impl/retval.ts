import { BpfSockopt, SockoptContext } from '../contexts/sockopt.js';
import type { HelperGroup } from './group.js';

const retvals = new WeakMap<object, number>();

/**
 * bpf_get_retval / bpf_set_retval of cgroup hooks: the return value the hook's syscall will give
 * (the kernel's run context retval, 0 at the start of a run). For cgroup_sockopt it is the
 * context's retval field (getsockopt: the kernel handler's result), which the two helpers and the
 * field share as in the kernel; set_retval answers 0.
 */
export const retvalHelpers: HelperGroup = (k) => ({
  get_retval: () => {
    const c = k.run.context;
    if (c instanceof SockoptContext) return BigInt(k.memory.dv.getInt32(c.address + BpfSockopt.retval, true));
    return BigInt(retvals.get(k.run) ?? 0);
  },
  set_retval: (_rt, v) => {
    const value = Number(BigInt.asIntN(32, v));
    const c = k.run.context;
    if (c instanceof SockoptContext) k.memory.dv.setInt32(c.address + BpfSockopt.retval, value, true);
    else retvals.set(k.run, value);
    return 0n;
  },
});
