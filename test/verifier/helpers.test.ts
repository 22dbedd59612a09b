/** The verifier's helper prototypes against the simulated kernel's table and the kernel's facts. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HELPER_PROTOTYPES } from '../../src/helpers/prototypes.js';
import { HELPERS_BY_PROG_TYPE } from '../../src/verifier/helper-availability.js';
import { helperProto, ownHelperProto, VERIFIER_ARG_OVERRIDES } from '../../src/verifier/helper-protos.js';

describe('helper prototypes', () => {
  it('cover every helper the simulated kernel implements', () => {
    for (const p of HELPER_PROTOTYPES) expect(helperProto(p.id), p.name).toBeDefined();
  });

  it("agree with the verifier's own table except where the verifier must read them differently", () => {
    const toOwn: Record<string, string> = {
      'map-key': 'mapKey', 'map-value': 'mapValue', 'uninit-map-value': 'uninitMapValue', 'mem-or-null': 'memOrNull',
      'uninit-mem': 'uninitMem', 'size-or-zero': 'sizeOrZero', 'alloc-size-or-zero': 'allocSize', 'stack-or-null': 'stackOrNull',
      'const-str': 'constStr', 'ringbuf-mem': 'ringbufMem',
    };
    for (const p of HELPER_PROTOTYPES) {
      const name = p.name.replace(/^bpf_/, '');
      const own = ownHelperProto(name);
      if (!own || VERIFIER_ARG_OVERRIDES[name]) continue;
      expect(own.args, name).toEqual(p.args.map((a) => toOwn[a] ?? a));
    }
  });

  it('are allowed per program type exactly as the recorded kernel facts say', () => {
    const facts = JSON.parse(readFileSync(resolve(import.meta.dirname, '../../fixtures/verifier/facts/helpers-by-prog-type.json'), 'utf8')) as Record<string, number[]>;
    expect(HELPERS_BY_PROG_TYPE).toEqual(facts);
    expect(HELPERS_BY_PROG_TYPE.xdp).toContain(1); // map_lookup_elem
    expect(HELPERS_BY_PROG_TYPE.xdp).not.toContain(26); // skb_load_bytes
  });
});
