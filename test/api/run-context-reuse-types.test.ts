/**
 * Every program type whose entry in the program-type table reuses the last run's context must
 * give, run after run, exactly what a context made afresh gives. Two long-lived objects run the
 * same sequence (so their maps evolve alike); one drops its kept context before every run
 * (releaseRuns), so only context reuse differs between them. Packets of several sizes make some
 * resets impossible (another buffer size) and others reuse the same buffer after a bigger packet.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadJit, loadObject } from '../../src/node.js';
import type { BpfkitObject, ProgramRunOptions, ProgramRunResult } from '../../src/node.js';

const packet = (f: string): Uint8Array => new Uint8Array(readFileSync(`fixtures/kernel-cases/packets/${f}.bin`));
const PACKETS = ['ipv4_udp', 'big1514', 'min14', 'arp', 'ipv6_udp', 'vlan_ipv4', 'ipv4_tcp', 'qinq_ipv4'].map(packet);

/** Objects and programs of the skb entry (tc, socket filter, cgroup_skb): they write fields, resize, push tags. */
const SKB: Array<[string, string[]]> = [
  ['ctx', ['tc_ctx', 'sock_ctx']],
  ['skb_ops', ['skb_bytes', 'skb_vlan', 'skb_vlan_pop', 'skb_redirect']],
  ['ld_abs', ['sock_parse']],
  ['skb_resize', ['rs_tail', 'rs_head', 'rs_room', 'rs_encap', 'rs_encap6', 'rs_proto']],
  ['cg_skb', ['cg_fields', 'cg_egress']],
  ['skb_info', ['info_tc']],
  ['tunnel', ['tun_ops']],
  ['misc', ['misc_tc']],
];

beforeAll(async () => {
  await loadJit();
});

const plain = (r: ProgramRunResult): unknown => ({
  ...r,
  packet: r.packet === undefined ? undefined : [...r.packet],
  ringbuf: r.ringbuf.map((b) => [...b]),
  clones: r.clones.map((c) => ({ ...c, packet: [...c.packet] })),
  error: r.error?.message,
});

const maps = (o: BpfkitObject): unknown => o.maps.map((m) => (/hash|array/.test(m.type) && !/prog|perf|of_maps/.test(m.type) ? m.entries() : m.name));

/** netfilter.o reads kernel structs: loaded with their BTF, as test/kernel/ctx-cases does. */
const load = (path: string): BpfkitObject =>
  loadObject(path, path.endsWith('/netfilter.o') ? { btf: new Uint8Array(readFileSync('fixtures/kernel-cases/build/nf-kernel.btf')) } : {});

/** Runs `inputs` on `programs` of `path` on a reusing and a non-reusing object, comparing each result. */
function compare(path: string, programs: string[], inputs: ProgramRunOptions[]): number {
  const reusing = load(path);
  const fresh = load(path);
  let n = 0;
  for (let round = 0; round < 2; round++) {
    for (const name of programs) {
      for (const input of inputs) {
        let a: unknown;
        let b: unknown;
        try {
          a = plain(reusing.program(name).run(input));
        } catch (e) {
          a = String(e);
        }
        fresh.instance.releaseRuns();
        try {
          b = plain(fresh.program(name).run(input));
        } catch (e) {
          b = String(e);
        }
        expect(a, `${path} ${name} packet ${input.packet?.length} round ${round}`).toEqual(b);
        n++;
      }
    }
  }
  expect(maps(reusing)).toEqual(maps(fresh));
  return n;
}

/** The context a second run of `name` on `input` used is the first run's (it was reused, not made again). */
function reuses(path: string, name: string, input: ProgramRunOptions): boolean {
  const o = load(path);
  o.program(name).run(input);
  const first = o.instance.runArea?.ctx;
  o.program(name).run(input);
  return first !== undefined && o.instance.runArea?.ctx === first;
}

const B = 'fixtures/kernel-cases/build';
const bytes = (n: number, seed: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff);

/** Other entries that reuse their context: object, programs, inputs of several sizes and values. */
const OTHERS: Array<[string, string, string[], ProgramRunOptions[]]> = [
  ['flow_dissector', 'flow', ['dissect'], PACKETS.map((p) => ({ packet: p }))],
  ['syscall', 'progtypes', ['sys_add'], [bytes(16, 1), bytes(16, 9), bytes(24, 3), bytes(16, 200)].map((ctx) => ({ ctx })).concat([{}])],
  [
    'cgroup_sock_addr',
    'progtypes',
    ['connect4'],
    [
      { sockAddr: { ip: '10.0.0.2', port: 80 } },
      { sockAddr: { ip: '10.0.0.3', port: 25, type: 2 } },
      { sockAddr: { ip: '10.0.0.2', port: 443, protocol: 17 } },
      { sockAddr: { ip: '10.0.0.9', port: 70000 } },
      { sockAddr: { ip: '10.0.0.4', port: 53, msgSrc: '10.9.9.9' } },
    ],
  ],
  ['kprobe', 'tracing', ['trace_open'], [{ args: [1n, 0x10000n, 3n] }, { regs: { di: 5n, si: 7n } }, { args: [9n] }, {}]],
  ['tracepoint', 'tracing', ['tp_openat'], [{ ctx: bytes(64, 1) }, { ctx: bytes(64, 5) }, { ctx: bytes(48, 2) }, {}]],
  ['raw_tracepoint', 'tracing', ['raw_sys_enter'], [{ args: [1n, 2n] }, { args: [3n, 4n] }, { args: [5n] }, { ctx: bytes(16, 4) }]],
  [
    'netfilter',
    'netfilter',
    ['nf_fields'],
    [
      { packet: PACKETS[0]!, netfilter: { hook: 0 } },
      { packet: PACKETS[0]!, netfilter: { hook: 1 } },
      { packet: PACKETS[0]!.subarray(14) },
      { packet: PACKETS[4]!, netfilter: { hook: 0, pf: 10 } },
      { packet: PACKETS[6]!, netfilter: { hook: 3 } },
    ],
  ],
  [
    'sk_lookup',
    'sk_lookup',
    ['lk_fields', 'lk_assign'],
    [
      { skLookup: { remoteIp: '10.0.0.2', remotePort: 1000, localIp: '10.0.0.1', localPort: 80 } },
      { skLookup: { remoteIp: '2001:db8::2', remotePort: 7, localIp: '2001:db8::1', localPort: 443, protocol: 'udp' } },
      { skLookup: { remoteIp: '10.0.0.3', remotePort: 1, localIp: '10.0.0.1', localPort: 22 } },
    ],
  ],
  [
    'cgroup_sock',
    'sockhooks',
    ['sock_create', 'post_bind4'],
    [
      { socket: { protocol: 'udp', localIp: '::', localPort: 0 } },
      { socket: { protocol: 'tcp', localIp: '10.1.2.3', localPort: 8080, mark: 3 } },
      { socket: { protocol: 'tcp', localIp: '0.0.0.0', localPort: 23 } },
      { socket: { protocol: 'tcp', localIp: '10.0.0.1', localPort: 70000 } },
    ],
  ],
  [
    'sock_ops',
    'sockhooks',
    ['sock_ops', 'cb_flags'],
    [
      { socket: { protocol: 'tcp', localIp: '10.0.0.1', localPort: 80, remoteIp: '10.0.0.2', remotePort: 999 }, sockOps: { op: 1, args: [0, 9] } },
      { socket: { protocol: 'tcp', localIp: '2001:db8::1', localPort: 443 }, sockOps: { op: 4, tcp: { snd_cwnd: 20 } } },
      { socket: { protocol: 'tcp', localIp: '10.0.0.1', localPort: 80 }, sockOps: { op: 10, args: [1, 7] } },
      { socket: { protocol: 'udp', localIp: '10.0.0.1', localPort: 80 }, sockOps: { op: 1 } },
      { socket: { protocol: 'tcp', localIp: '10.0.0.1', localPort: 80 } },
    ],
  ],
  [
    'cgroup_sysctl',
    'cgsys',
    ['sysctl_guard'],
    [
      { sysctl: { name: 'net/ipv4/tcp_mem', value: '4096\n', filePos: 2 } },
      { sysctl: { name: 'net/core/somaxconn', value: '128\n', newValue: '9' } },
      { sysctl: { name: 'kernel/x', value: '123456789\n' } },
      { sysctl: { name: 'kernel/x' } },
      { sysctl: { name: '//', value: '1' } },
    ],
  ],
  [
    'cgroup_sockopt',
    'cgsys',
    ['get_opt', 'retval_opt', 'set_opt'],
    [
      { socket: { protocol: 'tcp', localIp: '10.0.0.1', localPort: 80 }, sockopt: { op: 'get', level: 6, optname: 13, optval: bytes(8, 1), retval: 0 } },
      { socket: { protocol: 'tcp', localIp: '10.0.0.1', localPort: 80 }, sockopt: { op: 'set', level: 1, optname: 7, optval: bytes(8, 4), optlen: 4 } },
      { socket: { protocol: 'udp', localIp: '2001:db8::1', localPort: 53 }, sockopt: { op: 'get', level: 41, optname: 2, optval: bytes(4, 9), retval: -22 } },
      { socket: { protocol: 'tcp', localIp: '10.0.0.1', localPort: 80 }, sockopt: { op: 'set', level: 6, optname: 13, optval: bytes(8, 7) } },
    ],
  ],
  [
    'perf_event',
    'progtypes',
    ['on_sample'],
    [
      { regs: { ip: 0xffffffff81000000n }, perf: { samplePeriod: 4000n, addr: 0x1234n } },
      { regs: { ip: 0xffffffff81000010n, sp: 8n }, perf: { samplePeriod: 1n } },
      { args: [3n, 4n] },
      {},
    ],
  ],
  [
    'sk_skb',
    'sockmap',
    ['parser', 'verdict'],
    [
      { packet: new Uint8Array([5, 1, 2, 3, 4, 5, 6, 7]), socket: { protocol: 'tcp', localIp: '10.0.0.1', localPort: 80, remoteIp: '10.0.0.2', remotePort: 5000 } },
      { packet: new Uint8Array([1, 'p'.charCodeAt(0), 9]), socket: { protocol: 'tcp', localIp: '2001:db8::1', localPort: 443 } },
      { packet: new Uint8Array([1, 'd'.charCodeAt(0)]), socket: { protocol: 'udp', localIp: '10.0.0.1', localPort: 53 } },
      { packet: new Uint8Array(0), socket: { protocol: 'tcp', localIp: '10.0.0.1', localPort: 80 } },
      { packet: bytes(200, 3), socket: { protocol: 'tcp', localIp: '10.0.0.1', localPort: 80 } },
    ],
  ],
  [
    'sk_msg',
    'sockmap',
    ['msg_prog'],
    [
      { packet: bytes(40, 1), socket: { protocol: 'tcp', localIp: '10.0.0.1', localPort: 80, remoteIp: '10.0.0.2', remotePort: 5000 } },
      { packet: new Uint8Array([1, 2, 3]), socket: { protocol: 'tcp', localIp: '2001:db8::1', localPort: 443 } },
      { packet: bytes(300, 7), socket: { protocol: 'tcp', localIp: '10.0.0.1', localPort: 80 } },
      { packet: new Uint8Array(0), socket: { protocol: 'tcp', localIp: '10.0.0.1', localPort: 80 } },
      // msg_prog pushes bytes into a message starting with 'p' and pops from one starting with 'x'.
      { packet: new TextEncoder().encode('pabcdefgh'), socket: { protocol: 'tcp', localIp: '10.0.0.1', localPort: 80 } },
      { packet: new TextEncoder().encode('xyz12345'), socket: { protocol: 'tcp', localIp: '10.0.0.1', localPort: 80 } },
    ],
  ],
];

describe('context reuse per program type', () => {
  for (const [type, obj, programs, inputs] of OTHERS) {
    it(`${type}: reuses its context, and every run sees a fresh one (both engines)`, () => {
      expect(reuses(`${B}/${obj}.o`, programs[0]!, inputs[0]!)).toBe(true);
      for (const engine of ['interp', 'jit'] as const) {
        expect(compare(`${B}/${obj}.o`, programs, inputs.map((i) => ({ ...i, engine })))).toBe(2 * programs.length * inputs.length);
      }
    });
  }

  it('the skb entry reuses its context for a frame of the same buffer size, not for another size', () => {
    expect(reuses('fixtures/kernel-cases/build/ctx.o', 'tc_ctx', { packet: PACKETS[0]! })).toBe(true);
    expect(reuses('fixtures/kernel-cases/build/ctx.o', 'sock_ctx', { packet: PACKETS[0]! })).toBe(true);
    const o = loadObject('fixtures/kernel-cases/build/ctx.o');
    o.program('tc_ctx').run({ packet: PACKETS[0]! });
    const first = o.instance.runArea?.ctx;
    o.program('tc_ctx').run({ packet: PACKETS[1]! });
    expect(o.instance.runArea?.ctx).not.toBe(first);
  });

  for (const engine of ['interp', 'jit'] as const) {
    it(`${engine}: skb programs (tc, socket filter, cgroup_skb) see a fresh context every run`, () => {
      let n = 0;
      for (const [obj, programs] of SKB) n += compare(`fixtures/kernel-cases/build/${obj}.o`, programs, PACKETS.map((p) => ({ packet: p, engine })));
      expect(n).toBe(288);
    });
  }
});
