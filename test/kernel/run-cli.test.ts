/**
 * `bpfkit run` as users meet it: kernel-run's JSON, the summary, exit codes and one-line errors.
 * Runs the built CLI (`npm test` builds first).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CASES_DIR } from './cases.js';

const ROOT = join(import.meta.dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'src', 'cli.js');
const obj = (name: string) => join('fixtures', 'kernel-cases', 'build', `${name}.o`);
const pkt = (name: string) => join('fixtures', 'kernel-cases', 'packets', `${name}.bin`);

function bpfkit(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8' });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

describe.skipIf(!existsSync(CLI))('bpfkit run', () => {
  it('prints exactly what kernel-run printed, plus the printk lines of the trace buffer', () => {
    const r = bpfkit(['run', obj('maps_hash'), '--program', 'hash_ops', '--data', pkt('ipv4_udp'), '--json']);
    expect(r.code).toBe(0);
    const got = JSON.parse(r.stdout);
    const want = JSON.parse(readFileSync(join(CASES_DIR, 'expected', 'maps_hash.hash_ops.ipv4_udp.json'), 'utf8'));
    expect(Object.keys(got)).toEqual(['accepted', 'retval', 'packet', 'maps', 'ringbuf', 'printk']);
    expect(got).toEqual(want);
  });

  it('runs an sk_lookup program on its struct bpf_sk_lookup (--ctx) as kernel-run-ctx recorded it, ctx_out included', () => {
    const r = bpfkit(['run', obj('sk_lookup'), '--program', 'lk_fields', '--ctx', join('fixtures', 'kernel-cases', 'ctx', 'inputs', 'lk_v6_tcp.ctx'), '--json']);
    expect(r.code).toBe(0);
    const want = JSON.parse(readFileSync(join(CASES_DIR, 'ctx', 'expected', 'sk_lookup.lk_fields.lk_v6_tcp.json'), 'utf8'));
    expect(JSON.parse(r.stdout)).toEqual(want);
    const refused = bpfkit(['run', obj('sk_lookup'), '--program', 'lk_fields', '--ctx', join('fixtures', 'kernel-cases', 'ctx', 'inputs', 'lk_bad_family.ctx')]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/EAFNOSUPPORT/);
  });

  it('takes socket-hook inputs as JSON options and prints the context after the run', () => {
    const lookup = bpfkit(['run', obj('sk_lookup'), '--program', 'lk_fields', '--sk-lookup', '{"protocol":"udp","remoteIp":"10.0.0.2","remotePort":5353,"localIp":"10.0.0.1","localPort":53}']);
    expect(lookup.code).toBe(0);
    expect(lookup.stdout).toContain('v4 10.0.0.2:5353 -> 10.0.0.1:53');
    expect(lookup.stdout).toMatch(/^ctx: [0-9a-f]{144}$/m);
    const sysctl = bpfkit(['run', obj('cgsys'), '--program', 'sysctl_guard', '--sysctl', '{"name":"net/core/somaxconn","value":"128\\n","newValue":"5\\n"}', '--json']);
    expect(sysctl.code).toBe(0);
    expect(JSON.parse(sysctl.stdout)).toMatchObject({ retval: 1, packet: '3432', ctx: '0100000003000000' });
    const sockopt = bpfkit(['run', obj('cgsys'), '--program', 'set_opt', '--socket', '{"protocol":"tcp","localIp":"10.0.0.1","localPort":80}', '--sockopt', '{"op":"set","level":1,"optname":5,"optval":"0909"}', '--json']);
    expect(JSON.parse(sockopt.stdout)).toMatchObject({ retval: 1, packet: '01' });
    const message = join(mkdtempSync(join(tmpdir(), 'bpfkit-msg-')), 'msg.bin');
    writeFileSync(message, 'pabc');
    const msg = bpfkit(['run', obj('sockmap'), '--program', 'msg_prog', '--socket', '{"protocol":"tcp","localIp":"10.0.0.1","localPort":80,"remoteIp":"10.0.0.2","remotePort":1}', '--data', message, '--json']);
    expect(JSON.parse(msg.stdout)).toMatchObject({ retval: 1, packet: '70000000616263' });
    for (const [args, message] of [
      [['--sockopt', '{"op":"get","level":1,"optname":1,"optval":"x"}'], /optval must be hex/],
      [['--sysctl', '[1]'], /--sysctl: expected a JSON object/],
      [['--sk-lookup', '{'], /--sk-lookup: not JSON/],
    ] as const) {
      const bad = bpfkit(['run', obj('cgsys'), '--program', 'get_opt', ...args]);
      expect(bad.code).toBe(2);
      expect(bad.stderr.trim().split('\n')).toHaveLength(1);
      expect(bad.stderr).toMatch(message);
    }
  });

  it('matches on the JIT too', () => {
    const r = bpfkit(['run', obj('ringbuf'), '--program', 'rb_ops', '--data', pkt('arp'), '--json', '--engine', 'jit']);
    expect(r.code).toBe(0);
    const want = JSON.parse(readFileSync(join(CASES_DIR, 'expected', 'ringbuf.rb_ops.arp.json'), 'utf8'));
    expect(JSON.parse(r.stdout)).toEqual(want);
  });

  it('prints a readable summary without --json', () => {
    const r = bpfkit(['run', obj('globals'), '--data', pkt('ipv4_udp')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('use_globals (xdp): returned 2 (XDP_PASS)');
    expect(r.stdout).toContain('map .data.hist: {"hist":[1,2,13,4]}');
    expect(r.stdout).toContain('printk:\n  globals bpfkit 66');
  });

  it('exits 1 with pc, source line and reason on a runtime fault', () => {
    const r = bpfkit(['run', obj('faults'), '--program', 'past_end', '--data', pkt('ipv4_udp'), '--no-verify']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^pc 1: invalid memory access: read of 4 bytes at 0x[0-9a-f]+ runs past the end of region 'packet' .* at \.\/fixtures\/kernel-cases\/src\/faults\.c:19: return \*p;\n$/);
    const h = bpfkit(['run', obj('faults'), '--program', 'unsupported_helper', '--data', pkt('ipv4_udp'), '--no-verify', '--json']);
    expect(h.code).toBe(1);
    expect(h.stderr).toContain('pc 4: helper bpf_get_branch_snapshot (#176) is not supported at ./fixtures/kernel-cases/src/faults.c:27');
    expect(JSON.parse(h.stdout).error).toContain('bpf_get_branch_snapshot');
    const b = bpfkit(['run', obj('faults'), '--program', 'long_loop', '--data', pkt('ipv4_udp'), '--no-verify', '--budget', '1000']);
    expect(b.code).toBe(1);
    expect(b.stderr).toMatch(/^pc \d+: instruction budget of 1000 exhausted at \.\/fixtures\/kernel-cases\/src\/faults\.c:\d+/);
  });

  it('verifies first, as the kernel does at load: a rejected object exits 1', () => {
    const r = bpfkit(['run', obj('faults'), '--program', 'past_end', '--data', pkt('ipv4_udp'), '--json']);
    expect(r.code).toBe(1);
    const j = JSON.parse(r.stdout);
    expect(j.accepted).toBe(false);
    expect(j.log).toContain('past_end');
  });

  it('exits 1 for a map type it does not simulate', () => {
    const r = bpfkit(['run', obj('unsupported_map'), '--data', pkt('ipv4_udp'), '--no-verify']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`${obj('unsupported_map')}: map 'seen': map type arena (33) is not supported\n`);
  });

  it('exits 2 on bad input or usage', () => {
    expect(bpfkit(['run', obj('ctx'), '--program', 'nope', '--data', pkt('ipv4_udp')])).toMatchObject({ code: 2 });
    expect(bpfkit(['run', obj('ctx'), '--data', pkt('ipv4_udp')]).stderr).toContain('say which program to run with --program (programs: xdp_ctx, tc_ctx, sock_ctx)');
    expect(bpfkit(['run', obj('ctx'), '--program', 'tc_ctx', '--data', 'missing.bin'])).toMatchObject({ code: 2, stderr: 'cannot read missing.bin: no such file\n' });
    const refused = bpfkit(['run', obj('ctx'), '--program', 'tc_ctx', '--data', pkt('min14')]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("the kernel's test run refuses this input: an IPv4 frame shorter than its 20-byte header (-EINVAL)");
    expect(bpfkit(['run', obj('ctx'), '--program', 'xdp_ctx']).stderr).toContain('runs on a packet');
    expect(bpfkit(['run', obj('ctx'), '--program', 'xdp_ctx', '--data', pkt('ipv4_udp'), '--repeat', '0']).code).toBe(2);
  });

  it('runs kprobes on arguments and registers', () => {
    const r = bpfkit(['run', obj('tracing'), '--program', 'raw_sys_enter', '--arg', '0', '--arg', '59', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).retval).toBe(59);
    const k = bpfkit(['run', obj('tracing'), '--program', 'trace_open', '--arg', '3', '--reg', 'si=0x10', '--json']);
    expect(k.code).toBe(0);
    expect(JSON.parse(k.stdout).printk).toEqual(['open  by bpfkit-test: -14']);
    expect(bpfkit(['run', obj('tracing'), '--program', 'trace_open', '--reg', 'xx=1']).code).toBe(2);
  });
});
