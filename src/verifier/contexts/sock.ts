/**
 * `struct bpf_sock` and `struct bpf_tcp_sock`: the context of cgroup sock programs
 * (sock_filter_is_valid_access, by attach type) and what a socket pointer's fields allow
 * (bpf_sock_is_valid_access, bpf_sock_common_is_valid_access, bpf_tcp_sock_is_valid_access).
 */
import { type ContextSpec, type CtxAccess, type Field, bounds, endOf, isAccess, layout, narrowOk, no, ok } from './common.js';

const SOCK_FIELDS: readonly Field[] = layout([
  ['bound_dev_if', 4], ['family', 4], ['type', 4], ['protocol', 4], ['mark', 4], ['priority', 4], ['src_ip4', 4],
  ['src_ip6', 4, 4], ['src_port', 4], ['dst_port', 2], ['', 2], ['dst_ip4', 4], ['dst_ip6', 4, 4], ['state', 4], ['rx_queue_mapping', 4],
]);
const SOCK_SIZE = endOf(SOCK_FIELDS);
const NARROW = ['state', 'family', 'type', 'protocol', 'src_port', 'rx_queue_mapping', 'src_ip4', 'src_ip6', 'dst_ip4', 'dst_ip6'];
/** Fields of a full socket a request or timewait socket (sock_common) lacks. */
const FULLSOCK_ONLY = ['type', 'protocol', 'mark', 'priority'];

/** bpf_sock_is_valid_access (reads; writes are decided by the caller). */
function sockField(off: number, size: number): CtxAccess | Field {
  const f = bounds(SOCK_FIELDS, SOCK_SIZE, off, size);
  if (isAccess(f)) return f;
  // the narrow cases match a field's first byte only, others its whole range
  if (NARROW.includes(f.name) && (off === f.off || ['src_ip4', 'src_ip6', 'dst_ip4', 'dst_ip6'].includes(f.name)))
    return narrowOk(size, 4) ? f : no(`${f.name}: a load of ${size} bytes is not allowed`);
  if (f.name === 'dst_port') return narrowOk(size, size === 4 ? 4 : 2) ? f : no(`dst_port: a load of ${size} bytes is not allowed`);
  return size === 4 ? f : no(`${f.name} must be accessed with 4-byte loads`);
}

/** BPF_CGROUP_INET_SOCK_CREATE, _RELEASE, INET4/6_POST_BIND */
const A = { SOCK_CREATE: 2, SOCK_RELEASE: 34, POST_BIND4: 12, POST_BIND6: 13 } as const;

/** The context of cgroup sock programs: __sock_filter_check_attach_type decides per attach type. */
export function cgroupSockContext(attachType: number | undefined): ContextSpec {
  const at = attachType ?? A.SOCK_CREATE;
  return {
    name: 'struct bpf_sock',
    size: SOCK_SIZE,
    access(off, size, write) {
      const f = sockField(off, size);
      if (isAccess(f)) return f;
      const create = at === A.SOCK_CREATE || at === A.SOCK_RELEASE;
      if (['bound_dev_if', 'mark', 'priority'].includes(f.name) && off === f.off) {
        if (!create) return no(`${f.name} is only for sock_create and sock_release programs`);
        return ok();
      }
      if (f.name === 'src_ip4' && at !== A.POST_BIND4) return no('src_ip4 is only for post_bind4 programs');
      if (f.name === 'src_ip6' && at !== A.POST_BIND6) return no('src_ip6 is only for post_bind6 programs');
      if (f.name === 'src_port' && off === f.off && at !== A.POST_BIND4 && at !== A.POST_BIND6) return no('src_port is only for post_bind programs');
      if (write) return no(`${f.name} is read-only`);
      return ok();
    },
  };
}

/** A read through a socket pointer: `full` for struct bpf_sock, `common` for a sock_common. */
export function socketFieldAccess(flavour: 'full' | 'common', off: number, size: number): CtxAccess {
  if (flavour === 'common') {
    const f = bounds(SOCK_FIELDS, SOCK_SIZE, off, size);
    if (!isAccess(f) && FULLSOCK_ONLY.includes(f.name)) return no(`${f.name} is not in a sock_common: check bpf_sk_fullsock() first`);
  }
  const f = sockField(off, size);
  return isAccess(f) ? f : ok();
}

const TCP_SOCK_FIELDS: readonly Field[] = layout([
  ['snd_cwnd', 4], ['srtt_us', 4], ['rtt_min', 4], ['snd_ssthresh', 4], ['rcv_nxt', 4], ['snd_nxt', 4], ['snd_una', 4],
  ['mss_cache', 4], ['ecn_flags', 4], ['rate_delivered', 4], ['rate_interval_us', 4], ['packets_out', 4], ['retrans_out', 4],
  ['total_retrans', 4], ['segs_in', 4], ['data_segs_in', 4], ['segs_out', 4], ['data_segs_out', 4], ['lost_out', 4],
  ['sacked_out', 4], ['bytes_received', 8], ['bytes_acked', 8], ['dsack_dups', 4], ['delivered', 4], ['delivered_ce', 4],
  ['icsk_retransmits', 4],
]);

/** bpf_tcp_sock_is_valid_access */
export function tcpSockFieldAccess(off: number, size: number): CtxAccess {
  const end = endOf(TCP_SOCK_FIELDS);
  if (off < 0 || off >= end) return no(`offset ${off} is outside struct bpf_tcp_sock (${end} bytes)`);
  if (off % size !== 0) return no(`offset ${off} is not aligned to the access size ${size}`);
  if (off === 80 || off === 88) return size === 8 ? ok() : no('bytes_received and bytes_acked are read with 8-byte loads');
  return size === 4 ? ok() : no('struct bpf_tcp_sock fields are read with 4-byte loads');
}
