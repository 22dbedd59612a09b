/** `struct sk_reuseport_md`: sk_reuseport_is_valid_access (read-only). */
import { type ContextSpec, bounds, endOf, isAccess, layout, narrowOk, no, ok } from './common.js';

const FIELDS = layout([
  ['data', 8], ['data_end', 8], ['len', 4], ['eth_protocol', 4], ['ip_protocol', 4], ['bind_inany', 4], ['hash', 4], ['sk', 8], ['migrating_sk', 8],
]);
const SIZE = endOf(FIELDS);

export const SK_REUSEPORT_CTX: ContextSpec = {
  name: 'struct sk_reuseport_md',
  size: SIZE,
  access(off, size, write) {
    if (write) return no('the context of sk_reuseport programs is read-only');
    const f = bounds(FIELDS, SIZE, off, size);
    if (isAccess(f)) return f;
    switch (f.name) {
      case 'data':
      case 'data_end':
      case 'sk':
      case 'migrating_sk':
        if (off !== f.off || size !== 8) return no(`${f.name} is a pointer, read with an 8-byte load`);
        return ok(f.name === 'data' ? 'packet' : f.name === 'data_end' ? 'packet_end' : f.name === 'sk' ? 'sock' : 'sock_common_or_null');
      case 'hash':
        return off === f.off && size === 4 ? ok() : no('hash must be read with a 4-byte load');
      case 'eth_protocol':
        // the kernel reads it from skb->protocol, 2 bytes: no 1-byte loads
        if (size < 2) return no('eth_protocol is read with a load of 2 or 4 bytes');
        return narrowOk(size, 4) ? ok() : no(`eth_protocol: a load of ${size} bytes is not allowed`);
      default:
        return narrowOk(size, 4) ? ok() : no(`${f.name}: a load of ${size} bytes is not allowed`);
    }
  },
};
