import { Errno } from '../errno.js';
import { FaultSignal } from '../fault.js';
import { RingbufFlags, RingbufMap } from '../maps/ringbuf.js';
import type { KernelState } from '../kernel/state.js';
import type { HelperGroup } from './group.js';
import { copyIn, lowAddress, u32 } from './args.js';

const WAKEUP_FLAGS = BigInt(RingbufFlags.NO_WAKEUP | RingbufFlags.FORCE_WAKEUP);

function ringbuf(k: KernelState, m: bigint, name: string): RingbufMap {
  const map = k.mapArg(m, name);
  if (!(map instanceof RingbufMap)) throw new FaultSignal('helper', `${name}: map '${map.name}' is a ${map.typeName} map, not a ring buffer`);
  return map;
}

/** Finds the ring buffer holding the reserved sample at `sample` and commits or discards it. */
function commit(k: KernelState, sample: bigint, discard: boolean, name: string): bigint {
  const a = lowAddress(sample);
  for (const m of k.maps) if (m instanceof RingbufMap && m.commit(a, discard)) return 0n;
  throw new FaultSignal('helper', `${name}: 0x${BigInt.asUintN(64, sample).toString(16)} is not a reserved ring buffer record`);
}

/** The ring buffer helpers: output, reserve/submit/discard, query. */
export const ringbufHelpers: HelperGroup = (k) => ({
  ringbuf_output: (_rt, m, data, size, flags) => {
    const rb = ringbuf(k, m, 'bpf_ringbuf_output');
    if (BigInt.asUintN(64, flags) & ~WAKEUP_FLAGS) return BigInt(-Errno.EINVAL);
    const bytes = copyIn(k.memory, data, Number(BigInt.asUintN(64, size) & 0xffffffffn));
    const at = rb.reserve(bytes.length);
    if (at === 0) return BigInt(-Errno.EAGAIN);
    k.memory.u8.set(bytes, at);
    rb.commit(at, false);
    return 0n;
  },
  ringbuf_reserve: (_rt, m, size, flags) => {
    const rb = ringbuf(k, m, 'bpf_ringbuf_reserve');
    if (flags !== 0n) return 0n;
    return BigInt(rb.reserve(Number(BigInt.asUintN(64, size))));
  },
  ringbuf_submit: (_rt, sample) => commit(k, sample, false, 'bpf_ringbuf_submit'),
  ringbuf_discard: (_rt, sample) => commit(k, sample, true, 'bpf_ringbuf_discard'),
  ringbuf_query: (_rt, m, flags) => ringbuf(k, m, 'bpf_ringbuf_query').query(flags > 3n ? -1 : u32(flags)),
});
