import { FaultSignal } from '../fault.js';
import { view } from './args.js';
import type { HelperGroup } from './group.js';

/**
 * bpf_spin_lock / bpf_spin_unlock on the 4-byte `struct bpf_spin_lock` in a map value. Programs
 * run one at a time here, so the lock is never contended: the word reads 1 while held and 0 after
 * (what user space sees, as in the kernel). The verifier proves the pairing; a run that breaks it
 * anyway (verification off) faults instead of deadlocking.
 */
export const lockHelpers: HelperGroup = (k) => ({
  spin_lock: (_rt, lock) => {
    const w = view(k.memory, lock, 4, true);
    if (w[0] !== 0) throw new FaultSignal('helper', 'bpf_spin_lock: the lock is already held (it would deadlock)');
    w[0] = 1;
    return 0n;
  },
  spin_unlock: (_rt, lock) => {
    const w = view(k.memory, lock, 4, true);
    if (w[0] === 0) throw new FaultSignal('helper', 'bpf_spin_unlock: the lock is not held');
    w[0] = 0;
    return 0n;
  },
});
