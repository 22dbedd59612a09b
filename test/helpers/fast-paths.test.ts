import { describe, expect, it } from 'vitest';
import { HELPER_ARGS, mapHandle, type HelperRuntime } from '../../src/helpers/abi.js';
import { SkbContext } from '../../src/helpers/contexts/skb.js';
import { XdpContext } from '../../src/helpers/contexts/xdp.js';
import { FlowDissectorContext } from '../../src/helpers/contexts/flow-dissector.js';
import { helperId, helperName } from '../../src/helpers/helper-ids.js';
import { FAST_HELPER_IDS, fastHelperFunctions } from '../../src/helpers/impl/registry.js';
import { MapType, ProgType } from '../../src/loader/kinds.js';
import type { MapDef } from '../../src/loader/model.js';
import { harness, mapDef, u32, udpFrame, type Harness } from './util.js';

type Arg = bigint | number;
/** Calls, and steps (a context entered) run at their place in the script on each kernel. */
type Script = Array<[string, Arg[]] | (() => void)>;

/** What a call gives: r0 (signed) or the fault's kind and message. */
function outcome(f: () => bigint): string {
  try {
    return String(f());
  } catch (e) {
    return `fault: ${(e as Error).message}`;
  }
}

/** The first byte (past the argument page, which only the fast path writes) where two memories differ, or -1. */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 128; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

/** What a kernel holds after a script besides its memory: the maps, the run's redirect. */
function state(h: Harness, maps: MapDef[]): string {
  const inst = h.instance;
  const m = maps.map((d) => {
    const v = inst.map(d.name);
    return d.type === MapType.QUEUE || d.type === MapType.STACK ? v.values().map((x) => [...x]) : v.entries().map((x) => [...x.key, ...x.value]);
  });
  return `${JSON.stringify(m)} ${JSON.stringify(inst.kernel.run.redirect ?? null)}`;
}

interface Case {
  name: string;
  maps?: MapDef[];
  /** Builds the kernel's context and buffers, then the calls; run on two identical kernels. */
  script(h: Harness): Script;
}

/**
 * Runs `c` on two identical kernels, one through the HelperFns and one through the fast paths
 * (arguments at HELPER_ARGS as an engine leaves them), and compares each r0 or fault, then the
 * memory, maps and redirect they leave.
 */
function differential(c: Case): string[] {
  const maps = c.maps ?? [];
  const slow = harness(maps);
  const fastH = harness(maps);
  const a = c.script(slow);
  const b = c.script(fastH);
  const fast = fastHelperFunctions(fastH.instance.kernel);
  const rt: HelperRuntime = { memory: fastH.instance.memory, pc: 0, callFunction: () => 0n };
  const used: string[] = [];
  for (let i = 0; i < a.length; i++) {
    const step = a[i]!;
    const other = b[i]!;
    if (typeof step === 'function' || typeof other === 'function') {
      (step as () => void)();
      (other as () => void)();
      continue;
    }
    const [name, args] = step;
    const fn = fast.get(helperId(name));
    if (fn === undefined) {
      // A helper without a fast path sets the scene on both kernels alike.
      expect(`${i} ${name}: ${outcome(() => fastH.call(name, ...other[1]))}`).toBe(`${i} ${name}: ${outcome(() => slow.call(name, ...args))}`);
      continue;
    }
    used.push(name);
    const dv = fastH.instance.memory.dv;
    for (let j = 0; j < 5; j++) dv.setBigUint64(HELPER_ARGS + 8 * j, BigInt.asUintN(64, BigInt(other[1][j] ?? 0)), true);
    const want = outcome(() => slow.call(name, ...args));
    const got = outcome(() => BigInt.asIntN(64, BigInt(fn!(rt, HELPER_ARGS))));
    expect(`${i} ${name}: ${got} ${JSON.stringify(fastH.instance.kernel.run.redirect ?? null)}`).toBe(
      `${i} ${name}: ${want} ${JSON.stringify(slow.instance.kernel.run.redirect ?? null)}`,
    );
    expect(`${i} ${name}: memory differs at ${firstDifference(fastH.instance.memory.u8, slow.instance.memory.u8)}`).toBe(`${i} ${name}: memory differs at -1`);
  }
  expect(state(fastH, maps)).toBe(state(slow, maps));
  return used;
}

const tc = (h: Harness, frame = udpFrame()): { skb: number; ctx: SkbContext } => {
  const ctx = new SkbContext(h.instance.memory, frame, { l2: true, directAccess: true });
  h.enter(ProgType.SCHED_CLS, ctx);
  return { skb: ctx.address, ctx };
};
const xdp = (h: Harness, frame = udpFrame()): { x: number; ctx: XdpContext } => {
  const ctx = new XdpContext(h.instance.memory, frame);
  h.enter(ProgType.XDP, ctx);
  return { x: ctx.address, ctx };
};
const HI = 1n << 32n;

const CASES: Case[] = [
  {
    name: 'csum_diff: sizes, NULL from, unaligned tails, bad and high pointers',
    script: (h) => {
      const b = h.buf(new Uint8Array(Array.from({ length: 40 }, (_, i) => (i * 37 + 11) & 0xff)));
      const ro = h.buf(new Uint8Array([1, 2, 3, 4, 5, 6, 7]), false);
      const out: Script = [];
      for (const fs of [0, 3, 4, 8, 20]) for (const ts of [0, 1, 4, 7, 16]) out.push(['csum_diff', [b, fs, b + 13, ts, 0x1234abcd]]);
      out.push(
        ['csum_diff', [0, 8, b, 4, 0xffffffff]],
        ['csum_diff', [0, 0, 0, 0, 0x12345678]],
        ['csum_diff', [ro, 7, ro, 7, HI | 5n]],
        ['csum_diff', [b, 41, b, 4, 0]],
        ['csum_diff', [b + 36, 4, b + 37, 4, 0]],
        ['csum_diff', [b, 4, 16, 4, 0]],
        ['csum_diff', [HI | BigInt(b), 4, b, 4, 0]],
        ['csum_diff', [HI, 4, b, 4, 0]],
        ['csum_diff', [b, HI | 4n, b, HI | 8n, 0]],
        ['csum_diff', [b, 4, HI | BigInt(b), 4, 0]],
      );
      return out;
    },
  },
  {
    name: 'l3/l4_csum_replace: each field size, flags, odd and far offsets, no skb',
    script: (h) => {
      const { skb, ctx } = tc(h);
      const out: Script = [];
      for (const name of ['l3_csum_replace', 'l4_csum_replace']) {
        for (const f of [0, 2, 4, 3, 8, 0x10 | 4, 0x20 | 2, 0x60 | 4, 0x80 | 2, 0x100, 0xff, HI | 4n, -1n]) {
          out.push([name, [skb, 24, 0x0a000001, 0xc0a80101, f]], [name, [skb, 40, 0, 0xdeadbeef, f]], [name, [skb, 40, HI, 0x1234, f]]);
        }
        out.push(
          [name, [skb, 25, 1, 2, 2]],
          [name, [skb, ctx.len - 2, 1, 2, 2]],
          [name, [skb, ctx.len, 1, 2, 2]],
          [name, [skb, 0x10000, 1, 2, 2]],
          [name, [skb, HI | 24n, 0x1111, 0x2222, 2]],
          [name, [skb, 40, 0, 0, 0x20]],
        );
      }
      // A zero UDP checksum stays zero unless enforced.
      out.push(['skb_store_bytes', [skb, 40, h.buf(2), 2, 0]]);
      out.push(['l4_csum_replace', [skb, 40, 1, 2, 0x20 | 2]], ['l4_csum_replace', [skb, 40, 0x1234, 0x1234, 0x60 | 2]]);
      return out;
    },
  },
  {
    name: 'l3_csum_replace outside an skb program',
    script: (h) => {
      const { x } = xdp(h);
      return [
        ['l3_csum_replace', [x, 24, 1, 2, 2]],
        ['l4_csum_replace', [x, 24, 1, 2, 2]],
      ];
    },
  },
  {
    name: 'queue and stack push/pop/peek: full, BPF_EXIST, bad flags, empty, bad destinations',
    maps: [
      mapDef({ name: 'q', type: MapType.QUEUE, keySize: 0, valueSize: 6, maxEntries: 3 }),
      mapDef({ name: 's', type: MapType.STACK, keySize: 0, valueSize: 6, maxEntries: 3 }),
      mapDef({ name: 'big', type: MapType.QUEUE, keySize: 0, valueSize: 100, maxEntries: 40 }),
      mapDef({ name: 'h', type: MapType.HASH }),
      mapDef({ name: 'bloom', type: MapType.BLOOM_FILTER, keySize: 0, valueSize: 4, maxEntries: 8, mapExtra: 2 }),
    ],
    script: (h) => {
      const vals = [1, 2, 3, 4, 5].map((n) => h.buf(new Uint8Array([n, n + 1, n + 2, n + 3, n + 4, n + 5])));
      const big = h.buf(new Uint8Array(Array.from({ length: 100 }, (_, i) => i)));
      const out = h.buf(new Uint8Array(8).fill(0xee));
      const ro = h.buf(new Uint8Array(8).fill(0xaa), false);
      const bigOut = h.buf(100);
      const calls: Script = [];
      for (const m of [0, 1]) {
        const M = mapHandle(m);
        calls.push(
          ['map_pop_elem', [M, out]],
          ['map_peek_elem', [M, out]],
          ['map_pop_elem', [M, ro]],
          ['map_push_elem', [M, vals[0]!, 0]],
          ['map_push_elem', [M, vals[1]!, 1]],
          ['map_push_elem', [M, vals[1]!, 3]],
          ['map_push_elem', [M, vals[1]!, HI | 2n]],
          ['map_push_elem', [M, vals[1]!, 2]],
          ['map_push_elem', [M, vals[2]!, 0]],
          ['map_push_elem', [M, vals[3]!, 0]],
          ['map_push_elem', [M, vals[3]!, 2]],
          ['map_push_elem', [M, 16, 0]],
          ['map_push_elem', [M, ro + 4, 0]],
          ['map_peek_elem', [M, out]],
          ['map_pop_elem', [M, out + 2]],
          ['map_pop_elem', [M, ro]],
          ['map_peek_elem', [M, ro]],
          ['map_pop_elem', [M, HI | BigInt(out)]],
          ['map_pop_elem', [M, out]],
          ['map_push_elem', [M, vals[4]!, 0]],
          ['map_pop_elem', [M, out]],
          ['map_pop_elem', [M, out]],
          ['map_pop_elem', [M, out]],
          ['map_peek_elem', [M, out]],
        );
      }
      const B = mapHandle(2);
      for (let i = 0; i < 45; i++) calls.push(['map_push_elem', [B, big + (i % 3), i % 7 === 0 ? 2 : 0]]);
      for (let i = 0; i < 20; i++) calls.push([i % 4 === 0 ? 'map_peek_elem' : 'map_pop_elem', [B, bigOut]]);
      for (let i = 0; i < 30; i++) calls.push(['map_push_elem', [B, big + i, 2]]);
      calls.push(
        ['map_push_elem', [mapHandle(3), vals[0]!, 0]],
        ['map_pop_elem', [mapHandle(3), out]],
        ['map_peek_elem', [mapHandle(3), out]],
        ['map_push_elem', [mapHandle(4), vals[0]!, 0]],
        ['map_peek_elem', [mapHandle(4), vals[0]!]],
        ['map_peek_elem', [mapHandle(4), vals[1]!]],
        ['map_pop_elem', [mapHandle(4), out]],
        ['map_push_elem', [0x1234, vals[0]!, 0]],
        ['map_pop_elem', [HI | BigInt(mapHandle(0)), out]],
      );
      return calls;
    },
  },
  {
    name: 'skb_load_bytes/skb_store_bytes: offsets at the end, past it, huge, zero length, flags, bad buffers',
    script: (h) => {
      const { skb, ctx } = tc(h);
      const buf = h.buf(new Uint8Array(16).fill(0xff));
      const ro = h.buf(new Uint8Array(16).fill(0x55), false);
      const src = h.buf(new Uint8Array(Array.from({ length: 16 }, (_, i) => 0xa0 + i)));
      const L = ctx.len;
      const out: Script = [];
      for (const [off, n] of [[0, 4], [12, 2], [L - 4, 4], [L - 3, 4], [L, 0], [L, 1], [0x7fffffff, 2], [0x80000000, 2], [0, 0], [5, 16]] as const) {
        out.push(['skb_load_bytes', [skb, off, buf, n]], ['skb_store_bytes', [skb, off, src, n, 0]]);
      }
      out.push(
        ['skb_load_bytes', [skb, HI | 2n, buf, 2]],
        ['skb_load_bytes', [skb, 0, buf, HI | 2n]],
        ['skb_load_bytes', [skb, 0, ro, 4]],
        ['skb_load_bytes', [skb, L, ro, 4]],
        ['skb_load_bytes', [skb, 0, 16, 4]],
        ['skb_load_bytes', [skb, 0, buf + 14, 4]],
        ['skb_store_bytes', [skb, 0, src, 4, 1]],
        ['skb_store_bytes', [skb, 0, src, 4, 2]],
        ['skb_store_bytes', [skb, 0, src, 4, 3]],
        ['skb_store_bytes', [skb, 0, src, 4, 4]],
        ['skb_store_bytes', [skb, 0, src, 4, HI | 2n]],
        ['skb_store_bytes', [skb, 0, 16, 4, 0]],
        ['skb_store_bytes', [skb, 0, src + 14, 4, 0]],
        ['skb_store_bytes', [skb, L - 2, HI | BigInt(src), 2, 0]],
        ['skb_store_bytes', [skb, 0, ro, 8, 2]],
      );
      // The packet stored into itself: overlapping moves.
      out.push(['skb_store_bytes', [skb, 2, ctx.data, 10, 0]], ['skb_load_bytes', [skb, 0, ctx.data + 3, 10]]);
      return out;
    },
  },
  {
    name: 'skb_load_bytes in a flow dissector and in XDP',
    script: (h) => {
      const buf = h.buf(new Uint8Array(8).fill(0xff));
      const { x } = xdp(h);
      const out: Script = [['skb_load_bytes', [x, 0, buf, 4]], ['skb_store_bytes', [x, 0, buf, 4, 0]]];
      const fd = new FlowDissectorContext(h.instance.memory, udpFrame());
      out.push(() => h.enter(ProgType.FLOW_DISSECTOR, fd));
      out.push(['skb_load_bytes', [0, 0, buf, 4]], ['skb_load_bytes', [0, 0, 16, 4]], ['skb_load_bytes', [0, 0, buf, 0]]);
      return out;
    },
  },
  {
    name: 'xdp_load_bytes/xdp_store_bytes: the end of the packet, 0xffff limits, bad buffers, no xdp context',
    script: (h) => {
      const { x, ctx } = xdp(h);
      const buf = h.buf(new Uint8Array(16).fill(0xff));
      const ro = h.buf(new Uint8Array(16).fill(0x55), false);
      const src = h.buf(new Uint8Array(Array.from({ length: 16 }, (_, i) => 0xa0 + i)));
      const L = ctx.length;
      const out: Script = [];
      for (const [off, n] of [[0, 4], [L - 4, 4], [L - 3, 4], [L, 0], [0x10000, 1], [0, 0x10000], [0xffff, 0], [0, 0], [HI, 2]] as const) {
        out.push(['xdp_load_bytes', [x, off, buf, n]], ['xdp_store_bytes', [x, off, src, n]]);
      }
      out.push(
        ['xdp_load_bytes', [x, 0, ro, 4]],
        ['xdp_load_bytes', [x, 0, HI | BigInt(buf), 4]],
        ['xdp_store_bytes', [x, 0, 16, 4]],
        ['xdp_store_bytes', [x, 0, ro, 8]],
        ['xdp_store_bytes', [x, 1, ctx.data, 9]],
        ['xdp_load_bytes', [x, 0, ctx.data + 5, 9]],
      );
      const skb = new SkbContext(h.instance.memory, udpFrame(), { l2: true, directAccess: true });
      out.push(() => h.enter(ProgType.SCHED_CLS, skb));
      out.push(['xdp_load_bytes', [x, 0, buf, 4]], ['xdp_store_bytes', [x, 0, src, 4]]);
      return out;
    },
  },
  {
    name: 'redirect_map: devmap, cpumap, empty slots, fallback actions, BPF_F_BROADCAST, bad flags, maps that cannot redirect',
    maps: [
      mapDef({ type: MapType.DEVMAP, name: 'ports', valueSize: 4, maxEntries: 4 }),
      mapDef({ type: MapType.CPUMAP, name: 'cpus', valueSize: 4, maxEntries: 2 }),
      mapDef({ type: MapType.ARRAY, name: 'arr', valueSize: 4, maxEntries: 2 }),
    ],
    script: (h) => {
      xdp(h);
      h.instance.map('ports').set(1, u32(5));
      h.instance.map('cpus').set(0, u32(64));
      const out: Script = [];
      for (const m of [0, 1, 2]) {
        for (const key of [0, 1, 3, 9, HI | 1n]) {
          for (const f of [0, 1, 2, 3, 4, 8, 8 | 2, 16, 16 | 8, 0x20, HI, HI | 2n]) out.push(['redirect_map', [mapHandle(m), key, f]]);
        }
      }
      out.push(['redirect_map', [0x1234, 0, 0]], ['redirect_map', [HI | BigInt(mapHandle(0)), 1, 0]]);
      return out;
    },
  },
  {
    name: 'check_mtu: XDP and skb, given lengths, len_diff, SEGS, unknown devices, bad mtu_len',
    script: (h) => {
      const len = h.buf(4);
      const ro = h.buf(4, false);
      const calls = (ctx: number): Script => {
        const out: Script = [];
        for (const f of [0, 1, 2, HI, HI | 1n]) {
          for (const diff of [0, 1, -1, 100, -20, -27, -28, -29, 2000, HI, HI | 1n, HI - 1n, -(2n ** 31n)]) {
            out.push(['check_mtu', [ctx, 0, len, diff, f]]);
          }
        }
        out.push(
          ['check_mtu', [ctx, 1, len, 0, 0]],
          ['check_mtu', [ctx, 7, len, 0, 0]],
          ['check_mtu', [ctx, HI, len, 0, 0]],
          ['check_mtu', [ctx, 0, ro, 0, 0]],
          ['check_mtu', [ctx, 0, 16, 0, 0]],
          ['check_mtu', [ctx, 0, len + 2, 0, 0]],
        );
        // A length given in mtu_len (each call leaves the MTU there): under, over and at its limit, with SEGS.
        for (const given of [1400, 1600, 0xffffffff]) {
          for (const f of [0, 1]) out.push(['check_mtu', [ctx, 0, h.buf(u32(given)), 0, f]]);
        }
        return out;
      };
      const x = new XdpContext(h.instance.memory, udpFrame('x'.repeat(1500)));
      const skb = new SkbContext(h.instance.memory, udpFrame('y'.repeat(1500)), { l2: true, directAccess: true });
      const out: Script = [() => h.enter(ProgType.XDP, x), ...calls(x.address), () => h.enter(ProgType.SCHED_CLS, skb), ...calls(skb.address)];
      out.push(() => h.enter(ProgType.KPROBE), ['check_mtu', [0, 0, len, 0, 0]]);
      return out;
    },
  },
  {
    name: 'skb_set/get_tunnel_key: sizes, flags, IPv4 and IPv6, labels, no metadata, bad buffers, no skb',
    script: (h) => {
      const key = h.buf(new Uint8Array(Array.from({ length: 44 }, (_, i) => (i === 22 || i === 23 ? 0 : (i * 29 + 3) & 0xff))));
      const v4 = h.buf(new Uint8Array(44).fill(0));
      new DataView(h.instance.memory.u8.buffer).setUint32(v4, 42, true);
      h.instance.memory.u8.set([10, 0, 0, 1], v4 + 4);
      h.instance.memory.u8.set([64, 7], v4 + 20);
      h.instance.memory.u8.set([10, 0, 0, 2], v4 + 28);
      const ext = h.buf(new Uint8Array(44).fill(1));
      const out = h.buf(new Uint8Array(48).fill(0xee));
      const ro = h.buf(new Uint8Array(44), false);
      const steps: Script = [];
      const { x } = xdp(h);
      const skb = new SkbContext(h.instance.memory, udpFrame(), { l2: true, directAccess: true });
      steps.push(['skb_get_tunnel_key', [x, out, 44, 0]], () => h.enter(ProgType.SCHED_CLS, skb));
      steps.push(['skb_get_tunnel_key', [skb.address, out, 44, 0]], ['skb_get_tunnel_key', [skb.address, out, 0, 0]]);
      for (const [src, fs] of [[v4, [0, 2, 4, 8, 16, 2 | 4 | 8 | 16]], [key, [1, 1 | 16, 0]], [ext, [0, 1]]] as const) {
        for (const sf of fs) {
          for (const size of [44, 28, 24, 22, 8, 12, 0]) steps.push(['skb_set_tunnel_key', [skb.address, src, size, sf]]);
          for (const gf of [0, 1, 16, 17, 2, HI]) for (const size of [44, 28, 24, 22, 8, 4, 0]) steps.push(['skb_get_tunnel_key', [skb.address, out, size, gf]]);
        }
      }
      steps.push(
        ['skb_set_tunnel_key', [skb.address, v4, 44, 0]],
        ['skb_set_tunnel_key', [skb.address, v4, 44, HI]],
        ['skb_set_tunnel_key', [skb.address, v4, 44, 32]],
        ['skb_set_tunnel_key', [skb.address, 16, 44, 0]],
        ['skb_set_tunnel_key', [skb.address, v4 + 4, 44, 0]],
        ['skb_get_tunnel_key', [skb.address, ro, 44, 0]],
        ['skb_get_tunnel_key', [skb.address, out + 8, 44, 0]],
        ['skb_get_tunnel_key', [skb.address, HI | BigInt(out), 44, 0]],
        ['skb_get_tunnel_key', [skb.address, out, 44, 0]],
      );
      return steps;
    },
  },
  {
    name: 'ktime_get_ns, get_prandom_u32, get_smp_processor_id',
    script: () => [
      ['ktime_get_ns', []],
      ['get_prandom_u32', []],
      ['get_prandom_u32', []],
      ['get_smp_processor_id', []],
      ['ktime_get_ns', []],
    ],
  },
];

describe('fast paths (FastHelperFn) against their HelperFns', () => {
  const covered = new Set<string>();
  for (const c of CASES) {
    it(c.name, () => {
      for (const n of differential(c)) covered.add(n);
    });
  }
  it('every fast path outside the map and string helpers is covered here', () => {
    // The map operations and strtol/strtoul have their own differential tests.
    const elsewhere = new Set(['map_lookup_elem', 'map_update_elem', 'map_delete_elem', 'map_lookup_percpu_elem', 'strtol', 'strtoul']);
    const missing = [...FAST_HELPER_IDS].map((id) => helperName(id).replace(/^bpf_/, '')).filter((n) => !elsewhere.has(n) && !covered.has(n));
    expect(missing).toEqual([]);
  });
});
