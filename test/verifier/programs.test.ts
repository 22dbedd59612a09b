/** Small assembled programs, one or two per check, accepted and rejected. */
import { describe, expect, it } from 'vitest';
import { MapType, ProgType } from '../../src/loader/kinds.js';
import { arrayMap, rodataMap, ringbufMap, verdict, verifyAsm } from './support.js';

const ok = (asm: string, o = {}) => expect(verdict(asm, o)).toBe('ok');
const bad = (asm: string, re: RegExp, o = {}) => expect(verdict(asm, o)).toMatch(re);

const PKT = 'ldxw %r2, [%r1+0]\nldxw %r3, [%r1+4]\n';

describe('registers', () => {
  it('rejects reading an uninitialised register and writing r10', () => {
    bad('mov %r0, %r4\nexit', /^0: R4 .*read before it is written/);
    bad('mov %r10, 0\nmov %r0, 0\nexit', /^0: R10 .*read-only/);
    bad('mov %r2, 1\ncall 5\nmov %r0, %r2\nexit', /^2: R2 .*r1-r5 do not survive calls/);
    bad('ldxw %r0, [%r1+16]\njeq %r0, 0, +1\nmov %r5, 1\nmov %r0, %r5\nexit', /^3: R5 .*(uninitialised on some path|read before it is written)/);
  });
});

describe('packet access', () => {
  it('needs a comparison with data_end covering the access', () => {
    ok(`${PKT}mov %r4, %r2\nadd %r4, 14\njgt %r4, %r3, +2\nldxb %r0, [%r2+13]\nexit\nmov %r0, 1\nexit`);
    bad(`${PKT}mov %r4, %r2\nadd %r4, 14\njgt %r4, %r3, +2\nldxb %r0, [%r2+14]\nexit\nmov %r0, 1\nexit`, /^5: invalid packet read/);
    bad(`${PKT}ldxb %r0, [%r2+0]\nexit`, /^2: invalid packet read/);
  });

  it('proves variable offsets through relations', () => {
    // r5 = data + (r6 & 63); if r5 + 4 > data_end goto out; read r5[0..3]
    const asm = `${PKT}ldxw %r6, [%r1+16]\nand %r6, 63\nmov %r5, %r2\nadd %r5, %r6\nmov %r4, %r5\nadd %r4, 4\njgt %r4, %r3, +2\nldxw %r0, [%r5+0]\nexit\nmov %r0, 1\nexit`;
    ok(asm);
    bad(asm.replace('ldxw %r0, [%r5+0]', 'ldxw %r0, [%r5+1]'), /^9: invalid packet read/);
  });

  it('rejects a packet offset without a lower bound and arithmetic on data_end', () => {
    bad(`${PKT}ldxdw %r6, [%r10-8]\nmov %r6, 0\nsub %r6, %r2\nmov %r0, 0\nexit`, /./);
    bad(`${PKT}add %r3, 1\nmov %r0, 0\nexit`, /^2: R3 arithmetic on data_end/);
  });

  it('forbids writes where the program type only reads, and reads where it has no packet', () => {
    const w = (p: string) => `${p}mov %r4, %r2\nadd %r4, 1\njgt %r4, %r3, +1\nstb [%r2+0], 1\nmov %r0, 1\nexit`;
    ok(w(PKT));
    const SKB = 'ldxw %r2, [%r1+76]\nldxw %r3, [%r1+80]\n';
    ok(w(SKB), { type: ProgType.SCHED_CLS });
    bad(w(SKB), /^5: program type cgroup_skb cannot write into the packet/, { type: ProgType.CGROUP_SKB });
    bad(w(SKB), /^0: invalid read of the context .* data is not available to socket filters/, { type: ProgType.SOCKET_FILTER });
  });
});

describe('stack', () => {
  it('spills and fills pointers and keeps their types', () => {
    ok(`${PKT}stxdw [%r10-8], %r2\nstxdw [%r10-16], %r3\nldxdw %r4, [%r10-8]\nldxdw %r5, [%r10-16]\nmov %r6, %r4\nadd %r6, 2\njgt %r6, %r5, +2\nldxh %r0, [%r4+0]\nexit\nmov %r0, 0\nexit`);
  });

  it('rejects a partial read of a spilled pointer, misaligned access and leaving the frame', () => {
    bad('stxdw [%r10-8], %r1\nldxw %r0, [%r10-8]\nexit', /^1: invalid partial read of a spilled pointer/);
    bad('stw [%r10-6], 0\nmov %r0, 0\nexit', /^0: misaligned stack access/);
    bad('stdw [%r10-520], 0\nmov %r0, 0\nexit', /^0: invalid write on the stack: fp-520/);
    bad('stdw [%r10+0], 0\nmov %r0, 0\nexit', /outside the 512-byte frame/);
  });

  it('allows uninitialised stack reads for privileged loaders only', () => {
    ok('ldxdw %r0, [%r10-8]\nexit');
    bad('ldxdw %r0, [%r10-8]\nexit', /^0: invalid read from stack/, { unprivileged: true, type: ProgType.SOCKET_FILTER });
  });

  it('rejects subtracting from the frame pointer', () => {
    bad('mov %r1, %r10\nsub %r1, 8\nstdw [%r1+0], 0\nmov %r0, 0\nexit', /^1: R1 subtraction from a stack pointer/);
  });
});

describe('maps', () => {
  const maps = [arrayMap('counts', 16)];
  const lookup = 'stw [%r10-4], 0\nmov %r2, %r10\nadd %r2, -4\nlddw %r1, map_fd 0\ncall 1\n';

  it('needs a NULL check, which applies to copies', () => {
    const hash = [{ ...arrayMap('counts', 16), type: MapType.HASH }];
    bad(`${lookup}ldxdw %r0, [%r0+8]\nexit`, /^6: R0 may be NULL/, { maps: hash });
    ok(`${lookup}mov %r6, %r0\njeq %r6, 0, +2\nldxdw %r0, [%r0+8]\nexit\nmov %r0, 0\nexit`, { maps: hash });
  });

  it('drops "or NULL" for an array lookup with a constant key in range, as the kernel does', () => {
    ok(`${lookup}ldxdw %r0, [%r0+8]\nexit`, { maps });
    const spilled = (k: number): string => `mov %r1, ${k}\nstxw [%r10-8], %r1\nmov %r2, %r10\nadd %r2, -8\nlddw %r1, map_fd 0\ncall 1\nldxdw %r0, [%r0+8]\nexit`;
    ok(spilled(3), { maps });
    bad(spilled(4), /^7: R0 may be NULL/, { maps });
    // a nonzero number at an unaligned slot is not kept by the kernel: the key is unknown
    bad(`stw [%r10-4], 1\n${lookup.slice(lookup.indexOf('\n') + 1)}ldxdw %r0, [%r0+8]\nexit`, /^6: R0 may be NULL/, { maps });
  });

  it('keeps accesses inside value_size', () => {
    ok(`${lookup}jeq %r0, 0, +2\nldxdw %r0, [%r0+8]\nexit\nmov %r0, 0\nexit`, { maps });
    bad(`${lookup}jeq %r0, 0, +2\nldxdw %r0, [%r0+9]\nexit\nmov %r0, 0\nexit`, /^7: invalid read of map counts's value \(value_size=16\)/, { maps });
  });

  it('bounds variable offsets into a value', () => {
    const idx = 'ldxw %r6, [%r1+16]\n';
    ok(`${idx}${lookup}jeq %r0, 0, +4\nand %r6, 8\nadd %r0, %r6\nldxdw %r0, [%r0+0]\nexit\nmov %r0, 0\nexit`, { maps });
    bad(`${idx}${lookup}jeq %r0, 0, +4\nand %r6, 9\nadd %r0, %r6\nldxdw %r0, [%r0+0]\nexit\nmov %r0, 0\nexit`, /invalid read of map counts/, { maps });
  });

  it('reads .rodata constants, prunes branches on them, and rejects writes to it', () => {
    const ro = [rodataMap([0, 0, 0, 0])];
    ok('lddw %r1, map_value 0\nldxw %r2, [%r1+0]\njeq %r2, 0, +1\nldxdw %r0, [%r10+0]\nmov %r0, 0\nexit', { maps: ro });
    bad('lddw %r1, map_value 0\nstw [%r1+0], 1\nmov %r0, 0\nexit', /^2: write into the read-only map .rodata/, { maps: ro });
  });
});

describe('pointer arithmetic', () => {
  it('allows only += and -= a bounded number', () => {
    bad('mov %r2, %r10\nand %r2, -8\nmov %r0, 0\nexit', /^1: R2 bitwise operation/);
    bad('mov %r2, %r10\nadd %r2, %r1\nmov %r0, 0\nexit', /^1: R2 pointer \+= pointer/);
    bad('mov %r2, %r10\nmul %r2, 2\nmov %r0, 0\nexit', /^1: R2 pointer arithmetic with \*=/);
    bad('mov %r2, %r10\nadd32 %r2, -8\nmov %r0, 0\nexit', /^1: R2 32-bit arithmetic on a pointer/);
    bad('ldxdw %r3, [%r10-8]\nmov %r2, %r10\nadd %r2, %r3\nmov %r0, 0\nexit', /no lower bound/);
  });

  it('lets privileged programs subtract pointers and leak them, unprivileged ones not', () => {
    ok(`${PKT}sub %r3, %r2\nmov %r0, %r3\nexit`);
    ok('mov %r0, %r10\nexit');
    bad('mov %r0, %r10\nexit', /R0 leaks a pointer/, { unprivileged: true, type: ProgType.SOCKET_FILTER });
  });
});

describe('helpers', () => {
  it('checks the program type and argument kinds', () => {
    bad('mov %r1, 0\nmov %r2, 0\nmov %r3, 0\nmov %r4, 0\ncall 26\nmov %r0, 0\nexit', /^4: program type xdp cannot call bpf_skb_load_bytes/);
    bad('lddw %r1, map_fd 0\nmov %r2, 0\ncall 1\nmov %r0, 0\nexit', /^3: R2 \(argument 2 of bpf_map_lookup_elem#1\) must point to memory/, { maps: [arrayMap('m', 8)] });
    bad('mov %r1, 0\nmov %r2, 0\ncall 1\nmov %r0, 0\nexit', /must be a map/);
  });

  it('checks memory sizes', () => {
    // bpf_probe_read_kernel(fp-16, 32, 0): the 32 bytes would cross the frame pointer
    const read = (n: number) => `mov %r1, %r10\nadd %r1, -16\nmov %r2, ${n}\nmov %r3, 0\ncall 113\nmov %r0, 0\nexit`;
    ok(read(16), { type: ProgType.KPROBE });
    bad(read(32), /^4: invalid .* on the stack/, { type: ProgType.KPROBE });
    bad('mov %r1, %r10\nadd %r1, -16\nldxdw %r2, [%r10-8]\nmov %r3, 0\ncall 113\nmov %r0, 0\nexit', /size argument of bpf_probe_read_kernel.*(negative|unbounded)/, { type: ProgType.KPROBE });
  });
});

describe('ring buffer references', () => {
  const maps = [ringbufMap('rb')];
  const reserve = 'lddw %r1, map_fd 0\nmov %r2, 8\nmov %r3, 0\ncall 131\n';
  it('accepts a reservation released on every path', () => {
    ok(`${reserve}jeq %r0, 0, +4\nstdw [%r0+0], 1\nmov %r1, %r0\nmov %r2, 0\ncall 132\nmov %r0, 0\nexit`, { maps });
  });
  it('rejects a leak, a use after submit, a double submit and a moved pointer', () => {
    bad(`${reserve}mov %r0, 0\nexit`, /unreleased reference/, { maps });
    bad(`${reserve}jeq %r0, 0, +5\nmov %r6, %r0\nmov %r1, %r0\nmov %r2, 0\ncall 132\nstdw [%r6+0], 1\nmov %r0, 0\nexit`, /^10: .*R6: .*released by bpf_ringbuf_submit/, { maps });
    bad(`${reserve}jeq %r0, 0, +7\nmov %r6, %r0\nmov %r1, %r0\nmov %r2, 0\ncall 132\nmov %r1, %r6\nmov %r2, 0\ncall 132\nmov %r0, 0\nexit`, /^12: R1 .*no longer ring buffer memory/, { maps });
    bad(`${reserve}jeq %r0, 0, +4\nadd %r0, 4\nmov %r1, %r0\nmov %r2, 0\ncall 132\nmov %r0, 0\nexit`, /must point to the start of the reservation/, { maps });
  });
});

describe('exit', () => {
  it('checks the return value range of the program type', () => {
    ok('mov %r0, 1\nexit', { type: ProgType.CGROUP_SKB });
    bad('mov %r0, 2\nexit', /^1: At program exit R0 .* requires \[0, 1\]/, { type: ProgType.CGROUP_SKB });
    bad('mov %r0, %r10\nexit', /must be a number/, { type: ProgType.CGROUP_SKB });
    ok('mov %r0, 77\nexit');
  });
});

describe('loops', () => {
  it('accepts bounded loops and rejects loops it cannot bound', () => {
    ok('mov %r1, 0\nmov %r0, 0\nloop:\nadd %r0, %r1\nadd %r1, 1\njne %r1, 16, loop\nexit');
    bad('mov %r1, 0\nmov %r0, 0\nloop:\nadd %r1, 2\njne %r1, 17, loop\nexit', /^2: cannot prove that this loop terminates/);
    bad('ldxw %r2, [%r1+16]\nmov %r1, 0\nmov %r0, 0\nloop:\nadd %r1, 1\njlt %r1, %r2, loop\nexit', /loop|complex/);
  });

  it('uses a loop bound to prove an array access', () => {
    const maps = [arrayMap('a', 64)];
    ok(
      'stw [%r10-4], 0\nmov %r2, %r10\nadd %r2, -4\nlddw %r1, map_fd 0\ncall 1\njeq %r0, 0, +6\nmov %r1, 0\nloop:\nmov %r2, %r0\nadd %r2, %r1\nstb [%r2+0], 1\nadd %r1, 1\njlt %r1, 64, loop\nmov %r0, 0\nexit',
      { maps },
    );
  });
});

describe('calls', () => {
  it('passes stack pointers to functions and checks their accesses in the caller frame', () => {
    ok('mov %r1, %r10\nadd %r1, -8\ncall local f\nldxdw %r0, [%r10-8]\nexit\nf:\nstdw [%r1+0], 7\nmov %r0, 0\nexit');
    bad('mov %r1, %r10\nadd %r1, -8\ncall local f\nmov %r0, 0\nexit\nf:\nstdw [%r1+8], 7\nmov %r0, 0\nexit', /^5: .*outside the 512-byte frame/);
  });

  it('rejects returning a pointer into the callee frame and a combined stack over 512 bytes', () => {
    bad('call local f\nmov %r0, 0\nexit\nf:\nmov %r0, %r10\nexit', /pointer into its own stack frame/);
    bad('stdw [%r10-400], 0\ncall local f\nmov %r0, 0\nexit\nf:\nstdw [%r10-400], 0\nmov %r0, 0\nexit', /combined stack of 2 calls is 800 bytes/);
  });

  it('reports errors inside a function with the call chain', () => {
    const r = verifyAsm('call local f\nmov %r0, 0\nexit\nf:\nmov %r0, %r3\nexit');
    expect(r.errors[0]!.pc).toBe(3);
    expect(r.errors[0]!.context).toMatch(/called from pc 0/);
  });
});

describe('paths kept apart', () => {
  it('links a status code to the out-parameter written only on success', () => {
    // f(&slot, ctx) stores the packet pointer in *slot and returns 1 when 14 bytes are there, else 0
    const f = `f:
mov %r6, %r1
ldxw %r3, [%r2+4]
ldxw %r2, [%r2+0]
mov %r0, 0
mov %r4, %r2
add %r4, 14
jgt %r4, %r3, +2
stxdw [%r6+0], %r2
mov %r0, 1
exit`;
    const caller = (check: boolean) => `mov %r6, %r1
mov %r1, %r10
add %r1, -8
mov %r2, %r6
call local f
${check ? 'jeq %r0, 0, +3' : 'jeq %r0, 7, +3'}
ldxdw %r1, [%r10-8]
ldxb %r0, [%r1+13]
exit
mov %r0, 2
exit
${f}`;
    ok(caller(true));
    bad(caller(false), /^7: read through R1/);
  });
});

describe('unprivileged rules', () => {
  it('only allow socket filters and cgroup skb programs, without loops', () => {
    bad('mov %r0, 0\nexit', /needs CAP_BPF/, { unprivileged: true });
    ok('mov %r0, 0\nexit', { unprivileged: true, type: ProgType.SOCKET_FILTER });
    bad('mov %r1, 0\nloop:\nadd %r1, 1\njlt %r1, 4, loop\nmov %r0, 0\nexit', /loops \(back-edges\) need CAP_BPF/, { unprivileged: true, type: ProgType.SOCKET_FILTER });
  });

  it('forbids pointer comparisons and pointer stores into maps', () => {
    bad('mov %r2, %r10\njeq %r2, %r1, +0\nmov %r0, 0\nexit', /pointer comparison prohibited/, { unprivileged: true, type: ProgType.SOCKET_FILTER });
    const maps = [arrayMap('m', 16)];
    const asm = 'stw [%r10-4], 0\nmov %r2, %r10\nadd %r2, -4\nlddw %r1, map_fd 0\ncall 1\njeq %r0, 0, +1\nstxdw [%r0+0], %r10\nmov %r0, 0\nexit';
    ok(asm, { maps });
    bad(asm, /leaks a pointer into memory/, { maps, unprivileged: true, type: ProgType.SOCKET_FILTER });
  });
});
