import { BpfkitError, ErrorCode } from '../../errors.js';
import { parseAddress } from '../kernel/network.js';
import type { Memory } from '../memory.js';
import type { ProgramContext } from './context.js';
import { PT_REGS, KprobeContext, type PtRegs } from './kprobe.js';

/**
 * Contexts whose bytes the caller gives or the program rewrites, handed back after the run
 * (BPF_PROG_TEST_RUN's ctx_out): `syscall` programs (any bytes, writable; none means r1 = NULL, as
 * the test run passes a NULL context), and the socket-address hooks of cgroup_sock_addr.
 */
export interface ContextWithOutput extends ProgramContext {
  /** The context bytes after the run; `r0` is the run's return value (some test runs hand back a verdict-dependent context). */
  ctxOut(r0?: bigint): Uint8Array | undefined;
}

/** The largest ctx_in the syscall test run takes (U16_MAX). */
export const SYSCALL_CTX_MAX = 0xffff;

export class SyscallContext implements ContextWithOutput {
  readonly kind = 'syscall' as const;
  readonly address: number;
  private readonly memory: Memory;
  private readonly size: number;

  constructor(memory: Memory, bytes: Uint8Array | undefined) {
    this.memory = memory;
    this.size = bytes?.length ?? 0;
    if (bytes === undefined || bytes.length === 0) {
      this.address = 0;
      return;
    }
    this.address = memory.allocBytes('syscall ctx', 'ctx', bytes, { writable: true }).start;
  }

  /** Makes this a fresh context on `bytes`; false when they are of another length. */
  reset(bytes: Uint8Array | undefined): boolean {
    if ((bytes?.length ?? 0) !== this.size) return false;
    if (bytes !== undefined && this.address !== 0) this.memory.u8.set(bytes, this.address);
    return true;
  }

  packetOut(): undefined {
    return undefined;
  }

  ctxOut(): Uint8Array | undefined {
    return this.address === 0 ? undefined : this.memory.u8.slice(this.address, this.address + this.size);
  }
}

/** What a cgroup_sock_addr program is called with (connect, bind, sendmsg, recvmsg, getpeername, getsockname). */
export interface SockAddrInput {
  /** The address the user gave: `10.0.0.2` or `2001:db8::1`. */
  ip: string;
  port: number;
  /** SOCK_STREAM (1, default) or SOCK_DGRAM (2). */
  type?: number;
  /** IPPROTO_TCP (6, default for streams) or IPPROTO_UDP (17). */
  protocol?: number;
  /** sendmsg: the source address of the message. */
  msgSrc?: string;
}

/** Offsets in `struct bpf_sock_addr`. */
export const SockAddr = { user_family: 0, user_ip4: 4, user_ip6: 8, user_port: 24, family: 28, type: 32, protocol: 36, msg_src_ip4: 40, msg_src_ip6: 44, sk: 64, size: 72 } as const;

function checkSockAddr(input: SockAddrInput): void {
  parseAddress(input.ip);
  if (!Number.isInteger(input.port) || input.port < 0 || input.port > 0xffff) throw new BpfkitError(ErrorCode.Usage, `port ${input.port} is not 0..65535`);
  if (input.msgSrc !== undefined) parseAddress(input.msgSrc);
}

/**
 * `struct bpf_sock_addr` for a cgroup_sock_addr program (the kernel has no test run for them): the
 * user's address (family, IP and port in network order), the socket's family, type and protocol,
 * and for sendmsg the message's source. The program may rewrite user_ip4/user_ip6/user_port (and
 * msg_src_*); the rewritten context comes back in the result, the verdict in r0 (1 allow, 0 deny).
 */
export class SockAddrContext implements ContextWithOutput {
  readonly kind = 'sock-addr' as const;
  readonly address: number;
  private readonly memory: Memory;

  constructor(memory: Memory, input: SockAddrInput) {
    this.memory = memory;
    checkSockAddr(input);
    this.address = memory.alloc('bpf_sock_addr', 'ctx', SockAddr.size, { writable: true }).start;
    this.fill(input);
  }

  /** Makes this a fresh context for `input` (refused as the constructor refuses it). */
  reset(input: SockAddrInput): void {
    checkSockAddr(input);
    this.memory.u8.fill(0, this.address, this.address + SockAddr.size);
    this.fill(input);
  }

  private fill(input: SockAddrInput): void {
    const memory = this.memory;
    const ip = parseAddress(input.ip);
    const family = ip.length === 4 ? 2 : 10;
    const a = this.address;
    const dv = memory.dv;
    dv.setUint32(a + SockAddr.user_family, family, true);
    memory.u8.set(ip, a + (family === 2 ? SockAddr.user_ip4 : SockAddr.user_ip6));
    dv.setUint16(a + SockAddr.user_port, input.port, false);
    dv.setUint32(a + SockAddr.family, family, true);
    const type = input.type ?? 1;
    dv.setUint32(a + SockAddr.type, type, true);
    dv.setUint32(a + SockAddr.protocol, input.protocol ?? (type === 2 ? 17 : 6), true);
    if (input.msgSrc !== undefined) {
      const src = parseAddress(input.msgSrc);
      memory.u8.set(src, a + (src.length === 4 ? SockAddr.msg_src_ip4 : SockAddr.msg_src_ip6));
    }
  }

  packetOut(): undefined {
    return undefined;
  }

  ctxOut(): Uint8Array {
    return this.memory.u8.slice(this.address, this.address + SockAddr.size);
  }
}

/** What a perf_event program sees besides the registers. */
export interface PerfEventInput {
  samplePeriod?: bigint;
  addr?: bigint;
}

/**
 * `struct bpf_perf_event_data` for a perf_event program (no test run in the kernel): the sampled
 * task's x86-64 pt_regs (as for kprobes), then sample_period and addr; read-only.
 */
export class PerfEventContext implements ProgramContext {
  readonly kind = 'perf-event' as const;
  readonly address: number;

  private readonly memory: Memory;
  /** The pt_regs the registers are laid out in first (a region of its own, as they always were). */
  private readonly regs: KprobeContext;

  constructor(memory: Memory, regs: PtRegs, args: readonly bigint[], input: PerfEventInput) {
    this.memory = memory;
    this.regs = new KprobeContext(memory, regs, args);
    this.address = memory.alloc('bpf_perf_event_data', 'ctx', PT_REGS.length * 8 + 16, { writable: false }).start;
    this.fill(input);
  }

  /** Makes this a fresh context with these registers and sample (every byte of both regions is rewritten). */
  reset(regs: PtRegs, args: readonly bigint[], input: PerfEventInput): void {
    this.regs.reset(regs, args);
    this.fill(input);
  }

  private fill(input: PerfEventInput): void {
    const memory = this.memory;
    const from = this.regs.address;
    memory.u8.copyWithin(this.address, from, from + PT_REGS.length * 8);
    memory.dv.setBigUint64(this.address + PT_REGS.length * 8, BigInt.asUintN(64, input.samplePeriod ?? 0n), true);
    memory.dv.setBigUint64(this.address + PT_REGS.length * 8 + 8, BigInt.asUintN(64, input.addr ?? 0n), true);
  }

  packetOut(): undefined {
    return undefined;
  }
}
