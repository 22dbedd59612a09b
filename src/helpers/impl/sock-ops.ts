import { Errno } from '../errno.js';
import { SockOps } from '../contexts/sock-ops.js';
import type { HelperGroup } from './group.js';

/** BPF_SOCK_OPS_ALL_CB_FLAGS: RTO, RETRANS, STATE, RTT, PARSE_ALL_HDR_OPT, PARSE_UNKNOWN_HDR_OPT, WRITE_HDR_OPT. */
const ALL_CB_FLAGS = 0x7f;

/**
 * Helpers of sock_ops programs on the simulated TCP socket. bpf_sock_ops_cb_flags_set keeps the
 * known callback flags on the socket (what ctx->bpf_sock_ops_cb_flags then reads) and, as the
 * kernel does, answers the bits it did not know (0 when all were known); a context without a
 * full socket is -EINVAL.
 */
export const sockOpsHelpers: HelperGroup = (k) => ({
  sock_ops_cb_flags_set: (_rt, ctx, argval) => {
    const a = Number(BigInt.asUintN(64, ctx));
    const full = k.memory.dv.getUint32(a + SockOps.is_fullsock, true);
    if (!full) return BigInt(-Errno.EINVAL);
    const v = Number(BigInt.asUintN(32, argval)) | 0;
    k.memory.dv.setUint32(a + SockOps.bpf_sock_ops_cb_flags, v & ALL_CB_FLAGS, true);
    return BigInt(v & ~ALL_CB_FLAGS);
  },
});
