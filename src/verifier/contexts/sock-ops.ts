/** `struct bpf_sock_ops`, the context of sock_ops programs: sock_ops_is_valid_access. */
import { type ContextSpec, bounds, endOf, isAccess, layout, narrowOk, no, ok, union } from './common.js';

const FIELDS = [
  { name: 'op', off: 0, size: 4 },
  // args[4] / reply / replylong[4] share storage; the kernel decides by offset
  ...union(4, [['args', 16]]),
  ...layout([
    ['', 4, 5], ['family', 4], ['remote_ip4', 4], ['local_ip4', 4], ['remote_ip6', 4, 4], ['local_ip6', 4, 4], ['remote_port', 4],
    ['local_port', 4], ['is_fullsock', 4], ['snd_cwnd', 4], ['srtt_us', 4], ['bpf_sock_ops_cb_flags', 4], ['state', 4], ['rtt_min', 4],
    ['snd_ssthresh', 4], ['rcv_nxt', 4], ['snd_nxt', 4], ['snd_una', 4], ['mss_cache', 4], ['ecn_flags', 4], ['rate_delivered', 4],
    ['rate_interval_us', 4], ['packets_out', 4], ['retrans_out', 4], ['total_retrans', 4], ['segs_in', 4], ['data_segs_in', 4],
    ['segs_out', 4], ['data_segs_out', 4], ['lost_out', 4], ['sacked_out', 4], ['sk_txhash', 4], ['bytes_received', 8],
    ['bytes_acked', 8], ['sk', 8], ['skb_data', 8], ['skb_data_end', 8], ['skb_len', 4], ['skb_tcp_flags', 4], ['skb_hwtstamp', 8],
  ]).filter((f) => f.name !== ''),
];
const SIZE = endOf(FIELDS);

export const SOCK_OPS_CTX: ContextSpec = {
  name: 'struct bpf_sock_ops',
  size: SIZE,
  access(off, size, write) {
    const f = bounds(FIELDS, SIZE, off, size);
    if (isAccess(f)) return f;
    if (write) {
      // reply is args[0]; sk_txhash
      if (off === 4 || f.name === 'sk_txhash') return size === 4 ? ok() : no(`${off === 4 ? 'reply' : 'sk_txhash'} must be written with a 4-byte store`);
      return no(`${f.name === 'args' ? `replylong[${(off - 4) / 4}]` : f.name} is read-only (only reply and sk_txhash may be written)`);
    }
    switch (f.name) {
      case 'bytes_received':
      case 'bytes_acked':
      case 'skb_hwtstamp':
        return size === 8 ? ok() : no(`${f.name} is read with an 8-byte load`);
      case 'sk':
        return size === 8 ? ok('sock_or_null') : no('sk is a pointer, read with an 8-byte load');
      case 'skb_data':
        return size === 8 ? ok('packet') : no('skb_data is a pointer, read with an 8-byte load');
      case 'skb_data_end':
        return size === 8 ? ok('packet_end') : no('skb_data_end is a pointer, read with an 8-byte load');
      case 'skb_tcp_flags':
        if (off === f.off) return narrowOk(size, 4) ? ok() : no(`skb_tcp_flags: a load of ${size} bytes is not allowed`);
        return size === 4 ? ok() : no(`${f.name} must be read with a 4-byte load`);
      default:
        return size === 4 ? ok() : no(`${f.name} must be read with a 4-byte load`);
    }
  },
};
