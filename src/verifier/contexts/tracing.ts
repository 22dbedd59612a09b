/**
 * The contexts of tracing programs (kernel/trace/bpf_trace.c): kprobe's `struct pt_regs`
 * (kprobe_prog_is_valid_access), a tracepoint's record (tp_prog_is_valid_access), raw tracepoint
 * arguments (bpf_tracing_ctx_access; the writable kind's first argument is the tracepoint's
 * buffer), `struct bpf_perf_event_data` (pe_prog_is_valid_access), fentry/fexit/LSM arguments,
 * syscall programs' user memory, netfilter's `struct bpf_nf_ctx`.
 */
import { type ContextSpec, no, ok } from './common.js';

/** x86-64 `struct pt_regs`: 21 registers of 8 bytes. */
const PT_REGS_SIZE = 168;
/** MAX_BPF_FUNC_ARGS: raw tracepoint and fentry arguments, u64 each. */
const MAX_ARGS = 12;
/** PERF_MAX_TRACE_SIZE */
const TRACE_SIZE = 8192;

export const KPROBE_CTX: ContextSpec = {
  name: 'struct pt_regs',
  size: PT_REGS_SIZE,
  access(off, size, write) {
    if (off < 0 || off >= PT_REGS_SIZE) return no(`offset ${off} is outside struct pt_regs (${PT_REGS_SIZE} bytes)`);
    if (write) return no('struct pt_regs is read-only');
    if (off % size !== 0) return no(`offset ${off} is not aligned to the access size ${size}`);
    if (off + size > PT_REGS_SIZE) return no('the load runs past struct pt_regs');
    return ok();
  },
};

export const TRACEPOINT_CTX: ContextSpec = {
  name: 'tracepoint record',
  size: TRACE_SIZE,
  access(off, size, write) {
    if (off < 8 || off >= TRACE_SIZE) return no(off < 8 ? 'the first 8 bytes (the common fields) cannot be read' : `offset ${off} is outside the record`);
    if (write) return no('the tracepoint record is read-only');
    if (off % size !== 0) return no(`offset ${off} is not aligned to the access size ${size}`);
    return ok();
  },
};

function rawTp(writable: boolean): ContextSpec {
  return {
    name: 'struct bpf_raw_tracepoint_args',
    size: 8 * MAX_ARGS,
    access(off, size, write) {
      if (writable && off === 0) {
        if (size !== 8 || write) return no('args[0] (the tracepoint buffer) is read with an 8-byte load');
        return ok('tp_buffer');
      }
      if (off < 0 || off >= 8 * MAX_ARGS) return no(`offset ${off} is outside the ${MAX_ARGS} arguments`);
      if (write) return no('the arguments are read-only');
      if (off % size !== 0) return no(`offset ${off} is not aligned to the access size ${size}`);
      return ok();
    },
  };
}
export const RAW_TRACEPOINT_CTX = rawTp(false);
export const RAW_TRACEPOINT_WRITABLE_CTX = rawTp(true);

export const PERF_EVENT_CTX: ContextSpec = {
  name: 'struct bpf_perf_event_data',
  size: PT_REGS_SIZE + 16,
  access(off, size, write) {
    if (off < 0 || off >= PT_REGS_SIZE + 16) return no(`offset ${off} is outside struct bpf_perf_event_data`);
    if (write) return no('the context is read-only');
    if (off % size !== 0) return no(`offset ${off} is not aligned to the access size ${size}`);
    // sample_period and addr allow narrow loads; the registers are read whole
    if (off >= PT_REGS_SIZE) return (size & (size - 1)) === 0 && size <= 8 ? ok() : no(`a load of ${size} bytes is not allowed`);
    return size === 8 ? ok() : no('the registers are read with 8-byte loads');
  },
};

/** fentry/fexit/LSM: an array of 8-byte arguments. Pointer arguments are not typed (no kernel BTF). */
export const BTF_ARGS_CTX: ContextSpec = {
  name: 'u64 args[]',
  size: 8 * MAX_ARGS,
  access(off, size, write) {
    if (write) return no('the arguments are read-only');
    if (off < 0 || off >= 8 * MAX_ARGS) return no('outside the arguments');
    if (off % 8 !== 0) return no(`offset ${off} is not a multiple of 8`);
    if (size !== 8) return no('arguments are read with 8-byte loads');
    return ok();
  },
};

/** Syscall programs: the context is user memory of the size given at run time (U16_MAX at most). */
export const SYSCALL_CTX: ContextSpec = {
  name: 'syscall context',
  size: 0xffff,
  access(off, size) {
    if (off < 0 || off + size > 0xffff) return no('outside the context');
    if (off % size !== 0) return no('misaligned access');
    return ok();
  },
};

/** `struct bpf_nf_ctx { const struct nf_hook_state *state; struct sk_buff *skb; }` */
export const NETFILTER_CTX: ContextSpec = {
  name: 'struct bpf_nf_ctx',
  size: 16,
  access(off, size, write) {
    if (off < 0 || off >= 16) return no(`offset ${off} is outside struct bpf_nf_ctx (16 bytes)`);
    if (off % size !== 0) return no(`offset ${off} is not aligned to the access size ${size}`);
    if (write) return no('the context of netfilter programs is read-only');
    if (size !== 8) return no(`${off < 8 ? 'state' : 'skb'} is a pointer, read with an 8-byte load`);
    return ok('btf');
  },
};
