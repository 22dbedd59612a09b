/**
 * `bpf_get_prandom_u32`, seeded so a test sees the same sequence every run (the kernel's is a
 * per-CPU PRNG seeded at boot). The generator is SplitMix32-style mixing of a 32-bit counter.
 */
export class SimRandom {
  private state: number;
  constructor(seed = 0x2545f491) {
    this.state = seed >>> 0;
  }

  reseed(seed: number): void {
    this.state = seed >>> 0;
  }

  nextU32(): number {
    this.state = (this.state + 0x9e3779b9) >>> 0;
    let z = this.state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  }
}
