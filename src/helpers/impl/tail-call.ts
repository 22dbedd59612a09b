import { TailCallSignal } from '../abi.js';
import { FaultSignal } from '../fault.js';
import { ProgArrayMap } from '../maps/prog-array.js';
import type { HelperGroup } from './group.js';

/** The kernel's MAX_TAIL_CALL_CNT: a run may take 33 tail calls; the 34th falls through. */
export const MAX_TAIL_CALLS = 33;

/**
 * bpf_tail_call: on success the current program is abandoned (the engine returns at once, or
 * TailCallSignal unwinds it; the orchestrator starts the target with the same context); on
 * failure — an index past the end, an empty slot, the limit reached — execution continues after
 * the call.
 */
export const tailCallHelpers: HelperGroup = (k) => ({
  tail_call: (rt, _ctx, m, index) => {
    const map = k.mapArg(m, 'bpf_tail_call');
    if (!(map instanceof ProgArrayMap)) throw new FaultSignal('helper', `bpf_tail_call: map '${map.name}' is a ${map.typeName} map, not a prog_array`);
    const i = BigInt.asUintN(32, index);
    if (i >= BigInt(map.maxEntries)) return 0n;
    if (k.run.tailCalls >= MAX_TAIL_CALLS) return 0n;
    const target = map.program(Number(i));
    if (target === undefined) return 0n;
    k.run.tailCalls++;
    // The engine ends the program on return when it can; unwinding by exception costs microseconds.
    if (rt.deferTailCall?.(target) === true) return 0n;
    throw new TailCallSignal(target);
  },
});
