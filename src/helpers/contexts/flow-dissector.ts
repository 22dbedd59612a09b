import type { Memory, Region } from '../memory.js';
import type { ProgramContext } from './context.js';
import { SkbField } from './skb.js';

/** sizeof(struct bpf_flow_keys) and the fields the kernel sets before and clamps after the run. */
export const FLOW_KEYS_SIZE = 56;
const FlowKeys = { nhoff: 0, thoff: 2, n_proto: 10, flags: 48 } as const;
const ETH_HLEN = 14;

/**
 * A flow dissector's context as BPF_PROG_TEST_RUN builds it (bpf_prog_test_run_flow_dissector):
 * `__sk_buff` with data/data_end over the whole frame (read-only) and flow_keys pointing at a
 * zeroed struct bpf_flow_keys with nhoff = thoff = 14 and n_proto = the frame's Ethernet type as
 * is (a VLAN tag is not looked through). There is no skb behind it, so bpf_skb_load_bytes fails
 * (-EFAULT), as recorded. After the run nhoff is clamped to [14, len] and thoff to [nhoff, len],
 * and the test run answers with the keys (kept here as the run's "packet").
 */
export class FlowDissectorContext implements ProgramContext {
  readonly kind = 'flow-dissector' as const;
  readonly address: number;
  readonly packet: Region;
  readonly keys: Region;
  private readonly memory: Memory;
  private readonly len: number;

  constructor(memory: Memory, frame: Uint8Array) {
    this.memory = memory;
    this.len = frame.length;
    this.packet = memory.allocBytes('packet', 'packet', frame, { writable: false, align: 64 });
    this.keys = memory.alloc('bpf_flow_keys', 'ctx', FLOW_KEYS_SIZE, { writable: true });
    this.address = memory.alloc('__sk_buff', 'ctx', SkbField.size, { writable: false }).start;
    this.fill(frame);
  }

  /** Makes this a fresh context on `frame`; false when it is of another length (its regions' sizes differ). */
  reset(frame: Uint8Array): boolean {
    if (frame.length !== this.len) return false;
    // Programs write only the keys; __sk_buff is zeroed too, as a new region is (cheap, and safe
    // should a helper ever write it).
    this.memory.u8.fill(0, this.keys.start, this.keys.end);
    this.memory.u8.fill(0, this.address, this.address + SkbField.size);
    this.memory.u8.set(frame, this.packet.start);
    this.fill(frame);
    return true;
  }

  private fill(frame: Uint8Array): void {
    const memory = this.memory;
    const dv = memory.dv;
    dv.setUint16(this.keys.start + FlowKeys.nhoff, ETH_HLEN, true);
    dv.setUint16(this.keys.start + FlowKeys.thoff, ETH_HLEN, true);
    memory.u8[this.keys.start + FlowKeys.n_proto] = frame[12]!;
    memory.u8[this.keys.start + FlowKeys.n_proto + 1] = frame[13]!;
    const ctx = this.address;
    dv.setUint32(ctx + SkbField.data, this.packet.start, true);
    dv.setUint32(ctx + SkbField.data_end, this.packet.end, true);
    dv.setBigUint64(ctx + SkbField.flow_keys, BigInt(this.keys.start), true);
  }

  /** The flow keys with nhoff and thoff clamped as bpf_flow_dissect clamps them. */
  packetOut(): Uint8Array {
    const dv = this.memory.dv;
    const k = this.keys.start;
    const clamp = (v: number, lo: number, hi: number): number => Math.min(Math.max(v, lo), hi);
    const nhoff = clamp(dv.getUint16(k + FlowKeys.nhoff, true), ETH_HLEN, this.len);
    dv.setUint16(k + FlowKeys.nhoff, nhoff, true);
    dv.setUint16(k + FlowKeys.thoff, clamp(dv.getUint16(k + FlowKeys.thoff, true), nhoff, this.len), true);
    return this.memory.u8.slice(k, k + FLOW_KEYS_SIZE);
  }
}
