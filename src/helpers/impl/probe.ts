import { Errno } from '../errno.js';
import type { KernelState } from '../kernel/state.js';
import type { HelperGroup } from './group.js';
import { PROBE_ZERO } from '../memory.js';
import { copyOut, lowAddress, u32, view, zeroOut } from './args.js';

/**
 * Reads of memory the program does not own, as the probe helpers do them. Kernel memory is the
 * simulated kernel's own (stack, maps, context, packet — any region) plus ranges the test placed
 * with `kernelMemory`; user memory is only what the test placed with `userMemory`. As on x86-64,
 * a kernel read of an address in the user half (below 0x0000800000000000) that is not mapped is
 * `-ERANGE`, any other miss `-EFAULT`; the destination is zeroed on failure.
 */
const USER_LIMIT = 0x0000_8000_0000_0000n;

function own(k: KernelState, p: bigint, n: number): Uint8Array | undefined {
  if (p + BigInt(n) > 0xffffffffn) return undefined;
  const a = Number(p);
  const r = k.memory.regionAt(a);
  // The whole stack area is kernel memory, not only the live frames.
  if (r === undefined || (r !== k.memory.stack && a < r.start) || a + n > r.end) return undefined;
  return k.memory.u8.subarray(a, a + n);
}

const miss = (p: bigint): number => (p < USER_LIMIT ? -Errno.ERANGE : -Errno.EFAULT);

/** `n` bytes of kernel memory at `ptr`, or a negative errno. */
export function readKernel(k: KernelState, ptr: bigint, n: number): Uint8Array | number {
  const p = BigInt.asUintN(64, ptr);
  return own(k, p, n) ?? k.kernelMemory.read(p, n) ?? miss(p);
}

/** `n` bytes of user memory at `ptr`, or -EFAULT. */
export function readUser(k: KernelState, ptr: bigint, n: number): Uint8Array | number {
  return k.userMemory.read(BigInt.asUintN(64, ptr), n) ?? -Errno.EFAULT;
}

/**
 * A NUL-terminated string of at most `max` bytes including the NUL (strncpy_from_*_nofault): the
 * string, or a negative errno when its first byte cannot be read or it runs into unreadable memory.
 */
function readString(read: (p: bigint, n: number) => Uint8Array | number, ptr: bigint, max: number): string | number {
  let s = '';
  for (let i = 0; i < max - 1; i++) {
    const b = read(BigInt.asUintN(64, ptr) + BigInt(i), 1);
    if (typeof b === 'number') return i === 0 ? b : -Errno.EFAULT;
    if (b[0] === 0) return s;
    s += String.fromCharCode(b[0]!);
  }
  return s;
}

/**
 * readString of kernel memory. Format strings (bpf_snprintf reads up to 64 KiB) and %s arguments
 * mostly lie in the simulated kernel's regions: those bytes are read in place, a region at a
 * time, with no BigInt and no view per byte; anything else goes byte by byte through readKernel.
 */
export function readKernelString(k: KernelState, ptr: bigint, max: number): string | number {
  const p = BigInt.asUintN(64, ptr);
  if (p > 0xffffffffn) return readString((q, n) => readKernel(k, q, n), ptr, max);
  const memory = k.memory;
  const u8 = memory.u8;
  const base = Number(p);
  // [lo, hi): bytes known to be the simulated kernel's own (as `own` decides for one byte).
  let lo = 0;
  let hi = 0;
  let s = '';
  for (let i = 0; i < max - 1; i++) {
    const a = base + i;
    let c: number;
    if (a >= lo && a < hi) c = u8[a]!;
    else {
      const r = a < 0xffffffff ? memory.regionAt(a) : undefined;
      if (r !== undefined && (r === memory.stack || a >= r.start) && a + 1 <= r.end) {
        lo = a;
        hi = r.end;
        c = u8[a]!;
      } else {
        const b = readKernel(k, BigInt(a), 1);
        if (typeof b === 'number') return i === 0 ? b : -Errno.EFAULT;
        c = b[0]!;
      }
    }
    if (c === 0) return s;
    s += String.fromCharCode(c);
  }
  return s;
}
export const readUserString = (k: KernelState, ptr: bigint, max: number): string | number => readString((p, n) => readUser(k, p, n), ptr, max);

function probeRead(k: KernelState, dst: bigint, size: bigint, src: bigint, read: (p: bigint, n: number) => Uint8Array | number): bigint {
  const n = u32(size);
  const r = read(src, n);
  if (typeof r === 'number') {
    zeroOut(k.memory, dst, n);
    return BigInt(r);
  }
  copyOut(k.memory, dst, r.slice());
  return 0n;
}

function probeReadStr(k: KernelState, dst: bigint, size: bigint, src: bigint, read: (p: bigint, n: number) => Uint8Array | number): bigint {
  const n = u32(size);
  if (n === 0) return 0n;
  const s = readString(read, src, n);
  const out = view(k.memory, dst, n, true);
  if (typeof s === 'number') {
    out.fill(0);
    return BigInt(s);
  }
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  out[s.length] = 0;
  return BigInt(s.length + 1);
}

/** bpf_probe_read (legacy): kernel memory first, then user memory. */
function compatRead(k: KernelState, p: bigint, n: number): Uint8Array | number {
  const kr = readKernel(k, p, n);
  if (typeof kr !== 'number') return kr;
  const ur = readUser(k, p, n);
  return typeof ur !== 'number' ? ur : -Errno.EFAULT;
}

/** The probe_read family and bpf_strncmp. */
export const probeHelpers: HelperGroup = (k) => ({
  probe_read: (_rt, dst, size, src) => probeRead(k, dst, size, src, (p, n) => compatRead(k, p, n)),
  probe_read_kernel: (_rt, dst, size, src) => probeRead(k, dst, size, src, (p, n) => readKernel(k, p, n)),
  probe_read_user: (_rt, dst, size, src) => probeRead(k, dst, size, src, (p, n) => readUser(k, p, n)),
  probe_read_str: (_rt, dst, size, src) => probeReadStr(k, dst, size, src, (p, n) => compatRead(k, p, n)),
  probe_read_kernel_str: (_rt, dst, size, src) => probeReadStr(k, dst, size, src, (p, n) => readKernel(k, p, n)),
  probe_read_user_str: (_rt, dst, size, src) => probeReadStr(k, dst, size, src, (p, n) => readUser(k, p, n)),
  strncmp: (_rt, s1, s1Size, s2) => {
    // The kernel's strncmp over s1's s1_sz bytes and the constant string s2: -1, 0 or 1.
    const n = u32(s1Size);
    const memory = k.memory;
    const a = view(memory, s1, n);
    // s2's bytes are checked one at a time as a view of each would be, but a check that passes
    // covers the rest of its region (or element): no BigInt or view per byte.
    const base = lowAddress(s2);
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < n; i++) {
      const c1 = a[i]!;
      const at = base + i;
      let c2: number;
      if (base >= 0 && at >= lo && at < hi) c2 = memory.u8[at]!;
      else if (base >= 0 && at < 0xffffffff) {
        const r = memory.check(at, 0, 1, false);
        if (r !== PROBE_ZERO) {
          lo = at;
          hi = r.stride > 0 ? r.start + Math.floor((at - r.start) / r.stride) * r.stride + r.elemSize : r.end;
        }
        c2 = memory.u8[at]!;
      } else c2 = view(memory, BigInt.asUintN(64, s2) + BigInt(i), 1)[0]!;
      if (c1 !== c2) return c1 < c2 ? -1n : 1n;
      if (c1 === 0) break;
    }
    return 0n;
  },
});
