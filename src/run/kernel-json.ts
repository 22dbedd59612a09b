import { MapType } from '../loader/kinds.js';
import type { ObjectInstance } from '../helpers/kernel.js';
import { hexOf } from '../helpers/maps/map.js';
import type { RunResult } from './program.js';

/** One map's entries as kernel-run prints them. */
export interface KernelJsonEntry {
  key: string;
  value: string;
}

/** The JSON kernel-run prints (plus `printk`), the shape `bpfkit run --json` keeps. */
export interface KernelJson {
  accepted: boolean;
  retval?: number;
  packet?: string;
  maps?: Record<string, KernelJsonEntry[]>;
  ringbuf?: string[];
  printk?: string[];
  /** The context after the run where the test run hands it back (kernel-run-ctx's ctx_out), as hex. */
  ctx?: string;
  /** What an iterator wrote to its seq_file (bpf_seq_printf, bpf_seq_write), when anything. */
  seq?: string;
  log?: string;
}

/** Maps kernel-run lists without entries. */
const LISTED_EMPTY = new Set<number>([
  MapType.PROG_ARRAY,
  MapType.PERF_EVENT_ARRAY,
  MapType.ARRAY_OF_MAPS,
  MapType.HASH_OF_MAPS,
  MapType.QUEUE,
  MapType.STACK,
]);

/** kernel-run names internal maps from their first dot (libbpf calls them "<obj>.bss"). */
const jsonName = (name: string): string => {
  const dot = name.indexOf('.');
  return dot >= 0 ? name.slice(dot) : name;
};

/**
 * Every map but ring buffers, in object order: entries sorted by key bytes, per-CPU maps showing
 * CPU 0's value; queue, stack, prog_array, perf_event_array and map-of-maps outer maps as [].
 */
export function mapsJson(instance: ObjectInstance): Record<string, KernelJsonEntry[]> {
  const out: Record<string, KernelJsonEntry[]> = {};
  for (const m of instance.maps) {
    if (m.type === MapType.RINGBUF) continue;
    if (LISTED_EMPTY.has(m.type)) {
      out[jsonName(m.name)] = [];
      continue;
    }
    const entries = m.entries(0).map((e) => ({ key: hexOf(e.key), value: hexOf(e.value) }));
    entries.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    out[jsonName(m.name)] = entries;
  }
  return out;
}

/** kernel-run's JSON for a finished run (plus the printk lines). */
export function toKernelJson(instance: ObjectInstance, result: RunResult, accepted = true): KernelJson {
  return {
    accepted,
    retval: result.retval,
    packet: result.packet === undefined ? '' : hexOf(result.packet),
    maps: mapsJson(instance),
    ringbuf: result.ringbuf.map(hexOf),
    printk: result.printk,
    ...(result.ctx !== undefined ? { ctx: hexOf(result.ctx) } : {}),
    ...(result.seq !== undefined ? { seq: result.seq } : {}),
  };
}
