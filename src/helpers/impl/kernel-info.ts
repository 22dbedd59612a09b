import { SkbContext, SkbField } from '../contexts/skb.js';
import { Errno } from '../errno.js';
import { readUser } from './probe.js';
import { copyIn, copyOut, lowAddress, u32, zeroOut } from './args.js';
import type { HelperGroup } from './group.js';

/** The network namespace cookie of init_net, as the reference kernel gives it (recorded: 3). */
const INIT_NET_COOKIE = 3n;
const NSIG = 64;
const SKB_CLOCK = { REALTIME: 0n, MONOTONIC: 1n, TAI: 2n } as const;

/**
 * What the simulated kernel says about the current task, its cgroups and namespaces, the socket of
 * a test run (a full socket, not TCP, not listening), user memory writes and copies, signals and
 * timestamps: the values the test configured (`task`, `kernelMemory`, `userMemory`).
 */
export const kernelInfoHelpers: HelperGroup = (k) => {
  const ancestor = (level: bigint): bigint => {
    const chain = [...k.task.cgroupAncestors, k.task.cgroupId];
    const l = Number(BigInt.asUintN(32, level));
    // cgroup_id of the ancestor at `level` (0 = root); deeper than the cgroup itself: 0.
    if (chain.length === 1) return l === 0 ? k.task.cgroupId : 0n;
    return l < chain.length ? chain[l]! : 0n;
  };
  return {
    get_current_task: () => k.task.address,
    get_current_task_btf: () => k.task.address,
    get_current_cgroup_id: () => k.task.cgroupId,
    get_current_ancestor_cgroup_id: (_rt, level) => ancestor(level),
    skb_cgroup_id: () => k.task.cgroupId,
    skb_ancestor_cgroup_id: (_rt, _skb, level) => ancestor(level),
    sk_cgroup_id: () => k.task.cgroupId,
    sk_ancestor_cgroup_id: (_rt, _sk, level) => ancestor(level),
    // No net_cls cgroup and no routing realm in a test run.
    get_cgroup_classid: () => 0n,
    skb_cgroup_classid: () => 0n,
    get_route_realm: () => 0n,
    get_netns_cookie: () => INIT_NET_COOKIE,
    get_attach_cookie: () => 0n,
    get_ns_current_pid_tgid: (_rt, dev, ino, nsdata, size) => {
      if (u32(size) !== 8) return BigInt(-Errno.EINVAL);
      const ns = k.task.pidNs;
      if (BigInt.asUintN(64, dev) !== ns.dev || BigInt.asUintN(64, ino) !== ns.ino) {
        zeroOut(k.memory, nsdata, 8);
        return BigInt(-Errno.ENOENT);
      }
      const out = new Uint8Array(8);
      new DataView(out.buffer).setUint32(0, k.task.pid >>> 0, true);
      new DataView(out.buffer).setUint32(4, k.task.tgid >>> 0, true);
      copyOut(k.memory, nsdata, out);
      return 0n;
    },

    // The test run's socket: a full socket (sk_alloc), not a TCP socket, not listening.
    sk_fullsock: (_rt, sk) => (lowAddress(sk) > 0 ? sk : 0n),
    tcp_sock: () => 0n,
    get_listener_sock: () => 0n,

    skb_set_tstamp: (_rt, _skb, tstamp, type) => {
      const c = k.run.context;
      if (!(c instanceof SkbContext)) return BigInt(-Errno.EINVAL);
      // Only IPv4 and IPv6 packets carry a delivery time (recorded: an ARP frame is -EOPNOTSUPP).
      if (c.protocol !== 0x0800 && c.protocol !== 0x86dd) return BigInt(-Errno.EOPNOTSUPP);
      const t = BigInt.asUintN(64, type);
      const ts = BigInt.asUintN(64, tstamp);
      if (t !== SKB_CLOCK.REALTIME && t !== SKB_CLOCK.MONOTONIC && t !== SKB_CLOCK.TAI) return BigInt(-Errno.EINVAL);
      if (t !== SKB_CLOCK.REALTIME && ts === 0n) return BigInt(-Errno.EINVAL);
      k.memory.dv.setBigUint64(c.address + SkbField.tstamp, ts, true);
      k.memory.u8[c.address + SkbField.tstamp_type] = Number(t);
      return 0n;
    },

    send_signal: (_rt, sig) => signal(u32(sig), 'process'),
    send_signal_thread: (_rt, sig) => signal(u32(sig), 'thread'),

    probe_write_user: (_rt, dst, src, len) => {
      const n = u32(len);
      const to = k.userMemory.read(BigInt.asUintN(64, dst), n);
      if (to === undefined) return BigInt(-Errno.EFAULT);
      to.set(copyIn(k.memory, src, n));
      return 0n;
    },
    copy_from_user: (_rt, dst, size, ptr) => copyUser(u32(size), dst, ptr),
    copy_from_user_task: (_rt, dst, size, ptr, _task, flags) => (flags !== 0n ? BigInt(-Errno.EINVAL) : copyUser(u32(size), dst, ptr)),
  };

  function signal(sig: number, to: 'process' | 'thread'): bigint {
    if (sig >= NSIG) return BigInt(-Errno.EINVAL);
    k.run.signals.push({ signal: sig, to });
    return 0n;
  }

  function copyUser(n: number, dst: bigint, ptr: bigint): bigint {
    const r = readUser(k, ptr, n);
    if (typeof r === 'number') {
      zeroOut(k.memory, dst, n);
      return BigInt(r);
    }
    copyOut(k.memory, dst, r.slice());
    return 0n;
  }
};
