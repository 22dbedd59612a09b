import type { Memory } from '../memory.js';
import type { ProgramContext } from './context.js';

/**
 * The context of a BTF-typed tracing program (tp_btf, fentry/fexit/fmod_ret, lsm): the hook's
 * arguments as u64s, as the kernel's trampoline stores them (fexit: the return value after
 * them); or, for an iterator, the `struct bpf_iter__NAME` placed as a kernel object.
 */
export class TracingContext implements ProgramContext {
  readonly kind = 'tracing' as const;
  readonly address: number;

  constructor(memory: Memory, slots: readonly bigint[] | { address: number }) {
    if ('address' in slots) {
      this.address = slots.address;
      return;
    }
    const region = memory.alloc('tracing args', 'ctx', Math.max(slots.length * 8, 8), { writable: false });
    slots.forEach((v, i) => memory.dv.setBigUint64(region.start + i * 8, BigInt.asUintN(64, v), true));
    this.address = region.start;
  }

  packetOut(): undefined {
    return undefined;
  }
}
