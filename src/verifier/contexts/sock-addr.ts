/** `struct bpf_sock_addr`, the context of cgroup sock_addr programs: sock_addr_is_valid_access. */
import { type ContextSpec, bounds, endOf, isAccess, layout, narrowOk, no, ok, wideOk } from './common.js';

const FIELDS = layout([
  ['user_family', 4], ['user_ip4', 4], ['user_ip6', 4, 4], ['user_port', 4], ['family', 4], ['type', 4], ['protocol', 4],
  ['msg_src_ip4', 4], ['msg_src_ip6', 4, 4], ['sk', 8],
]);
const SIZE = endOf(FIELDS);
const field = (n: string): (typeof FIELDS)[number] => FIELDS.find((f) => f.name === n)!;

/** Attach types that may touch each address field (enum bpf_attach_type numbers). */
const ADDRESS_FIELDS: Readonly<Record<string, readonly number[]>> = {
  // INET4_BIND, INET4_CONNECT, INET4_GETPEERNAME, INET4_GETSOCKNAME, UDP4_SENDMSG, UDP4_RECVMSG
  user_ip4: [8, 10, 29, 31, 14, 19],
  user_ip6: [9, 11, 30, 32, 15, 20],
  msg_src_ip4: [14],
  msg_src_ip6: [15],
};

export function sockAddrContext(attachType: number | undefined): ContextSpec {
  const at = attachType ?? 10;
  return {
    name: 'struct bpf_sock_addr',
    size: SIZE,
    access(off, size, write) {
      const f = bounds(FIELDS, SIZE, off, size);
      if (isAccess(f)) return f;
      const allowed = ADDRESS_FIELDS[f.name];
      if (allowed && !allowed.includes(at)) return no(`${f.name} is not available to this attach type (the address family of the hook differs)`);
      switch (f.name) {
        case 'user_ip4':
        case 'user_ip6':
        case 'msg_src_ip4':
        case 'msg_src_ip6':
        case 'user_port':
          if (wideOk(off, size, field('user_ip6')) || wideOk(off, size, field('msg_src_ip6'))) return ok();
          if (write) return size === 4 ? ok() : no(`${f.name} must be written with 4-byte stores`);
          return narrowOk(size, 4) ? ok() : no(`${f.name}: a load of ${size} bytes is not allowed`);
        case 'sk':
          if (write) return no('sk is read-only');
          return size === 8 ? ok('sock') : no('sk is a pointer, read with an 8-byte load');
        default:
          if (write) return no(`${f.name} is read-only`);
          return size === 4 ? ok() : no(`${f.name} must be read with a 4-byte load`);
      }
    },
  };
}
