import { describe, expect, it } from 'vitest';
import { helperFunctions } from '../../src/helpers/impl/registry.js';
import { KernelState } from '../../src/helpers/kernel/state.js';
import { Memory } from '../../src/helpers/memory.js';
import { kfuncId } from '../../src/helpers/abi.js';
import { helperArity } from '../../src/jit/runtime.js';

// The JIT hands a helper only r1..r<arity> (0n past them) while the interpreter hands all five:
// the engines agree only while no implementation reads past its arity.
describe('helper arity at the JIT boundary', () => {
  it('no implementation declares more registers than the JIT passes it', () => {
    const fns = helperFunctions(new KernelState(new Memory(), {}));
    const over: string[] = [];
    for (const [id, fn] of fns) {
      const src = fn.toString();
      const params = src.slice(0, src.indexOf(')') + 1);
      if (params.includes('...') || fn.length - 1 > helperArity(id)) over.push(`#${id} declares ${fn.length - 1} > ${helperArity(id)}`);
    }
    expect(fns.size).toBeGreaterThan(100);
    expect(over).toEqual([]);
  });

  it('takes the prototype\'s arguments; variadic bpf_trace_printk and kfuncs get all five', () => {
    expect(helperArity(1)).toBe(2); // bpf_map_lookup_elem(map, key)
    expect(helperArity(2)).toBe(4); // bpf_map_update_elem(map, key, value, flags)
    expect(helperArity(5)).toBe(0); // bpf_ktime_get_ns()
    expect(helperArity(6)).toBe(5); // bpf_trace_printk(fmt, size, ...)
    expect(helperArity(kfuncId(1234))).toBe(5);
    expect(helperArity(100000)).toBe(5);
  });
});
