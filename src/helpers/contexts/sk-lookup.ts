import { BpfkitError, ErrorCode } from '../../errors.js';
import { Errno } from '../errno.js';
import { parseAddress } from '../kernel/network.js';
import type { SimSocket } from '../kernel/sockets.js';
import type { Memory } from '../memory.js';
import type { ContextWithOutput } from './user-ctx.js';

/** Offsets in `struct bpf_sk_lookup` (uapi linux/bpf.h); 72 bytes with its tail padding. */
export const SkLookup = { sk: 0, cookie: 0, family: 8, protocol: 12, remote_ip4: 16, remote_ip6: 20, remote_port: 36, local_ip4: 40, local_ip6: 44, local_port: 60, ingress_ifindex: 64, size: 72 } as const;

/** What a socket lookup is for, as a test describes it (encoded as the test run's ctx_in). */
export interface SkLookupInput {
  /** IPPROTO_TCP (`tcp`, default) or IPPROTO_UDP (`udp`), or the protocol number. */
  protocol?: 'tcp' | 'udp' | number;
  /** The packet's source (the remote end) and its destination (the local address looked up). */
  remoteIp: string;
  remotePort: number;
  localIp: string;
  localPort: number;
}

/** The test run's ctx_in for `input`: family from the addresses, remote_port in network order. */
export function skLookupBytes(input: SkLookupInput): Uint8Array {
  const remote = parseAddress(input.remoteIp);
  const local = parseAddress(input.localIp);
  if (remote.length !== local.length) throw new BpfkitError(ErrorCode.Usage, `sk_lookup: ${input.remoteIp} and ${input.localIp} are not of one family`);
  for (const [name, port] of [['remotePort', input.remotePort], ['localPort', input.localPort]] as const) {
    if (!Number.isInteger(port) || port < 0 || port > 0xffff) throw new BpfkitError(ErrorCode.Usage, `sk_lookup ${name} ${port} is not 0..65535`);
  }
  const b = new Uint8Array(SkLookup.size);
  const dv = new DataView(b.buffer);
  const v4 = remote.length === 4;
  const protocol = input.protocol === undefined || input.protocol === 'tcp' ? 6 : input.protocol === 'udp' ? 17 : input.protocol;
  dv.setUint32(SkLookup.family, v4 ? 2 : 10, true);
  dv.setUint32(SkLookup.protocol, protocol, true);
  b.set(remote, v4 ? SkLookup.remote_ip4 : SkLookup.remote_ip6);
  dv.setUint16(SkLookup.remote_port, input.remotePort, false);
  b.set(local, v4 ? SkLookup.local_ip4 : SkLookup.local_ip6);
  dv.setUint32(SkLookup.local_port, input.localPort, true);
  return b;
}

/** Why the sk_lookup test run refuses ctx_in, with its errno (the checks of bpf_prog_test_run_sk_lookup, in order). */
export function skLookupInputProblem(ctx: Uint8Array | undefined): { errno: number; reason: string } | undefined {
  if (ctx === undefined || ctx.length === 0) return { errno: -Errno.EINVAL, reason: 'an sk_lookup test run needs a struct bpf_sk_lookup (ctx)' };
  if (ctx.length > SkLookup.size && ctx.subarray(SkLookup.size).some((b) => b !== 0)) return { errno: -Errno.E2BIG, reason: `bytes past the ${SkLookup.size} of struct bpf_sk_lookup are not zero` };
  const b = new Uint8Array(SkLookup.size);
  b.set(ctx.subarray(0, SkLookup.size));
  const dv = new DataView(b.buffer);
  if (dv.getBigUint64(SkLookup.sk, true) !== 0n) return { errno: -Errno.EINVAL, reason: 'sk must be 0 in ctx_in' };
  if (b.subarray(SkLookup.ingress_ifindex).some((x) => x !== 0)) return { errno: -Errno.EINVAL, reason: 'the fields after local_port (ingress_ifindex) must be 0 in ctx_in' };
  if (dv.getUint32(SkLookup.local_port, true) > 0xffff) return { errno: -Errno.ERANGE, reason: `local_port ${dv.getUint32(SkLookup.local_port, true)} is over 65535` };
  const family = dv.getUint32(SkLookup.family, true) & 0xffff;
  if (family !== 2 && family !== 10) return { errno: -Errno.EAFNOSUPPORT, reason: `family ${family} is neither AF_INET nor AF_INET6` };
  return undefined;
}

/**
 * `struct bpf_sk_lookup` of an sk_lookup program as BPF_PROG_TEST_RUN builds it from ctx_in:
 * family, protocol and local_port truncated to 16 bits as the kernel's lookup context keeps them,
 * only the addresses of the lookup's family (the other family's fields read 0), ingress_ifindex 0,
 * sk the socket bpf_sk_assign selected (NULL before). Read-only to the program. After the run
 * the context comes back as the test run's ctx_out: the input with `cookie` the selected
 * socket's cookie when the verdict is SK_PASS, else 0.
 */
export class SkLookupContext implements ContextWithOutput {
  readonly kind = 'sk-lookup' as const;
  readonly address: number;
  /** The socket bpf_sk_assign selected, its cookie, and BPF_SK_LOOKUP_F_NO_REUSEPORT. */
  selected: { socket: SimSocket; cookie: bigint; noReuseport: boolean } | undefined;
  private readonly memory: Memory;
  private readonly input: Uint8Array;
  constructor(memory: Memory, ctx: Uint8Array) {
    this.memory = memory;
    this.input = new Uint8Array(SkLookup.size);
    this.address = memory.alloc('bpf_sk_lookup', 'ctx', SkLookup.size, { writable: false }).start;
    this.fill(ctx);
  }

  /** Makes this a fresh context for the lookup `ctx` (checked by the caller as for the constructor). */
  reset(ctx: Uint8Array): void {
    this.selected = undefined;
    this.input.fill(0);
    this.memory.u8.fill(0, this.address, this.address + SkLookup.size);
    this.fill(ctx);
  }

  private fill(ctx: Uint8Array): void {
    const memory = this.memory;
    this.input.set(ctx.subarray(0, SkLookup.size));
    const src = new DataView(this.input.buffer);
    const a = this.address;
    const dv = memory.dv;
    const family = src.getUint32(SkLookup.family, true) & 0xffff;
    dv.setUint32(a + SkLookup.family, family, true);
    dv.setUint32(a + SkLookup.protocol, src.getUint32(SkLookup.protocol, true) & 0xffff, true);
    dv.setUint16(a + SkLookup.remote_port, src.getUint16(SkLookup.remote_port, true), true);
    dv.setUint32(a + SkLookup.local_port, src.getUint32(SkLookup.local_port, true) & 0xffff, true);
    if (family === 2) {
      memory.u8.set(this.input.subarray(SkLookup.remote_ip4, SkLookup.remote_ip4 + 4), a + SkLookup.remote_ip4);
      memory.u8.set(this.input.subarray(SkLookup.local_ip4, SkLookup.local_ip4 + 4), a + SkLookup.local_ip4);
    } else {
      memory.u8.set(this.input.subarray(SkLookup.remote_ip6, SkLookup.remote_ip6 + 16), a + SkLookup.remote_ip6);
      memory.u8.set(this.input.subarray(SkLookup.local_ip6, SkLookup.local_ip6 + 16), a + SkLookup.local_ip6);
    }
  }

  /** The lookup's family and protocol as bpf_sk_assign compares them. */
  get family(): number {
    return this.memory.dv.getUint32(this.address + SkLookup.family, true);
  }

  get protocol(): number {
    return this.memory.dv.getUint32(this.address + SkLookup.protocol, true);
  }

  /** Selects `socket` at `pointer` (0: none), as ctx->sk then reads it. */
  select(selected: SkLookupContext['selected'], pointer: number): void {
    this.selected = selected;
    this.memory.dv.setBigUint64(this.address + SkLookup.sk, BigInt(pointer), true);
  }

  packetOut(): undefined {
    return undefined;
  }

  ctxOut(r0 = 0n): Uint8Array {
    const out = this.input.slice();
    // A socket counts only with SK_PASS (the kernel's run array keeps the selection of passing programs).
    const chosen = BigInt.asUintN(32, r0) === 1n ? this.selected : undefined;
    if (chosen?.socket.reuseport === true && !chosen.noReuseport) {
      throw new BpfkitError(ErrorCode.Usage, "the kernel's test run refuses this run: the selected socket is in a reuseport group (-EOPNOTSUPP; assign it with BPF_SK_LOOKUP_F_NO_REUSEPORT)");
    }
    const cookie = chosen?.cookie ?? 0n;
    new DataView(out.buffer).setBigUint64(SkLookup.cookie, cookie, true);
    return out;
  }
}
