import { SkLookupContext } from '../contexts/sk-lookup.js';
import { Errno } from '../errno.js';
import { FaultSignal } from '../fault.js';
import { TcpState } from '../kernel/sockets.js';
import type { HelperGroup } from './group.js';
import { socketAt } from './sockets.js';

const F_REPLACE = 1n;
const F_NO_REUSEPORT = 2n;

/**
 * bpf_sk_assign. From sk_lookup (bpf_sk_lookup_assign): selects the socket the lookup answers with,
 * with the kernel's checks in its order: unknown flags -EINVAL; a TCP socket not listening or a UDP
 * socket not unconnected -ESOCKTNOSUPPORT; another protocol -EPROTOTYPE; an IPv4 (or v6-only)
 * socket for the other family -EAFNOSUPPORT; a selection already made without
 * BPF_SK_LOOKUP_F_REPLACE -EEXIST. NULL selects nothing. From tc: the test run is not at tc
 * ingress, so a socket is -EOPNOTSUPP (NULL or flags -EINVAL), as bpf_sk_assign answers there.
 */
export const skAssignHelpers: HelperGroup = (k) => ({
  sk_assign: (_rt, ctx, skArg, flagsArg) => {
    const flags = BigInt.asUintN(64, flagsArg);
    const c = k.run.context;
    const sk = Number(BigInt.asUintN(64, skArg));
    if (!(c instanceof SkLookupContext)) {
      if (sk === 0 || flags !== 0n) return BigInt(-Errno.EINVAL);
      return BigInt(-Errno.EOPNOTSUPP);
    }
    if (Number(BigInt.asUintN(64, ctx)) !== c.address) throw new FaultSignal('helper', 'bpf_sk_assign: the first argument is not the context');
    if ((flags & ~(F_REPLACE | F_NO_REUSEPORT)) !== 0n) return BigInt(-Errno.EINVAL);
    const s = sk === 0 ? undefined : socketAt(k, sk);
    if (sk !== 0 && s === undefined) throw new FaultSignal('helper', `bpf_sk_assign: 0x${sk.toString(16)} is not a socket`);
    if (s !== undefined) {
      if (s.protocol === 'tcp' && s.state !== TcpState.LISTEN) return BigInt(-Errno.ESOCKTNOSUPPORT);
      if (s.protocol === 'udp' && s.state !== TcpState.CLOSE) return BigInt(-Errno.ESOCKTNOSUPPORT);
      if ((s.protocol === 'tcp' ? 6 : 17) !== c.protocol) return BigInt(-Errno.EPROTOTYPE);
      if (s.family !== c.family && (s.family === 2 || s.v6only === true)) return BigInt(-Errno.EAFNOSUPPORT);
    }
    if (c.selected !== undefined && (flags & F_REPLACE) === 0n) return BigInt(-Errno.EEXIST);
    if (s === undefined) {
      c.select(undefined, 0);
      return 0n;
    }
    s.cookie ??= k.nextCookie();
    c.select({ socket: s, cookie: s.cookie, noReuseport: (flags & F_NO_REUSEPORT) !== 0n }, sk);
    return 0n;
  },
});
