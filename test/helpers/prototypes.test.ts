import { describe, expect, it } from 'vitest';
import { helperName } from '../../src/helpers/helper-ids.js';
import { helperFunctions, kernelHelperTable } from '../../src/helpers/impl/registry.js';
import { HELPER_PROTOTYPES, helperAllowed, helperPrototype } from '../../src/helpers/prototypes.js';
import { ProgType } from '../../src/loader/kinds.js';
import { harness } from './util.js';

describe('helper prototypes', () => {
  const k = harness().instance.kernel;
  const implemented = [...helperFunctions(k).keys()].sort((a, b) => a - b);

  it('describe exactly the helpers the simulated kernel implements', () => {
    expect(HELPER_PROTOTYPES.map((p) => p.id).sort((a, b) => a - b)).toEqual(implemented);
    for (const p of HELPER_PROTOTYPES) expect(p.name).toBe(helperName(p.id));
  });

  it('say which program types may call what', () => {
    expect(helperPrototype(1)?.args).toEqual(['map', 'map-key']);
    expect(helperPrototype(1)?.ret).toBe('map-value-or-null');
    expect(helperPrototype(131)?.ret).toBe('ringbuf-mem-or-null');
    expect(helperAllowed(44, ProgType.XDP)).toBe(true);
    expect(helperAllowed(44, ProgType.SCHED_CLS)).toBe(false);
    expect(helperAllowed(9, ProgType.SOCKET_FILTER)).toBe(false);
    expect(helperAllowed(14, ProgType.KPROBE)).toBe(true);
    expect(helperAllowed(14, ProgType.XDP)).toBe(false);
    expect(helperAllowed(69, ProgType.XDP)).toBe(false);
    expect(helperPrototype(181)?.callbackArgs).toEqual(['anything', 'stack-or-null']);
  });

  it('the helper table names unknown helpers the kernel\'s way', () => {
    const t = kernelHelperTable(k);
    expect(t.get(69)).toBeUndefined();
    expect(t.nameOf(69)).toBe('bpf_fib_lookup');
    expect(t.nameOf(100000)).toBe('unknown');
    expect(implemented.length).toBeGreaterThanOrEqual(50);
  });
});
