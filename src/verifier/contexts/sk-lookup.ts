/** `struct bpf_sk_lookup`: sk_lookup_is_valid_access (read-only). */
import { type ContextSpec, bounds, endOf, isAccess, layout, narrowOk, no, ok } from './common.js';

const FIELDS = layout([
  ['sk', 8], ['family', 4], ['protocol', 4], ['remote_ip4', 4], ['remote_ip6', 4, 4], ['remote_port', 2], ['(padding)', 2],
  ['local_ip4', 4], ['local_ip6', 4, 4], ['local_port', 4], ['ingress_ifindex', 4],
]);
const SIZE = endOf(FIELDS);

export const SK_LOOKUP_CTX: ContextSpec = {
  name: 'struct bpf_sk_lookup',
  size: SIZE,
  access(off, size, write) {
    if (write) return no('the context of sk_lookup programs is read-only');
    const f = bounds(FIELDS, SIZE, off, size);
    if (isAccess(f)) return f;
    switch (f.name) {
      case 'sk':
        // sk is a union with the u64 cookie: 8-byte loads only
        return size === 8 ? ok('sock_or_null') : no('sk is a pointer, read with an 8-byte load');
      case 'remote_port':
        // 4-byte loads of the 2-byte field stay allowed for old programs
        return size === 4 || narrowOk(size, 2) ? ok() : no(`remote_port: a load of ${size} bytes is not allowed`);
      case '(padding)':
        return narrowOk(size, 2) ? ok() : no(`the padding after remote_port: a load of ${size} bytes is not allowed`);
      default:
        return narrowOk(size, 4) ? ok() : no(`${f.name}: a load of ${size} bytes is not allowed`);
    }
  },
};
