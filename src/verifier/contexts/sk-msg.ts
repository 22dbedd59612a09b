/** `struct sk_msg_md`, the context of sk_msg programs: sk_msg_is_valid_access (read-only). */
import { type ContextSpec, bounds, endOf, isAccess, layout, no, ok } from './common.js';

const FIELDS = layout([
  ['data', 8], ['data_end', 8], ['family', 4], ['remote_ip4', 4], ['local_ip4', 4], ['remote_ip6', 4, 4], ['local_ip6', 4, 4],
  ['remote_port', 4], ['local_port', 4], ['size', 4], ['sk', 8],
]);
const SIZE = endOf(FIELDS);

export const SK_MSG_CTX: ContextSpec = {
  name: 'struct sk_msg_md',
  size: SIZE,
  access(off, size, write) {
    if (write) return no('the context of sk_msg programs is read-only');
    const f = bounds(FIELDS, SIZE, off, size);
    if (isAccess(f)) return f;
    if (f.name === 'data' || f.name === 'data_end' || f.name === 'sk') {
      if (size !== 8) return no(`${f.name} is a pointer, read with an 8-byte load`);
      return ok(f.name === 'data' ? 'packet' : f.name === 'data_end' ? 'packet_end' : 'sock');
    }
    return size === 4 ? ok() : no(`${f.name} must be read with a 4-byte load`);
  },
};
