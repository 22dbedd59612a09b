import { Errno } from '../errno.js';
import { bprintf, formatString, type FormatMemory } from '../printk-format.js';
import type { KernelState } from '../kernel/state.js';
import type { HelperGroup } from './group.js';
import { checkedAddress, copyIn, lowAddress, u32, view } from './args.js';
import { readKernel, readKernelString, readUserString } from './probe.js';

/** MAX_BPRINTF_BUF: the trace message is cut to 1023 characters. */
const MAX_BPRINTF_BUF = 1024;
/** MAX_BPRINTF_VARARGS: bpf_trace_vprintk and bpf_snprintf take at most 12 arguments. */
const MAX_VARARGS = 12;

function formatMemory(k: KernelState): FormatMemory {
  return {
    kernelString: (p, max) => {
      const r = readKernelString(k, p, max);
      return typeof r === 'string' ? r : undefined;
    },
    userString: (p, max) => {
      const r = readUserString(k, p, max);
      return typeof r === 'string' ? r : undefined;
    },
    kernelBytes: (p, n) => {
      const r = readKernel(k, p, n);
      return r instanceof Uint8Array ? r : undefined;
    },
  };
}

/** The u64 arguments of vprintk/snprintf: `len` bytes at `data`, a multiple of 8, at most 12 of them. */
function varargs(k: KernelState, data: bigint, len: number): bigint[] | number {
  if (len % 8 || len > MAX_VARARGS * 8 || (len && lowAddress(data) === 0)) return -Errno.EINVAL;
  const out: bigint[] = [];
  if (len === 0) return out;
  // Read in place (checked as copyIn checks): no copy, view or closure per call.
  const at = checkedAddress(k.memory, data, len);
  const dv = k.memory.dv;
  for (let o = 0; o < len; o += 8) out.push(dv.getBigUint64(at + o, true));
  return out;
}

/** Records a trace message as the trace pipe shows it: one line, without its trailing newline. */
function emit(k: KernelState, text: string): void {
  const msg = text.slice(0, MAX_BPRINTF_BUF - 1);
  k.run.printk.push(msg.endsWith('\n') ? msg.slice(0, -1) : msg);
}

function traceFormat(k: KernelState, fmt: bigint, fmtSize: bigint): string | number {
  const f = formatString(view(k.memory, fmt, u32(fmtSize)));
  return f === undefined ? -Errno.EINVAL : f;
}

/** PAGE_SIZE: a seq_file's buffer; a record that does not fit is an overflow (the kernel retries it with a bigger buffer). */
const SEQ_BUF = 4096;

/** Appends to the iterator's seq_file output: 0, or -EOVERFLOW when the record does not fit the buffer. */
function seqAppend(k: KernelState, text: string): bigint {
  if (k.run.seq.length + text.length > SEQ_BUF) return BigInt(-Errno.EOVERFLOW);
  k.run.seq += text;
  return 0n;
}

/** bpf_trace_printk (what bpf_printk calls with up to 3 arguments), bpf_trace_vprintk, bpf_snprintf, bpf_seq_printf and bpf_seq_write. */
export const printkHelpers: HelperGroup = (k) => {
  // One reader of the kernel's memory for every call (it holds nothing of a call).
  const mem = formatMemory(k);
  /** The text of a format with its arguments in an array of u64s (vprintk, seq_printf), or a negative errno. */
  const vformat = (fmt: bigint, fmtSize: bigint, data: bigint, dataLen: bigint): string | number => {
    const args = varargs(k, data, u32(dataLen));
    if (typeof args === 'number') return args;
    const f = traceFormat(k, fmt, fmtSize);
    return typeof f === 'number' ? f : bprintf(f, args, mem);
  };
  return {
    trace_printk: (_rt, fmt, fmtSize, a1, a2, a3) => {
      const f = traceFormat(k, fmt, fmtSize);
      if (typeof f === 'number') return BigInt(f);
      const text = bprintf(f, [a1, a2, a3], mem);
      if (typeof text === 'number') return BigInt(text);
      emit(k, text);
      return BigInt(text.length);
    },
    trace_vprintk: (_rt, fmt, fmtSize, data, dataLen) => {
      const text = vformat(fmt, fmtSize, data, dataLen);
      if (typeof text === 'number') return BigInt(text);
      emit(k, text);
      return BigInt(text.length);
    },
    // bpf_seq_printf checks the format as bpf_snprintf does, when it runs (the verifier does not)
    seq_printf: (_rt, _seq, fmt, fmtSize, data, dataLen) => {
      const text = vformat(fmt, fmtSize, data, dataLen);
      return typeof text === 'number' ? BigInt(text) : seqAppend(k, text);
    },
    seq_write: (_rt, _seq, data, len) => {
      const bytes = copyIn(k.memory, data, u32(len));
      return seqAppend(k, String.fromCharCode(...bytes));
    },
    snprintf: (_rt, str, strSize, fmt, data, dataLen) => {
      const args = varargs(k, data, u32(dataLen));
      if (typeof args === 'number') return BigInt(args);
      const f = readKernelString(k, fmt, 1 << 16);
      if (typeof f !== 'string') return BigInt(-Errno.EINVAL);
      const text = bprintf(f, args, mem);
      if (typeof text === 'number') return BigInt(text);
      const size = u32(strSize);
      if (size > 0) {
        const out = view(k.memory, str, size, true);
        const n = Math.min(text.length, size - 1);
        for (let i = 0; i < n; i++) out[i] = text.charCodeAt(i);
        out[n] = 0;
      }
      return BigInt(text.length + 1);
    },
  };
};
