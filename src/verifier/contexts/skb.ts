/**
 * `struct __sk_buff`, the context of socket filters, tc, cgroup skb, lwt, sk_skb and flow
 * dissector programs: bpf_skb_is_valid_access and each program type's filter in front of it.
 */
import { type ContextSpec, type CtxAccess, type CtxResult, type Field, bounds, endOf, isAccess, layout, narrowOk, no, ok } from './common.js';

export const SKB_FIELDS: readonly Field[] = layout([
  ['len', 4], ['pkt_type', 4], ['mark', 4], ['queue_mapping', 4], ['protocol', 4], ['vlan_present', 4],
  ['vlan_tci', 4], ['vlan_proto', 4], ['priority', 4], ['ingress_ifindex', 4], ['ifindex', 4], ['tc_index', 4],
  ['cb', 4, 5], ['hash', 4], ['tc_classid', 4], ['data', 4], ['data_end', 4], ['napi_id', 4], ['family', 4],
  ['remote_ip4', 4], ['local_ip4', 4], ['remote_ip6', 4, 4], ['local_ip6', 4, 4], ['remote_port', 4], ['local_port', 4],
  ['data_meta', 4], ['flow_keys', 8], ['tstamp', 8], ['wire_len', 4], ['gso_segs', 4], ['sk', 8], ['gso_size', 4],
  ['tstamp_type', 1], ['', 1, 3], ['hwtstamp', 8],
]);
const SIZE = endOf(SKB_FIELDS);
const SOCK_FIELDS = ['family', 'remote_ip4', 'local_ip4', 'remote_ip6', 'local_ip6', 'remote_port', 'local_port'];

/** One program type's view of __sk_buff. */
interface SkbRules {
  readonly who: string;
  /** Fields the type may not touch at all. */
  readonly denied: readonly string[];
  /** Fields it may write. */
  readonly writable: readonly string[];
  /** data_meta loads a packet-meta pointer (tc only). */
  readonly meta?: boolean;
  /** tstamp_type may be read (and written) with 1-byte accesses (tc). */
  readonly tstampType?: boolean;
}

/** bpf_skb_is_valid_access: the rules every __sk_buff context shares. */
function baseAccess(f: Field, off: number, size: number, write: boolean): CtxAccess {
  switch (f.name) {
    case 'cb':
      if (off + size > f.off + f.size) return no(`${size} bytes at offset ${off} run past cb[4]`);
      return ok();
    case 'data':
    case 'data_meta':
    case 'data_end':
      if (size !== 4) return no(`${f.name} must be read with a 4-byte load`);
      return ok();
    case 'remote_ip6':
    case 'local_ip6':
    case 'remote_ip4':
    case 'local_ip4':
      if (size !== 4) return no(`${f.name} must be accessed with 4-byte loads`);
      return ok();
    case 'flow_keys':
      return no('flow_keys is only for flow dissector programs');
    case 'hwtstamp':
      if (write || size !== 8) return no('hwtstamp is read-only and read with an 8-byte load');
      return ok();
    case 'tstamp':
      if (size !== 8) return no('tstamp must be accessed with 8-byte loads and stores');
      return ok();
    case 'sk':
      if (write || size !== 8) return no('sk is a read-only pointer, read with an 8-byte load');
      return ok('sock_common_or_null');
    case 'tstamp_type':
      return no('tstamp_type is only for tc programs');
    default:
      if (write) return size === 4 ? ok() : no(`${f.name} must be written with a 4-byte store`);
      return narrowOk(size, 4) ? ok() : no(`${f.name} is 4 bytes: read it with a load of 1, 2 or 4 bytes`);
  }
}

function skbAccess(r: SkbRules, off: number, size: number, write: boolean): CtxAccess {
  const f = bounds(SKB_FIELDS, SIZE, off, size);
  if (isAccess(f)) return f;
  if (r.denied.includes(f.name)) return no(`${f.name} is not available to ${r.who}`);
  if (write && !r.writable.includes(f.name)) return no(`${f.name} is read-only for ${r.who}`);
  if (f.name === 'tstamp_type' && r.tstampType) return size === 1 ? ok() : no('tstamp_type is read with a 1-byte load');
  const a = baseAccess(f, off, size, write);
  if (!a.ok || a.result !== 'num') return a;
  const result: CtxResult = f.name === 'data' ? 'packet' : f.name === 'data_end' ? 'packet_end' : f.name === 'data_meta' && r.meta ? 'packet_meta' : 'num';
  return ok(result);
}

const spec = (r: SkbRules): ContextSpec => ({ name: 'struct __sk_buff', size: SIZE, access: (off, size, write) => skbAccess(r, off, size, write) });

/** sk_filter_is_valid_access */
export const SOCKET_FILTER_CTX = spec({
  who: 'socket filters',
  denied: ['tc_classid', 'data', 'data_meta', 'data_end', ...SOCK_FIELDS, 'tstamp', 'wire_len', 'hwtstamp'],
  writable: ['cb'],
});

/** tc_cls_act_is_valid_access */
export const TC_CTX = spec({
  who: 'tc programs',
  denied: SOCK_FIELDS,
  writable: ['mark', 'tc_index', 'priority', 'tc_classid', 'cb', 'tstamp', 'queue_mapping'],
  meta: true,
  tstampType: true,
});

/** cg_skb_is_valid_access (for CAP_BPF loaders: data and tstamp are theirs) */
export const CGROUP_SKB_CTX = spec({ who: 'cgroup skb programs', denied: ['tc_classid', 'data_meta', 'wire_len'], writable: ['mark', 'priority', 'cb', 'tstamp'] });

/** lwt_is_valid_access */
export const LWT_CTX = spec({
  who: 'lwt programs',
  denied: ['tc_classid', ...SOCK_FIELDS, 'data_meta', 'tstamp', 'wire_len', 'hwtstamp'],
  writable: ['mark', 'priority', 'cb'],
});

/** sk_skb_is_valid_access */
export const SK_SKB_CTX = spec({ who: 'sk_skb programs', denied: ['tc_classid', 'data_meta', 'tstamp', 'wire_len', 'hwtstamp', 'mark'], writable: ['tc_index', 'priority'] });

/** flow_dissector_is_valid_access: only data, data_end and flow_keys, read-only. */
export const FLOW_DISSECTOR_CTX: ContextSpec = {
  name: 'struct __sk_buff',
  size: SIZE,
  access(off, size, write) {
    const f = bounds(SKB_FIELDS, SIZE, off, size);
    if (isAccess(f)) return f;
    if (write) return no('the context of flow dissector programs is read-only');
    if (f.name === 'data' || f.name === 'data_end') return size === 4 ? ok(f.name === 'data' ? 'packet' : 'packet_end') : no(`${f.name} must be read with a 4-byte load`);
    if (f.name === 'flow_keys') return size === 8 ? ok('flow_keys') : no('flow_keys is a pointer, read with an 8-byte load');
    return no(`${f.name} is not available to flow dissector programs (only data, data_end and flow_keys)`);
  },
};

/** sizeof(struct bpf_flow_keys): what a flow_keys pointer may reach. */
export const FLOW_KEYS_SIZE = 56;
