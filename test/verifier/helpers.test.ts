/** The verifier reads the shared helper table: every helper, the variant of each program type. */
import { describe, expect, it } from 'vitest';
import { HELPER_NAMES } from '../../src/helpers/helper-ids.js';
import { HELPER_PROTOTYPES } from '../../src/helpers/prototypes.js';
import { helperName, helperProto } from '../../src/verifier/helper-protos.js';

describe('helper prototypes', () => {
  it('cover every helper of the UAPI and nothing beyond it', () => {
    for (const p of HELPER_PROTOTYPES) expect(helperProto(p.id), p.name).toBeDefined();
    expect(helperProto(0)).toBeUndefined();
    expect(helperProto(HELPER_NAMES.length)).toBeUndefined();
    expect(helperName(HELPER_NAMES.length + 5)).toBe(`unknown#${HELPER_NAMES.length + 5}`);
    expect(helperName(1)).toBe('bpf_map_lookup_elem#1');
  });

  it('are read for the program type', () => {
    expect(helperProto(46, 'sock_ops')?.args).toEqual(['ctx']);
    expect(helperProto(46, 'tracing')?.args).toEqual(['btf-sock-common-or-null']);
    expect(helperProto(130)?.mapTypes).toEqual([27]);
    expect(helperProto(181)?.callback?.ret).toEqual([0, 1]);
  });
});
