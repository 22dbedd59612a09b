/**
 * struct_ops (issue 16): `.struct_ops` / `.struct_ops.link` maps loaded as libbpf reads them,
 * each program bound to the member its map assigns it, the member's prototype typing the
 * arguments (`struct sock *` promoted to tcp_sock for a congestion control), writes allowed only
 * to bpf_tcp_ca's fields. The kernel's verdicts are in verdicts.test.ts; these check the parts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadObject } from '../../src/loader/load.js';
import { formatInspect, inspectObject } from '../../src/loader/inspect.js';
import { bindStructOpsPrograms } from '../../src/loader/struct-ops.js';
import { verifyProgram } from '../../src/verifier/index.js';
import { parseBtf } from '../../src/btf/parse.js';
import { structOpsTarget } from '../../src/btf/attach.js';
import { structOpsHelpers, structOpsWrite } from '../../src/verifier/struct-ops.js';
import { helperId } from '../../src/helpers/helper-ids.js';

const D = join(import.meta.dirname, '..', '..', 'fixtures/tracing');
const BTF = new Uint8Array(readFileSync(join(D, 'build/kernel.btf')));
const load = (name: string, btf: Uint8Array | undefined = BTF) =>
  loadObject(new Uint8Array(readFileSync(join(D, 'build', `${name}.o`))), btf ? { btf } : {});

describe('struct_ops maps', () => {
  it('reads .struct_ops: the map, its kernel struct and which program fills which member', () => {
    const obj = load('struct_ops_ca');
    expect(obj.structOps).toHaveLength(1);
    const m = obj.structOps![0]!;
    expect(m).toMatchObject({ name: 'bpfkit_ca', section: '.struct_ops', struct: 'tcp_congestion_ops', link: false, flags: 0 });
    expect(Object.fromEntries(m.members.map((x) => [x.member, x.program]))).toEqual({
      init: 'ca_init',
      ssthresh: 'ca_ssthresh',
      cong_avoid: 'ca_cong_avoid',
      undo_cwnd: 'ca_undo_cwnd',
      pkts_acked: 'ca_pkts_acked',
    });
  });

  it('reads .struct_ops.link as a BPF_F_LINK map', () => {
    const m = load('struct_ops_link').structOps![0]!;
    expect(m).toMatchObject({ name: 'bpfkit_ca_link', section: '.struct_ops.link', link: true, flags: 1 << 13 });
  });

  it('lists struct_ops maps in inspect, text and JSON', () => {
    const r = inspectObject(load('struct_ops_link'));
    expect(r.structOps).toEqual([
      expect.objectContaining({ name: 'bpfkit_ca_link', struct: 'tcp_congestion_ops', section: '.struct_ops.link', flags: 1 << 13 }),
    ]);
    expect(formatInspect(r)).toContain('bpfkit_ca_link: struct tcp_congestion_ops (.struct_ops.link, BPF_F_LINK): ssthresh = link_ssthresh');
  });

  it('leaves a struct_ops program no map uses unverified, with why', () => {
    const programs = load('struct_ops_ca').programs.map((p) => ({ ...p, attachBtf: undefined, notVerifiable: undefined }));
    bindStructOpsPrograms(programs, [], parseBtf(BTF));
    expect(programs[0]!.notVerifiable).toMatch(/struct_ops program ca_init is not used by any struct_ops map .* libbpf does not load it/);
    expect(programs[0]!.attachBtf).toBeUndefined();
  });

  it('binds each program to its member: the member prototype is its attach target', () => {
    const obj = load('struct_ops_ca');
    const p = obj.programs.find((x) => x.name === 'ca_cong_avoid')!;
    expect(p.attachBtf?.kind).toBe('struct_ops');
    expect(p.attachBtf?.structOps).toMatchObject({ struct: 'tcp_congestion_ops', member: 'cong_avoid', memberIndex: 1 });
    expect(p.attachBtf?.args).toHaveLength(3);
  });

  it('refuses a member the kernel struct lacks, as libbpf does', () => {
    const btf = parseBtf(BTF);
    expect(() => structOpsTarget(btf, 'p', 'tcp_congestion_ops', 'no_such_member')).toThrow(/Cannot find member no_such_member in kernel BTF/);
    expect(() => structOpsTarget(btf, 'p', 'no_such_ops', 'init')).toThrow(/struct no_such_ops is not found in kernel BTF/);
  });
});

describe('struct_ops verification', () => {
  it('types `struct sock *` as a tcp_sock: reading and writing snd_cwnd is allowed', () => {
    const r = verifyProgram(load('struct_ops_ca'), 'ca_cong_avoid');
    expect(r.accepted).toBe(true);
  });

  it('refuses a write to a tcp_sock field outside bpf_tcp_ca\'s list, naming the offset', () => {
    const r = verifyProgram(load('reject_struct_ops_write'), 'bad_cong_avoid');
    expect(r.accepted).toBe(false);
    expect(r.errors[0]!.message).toMatch(/^no write support to tcp_sock at off \d+/);
  });

  it('refuses a write that runs past an allowed field', () => {
    const btf = parseBtf(BTF);
    const t = structOpsTarget(btf, 'p', 'tcp_congestion_ops', 'cong_avoid');
    const tcp = btf.named('tcp_sock').find((x) => x.kind === 'STRUCT')!;
    const icsk = btf.named('inet_connection_sock').find((x) => x.kind === 'STRUCT')!;
    const priv = icsk.kind === 'STRUCT' ? icsk.members.find((m) => m.name === 'icsk_ca_priv')!.bitsOffset / 8 : -1;
    expect(structOpsWrite(btf, t, tcp.id, priv + 8, 8)).toBeUndefined();
    expect(structOpsWrite(btf, t, tcp.id, priv + 13 * 8 - 4, 8)).toMatch(/beyond the member of tcp_sock ended at/);
    const sock = btf.named('sock').find((x) => x.kind === 'STRUCT')!;
    expect(structOpsWrite(btf, t, sock.id, 0, 4)).toBe('only read is supported');
  });

  it('returns nothing from a void member: R0 is not read', () => {
    expect(verifyProgram(load('struct_ops_ca'), 'ca_init').accepted).toBe(true);
  });

  it('needs a GPL-compatible license', () => {
    const r = verifyProgram(load('reject_struct_ops_license'), 'bsd_ssthresh');
    expect(r.errors.map((e) => e.message)).toEqual(['struct ops programs must have a GPL compatible license']);
  });

  it('gives a congestion control the base helpers and the socket ones, without setsockopt in release', () => {
    const btf = parseBtf(BTF);
    const avoid = structOpsHelpers(structOpsTarget(btf, 'p', 'tcp_congestion_ops', 'cong_avoid'));
    const release = structOpsHelpers(structOpsTarget(btf, 'p', 'tcp_congestion_ops', 'release'));
    for (const h of ['tcp_send_ack', 'sk_storage_get', 'setsockopt', 'getsockopt', 'map_lookup_elem']) expect(avoid.has(helperId(h))).toBe(true);
    expect(release.has(helperId('setsockopt'))).toBe(false);
    expect(release.has(helperId('getsockopt'))).toBe(false);
  });
});
