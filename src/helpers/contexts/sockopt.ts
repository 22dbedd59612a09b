import { BpfkitError, ErrorCode } from '../../errors.js';
import type { SimSocket } from '../kernel/sockets.js';
import type { Memory, Region } from '../memory.js';
import { BpfSock, writeBpfSock } from './sock.js';
import type { ContextWithOutput } from './user-ctx.js';

/** Offsets in `struct bpf_sockopt` (40 bytes). */
export const BpfSockopt = { sk: 0, optval: 8, optval_end: 16, level: 24, optname: 28, optlen: 32, retval: 36, size: 40 } as const;

/** PAGE_SIZE: the most of an option value the kernel hands a program. */
const PAGE_SIZE = 4096;

/** A getsockopt or setsockopt call, as a test describes it. */
export interface SockoptInput {
  /** getsockopt (the program runs after the kernel's handler) or setsockopt (before it). */
  op: 'get' | 'set';
  level: number;
  optname: number;
  /** The option value: what the kernel's getsockopt produced, or what the user passes to setsockopt. */
  optval: Uint8Array;
  /** optlen (default optval's length). */
  optlen?: number;
  /** getsockopt: what the kernel's handler returned (0 or -errno; default 0). */
  retval?: number;
}

function checkSockopt(input: SockoptInput): void {
  if (input.op !== 'get' && input.op !== 'set') throw new BpfkitError(ErrorCode.Usage, `sockopt op '${String(input.op)}' is neither get nor set`);
  for (const [name, v] of [['level', input.level], ['optname', input.optname], ['optlen', input.optlen ?? 0], ['retval', input.retval ?? 0]] as const) {
    if (!Number.isInteger(v) || v < -0x80000000 || v > 0x7fffffff) throw new BpfkitError(ErrorCode.Usage, `sockopt ${name} ${v} is not an s32`);
  }
}

/**
 * `struct bpf_sockopt` of a cgroup_sockopt program (cgroup/getsockopt, cgroup/setsockopt; the
 * kernel has no test run for them): the socket, level, optname, optlen and optval..optval_end over
 * the value (at most a page, as the kernel hands over), retval for getsockopt. level, optname
 * (setsockopt), optlen, retval (getsockopt) and the value bytes are the program's to change;
 * r0 is 1 to go on, 0 to fail the call with EPERM. After the run the context comes back as ctx
 * (read level, optname, optlen, retval from it) and the value as the result's packet: its first
 * optlen bytes (all of it when optlen is -1 or past the buffer, which the kernel answers with
 * the handler bypassed or EFAULT).
 */
export class SockoptContext implements ContextWithOutput {
  readonly kind = 'sockopt' as const;
  readonly address: number;
  socket: SimSocket;
  op: 'get' | 'set';
  private readonly memory: Memory;
  private readonly value: Region;
  private readonly valueStart: number;
  private readonly valueLength: number;
  /** The socket's `struct bpf_sock` (what sk points to). */
  private readonly sk: number;

  constructor(memory: Memory, socket: SimSocket, input: SockoptInput) {
    checkSockopt(input);
    this.memory = memory;
    this.socket = socket;
    this.op = input.op;
    this.valueLength = Math.min(input.optval.length, PAGE_SIZE);
    this.value = memory.alloc('sockopt optval', 'packet', Math.max(this.valueLength, 1), { writable: true });
    this.valueStart = this.value.start;
    this.address = memory.alloc('bpf_sockopt', 'ctx', BpfSockopt.size, { writable: true }).start;
    this.sk = memory.alloc('bpf_sock', 'ctx', BpfSock.size, { writable: false }).start;
    this.fill(input);
  }

  /**
   * Makes this a fresh context for `input` on `socket`; false when its value needs a region of
   * another size. Input the constructor refuses is refused the same way.
   */
  reset(socket: SimSocket, input: SockoptInput): boolean {
    checkSockopt(input);
    if (Math.min(input.optval.length, PAGE_SIZE) !== this.valueLength) return false;
    this.socket = socket;
    this.op = input.op;
    const u8 = this.memory.u8;
    u8.fill(0, this.valueStart, this.valueStart + Math.max(this.valueLength, 1));
    u8.fill(0, this.address, this.address + BpfSockopt.size);
    u8.fill(0, this.sk, this.sk + BpfSock.size);
    this.fill(input);
    return true;
  }

  private fill(input: SockoptInput): void {
    const memory = this.memory;
    const bytes = input.optval.subarray(0, PAGE_SIZE);
    memory.u8.set(bytes, this.valueStart);
    memory.setBounds(this.value, this.valueStart, this.valueStart + bytes.length, { start: this.valueStart, end: this.valueStart + Math.max(bytes.length, 1) });
    const a = this.address;
    const dv = memory.dv;
    writeBpfSock(memory, this.sk, this.socket);
    dv.setBigUint64(a + BpfSockopt.sk, BigInt(this.sk), true);
    dv.setBigUint64(a + BpfSockopt.optval, BigInt(this.valueStart), true);
    dv.setBigUint64(a + BpfSockopt.optval_end, BigInt(this.valueStart + bytes.length), true);
    dv.setInt32(a + BpfSockopt.level, input.level, true);
    dv.setInt32(a + BpfSockopt.optname, input.optname, true);
    dv.setInt32(a + BpfSockopt.optlen, input.optlen ?? input.optval.length, true);
    dv.setInt32(a + BpfSockopt.retval, input.op === 'get' ? (input.retval ?? 0) : 0, true);
  }

  packetOut(): Uint8Array {
    const optlen = this.memory.dv.getInt32(this.address + BpfSockopt.optlen, true);
    const n = optlen >= 0 && optlen <= this.valueLength ? optlen : this.valueLength;
    return this.memory.u8.slice(this.valueStart, this.valueStart + n);
  }

  ctxOut(): Uint8Array {
    return this.memory.u8.slice(this.address, this.address + BpfSockopt.size);
  }
}
