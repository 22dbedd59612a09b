// bpfkit run --packet SPEC, --pcap IN [--pcap-out OUT] and --ringbuf-type, and BTF-typed output.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodePacket, packetFromSpec, readPcap, writePcap } from '../../src/index.js';
import { bpfkit, BUILT } from './support.js';

const dir = mkdtempSync(join(tmpdir(), 'bpfkit-inputs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const specs = ['eth/ipv4(ttl=64)/udp(dport=53)/"a"', 'eth/ipv6/tcp(dport=80)', 'eth/ipv4(ttl=1)/icmp', 'eth/arp'];
const IN = join(dir, 'in.pcap');
writeFileSync(IN, writePcap(specs.map((s, i) => ({ sec: 1_700_000_000 + i, nsec: 0, data: packetFromSpec(s), origLen: 0 }))));

describe.skipIf(!BUILT)('run inputs', () => {
  it('--packet builds the frame from a spec', () => {
    const r = bpfkit(['run', 'fixtures/build/xdp_counter.o', '--packet', 'eth/ipv4(src=10.0.0.1,dst=10.0.0.2,ttl=64)/udp(dport=53)/"payload"', '--json']);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout) as { retval: number; packet: string };
    expect(json.retval).toBe(2);
    expect(decodePacket(new Uint8Array(Buffer.from(json.packet, 'hex'))).ipv4?.ttl).toBe(63);
    const bad = bpfkit(['run', 'fixtures/build/xdp_counter.o', '--packet', 'eth/ipv4(ttl=999)']);
    expect(bad).toMatchObject({ code: 2, stdout: '', stderr: "packet spec 'eth/ipv4(ttl=999)': ipv4(ttl=999): ttl=999: expected an integer from 0 to 255\n" });
  });

  it('--pcap runs every frame: a verdict line each, counts per return code, passed frames written', () => {
    const OUT = join(dir, 'out.pcap');
    const r = bpfkit(['run', 'fixtures/build/xdp_counter.o', '--pcap', IN, '--pcap-out', OUT]);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines.slice(0, 6)).toEqual([
      'frame 1: 43 bytes: 2 XDP_PASS (packet changed)',
      'frame 2: 74 bytes: 2 XDP_PASS',
      'frame 3: 42 bytes: 1 XDP_DROP',
      'frame 4: 42 bytes: 2 XDP_PASS',
      '4 frames: XDP_PASS 3, XDP_DROP 1',
      `wrote 3 frames to ${OUT}`,
    ]);
    // Maps carried over from frame to frame, and print typed through BTF.
    expect(r.stdout).toContain('  17 = {"packets":1,"bytes":43}');
    const out = readPcap(new Uint8Array(readFileSync(OUT)));
    expect(out.frames.map((f) => f.sec)).toEqual([1_700_000_000, 1_700_000_001, 1_700_000_003]);
    expect(decodePacket(out.frames[0]!.data).ipv4?.ttl).toBe(63);
  });

  it('--pcap --json: frames and summary', () => {
    const r = bpfkit(['run', 'fixtures/build/xdp_counter.o', '--pcap', IN, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ total: 4, summary: { XDP_PASS: 3, XDP_DROP: 1 }, frames: [{ frame: 1, retval: 2, verdict: 'XDP_PASS', changed: true }, {}, { frame: 3, retval: 1 }, {}] });
  });

  it('refuses a file that is not a pcap, and two packet sources', () => {
    expect(bpfkit(['run', 'fixtures/build/xdp_counter.o', '--pcap', 'README.md'])).toMatchObject({ code: 2, stderr: expect.stringMatching(/^README\.md: not a pcap file \(magic 0x[0-9a-f]{8}\)\n$/) });
    expect(bpfkit(['run', 'fixtures/build/xdp_counter.o', '--pcap', IN, '--packet', 'eth/ipv4'])).toMatchObject({ code: 2, stderr: 'give the packet one way: --data, --packet or --pcap\n' });
  });

  it('prints BTF-typed values: structs, arrays, strings, enums by name, every CPU of a per-CPU map, decoded records', () => {
    const r = bpfkit(['run', 'fixtures/api/build/typed.o', '--cpus', '3', '--cpu', '1', '--packet', 'eth/ipv4/udp(dport=53)/"x"', '--ringbuf-type', 'struct event']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('  {"proto":17,"pad":[0,0,0],"port":53,"family":2} = {"packets":1,"bytes":43,"last":"VERDICT_PASS","sizes":[0,0,0,1],"tag":"new","len":{"min":43,"max":43}}');
    expect(r.stdout).toContain('map cpu_packets (percpu_array, 3 CPUs): 2 entries\n  0 = cpu0 0, cpu1 1, cpu2 0');
    expect(r.stdout).toContain('map .data: {"last_verdict":"VERDICT_PASS"}');
    expect(r.stdout).toContain('ringbuf: 1 record (struct event)\n  {"ts":7,"len":43,"verdict":"VERDICT_PASS","comm":"flow","mac":[1,2,3,4,5,6]}');
    const j = bpfkit(['run', 'fixtures/api/build/typed.o', '--packet', 'eth/ipv4/udp/"x"', '--ringbuf-type', 'struct event', '--json']);
    expect(JSON.parse(j.stdout).ringbufTyped).toEqual([{ ts: 7, len: 43, verdict: 1, comm: 'flow', mac: [1, 2, 3, 4, 5, 6] }]);
    expect(bpfkit(['run', 'fixtures/api/build/typed.o', '--packet', 'eth/ipv4', '--ringbuf-type', 'struct nope'])).toMatchObject({ code: 2, stderr: expect.stringMatching(/^--ringbuf-type: the object's BTF has no type 'struct nope'/) });
  });
});

describe.skipIf(!BUILT)('inspect', () => {
  it('shows the initial values of globals typed through BTF', () => {
    const r = bpfkit(['inspect', 'fixtures/api/build/typed.o']);
    expect(r.stdout).toMatch(/\.rodata +0x0 +4 +limit +const volatile __u32 +100\n/);
    expect(r.stdout).toMatch(/\.data +0x0 +4 +last_verdict +enum verdict +"VERDICT_PASS"\n/);
    const j = JSON.parse(bpfkit(['inspect', 'fixtures/api/build/typed.o', '--json']).stdout) as { globals: Array<{ name: string; initial: string; value: unknown }> };
    expect(j.globals.find((g) => g.name === 'last_verdict')).toMatchObject({ initial: '01000000', value: 'VERDICT_PASS' });
  });
});
