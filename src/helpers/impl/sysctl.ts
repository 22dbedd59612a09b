import { SysctlContext } from '../contexts/sysctl.js';
import { Errno } from '../errno.js';
import { FaultSignal } from '../fault.js';
import type { Memory } from '../memory.js';
import { u32, view } from './args.js';
import type { HelperGroup } from './group.js';

const BASE_NAME = 1n;
const PAGE_SIZE = 4096;
const enc = new TextEncoder();

/** The kernel's strscpy into `left` bytes at `at`: the length copied, or -E2BIG when it did not fit (truncated, NUL-terminated). */
function strscpy(memory: Memory, at: number, left: number, s: Uint8Array): number {
  if (left === 0) return -Errno.E2BIG;
  const n = Math.min(s.length, left - 1);
  memory.u8.set(s.subarray(0, n), at);
  memory.u8[at + n] = 0;
  return s.length < left ? s.length : -Errno.E2BIG;
}

/** copy_sysctl_value: the value zero-padded into the buffer, its length; -E2BIG truncated; -EINVAL (buffer zeroed) without a value. */
function copyValue(dst: Uint8Array, src: Uint8Array | undefined): number {
  if (dst.length === 0) return -Errno.E2BIG;
  if (src === undefined || src.length === 0) {
    dst.fill(0);
    return -Errno.EINVAL;
  }
  dst.set(src.subarray(0, Math.min(dst.length, src.length)));
  if (dst.length > src.length) {
    dst.fill(0, src.length);
    return src.length;
  }
  dst[dst.length - 1] = 0;
  return -Errno.E2BIG;
}

/**
 * The bpf_sysctl_* helpers of cgroup_sysctl programs, with the kernel's answers (kernel/bpf/cgroup.c):
 * get_name writes "dir/dir/base" (or the base name with BPF_F_SYSCTL_BASE_NAME) as strscpy does
 * (the length, or -E2BIG truncated); get_current_value / get_new_value copy the value zero-padded
 * (-E2BIG truncated, -EINVAL and a zeroed buffer without one; get_new_value on a read -EINVAL);
 * set_new_value replaces a write's value (-EINVAL on a read or an empty buffer, -E2BIG past a page).
 */
export const sysctlHelpers: HelperGroup = (k) => {
  const ctxOf = (ctx: bigint, name: string): SysctlContext => {
    const c = k.run.context;
    if (!(c instanceof SysctlContext) || Number(BigInt.asUintN(64, ctx)) !== c.address) throw new FaultSignal('helper', `${name}: the first argument is not a cgroup_sysctl context`);
    return c;
  };
  return {
    sysctl_get_name: (_rt, ctx, buf, lenArg, flags) => {
      const c = ctxOf(ctx, 'bpf_sysctl_get_name');
      if (BigInt.asUintN(64, buf) === 0n) return BigInt(-Errno.EINVAL);
      let left = u32(lenArg);
      let at = Number(BigInt.asUintN(64, buf));
      view(k.memory, buf, left, true);
      let written = 0;
      if ((BigInt.asUintN(64, flags) & BASE_NAME) === 0n) {
        for (const dir of c.dirs) {
          for (const part of [dir, '/']) {
            const r = strscpy(k.memory, at, left, enc.encode(part));
            if (r < 0) return BigInt(r);
            at += r;
            left -= r;
            written += r;
          }
        }
      }
      const r = strscpy(k.memory, at, left, enc.encode(c.base));
      return BigInt(r < 0 ? r : written + r);
    },
    sysctl_get_current_value: (_rt, ctx, buf, len) => {
      const c = ctxOf(ctx, 'bpf_sysctl_get_current_value');
      if (BigInt.asUintN(64, buf) === 0n) return BigInt(-Errno.EINVAL);
      return BigInt(copyValue(view(k.memory, buf, u32(len), true), c.current));
    },
    sysctl_get_new_value: (_rt, ctx, buf, len) => {
      const c = ctxOf(ctx, 'bpf_sysctl_get_new_value');
      if (!c.write) {
        if (BigInt.asUintN(64, buf) !== 0n && u32(len) > 0) view(k.memory, buf, u32(len), true).fill(0);
        return BigInt(-Errno.EINVAL);
      }
      if (BigInt.asUintN(64, buf) === 0n) return BigInt(-Errno.EINVAL);
      return BigInt(copyValue(view(k.memory, buf, u32(len), true), c.newValue));
    },
    sysctl_set_new_value: (_rt, ctx, buf, lenArg) => {
      const c = ctxOf(ctx, 'bpf_sysctl_set_new_value');
      const len = u32(lenArg);
      if (!c.write || c.newValue === undefined || c.newValue.length === 0 || BigInt.asUintN(64, buf) === 0n || len === 0) return BigInt(-Errno.EINVAL);
      if (len > PAGE_SIZE - 1) return BigInt(-Errno.E2BIG);
      c.newValue = view(k.memory, buf, len).slice();
      c.newUpdated = true;
      return 0n;
    },
  };
};
