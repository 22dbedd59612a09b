import type { MapDef } from '../../loader/model.js';
import { BpfMap, type MapEnv } from './map.js';

/** A record written by `bpf_perf_event_output`. */
export interface PerfRecord {
  map: string;
  /** The perf buffer (CPU) it went to. */
  cpu: number;
  data: Uint8Array;
}

/** A counter's reading: its value, and the times it was enabled and running (ns). */
export interface PerfCounter {
  counter: bigint;
  enabled: bigint;
  running: bigint;
}

/**
 * `BPF_MAP_TYPE_PERF_EVENT_ARRAY`: one perf event per CPU index, opened by user space. Output to
 * an index with no event open is `-ENOENT` — what `BPF_PROG_TEST_RUN` gives when nothing reads
 * the buffer (kernel-run opens none). Open readers with {@link open} to capture records.
 */
export class PerfEventArray extends BpfMap {
  private readonly openIdx = new Set<number>();
  readonly records: PerfRecord[] = [];

  constructor(def: MapDef, index: number, env: MapEnv) {
    super(def, index, env);
  }

  /** Opens a reader on `indexes` (every index when omitted), like perf_buffer__new. */
  open(indexes?: number[]): void {
    for (const i of indexes ?? Array.from({ length: this.maxEntries }, (_, j) => j)) this.openIdx.add(i);
  }

  close(): void {
    this.openIdx.clear();
  }

  isOpen(index: number): boolean {
    return this.openIdx.has(index);
  }

  private readonly counters = new Map<number, PerfCounter>();

  /**
   * Places a hardware/software counter at `index` (what user space would open with
   * perf_event_open and store in the map), for bpf_perf_event_read(_value).
   */
  setCounter(index: number, counter: PerfCounter): void {
    this.counters.set(index, counter);
  }

  counter(index: number): PerfCounter | undefined {
    return this.counters.get(index);
  }

  /** Takes the captured records. */
  drain(): PerfRecord[] {
    return this.records.splice(0, this.records.length);
  }

  override entries(): Array<{ key: Uint8Array; value: Uint8Array }> {
    return [];
  }
}
