import { BpfkitError, ErrorCode } from '../../errors.js';
import type { SimSocket } from '../kernel/sockets.js';
import type { Memory } from '../memory.js';
import { SkbContext, SkbField } from './skb.js';

const ETH_HLEN = 14;
/** The largest message bpfkit hands an sk_skb program in one skb (a page less the skb's own overhead, as the test run's skb). */
export const SK_SKB_MAX_DATA = 4096 - 64 - 320 - ETH_HLEN;

/** The synthetic frame an sk_skb message sits in: an Ethernet header of the socket's family, then the message. */
function skSkbFrame(data: Uint8Array, socket: SimSocket): Uint8Array {
  if (data.length > SK_SKB_MAX_DATA) throw new BpfkitError(ErrorCode.Usage, `an sk_skb message of ${data.length} bytes is over the ${SK_SKB_MAX_DATA} bpfkit puts in one skb`);
  const frame = new Uint8Array(ETH_HLEN + data.length);
  const proto = socket.family === 2 ? 0x0800 : 0x86dd;
  frame[12] = proto >> 8;
  frame[13] = proto & 0xff;
  frame.set(data, ETH_HLEN);
  return frame;
}

/**
 * `struct __sk_buff` of an sk_skb program (stream parser, stream verdict, skb verdict; the kernel
 * has no test run for them): the skb a socket in a sockmap received, its data the message alone
 * (the TCP payload or UDP datagram, no headers; len its length), protocol ETH_P_IP or ETH_P_IPV6
 * by the socket's family, and the socket fields the kernel's rewrites read from skb->sk: family,
 * local/remote addresses in network order, local_port in host order, remote_port in network order
 * in the upper 16 bits (as `bpf_ntohl` undoes). Direct packet access (data, data_end) as the kernel
 * allows it. The parser's r0 is the message length it found; a verdict's is SK_PASS (1) or SK_DROP
 * (0), a redirect (bpf_sk_redirect_map/hash) recorded in the result. The message after the run
 * comes back as the result's packet.
 */
export class SkSkbContext extends SkbContext {
  constructor(memory: Memory, data: Uint8Array, socket: SimSocket) {
    // The headers are gone by the time a socket's skb reaches the program: data starts where the
    // network header of this synthetic frame would.
    super(memory, skSkbFrame(data, socket), { l2: false, directAccess: true });
    this.fillSocket(socket);
  }

  /**
   * Makes this a fresh context on message `data` received by `socket`; false when the message
   * needs a buffer of another size. A message the constructor refuses is refused the same way.
   */
  resetMessage(data: Uint8Array, socket: SimSocket): boolean {
    if (!this.reset(skSkbFrame(data, socket))) return false;
    this.fillSocket(socket);
    return true;
  }

  private fillSocket(socket: SimSocket): void {
    const memory = this.mem;
    const a = this.address;
    const dv = memory.dv;
    for (const f of ['family', 'remote_ip4', 'local_ip4', 'remote_port', 'local_port'] as const) dv.setUint32(a + SkbField[f], 0, true);
    memory.u8.fill(0, a + SkbField.remote_ip6, a + SkbField.local_ip6 + 16);
    dv.setUint32(a + SkbField.family, socket.family, true);
    const v4 = socket.family === 2;
    memory.u8.set(socket.local, a + (v4 ? SkbField.local_ip4 : SkbField.local_ip6));
    if (socket.remote !== undefined) memory.u8.set(socket.remote, a + (v4 ? SkbField.remote_ip4 : SkbField.remote_ip6));
    dv.setUint16(a + SkbField.remote_port + 2, socket.remotePort ?? 0, false);
    dv.setUint32(a + SkbField.local_port, socket.localPort, true);
    dv.setUint32(a + SkbField.sk, 0, true);
  }

  /** The message after the run (no header pushed back: there was none). */
  override packetOut(): Uint8Array {
    return this.mem.u8.slice(this.data, this.data + this.len);
  }
}
