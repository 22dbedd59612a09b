import { describe, expect, it } from 'vitest';
import {
  BPF_NOEXIST, BpfkitError, XDP_DROP, XDP_PASS, decodePacket, ethernet, ipv4, ipv6, loadJit, loadObject, udp,
} from '../../src/node.js';

const PATH = 'fixtures/build/xdp_counter.o';
const udpFrame = (ttl = 64) => ethernet({ payload: ipv4({ src: '10.0.0.1', dst: '10.0.0.2', ttl, payload: udp({ sport: 1, dport: 2 }) }) });

describe('public API', () => {
  it('lists programs and maps with their kinds', () => {
    const obj = loadObject(PATH);
    expect(obj.programs.map((p) => [p.name, p.section, p.type])).toEqual([['xdp_counter', 'xdp', 'xdp']]);
    expect(obj.maps.map((m) => [m.name, m.type, m.keySize, m.valueSize, m.maxEntries])).toEqual([
      ['proto_stats', 'array', 4, 16, 256],
      ['.bss', 'array', 4, 8, 1],
    ]);
    expect(obj.inspect().license).toBe('GPL');
  });

  it('runs many times on one compiled program, maps accumulating', () => {
    const obj = loadObject(PATH);
    const prog = obj.program('xdp_counter');
    for (let i = 0; i < 5; i++) expect(prog.run({ packet: udpFrame() }).retval).toBe(XDP_PASS);
    expect(obj.map('proto_stats').lookup(17)).toMatchObject({ packets: 5n });
    expect(prog.run({ packet: udpFrame(1) }).retval).toBe(XDP_DROP);
    const v6 = prog.run({ packet: ethernet({ payload: ipv6({ src: '::1', dst: '::2' }) }) });
    expect(v6.retval).toBe(XDP_PASS);
    expect(obj.map('.bss').lookup(0)).toEqual({ non_ip: 1n });
  });

  it('reads and writes maps as bytes and as BTF-typed values, with the kernel errors', () => {
    const obj = loadObject(PATH);
    const m = obj.map('proto_stats');
    m.update(6, { packets: 10n, bytes: 1000n });
    expect(m.lookup(6)).toEqual({ packets: 10n, bytes: 1000n });
    expect(m.get(6)).toEqual(Uint8Array.from([10, 0, 0, 0, 0, 0, 0, 0, 0xe8, 3, 0, 0, 0, 0, 0, 0]));
    expect(() => m.set(6, new Uint8Array(16), BPF_NOEXIST)).toThrow(/EEXIST/);
    expect(() => m.set(256, new Uint8Array(16))).toThrow(/E2BIG/);
    expect(m.entries()).toHaveLength(256);
    expect(m.entriesTyped()[6]).toEqual({ key: 6, value: { packets: 10n, bytes: 1000n } });
  });

  it('gives the same answer on the JIT', async () => {
    await loadJit();
    const a = loadObject(PATH);
    const b = loadObject(PATH);
    const ra = a.program('xdp_counter').run({ packet: udpFrame(), engine: 'interp' });
    const rb = b.program('xdp_counter').run({ packet: udpFrame(), engine: 'jit' });
    expect(rb.retval).toBe(ra.retval);
    expect(rb.packet).toEqual(ra.packet);
    expect(b.map('proto_stats').entries()).toEqual(a.map('proto_stats').entries());
    expect(decodePacket(rb.packet!).ipv4?.ttl).toBe(63);
  });

  it('reports a fault with pc and source line instead of throwing', () => {
    const obj = loadObject(PATH);
    const r = obj.program('xdp_counter').run({ packet: udpFrame(), budget: 5 });
    expect(r.error?.kind).toBe('budget');
    expect(r.error?.message).toMatch(/^pc \d+: instruction budget of 5 exhausted at \.\/fixtures\/src\/xdp_counter\.c:\d+/);
  });

  it('refuses unknown names and unreadable files with a BpfkitError', () => {
    const obj = loadObject(PATH);
    expect(() => obj.program('nope')).toThrow(/no program named 'nope' \(programs: xdp_counter\)/);
    expect(() => obj.map('nope')).toThrow(BpfkitError);
    expect(() => loadObject('no/such.o')).toThrow(/cannot read no\/such\.o: ENOENT/);
    expect(() => loadObject(new Uint8Array(10))).toThrow(/not an ELF file/);
  });
});
