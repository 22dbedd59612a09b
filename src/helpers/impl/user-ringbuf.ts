import { Errno } from '../errno.js';
import { FaultSignal } from '../fault.js';
import { UserRingbufMap } from '../maps/user-ringbuf.js';
import { slotOf } from './callbacks.js';
import { DynptrType } from './dynptr.js';
import type { HelperGroup } from './group.js';

const BPF_RB_NO_WAKEUP = 1n;
const BPF_RB_FORCE_WAKEUP = 2n;
/** BPF_MAX_USER_RINGBUF_SAMPLES: one drain handles at most this many records. */
const MAX_SAMPLES = 128 * 1024;
const TYPE_SHIFT = 28;

/**
 * bpf_user_ringbuf_drain: calls the callback with each record user space submitted, as a local
 * dynptr over the sample, until the ring is empty, the callback returns non-zero, or 128K samples;
 * discarded records are skipped (and not counted). Returns the number of records handed over
 * (the one that stopped the drain included); -EINVAL for flags other than the wakeup ones, -EBUSY
 * when a drain of the same ring is running.
 */
export const userRingbufHelpers: HelperGroup = (k) => ({
  user_ringbuf_drain: (rt, m, fn, ctx, flags) => {
    const map = k.mapArg(m, 'bpf_user_ringbuf_drain');
    if (!(map instanceof UserRingbufMap)) throw new FaultSignal('helper', `bpf_user_ringbuf_drain: map '${map.name}' is not a user ring buffer`);
    if ((BigInt.asUintN(64, flags) & ~(BPF_RB_NO_WAKEUP | BPF_RB_FORCE_WAKEUP)) !== 0n) return BigInt(-Errno.EINVAL);
    if (map.busy) return BigInt(-Errno.EBUSY);
    const slot = slotOf(fn, 'bpf_user_ringbuf_drain');
    // The kernel's dynptr lives in the helper's frame; here in run memory the callback may read.
    const dynptr = k.memory.alloc('user ringbuf dynptr', 'scratch', 16, { writable: true }).start;
    const dv = k.memory.dv;
    map.busy = true;
    let samples = 0;
    let discarded = 0;
    try {
      let ret = 0n;
      for (; samples < MAX_SAMPLES && ret === 0n; samples++) {
        const r = map.peek();
        if (r === undefined) break;
        if (r.discarded) {
          map.release();
          discarded++;
          continue;
        }
        dv.setBigUint64(dynptr, BigInt(r.addr), true);
        dv.setUint32(dynptr + 8, (r.size | (DynptrType.LOCAL << TYPE_SHIFT)) >>> 0, true);
        dv.setUint32(dynptr + 12, 0, true);
        ret = BigInt.asUintN(64, rt.callFunction(slot, [BigInt(dynptr), ctx]));
        map.release();
      }
    } finally {
      map.busy = false;
    }
    return BigInt(samples - discarded);
  },
});
