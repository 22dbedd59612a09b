/** What a run's context is, as the helpers and the orchestrator see it. */
export type ContextKind = 'xdp' | 'skb' | 'kprobe' | 'tracepoint' | 'raw-tracepoint' | 'tracing' | 'flow-dissector' | 'syscall' | 'perf-event' | 'sock-addr' | 'sock' | 'sock-ops' | 'sk-lookup' | 'sk-msg' | 'sysctl' | 'sockopt' | 'netfilter';

/**
 * The context a program runs with: the memory r1 points to, plus what the kernel keeps next to it
 * (the packet buffer of an `xdp_buff` or `sk_buff`). One instance lives for one run (all
 * repetitions of it and every program of a tail-call chain).
 */
export interface ProgramContext {
  readonly kind: ContextKind;
  /** The address in r1. */
  readonly address: number;
  /** The frame as BPF_PROG_TEST_RUN returns it after the run (undefined without a packet). */
  packetOut(): Uint8Array | undefined;
  /** LD_ABS/LD_IND (socket buffers only). */
  readonly legacyLoad?: (offset: number, size: 1 | 2 | 4) => number | undefined;
}

/** The u32 a little-endian load of a big-endian 16-bit field gives (how __sk_buff.protocol reads). */
export const be16AsLoaded = (hi: number, lo: number): number => (hi | (lo << 8)) >>> 0;
