/** One `struct bpf_timer` of a map value, as bpf_timer_init made it. */
export interface SimTimer {
  /** Address of the struct bpf_timer (its identity). */
  address: number;
  /** The map whose value holds it, and the value's address. */
  map: number;
  value: number;
  /** CLOCK_MONOTONIC (1), CLOCK_REALTIME (0) or CLOCK_BOOTTIME (7). */
  clock: number;
  /** The callback: the program and the slot of the bpf function. */
  program?: number;
  slot?: number;
  /** CLOCK_MONOTONIC time it fires at, while started. */
  expires?: bigint;
}

/**
 * The timers of the simulated kernel. They fire only when the test moves time forward with
 * `advanceTime` (src/run/timers.ts), in expiry order, each callback seeing the clock at its expiry.
 */
export class TimerTable {
  private readonly timers = new Map<number, SimTimer>();

  get(address: number): SimTimer | undefined {
    return this.timers.get(address);
  }

  add(t: SimTimer): void {
    this.timers.set(t.address, t);
  }

  /** The started timer that fires first at or before `until`, or undefined. */
  next(until: bigint): SimTimer | undefined {
    let best: SimTimer | undefined;
    for (const t of this.timers.values()) {
      if (t.expires === undefined || t.expires > until) continue;
      if (best === undefined || t.expires < best.expires!) best = t;
    }
    return best;
  }

  /** Every timer, started or not. */
  all(): SimTimer[] {
    return [...this.timers.values()];
  }
}
