/** `struct xdp_md`: xdp_is_valid_access. egress_ifindex only for programs in a devmap. */
import { type ContextSpec, bounds, endOf, isAccess, layout, no, ok } from './common.js';

const FIELDS = layout([['data', 4], ['data_end', 4], ['data_meta', 4], ['ingress_ifindex', 4], ['rx_queue_index', 4], ['egress_ifindex', 4]]);
const SIZE = endOf(FIELDS);

/** BPF_XDP_DEVMAP */
const XDP_DEVMAP = 33;

export function xdpContext(attachType: number | undefined): ContextSpec {
  return {
    name: 'struct xdp_md',
    size: SIZE,
    access(off, size, write) {
      const f = bounds(FIELDS, SIZE, off, size);
      if (isAccess(f)) return f;
      if (f.name === 'egress_ifindex' && attachType !== XDP_DEVMAP) return no('egress_ifindex is only for programs attached to a devmap (SEC("xdp/devmap"))');
      if (write) return no(`${f.name} is read-only`);
      if (size !== 4) return no(`${f.name} must be read whole, with a 4-byte load`);
      return ok(f.name === 'data' ? 'packet' : f.name === 'data_end' ? 'packet_end' : f.name === 'data_meta' ? 'packet_meta' : 'num');
    },
  };
}
