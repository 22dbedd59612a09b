/**
 * The clocks a test controls: `bpf_ktime_get_ns` (CLOCK_MONOTONIC), `bpf_ktime_get_boot_ns`
 * (CLOCK_BOOTTIME: monotonic plus time suspended), `bpf_ktime_get_coarse_ns`,
 * `bpf_ktime_get_tai_ns` and `bpf_jiffies64`. Time stands still unless the test moves it
 * ({@link advance}) or sets a step every read adds, so runs are reproducible.
 */
export interface ClockOptions {
  /** CLOCK_MONOTONIC at the start, in ns (default 1,000,000,000: one second after boot). */
  monotonicNs?: bigint;
  /** Time spent suspended, added for CLOCK_BOOTTIME (default 0). */
  suspendedNs?: bigint;
  /** TAI minus monotonic (default 1,700,000,000 s: an arbitrary wall-clock epoch). */
  taiOffsetNs?: bigint;
  /** Added to the clock after every read (default 0: reads within a run see the same time). */
  stepNs?: bigint;
  /** The kernel's HZ, for jiffies (default 250). */
  hz?: number;
}

/** Jiffies start 5 minutes before wrapping a 32-bit counter, as the kernel's INITIAL_JIFFIES. */
const INITIAL_JIFFIES = BigInt.asUintN(64, BigInt(-300 * 250));

export class SimClock {
  private mono: bigint;
  suspendedNs: bigint;
  taiOffsetNs: bigint;
  stepNs: bigint;
  readonly hz: number;

  constructor(o: ClockOptions = {}) {
    this.mono = o.monotonicNs ?? 1_000_000_000n;
    this.suspendedNs = o.suspendedNs ?? 0n;
    this.taiOffsetNs = o.taiOffsetNs ?? 1_700_000_000_000_000_000n;
    this.stepNs = o.stepNs ?? 0n;
    this.hz = o.hz ?? 250;
  }

  /** Moves time forward by `ns`. */
  advance(ns: bigint): void {
    this.mono += ns;
  }

  /** CLOCK_MONOTONIC now, without the step a read adds. */
  now(): bigint {
    return this.mono;
  }

  /** Sets CLOCK_MONOTONIC. */
  set(ns: bigint): void {
    this.mono = ns;
  }

  private read(): bigint {
    const t = this.mono;
    this.mono += this.stepNs;
    return t;
  }

  monotonic(): bigint {
    return this.read();
  }
  boot(): bigint {
    return this.read() + this.suspendedNs;
  }
  /** The coarse clock ticks once per jiffy. */
  coarse(): bigint {
    const t = this.read();
    const tick = 1_000_000_000n / BigInt(this.hz);
    return t - (t % tick);
  }
  tai(): bigint {
    return this.read() + this.taiOffsetNs;
  }
  jiffies(): bigint {
    return BigInt.asUintN(64, INITIAL_JIFFIES + ((this.mono + this.suspendedNs) * BigInt(this.hz)) / 1_000_000_000n);
  }
}
