import { Errno } from '../errno.js';
import { SkbContext } from '../contexts/skb.js';
import { XdpContext } from '../contexts/xdp.js';
import { FaultSignal } from '../fault.js';
import { PerfEventArray } from '../maps/perf-event.js';
import type { HelperGroup } from './group.js';
import { copyIn, u32 } from './args.js';

const BPF_F_INDEX_MASK = 0xffffffffn;
const BPF_F_CURRENT_CPU = 0xffffffffn;
const BPF_F_CTXLEN_MASK = 0xfffffn << 32n;

/**
 * bpf_perf_event_output. From a packet program (skb or XDP) the upper 32 bits of flags ask for
 * that many bytes of the packet after the data (-EFAULT when the packet is shorter). The index is
 * a CPU (BPF_F_CURRENT_CPU: the current one): -E2BIG past the array, -ENOENT when no reader has
 * the event open — what BPF_PROG_TEST_RUN gives, since nothing reads — and -EOPNOTSUPP when the
 * event is another CPU's. Open readers (PerfEventArray.open) capture the records.
 */
export const perfHelpers: HelperGroup = (k) => ({
  perf_event_output: (_rt, _ctx, m, flags, data, size) => {
    const map = k.mapArg(m, 'bpf_perf_event_output');
    if (!(map instanceof PerfEventArray)) throw new FaultSignal('helper', `bpf_perf_event_output: map '${map.name}' is a ${map.typeName} map, not a perf_event_array`);
    const f = BigInt.asUintN(64, flags);
    const ctx = k.run.context;
    const packet = ctx instanceof SkbContext || ctx instanceof XdpContext;
    if (f & ~(BPF_F_INDEX_MASK | (packet ? BPF_F_CTXLEN_MASK : 0n))) return BigInt(-Errno.EINVAL);
    const ctxLen = Number((f & BPF_F_CTXLEN_MASK) >> 32n);
    let extra = new Uint8Array(0);
    if (ctx instanceof SkbContext) {
      if (ctxLen > ctx.len) return BigInt(-Errno.EFAULT);
      extra = k.memory.u8.slice(ctx.data, ctx.data + ctxLen);
    } else if (ctx instanceof XdpContext) {
      if (ctxLen > ctx.length) return BigInt(-Errno.EFAULT);
      extra = k.memory.u8.slice(ctx.data, ctx.data + ctxLen);
    }
    let index = f & BPF_F_INDEX_MASK;
    if (index === BPF_F_CURRENT_CPU) index = BigInt(k.cpu);
    if (index >= BigInt(map.maxEntries)) return BigInt(-Errno.E2BIG);
    if (!map.isOpen(Number(index))) return BigInt(-Errno.ENOENT);
    if (Number(index) !== k.cpu) return BigInt(-Errno.EOPNOTSUPP);
    const bytes = copyIn(k.memory, data, u32(size));
    const rec = new Uint8Array(bytes.length + extra.length);
    rec.set(bytes);
    rec.set(extra, bytes.length);
    map.records.push({ map: map.name, cpu: Number(index), data: rec });
    return 0n;
  },
});
