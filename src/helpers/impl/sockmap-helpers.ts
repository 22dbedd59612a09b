import { SockOpsContext, SockOps } from '../contexts/sock-ops.js';
import { Errno } from '../errno.js';
import { FaultSignal } from '../fault.js';
import type { KernelState } from '../kernel/state.js';
import type { SimSocket } from '../kernel/sockets.js';
import { hexOf, UpdateFlags } from '../maps/map.js';
import { SockMap, SockMapBase, sockRedirectAllowed } from '../maps/sockmap.js';
import { copyIn, u32 } from './args.js';
import type { HelperGroup } from './group.js';
import { socketAt, sockPointer } from './sockets.js';

const SK_DROP = 0n;
const SK_PASS = 1n;
const BPF_F_INGRESS = 1n;
/** sock_map_op_okay: the callbacks a sock_ops program may add its socket from. */
const ESTABLISHED_OR_LISTEN_CB = new Set([4, 5, 11]);

/** bpf_map_lookup_elem on a socket map: the socket as a struct bpf_sock (a reference the program releases), or NULL. */
export function sockMapLookup(k: KernelState, map: SockMapBase, key: Uint8Array): bigint {
  const s = map.socketAt(key);
  return s === undefined ? 0n : BigInt(sockPointer(k, s));
}

/** bpf_map_update_elem on a socket map: the value is a socket pointer (sock_map_update_elem). */
export function sockMapUpdate(k: KernelState, map: SockMapBase, key: Uint8Array, sk: bigint, flags: number): bigint {
  const s = socketAt(k, Number(BigInt.asUintN(64, sk)));
  if (s === undefined) return BigInt(-Errno.EINVAL);
  return BigInt(map.updateSocket(key, s, flags));
}

const where = (s: SimSocket): { local: string; remote?: string } => ({
  local: `${s.localIp}:${s.localPort}`,
  ...(s.remoteIp !== undefined ? { remote: `${s.remoteIp}:${s.remotePort ?? 0}` } : {}),
});

/**
 * Socket-map helpers: sock_ops adding its own socket (bpf_sock_map_update / bpf_sock_hash_update,
 * only from the established and listen callbacks, else -EOPNOTSUPP), and the redirects of sk_skb
 * (bpf_sk_redirect_map/hash) and sk_msg (bpf_msg_redirect_map/hash): SK_PASS with the target
 * socket recorded in the result's `redirect`, SK_DROP for unknown flags, an empty key, a listening
 * TCP or unconnected UDP target, or (sk_msg, egress) a target that is not TCP.
 */
export const sockMapHelpers: HelperGroup = (k) => {
  const sockOpsSocket = (ctx: bigint, name: string): { c: SockOpsContext; op: number } => {
    const c = k.run.context;
    if (!(c instanceof SockOpsContext) || Number(BigInt.asUintN(64, ctx)) !== c.address) throw new FaultSignal('helper', `${name}: the first argument is not a sock_ops context`);
    return { c, op: k.memory.dv.getUint32(c.address + SockOps.op, true) };
  };
  const socketMap = (m: bigint, name: string): SockMapBase => {
    const map = k.mapArg(m, name);
    if (!(map instanceof SockMapBase)) throw new FaultSignal('helper', `${name}: map '${map.name}' is not a sockmap or sockhash`);
    return map;
  };
  const addOwn = (name: string) => (_rt: unknown, ctx: bigint, m: bigint, key: bigint, flags: bigint): bigint => {
    const { c, op } = sockOpsSocket(ctx, name);
    const map = socketMap(m, name);
    if (!ESTABLISHED_OR_LISTEN_CB.has(op)) return BigInt(-Errno.EOPNOTSUPP);
    const f = BigInt.asUintN(64, flags);
    if (f > BigInt(UpdateFlags.EXIST)) return BigInt(-Errno.EINVAL);
    // sock_map_update_common without the state check of an update from user space.
    return BigInt(map.updateSocket(copyIn(k.memory, key, map.keySize), c.socket, Number(f)));
  };
  const redirect = (name: string, msg: boolean, byKey: 'index' | 'pointer') =>
    (_rt: unknown, _ctx: bigint, m: bigint, key: bigint, flags: bigint): bigint => {
      const map = socketMap(m, name);
      const f = BigInt.asUintN(64, flags);
      if ((f & ~BPF_F_INGRESS) !== 0n) return SK_DROP;
      let keyBytes: Uint8Array;
      if (byKey === 'index') {
        if (!(map instanceof SockMap)) throw new FaultSignal('helper', `${name}: map '${map.name}' is not a sockmap`);
        keyBytes = new Uint8Array(4);
        new DataView(keyBytes.buffer).setUint32(0, u32(key), true);
      } else keyBytes = copyIn(k.memory, key, map.keySize);
      const s = map.socketAt(keyBytes);
      if (s === undefined || !sockRedirectAllowed(s)) return SK_DROP;
      if (msg && (f & BPF_F_INGRESS) === 0n && s.protocol !== 'tcp') return SK_DROP;
      k.run.redirect = { ifindex: 0, flags: Number(f), map: map.name, socket: { key: hexOf(keyBytes), ...where(s) } };
      return SK_PASS;
    };
  return {
    sock_map_update: addOwn('bpf_sock_map_update'),
    sock_hash_update: addOwn('bpf_sock_hash_update'),
    sk_redirect_map: redirect('bpf_sk_redirect_map', false, 'index'),
    sk_redirect_hash: redirect('bpf_sk_redirect_hash', false, 'pointer'),
    msg_redirect_map: redirect('bpf_msg_redirect_map', true, 'index'),
    msg_redirect_hash: redirect('bpf_msg_redirect_hash', true, 'pointer'),
  };
};
