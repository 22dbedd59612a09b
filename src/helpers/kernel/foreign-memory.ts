/**
 * Memory outside the simulated kernel's own (kernel or user addresses a probed program reads with
 * `bpf_probe_read_kernel`/`_user`): ranges of bytes the test places at 64-bit addresses.
 */
export interface ForeignRange {
  /** First address (any 64-bit value, e.g. 0xffff888012345000n for kernel memory). */
  address: bigint;
  bytes: Uint8Array;
}

export class ForeignMemory {
  readonly ranges: ForeignRange[] = [];

  add(address: bigint, bytes: Uint8Array): void {
    this.ranges.push({ address: BigInt.asUintN(64, address), bytes });
  }

  /** `size` bytes at `address`, or undefined when they are not all inside one range. */
  read(address: bigint, size: number): Uint8Array | undefined {
    for (const r of this.ranges) {
      const off = address - r.address;
      if (off >= 0n && off + BigInt(size) <= BigInt(r.bytes.length)) {
        const o = Number(off);
        return r.bytes.subarray(o, o + size);
      }
    }
    return undefined;
  }
}
