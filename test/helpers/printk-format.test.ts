import { describe, expect, it } from 'vitest';
import { Errno } from '../../src/helpers/errno.js';
import { bprintf, formatString, type FormatMemory } from '../../src/helpers/printk-format.js';

const strings = new Map<bigint, string>([
  [0x1000n, 'hello'],
  [0x2000n, 'eth0'],
]);
const bytes = new Map<bigint, Uint8Array>([
  [0x3000n, new Uint8Array([192, 168, 1, 254])],
  [0x4000n, new Uint8Array([0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x02, 0x11, 0x22, 0xff, 0xfe, 0x33, 0x44, 0x55])],
]);
const mem: FormatMemory = {
  kernelString: (p) => strings.get(p),
  userString: (p) => (p === 0x9000n ? 'user' : undefined),
  kernelBytes: (p, n) => bytes.get(p)?.subarray(0, n),
};
const fmt = (f: string, ...args: Array<bigint | number>) => bprintf(f, args.map((a) => BigInt(a)), mem);

// Expected strings are what the kernel printed for printk.c (recorded with bpf_snprintf).
describe('bpf_printk formatting', () => {
  it('formats integers by width of argument', () => {
    expect(fmt('%d %i %u %x %X', -5, -5, -5, 255, 0xabc)).toBe('-5 -5 4294967291 ff ABC');
    expect(fmt('%ld %lu %lx', -1, -1, -1)).toBe('-1 18446744073709551615 ffffffffffffffff');
    expect(fmt('%lld %llu %llx', -9000000000n, 18446744073709551615n, 0x123456789abcdefn)).toBe('-9000000000 18446744073709551615 123456789abcdef');
    expect(fmt('%u %d %x', 4294967295, 2147483647, 0)).toBe('4294967295 2147483647 0');
    expect(fmt('%llx %lli', -5, -3)).toBe('fffffffffffffffb -3');
  });

  it('pads with the flags and widths the kernel accepts', () => {
    expect(fmt('[%5d] [%-5d] [%05d] [%+d] [% d] [%x]', 42, 42, 42, 42, 42, 66)).toBe('[   42] [42   ] [00042] [+42] [ 42] [42]');
    expect(fmt('%05d|%-05d|%+u', -42, 7, 3)).toBe('-0042|7    |3');
    expect(fmt('%lx %lX %05x %-4x|', 0xfeed, 0xfeed, 0xab, 0xc)).toBe('feed FEED 000ab c   |');
    expect(fmt('%08llx', 0xbeef)).toBe('0000beef');
  });

  it('prints strings, chars and percent signs; an unreadable string prints empty', () => {
    expect(fmt('%s|%10s|%-6s|', 0x1000, 0x2000, 0x2000)).toBe('hello|      eth0|eth0  |');
    expect(fmt('%pks|%s|%pus', 0x2000, 0, 0x9000)).toBe('eth0||user');
    expect(fmt('%c%c%c 100%%', 98, 112, 102)).toBe('bpf 100%');
    expect(fmt('%5s|', 0x9999)).toBe('     |');
  });

  it('prints IP addresses and raw pointers', () => {
    expect(fmt('%pI4 %pi4', 0x3000, 0x3000)).toBe('192.168.1.254 192.168.001.254');
    expect(fmt('%pI6', 0x4000)).toBe('fe80:0000:0000:0000:0211:22ff:fe33:4455');
    expect(fmt('%pi6', 0x4000)).toBe('fe80000000000000021122fffe334455');
    expect(fmt('%px', 0x1234)).toBe('0000000000001234');
    // an unreadable address prints as zeroes, as the kernel's copy_from_kernel_nofault fallback
    expect(fmt('%pI4', 0x5)).toBe('0.0.0.0');
    // no pointer hashing or symbols here: %p prints like %px, %pS as 0x...
    expect(fmt('%p %pK %pS', 0x10, 0x10, 0xffffffff81000000n)).toBe('0000000000000010 0000000000000010 0xffffffff81000000');
  });

  it('refuses what bpf_bprintf_prepare refuses with -EINVAL', () => {
    expect(fmt('mac %pM', 0x1000)).toBe(-Errno.EINVAL);
    expect(fmt('%d %d', 1)).toBe(-Errno.EINVAL);
    expect(fmt('%.3s', 0x1000)).toBe(-Errno.EINVAL);
    expect(fmt('%#x', 1)).toBe(-Errno.EINVAL);
    expect(fmt('%hd', 1)).toBe(-Errno.EINVAL);
    expect(fmt('%llo', 1)).toBe(-Errno.EINVAL);
    expect(fmt('%sx', 0x1000)).toBe(-Errno.EINVAL);
    expect(fmt('bad \u0001 char')).toBe(-Errno.EINVAL);
    expect(fmt('trailing %', 1)).toBe(-Errno.EINVAL);
    expect(fmt('%pI5', 0x3000)).toBe(-Errno.EINVAL);
  });

  it('keeps the text without conversions as is', () => {
    expect(fmt('no conversions')).toBe('no conversions');
    expect(fmt('tab\there\n')).toBe('tab\there\n');
  });

  it('reads a format up to its NUL', () => {
    expect(formatString(new Uint8Array([0x61, 0x62, 0, 0x63]))).toBe('ab');
    expect(formatString(new Uint8Array([0x61, 0x62]))).toBeUndefined();
  });
});
