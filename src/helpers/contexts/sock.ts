import { BpfkitError, ErrorCode } from '../../errors.js';
import { SocketTable, type SimSocket, type SimSocketSpec } from '../kernel/sockets.js';
import type { Memory } from '../memory.js';
import type { ContextWithOutput } from './user-ctx.js';

/** Offsets in `struct bpf_sock` (uapi linux/bpf.h). */
export const BpfSock = { bound_dev_if: 0, family: 4, type: 8, protocol: 12, mark: 16, priority: 20, src_ip4: 24, src_ip6: 28, src_port: 44, dst_port: 48, dst_ip4: 52, dst_ip6: 56, state: 72, rx_queue_mapping: 76, size: 80 } as const;

/**
 * Writes socket `s` as the kernel's context rewrites read it: src_port in host order, dst_port
 * in network order in the low 16 bits, addresses in network order, rx_queue_mapping -1 (none
 * recorded).
 */
export function writeBpfSock(memory: Memory, a: number, s: SimSocket): void {
  const dv = memory.dv;
  dv.setUint32(a + BpfSock.bound_dev_if, s.boundDevIf ?? 0, true);
  dv.setUint32(a + BpfSock.family, s.family, true);
  dv.setUint32(a + BpfSock.type, s.protocol === 'tcp' ? 1 : 2, true);
  dv.setUint32(a + BpfSock.protocol, s.protocol === 'tcp' ? 6 : 17, true);
  dv.setUint32(a + BpfSock.mark, s.mark ?? 0, true);
  dv.setUint32(a + BpfSock.priority, s.priority ?? 0, true);
  memory.u8.set(s.local, a + (s.family === 2 ? BpfSock.src_ip4 : BpfSock.src_ip6));
  dv.setUint32(a + BpfSock.src_port, s.localPort, true);
  dv.setUint16(a + BpfSock.dst_port, s.remotePort ?? 0, false);
  if (s.remote !== undefined) memory.u8.set(s.remote, a + (s.family === 2 ? BpfSock.dst_ip4 : BpfSock.dst_ip6));
  dv.setUint32(a + BpfSock.state, s.state, true);
  dv.setInt32(a + BpfSock.rx_queue_mapping, -1, true);
}

/** The simulated socket a socket hook runs on, from the caller's description. */
export function simSocket(spec: SimSocketSpec): SimSocket {
  for (const [name, port] of [['localPort', spec.localPort], ['remotePort', spec.remotePort ?? 0]] as const) {
    if (!Number.isInteger(port) || port < 0 || port > 0xffff) throw new BpfkitError(ErrorCode.Usage, `socket ${name} ${port} is not 0..65535`);
  }
  return new SocketTable().add(spec);
}

/**
 * `struct bpf_sock` for a cgroup_sock program (sock_create, sock_release, post_bind4/6; the kernel
 * has no test run for them): the socket's fields as the hook sees them. sock_create may set
 * bound_dev_if, mark and priority (the verifier allows those writes); the context after the run
 * comes back as the result's ctx, the verdict in r0 (1 allow, 0 deny: the syscall fails with EPERM).
 */
export class SockContext implements ContextWithOutput {
  readonly kind = 'sock' as const;
  readonly address: number;
  private readonly memory: Memory;

  constructor(memory: Memory, spec: SimSocketSpec) {
    this.memory = memory;
    const s = simSocket(spec);
    this.address = memory.alloc('bpf_sock', 'ctx', BpfSock.size, { writable: true }).start;
    writeBpfSock(memory, this.address, s);
  }

  /** Makes this a fresh context on the socket `spec` describes (refused as the constructor refuses it). */
  reset(spec: SimSocketSpec): void {
    const s = simSocket(spec);
    this.memory.u8.fill(0, this.address, this.address + BpfSock.size);
    writeBpfSock(this.memory, this.address, s);
  }

  packetOut(): undefined {
    return undefined;
  }

  ctxOut(): Uint8Array {
    return this.memory.u8.slice(this.address, this.address + BpfSock.size);
  }
}
