import { SkMsgContext } from '../contexts/sk-msg.js';
import { Errno } from '../errno.js';
import { FaultSignal } from '../fault.js';
import { u32 } from './args.js';
import type { HelperGroup } from './group.js';

/**
 * The message helpers of sk_msg programs on bpfkit's one-piece message (contexts/sk-msg.ts):
 * bpf_msg_apply_bytes / bpf_msg_cork_bytes keep their count (the context's verdict state);
 * bpf_msg_pull_data makes data..data_end cover [start, end) (-EINVAL for flags, end <= start, or
 * a range past the message); bpf_msg_push_data inserts len bytes at start (zeroes: the kernel's new
 * page is not cleared, so a program must write them), bpf_msg_pop_data removes them (-EINVAL for
 * flags or a range outside the message; len 0 is a no-op); both leave data..data_end over the whole
 * message.
 */
export const skMsgHelpers: HelperGroup = (k) => {
  const msgOf = (ctx: bigint, name: string): SkMsgContext => {
    const c = k.run.context;
    if (!(c instanceof SkMsgContext) || Number(BigInt.asUintN(64, ctx)) !== c.address) throw new FaultSignal('helper', `${name}: the first argument is not an sk_msg context`);
    return c;
  };
  return {
    msg_apply_bytes: (_rt, ctx, bytes) => {
      msgOf(ctx, 'bpf_msg_apply_bytes').verdict.applyBytes = u32(bytes);
      return 0n;
    },
    msg_cork_bytes: (_rt, ctx, bytes) => {
      msgOf(ctx, 'bpf_msg_cork_bytes').verdict.corkBytes = u32(bytes);
      return 0n;
    },
    msg_pull_data: (_rt, ctx, startArg, endArg, flags) => {
      const m = msgOf(ctx, 'bpf_msg_pull_data');
      const start = u32(startArg);
      const end = u32(endArg);
      if (flags !== 0n || end <= start) return BigInt(-Errno.EINVAL);
      if (start >= m.length || end > m.length) return BigInt(-Errno.EINVAL);
      m.window = { from: start, to: end };
      m.sync();
      return 0n;
    },
    msg_push_data: (_rt, ctx, startArg, lenArg, flags) => {
      const m = msgOf(ctx, 'bpf_msg_push_data');
      const start = u32(startArg);
      const len = u32(lenArg);
      if (flags !== 0n) return BigInt(-Errno.EINVAL);
      if (len === 0) return 0n;
      if (start > m.length) return BigInt(-Errno.EINVAL);
      if (len > m.tailroom) return BigInt(-Errno.ENOMEM);
      const u8 = m.mem.u8;
      const at = m.start + start;
      u8.copyWithin(at + len, at, m.start + m.length);
      u8.fill(0, at, at + len);
      m.length += len;
      m.window = { from: 0, to: m.length };
      m.sync();
      return 0n;
    },
    msg_pop_data: (_rt, ctx, startArg, lenArg, flags) => {
      const m = msgOf(ctx, 'bpf_msg_pop_data');
      const start = u32(startArg);
      const len = u32(lenArg);
      if (flags !== 0n) return BigInt(-Errno.EINVAL);
      if (len === 0) return 0n;
      if (start >= m.length || start + len > m.length) return BigInt(-Errno.EINVAL);
      const u8 = m.mem.u8;
      u8.copyWithin(m.start + start, m.start + start + len, m.start + m.length);
      m.length -= len;
      m.window = { from: 0, to: m.length };
      m.sync();
      return 0n;
    },
  };
};
