import { BpfkitError, ErrorCode } from '../../errors.js';
import type { Memory } from '../memory.js';
import type { ContextWithOutput } from './user-ctx.js';

/** Offsets in `struct bpf_sysctl`. */
export const BpfSysctl = { write: 0, file_pos: 4, size: 8 } as const;

/** PAGE_SIZE: the buffer the kernel reads a sysctl's value into and takes a written one from. */
const PAGE_SIZE = 4096;

/** A sysctl access, as a test describes it. */
export interface SysctlInput {
  /** The sysctl's path under /proc/sys: `net/ipv4/tcp_mem`. */
  name: string;
  /** Its current value as its proc handler prints it (`"1\n"`); absent: the handler failed (cur_len 0). */
  value?: string;
  /** A write: the bytes written (absent: a read). */
  newValue?: string;
  /** The file position (default 0). */
  filePos?: number;
}

const enc = new TextEncoder();

function checkSysctl(input: SysctlInput): void {
  if (input.name.split('/').every((p) => p === '')) throw new BpfkitError(ErrorCode.Usage, `sysctl name '${input.name}' is empty (give it as under /proc/sys: net/ipv4/tcp_mem)`);
  const pos = input.filePos ?? 0;
  if (!Number.isInteger(pos) || pos < 0 || pos > 0xffffffff) throw new BpfkitError(ErrorCode.Usage, `sysctl filePos ${pos} is not a u32`);
}

/**
 * `struct bpf_sysctl` of a cgroup_sysctl program (the kernel has no test run for it): write and
 * file_pos (writable) of a read or write of /proc/sys/NAME, with the name, the current value (as
 * the proc handler printed it) and a write's new value kept beside it for the bpf_sysctl_* helpers.
 * r0 is the verdict (1 allow, 0 deny: the access fails with EPERM). After the run the context
 * (file_pos may have moved) comes back as ctx, and for a write the value the write stores (the
 * program's bpf_sysctl_set_new_value, else the user's) as the result's packet.
 */
export class SysctlContext implements ContextWithOutput {
  readonly kind = 'sysctl' as const;
  readonly address: number;
  /** The directories and base name of the sysctl's path. */
  dirs: readonly string[] = [];
  base = '';
  current: Uint8Array | undefined;
  write = false;
  /** The new value (a write only) and whether the program replaced it. */
  newValue: Uint8Array | undefined;
  newUpdated = false;
  private readonly memory: Memory;

  constructor(memory: Memory, input: SysctlInput) {
    checkSysctl(input);
    this.memory = memory;
    this.address = memory.alloc('bpf_sysctl', 'ctx', BpfSysctl.size, { writable: true }).start;
    this.fill(input);
  }

  /** Makes this a fresh context for `input` (refused as the constructor refuses it). */
  reset(input: SysctlInput): void {
    checkSysctl(input);
    this.memory.u8.fill(0, this.address, this.address + BpfSysctl.size);
    this.newUpdated = false;
    this.fill(input);
  }

  private fill(input: SysctlInput): void {
    const parts = input.name.split('/').filter((p) => p !== '');
    this.dirs = parts.slice(0, -1);
    this.base = parts[parts.length - 1]!;
    this.current = input.value === undefined ? undefined : enc.encode(input.value).subarray(0, PAGE_SIZE);
    this.write = input.newValue !== undefined;
    this.newValue = input.newValue === undefined ? undefined : enc.encode(input.newValue).subarray(0, PAGE_SIZE);
    const a = this.address;
    this.memory.dv.setUint32(a + BpfSysctl.write, this.write ? 1 : 0, true);
    this.memory.dv.setUint32(a + BpfSysctl.file_pos, input.filePos ?? 0, true);
  }

  packetOut(): Uint8Array | undefined {
    return this.newValue?.slice();
  }

  ctxOut(): Uint8Array {
    return this.memory.u8.slice(this.address, this.address + BpfSysctl.size);
  }
}
