import { describe, expect, it } from 'vitest';
import { HELPER_NAMES, helperId, helperName } from '../../src/helpers/helper-ids.js';
import { UNSUPPORTED_HELPERS } from '../../src/helpers/impl/unsupported.js';
import { helperFunctions, kernelHelperTable } from '../../src/helpers/impl/registry.js';
import { HELPER_PROTOTYPES, helperAllowed, helperPrototype, helperSignature, mapFitsHelper } from '../../src/helpers/prototypes.js';
import { MapType, ProgType } from '../../src/loader/kinds.js';
import { harness } from './util.js';
import { PROGRAM_TYPES } from '../../src/run/program-types.js';

describe('helper prototypes', () => {
  const k = harness().instance.kernel;
  const implemented = [...helperFunctions(k).keys()].sort((a, b) => a - b);

  it('describe every helper of the UAPI, the implemented ones included', () => {
    expect(HELPER_PROTOTYPES.map((p) => p.id)).toEqual(HELPER_NAMES.map((_, i) => i).slice(1));
    for (const p of HELPER_PROTOTYPES) expect(p.name).toBe(helperName(p.id));
  });

  it('every helper id is implemented or named as unsupported with a reason, never both', () => {
    const missing: string[] = [];
    HELPER_NAMES.forEach((_, id) => {
      if (id === 0) return;
      const name = helperName(id).replace(/^bpf_/, '');
      const done = implemented.includes(id);
      const listed = UNSUPPORTED_HELPERS.has(name);
      if (done === listed) missing.push(`${name}${done ? ' (implemented and listed)' : ''}`);
    });
    expect(missing).toEqual([]);
    for (const name of UNSUPPORTED_HELPERS.keys()) expect(helperId(name), name).toBeGreaterThan(0);
  });

  it('every helper the verifier lets a runnable program type call is implemented or named as unsupported', () => {
    // Every type of the program-type table, with every attach type the verifier tells apart.
    const runnable = PROGRAM_TYPES.flatMap((e) => e.types);
    expect(runnable).toEqual(expect.arrayContaining([ProgType.XDP, ProgType.SCHED_CLS, ProgType.KPROBE, ProgType.SK_LOOKUP, ProgType.SK_SKB, ProgType.SK_MSG]));
    const attachTypes = Array.from({ length: 64 }, (_, a) => a);
    const gaps = HELPER_PROTOTYPES.filter((p) => runnable.some((t) => helperAllowed(p.id, t) || attachTypes.some((a) => helperAllowed(p.id, t, a))))
      .filter((p) => !implemented.includes(p.id) && !UNSUPPORTED_HELPERS.has(p.name.replace(/^bpf_/, '')))
      .map((p) => p.name);
    expect(gaps).toEqual([]);
    for (const p of HELPER_PROTOTYPES) expect(p.name).toBe(helperName(p.id));
    for (const id of implemented) expect(helperPrototype(id), helperName(id)).toBeDefined();
  });

  it('say which program types may call what, as the kernel does', () => {
    expect(helperPrototype(1)?.args).toEqual(['map', 'map-key']);
    expect(helperPrototype(1)?.ret).toBe('map-value-or-null');
    expect(helperPrototype(131)?.ret).toBe('ringbuf-mem-or-null');
    expect(helperAllowed(44, ProgType.XDP)).toBe(true);
    expect(helperAllowed(44, ProgType.SCHED_CLS)).toBe(false);
    expect(helperAllowed(9, ProgType.SOCKET_FILTER)).toBe(false);
    expect(helperAllowed(14, ProgType.KPROBE)).toBe(true);
    expect(helperAllowed(69, ProgType.XDP)).toBe(true); // fib_lookup
    expect(helperAllowed(84, ProgType.SCHED_CLS)).toBe(true); // sk_lookup_tcp
    expect(helperAllowed(46, ProgType.TRACING)).toBe(true); // get_socket_cookie
    expect(helperAllowed(46, ProgType.KPROBE)).toBe(false);
    // bind is only for connect hooks of cgroup_sock_addr
    expect(helperAllowed(64, ProgType.CGROUP_SOCK_ADDR, 10)).toBe(true);
    expect(helperAllowed(64, ProgType.CGROUP_SOCK_ADDR, 8)).toBe(false);
    expect(helperPrototype(181)?.callbackArgs).toEqual(['anything', 'stack-or-null']);
  });

  it('give program types their own prototype where the kernel does', () => {
    expect(helperSignature(46, 'sched_cls')?.args).toEqual(['ctx']);
    expect(helperSignature(46, 'tracing')?.args).toEqual(['btf-sock-common-or-null']);
    expect(helperSignature(124, 'sk_lookup')?.args).toEqual(['ctx', 'socket-or-null', 'anything']);
  });

  it('carry the kernel facts the verifier needs', () => {
    expect(helperPrototype(93)?.args).toEqual(['spin-lock']);
    expect(helperPrototype(169)?.args).toEqual(['timer', 'map', 'anything']);
    expect(helperPrototype(84)?.ret).toBe('socket-or-null');
    expect(helperPrototype(86)?.args).toEqual(['btf-sock-common-release']);
    expect(helperPrototype(105)?.args).toEqual(['mem', 'size', 'anything', 'long']);
    expect(helperPrototype(6)?.gplOnly).toBe(true);
    expect(helperPrototype(1)?.gplOnly).toBe(false);
    expect(helperPrototype(9)?.changesPacket).toBe(true);
    expect(helperPrototype(148)?.sleepable).toBe(true);
    expect(mapFitsHelper('map_lookup_elem', MapType.RINGBUF, 'xdp')).toBe(false);
    expect(mapFitsHelper('redirect_map', MapType.DEVMAP, 'xdp')).toBe(true);
    expect(mapFitsHelper('map_update_elem', MapType.SOCKMAP, 'xdp')).toBe(true);
    expect(mapFitsHelper('map_update_elem', MapType.SOCKMAP, 'kprobe')).toBe(false);
  });

  it("the helper table names unknown helpers the kernel's way", () => {
    const t = kernelHelperTable(k);
    const dPath = helperId('d_path');
    expect(t.get(dPath)).toBeUndefined();
    expect(t.nameOf(dPath)).toBe('bpf_d_path');
    expect(t.nameOf(100000)).toBe('unknown');
    expect(implemented.length).toBeGreaterThanOrEqual(50);
  });
});
