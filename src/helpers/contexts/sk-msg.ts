import { BpfkitError, ErrorCode } from '../../errors.js';
import type { SimSocket } from '../kernel/sockets.js';
import type { Memory, Region } from '../memory.js';
import { BpfSock, writeBpfSock } from './sock.js';
import type { ProgramContext } from './context.js';

/** Offsets in `struct sk_msg_md` (uapi linux/bpf.h; 80 bytes). */
export const SkMsgMd = { data: 0, data_end: 8, family: 16, remote_ip4: 20, local_ip4: 24, remote_ip6: 28, local_ip6: 44, remote_port: 60, local_port: 64, size: 68, sk: 72, struct: 80 } as const;

/** MAX_MSG_FRAGS: the scatterlist of one sk_msg (bpfkit keeps it in one buffer of this much room). */
const MSG_ROOM = 65536;

/** What bpf_msg_apply_bytes / bpf_msg_cork_bytes asked for in the last run. */
export interface SkMsgVerdictState {
  applyBytes: number;
  corkBytes: number;
}

function checkMessage(message: Uint8Array): void {
  if (message.length > MSG_ROOM / 2) throw new BpfkitError(ErrorCode.Usage, `an sk_msg message of ${message.length} bytes is over the ${MSG_ROOM / 2} bpfkit simulates`);
}

/**
 * `struct sk_msg_md` of an sk_msg program (the kernel has no test run for it): the message a
 * socket in a sockmap sends (sendmsg/sendfile), in one piece: data..data_end cover the whole message
 * (the kernel's first scatterlist element; bpfkit's message is one element until a
 * bpf_msg_pull_data asks otherwise), size its length; family, addresses (network order),
 * remote_port (network order, upper 16 bits), local_port (host order) and sk from the sending
 * socket. Read-only. r0 is SK_PASS (1) or SK_DROP (0), a bpf_msg_redirect_* target recorded in
 * the result; the message after push/pop comes back as the result's packet (the apply/cork byte
 * counts stay in {@link SkMsgContext.verdict}: the run result does not carry them yet).
 */
export class SkMsgContext implements ProgramContext {
  readonly kind = 'sk-msg' as const;
  readonly address: number;
  socket: SimSocket;
  readonly verdict: SkMsgVerdictState = { applyBytes: 0, corkBytes: 0 };
  private readonly memory: Memory;
  private readonly region: Region;
  /** The buffer's whole span (the region's own bounds follow data..data_end). */
  private readonly buf: { start: number; end: number };
  /** The sending socket's `struct bpf_sock` (what sk points to). */
  private readonly sk: number;
  /** The message in memory: [start, start + length). */
  start = 0;
  length = 0;
  /** What data..data_end cover (bpf_msg_pull_data narrows it). */
  window: { from: number; to: number } = { from: 0, to: 0 };

  constructor(memory: Memory, message: Uint8Array, socket: SimSocket) {
    checkMessage(message);
    this.memory = memory;
    this.socket = socket;
    this.region = memory.alloc('sk_msg', 'packet', MSG_ROOM, { writable: true, align: 64 });
    this.buf = { start: this.region.start, end: this.region.end };
    this.address = memory.alloc('sk_msg_md', 'ctx', SkMsgMd.struct, { writable: false }).start;
    this.sk = memory.alloc('bpf_sock', 'ctx', BpfSock.size, { writable: false }).start;
    this.fill(message);
  }

  /** Makes this a fresh context on `message` sent by `socket` (a message the constructor refuses is refused the same way). */
  reset(message: Uint8Array, socket: SimSocket): void {
    checkMessage(message);
    this.socket = socket;
    this.verdict.applyBytes = 0;
    this.verdict.corkBytes = 0;
    const u8 = this.memory.u8;
    // As a new buffer is: push/pop may have written anywhere in it.
    u8.fill(0, this.buf.start, this.buf.end);
    u8.fill(0, this.address, this.address + SkMsgMd.struct);
    u8.fill(0, this.sk, this.sk + BpfSock.size);
    this.fill(message);
  }

  private fill(message: Uint8Array): void {
    const memory = this.memory;
    const socket = this.socket;
    this.start = this.buf.start + MSG_ROOM / 4;
    this.length = message.length;
    memory.u8.set(message, this.start);
    this.window = { from: 0, to: message.length };
    const a = this.address;
    const dv = memory.dv;
    dv.setUint32(a + SkMsgMd.family, socket.family, true);
    const v4 = socket.family === 2;
    memory.u8.set(socket.local, a + (v4 ? SkMsgMd.local_ip4 : SkMsgMd.local_ip6));
    if (socket.remote !== undefined) memory.u8.set(socket.remote, a + (v4 ? SkMsgMd.remote_ip4 : SkMsgMd.remote_ip6));
    dv.setUint16(a + SkMsgMd.remote_port + 2, socket.remotePort ?? 0, false);
    dv.setUint32(a + SkMsgMd.local_port, socket.localPort, true);
    writeBpfSock(memory, this.sk, socket);
    dv.setBigUint64(a + SkMsgMd.sk, BigInt(this.sk), true);
    this.sync();
  }

  /** Room before and after the message in its buffer. */
  get headroom(): number {
    return this.start - this.buf.start;
  }
  get tailroom(): number {
    return this.buf.end - (this.start + this.length);
  }

  get mem(): Memory {
    return this.memory;
  }

  /** Writes data, data_end and size after the message changed, and the bounds direct access may use. */
  sync(): void {
    const dv = this.memory.dv;
    const a = this.address;
    const from = this.start + this.window.from;
    const to = this.start + this.window.to;
    dv.setBigUint64(a + SkMsgMd.data, BigInt(from), true);
    dv.setBigUint64(a + SkMsgMd.data_end, BigInt(to), true);
    dv.setUint32(a + SkMsgMd.size, this.length, true);
    this.memory.setBounds(this.region, from, to, this.buf);
  }

  packetOut(): Uint8Array {
    return this.memory.u8.slice(this.start, this.start + this.length);
  }
}
