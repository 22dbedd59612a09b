import { SkbContext } from '../contexts/skb.js';
import { XdpContext } from '../contexts/xdp.js';
import { Errno } from '../errno.js';
import type { Addr } from '../kernel/network.js';
import type { KernelState } from '../kernel/state.js';
import { parseAddress } from '../kernel/network.js';
import { FaultSignal } from '../fault.js';
import { checkedAddress, s32, u32, view } from './args.js';
import { argHi, argIsZero, argPointer, argU32 } from './fast-args.js';
import type { FastHelperGroup, HelperGroup } from './group.js';

/** sizeof(struct bpf_fib_lookup) and its fields' offsets. */
const FIB = { size: 64, family: 0, tot_len: 6, ifindex: 8, rt_metric: 12, src: 16, dst: 32, vlan_proto: 48, vlan_tci: 50, tbid: 48, smac: 52, dmac: 58 } as const;
const Flag = { DIRECT: 1, OUTPUT: 2, SKIP_NEIGH: 4, TBID: 8, SRC: 16, MARK: 32 } as const;
const ALL_FLAGS = 63;
/** BPF_FIB_LKUP_RET_*. */
export const FibResult = { SUCCESS: 0, BLACKHOLE: 1, UNREACHABLE: 2, PROHIBIT: 3, NOT_FWDED: 4, FWD_DISABLED: 5, UNSUPP_LWT: 6, NO_NEIGH: 7, FRAG_NEEDED: 8, NO_SRC_ADDR: 9 } as const;
const AF_INET = 2;
const AF_INET6 = 10;
const EAFNOSUPPORT = 97;
const ETH_HLEN = 14;
const BPF_MTU_CHK_SEGS = 1n;
const MTU_CHK_FRAG_NEEDED = 1;
/** The device a test run's packet arrived on: the loopback device. */
const RUN_DEVICE = 1;

/**
 * bpf_fib_lookup and bpf_check_mtu against the simulated network (kernel/network.ts): the same
 * struct bpf_fib_lookup in and out, the same BPF_FIB_LKUP_RET_* answers as
 * bpf_ipv4/ipv6_fib_lookup (net/core/filter.c), from the routes, neighbours and devices the test
 * configured.
 */
export const routeHelpers: HelperGroup = (k) => ({
  fib_lookup: (_rt, _ctx, params, plen, flags) => {
    const c = k.run.context;
    if (!(c instanceof XdpContext) && !(c instanceof SkbContext)) throw new FaultSignal('helper', 'bpf_fib_lookup needs an xdp_md or __sk_buff context');
    if (s32(plen) < FIB.size) return BigInt(-Errno.EINVAL);
    const f = u32(flags);
    if (f & ~ALL_FLAGS) return BigInt(-Errno.EINVAL);
    const p = view(k.memory, params, FIB.size, true);
    const dv = new DataView(p.buffer, p.byteOffset, FIB.size);
    const family = p[FIB.family]!;
    if (family !== AF_INET && family !== AF_INET6) return BigInt(-EAFNOSUPPORT);
    const alen = family === AF_INET ? 4 : 16;
    if (k.devices.get(dv.getUint32(FIB.ifindex, true)) === undefined) return BigInt(-Errno.ENODEV);
    if (!k.net.forwarding) return BigInt(FibResult.FWD_DISABLED);
    const dst: Addr = p.slice(FIB.dst, FIB.dst + alen);
    const table = f & Flag.DIRECT && f & Flag.TBID ? dv.getUint32(FIB.tbid, true) : 254;
    const route = k.net.lookup(dst, table);
    if (route === undefined) return BigInt(FibResult.NOT_FWDED);
    switch (route.type ?? 'unicast') {
      case 'blackhole':
        return BigInt(FibResult.BLACKHOLE);
      case 'unreachable':
        return BigInt(FibResult.UNREACHABLE);
      case 'prohibit':
        return BigInt(FibResult.PROHIBIT);
      case 'local':
        return BigInt(FibResult.NOT_FWDED);
      default:
    }
    const dev = k.devices.get(route.dev);
    if (dev === undefined) return BigInt(FibResult.NOT_FWDED);
    const mtu = route.mtu ?? dev.mtu;
    if (dv.getUint16(FIB.tot_len, true) > mtu) {
      dv.setUint16(FIB.tot_len, mtu, true);
      return BigInt(FibResult.FRAG_NEEDED);
    }
    dv.setUint32(FIB.rt_metric, route.metric ?? 0, true);
    dv.setUint32(FIB.ifindex, dev.ifindex, true);
    if (f & Flag.SRC) {
      const src = route.src ?? dev.addresses?.find((a) => parseAddress(a).length === alen);
      if (src === undefined) return BigInt(FibResult.NO_SRC_ADDR);
      p.set(parseAddress(src), FIB.src);
    }
    if (!(f & Flag.SKIP_NEIGH)) {
      const hop = route.via === undefined ? dst : parseAddress(route.via);
      if (route.via !== undefined) p.set(hop, FIB.dst);
      const mac = k.net.neighbour(dev.ifindex, hop);
      if (mac === undefined) return BigInt(FibResult.NO_NEIGH);
      p.set(mac, FIB.dmac);
      p.set(dev.mac, FIB.smac);
    }
    dv.setUint16(FIB.vlan_tci, 0, true);
    dv.setUint16(FIB.vlan_proto, 0, true);
    dv.setUint16(FIB.tot_len, mtu, true);
    return BigInt(FibResult.SUCCESS);
  },
  check_mtu: (_rt, _ctx, ifindex, mtuLen, lenDiff, flags) => {
    const f = BigInt.asUintN(64, flags);
    const out = mtuContext(k);
    const at = checkedAddress(k.memory, mtuLen, 4, true);
    return BigInt(checkMtu(k, out, at, Number(f & 0xffffffffn), Number(f >> 32n), u32(ifindex), lenDiff !== 0n, s32(lenDiff)));
  },
});

/** The fast path (FastHelperFn) of bpf_check_mtu: the same checks on the registers' halves. */
export const routeFastHelpers: FastHelperGroup = (k) => ({
  check_mtu: (_rt, a) => {
    const c = mtuContext(k);
    const m = k.memory;
    const at = argPointer(m, a, 3, 4, true);
    return checkMtu(k, c, at, argU32(m, a, 5), argHi(m, a, 5), argU32(m, a, 2), !argIsZero(m, a, 4), m.dv.getInt32(a + 24, true));
  },
});

/** The context bpf_check_mtu measures, or the fault for any other. */
function mtuContext(k: KernelState): XdpContext | SkbContext {
  const c = k.run.context;
  if (!(c instanceof XdpContext) && !(c instanceof SkbContext)) throw new FaultSignal('helper', 'bpf_check_mtu needs an xdp_md or __sk_buff context');
  return c;
}

/**
 * bpf_check_mtu once its context is known and its mtu_len pointer checked (at `at`): flags as
 * halves, `lenDiffSet` whether len_diff is not 0 and `lenDiff` its s32 value.
 */
function checkMtu(k: KernelState, c: XdpContext | SkbContext, at: number, flagsLo: number, flagsHi: number, ifindex: number, lenDiffSet: boolean, lenDiff: number): number {
  const xdp = c instanceof XdpContext;
  const dv = k.memory.dv;
  const given = dv.getUint32(at, true);
  const segs = Number(BPF_MTU_CHK_SEGS);
  if (xdp ? (flagsLo | flagsHi) !== 0 : flagsHi !== 0 || flagsLo & ~segs) return -Errno.EINVAL;
  if (!xdp && flagsLo & segs && (lenDiffSet || given !== 0)) return -Errno.EINVAL;
  const dev = k.devices.get(ifindex === 0 ? RUN_DEVICE : ifindex);
  if (dev === undefined) return -Errno.ENODEV;
  const devLen = dev.mtu + ETH_HLEN;
  let len = given !== 0 ? given + ETH_HLEN : xdp ? c.length : c.len;
  len += lenDiff;
  dv.setUint32(at, dev.mtu, true);
  return len > devLen ? MTU_CHK_FRAG_NEEDED : 0;
}
