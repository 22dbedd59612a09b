/**
 * The kernel's own words for a rejection: bpfkit explains a failure its way, and next to it
 * gives the line the kernel's verifier log ends with for that failure (its wording in Linux 6.18),
 * so a user can search for it. One rule per kind of failure, keyed on bpfkit's message; a failure
 * the kernel has no message of its own for gets none.
 */

type Rule = readonly [RegExp, (m: RegExpMatchArray) => string];

const RULES: readonly Rule[] = [
  // context
  [/^invalid (?:read of|write to) the context \(.*?\) at offset (-?\d+), size (\d+)/, (m) => `invalid bpf_context access off=${m[1]} size=${m[2]}`],
  [/^R(\d+) is a modified context pointer \(ctx\(off=(-?\d+)\)\)/, (m) => `dereference of modified ctx ptr R${m[1]} off=${m[2]} disallowed`],
  // helpers
  [/^(bpf_\w+#\d+|unknown#\d+) is not a helper of the kernel/, (m) => `invalid func ${m[1]}`],
  [/^program type \S+ cannot call (bpf_\w+#\d+)/, (m) => `program of this type cannot use helper ${m[1]}`],
  [/is GPL-only and the program's license is not GPL-compatible/, () => 'cannot call GPL-restricted function from non-GPL compatible program'],
  [/may sleep: only sleepable programs/, () => 'helper call might sleep in a non-sleepable prog'],
  [/^(bpf_\w+#\d+) cannot be used with map .* \(map_type (\d+)\)/, (m) => `cannot pass map_type ${m[2]} into func ${m[1]}`],
  [/is called while the bpf_spin_lock taken at pc \d+ is held/, () => 'function calls are not allowed while holding a lock'],
  [/^a global function is called while the bpf_spin_lock/, () => 'global function calls are not allowed while holding a lock,'],
  [/may still be held at program exit: bpf_spin_unlock is missing/, () => 'BPF_EXIT instruction in main prog cannot be used inside bpf_spin_lock-ed region'],
  [/^bpf_spin_lock while the lock taken at pc/, () => 'Locking two bpf_spin_locks are not allowed'],
  [/^bpf_spin_unlock without a lock/, () => 'bpf_spin_unlock without taking a lock'],
  [/^bpf_spin_unlock of a different lock/, () => 'bpf_spin_unlock of different lock'],
  [/points to offset (-?\d+) of map \S+ value, but its struct (bpf_spin_lock|bpf_timer) is at offset (\d+)/, (m) => `off ${m[1]} doesn't point to 'struct ${m[2]}' that is at ${m[3]}`],
  [/^map (\S+) has no struct (bpf_spin_lock|bpf_timer) in its value/, (m) => `map '${m[1]}' has no valid ${m[2]}`],
  [/^R(\d+) \(argument \d+ of bpf_\w+#\d+\) must be a socket this program acquired/, (m) => `R${m[1]} must be referenced when passed to release function`],
  [/^unreleased reference #\d+/, () => 'BPF_EXIT instruction in main prog would lead to reference leak'],
  // kernel objects (BTF pointers, kfuncs)
  [/may still be open at program exit: bpf_rcu_read_unlock is missing/, () => 'BPF_EXIT instruction in main prog cannot be used inside bpf_rcu_read_lock-ed region'],
  [/^only read is supported \(/, () => 'only read is supported'],
  [/^calling kernel function (\S+) is not allowed/, (m) => `calling kernel function ${m[1]} is not allowed`],
  [/^R(\d+) must be a rcu pointer \(/, (m) => `R${m[1]} must be a rcu pointer`],
  [/^R(\d+) must be referenced or trusted \(/, (m) => `R${m[1]} must be referenced or trusted`],
  [/^R(\d+) \(argument \d+ of bpf_\w+#\d+\) must be a pointer to a kernel struct \S+, not scalar\(/, (m) => `R${m[1]} type=scalar expected=ptr_, trusted_ptr_, rcu_ptr_`],
  [/^bpf_snprintf's format string .* is refused by the kernel/, () => 'Invalid format string'],
  [/^R(\d+) \(argument \d+ of [^)]*\) is not initialised/, (m) => `R${m[1]} !read_ok`],
  [/^R(\d+) \(size argument of .*\) may be negative/, (m) => `R${m[1]} min value is negative, either use unsigned or 'var &= const'`],
  [/^R(\d+) \(size argument of .*\) is unbounded/, (m) => `R${m[1]} unbounded memory access, use 'var &= const' or 'if (var < const)'`],
  [/^R(\d+) \(size argument of .*\) may be zero/, (m) => `R${m[1]} invalid zero-sized read: u64=[0,`],
  // sockets
  [/^invalid read of the (sock|sock_common|tcp_sock) R(\d+) points to at offset (\d+), size (\d+)/, (m) => `R${m[2]} invalid ${m[1]} access off=${m[3]} size=${m[4]}`],
  [/^R\d+ is a socket .*: the program cannot write into a (\w+)/, (m) => `cannot write into ${m[1]}`],
  // registers and memory
  [/^R(\d+) \([^)]*\) is read before it is written/, (m) => `R${m[1]} !read_ok`],
  [/^R10 \(the frame pointer\) is read-only/, () => 'frame pointer is read only'],
  [/^R(\d+) may be NULL \((\w+?)\(/, (m) => `R${m[1]} invalid mem access '${m[2]}'`],
  [/^(?:read|write|atomic operation) through R(\d+): R\d+ is (?:no longer a pointer|a number|NULL)/, (m) => `R${m[1]} invalid mem access 'scalar'`],
  [/^invalid packet (?:read|write)[^]*?through R(\d+)/, (m) => `R${m[1]} offset is outside of the packet`],
  [/^program type \S+ cannot write into the packet/, () => 'cannot write into packet'],
  [/^invalid (read|write) on the stack: fp(-\d+), size (\d+), is outside the 512-byte frame \(through R(\d+)\)/, (m) => `invalid ${m[1]} to stack R${m[4]} off=${m[2]} size=${m[3]}`],
  [/^invalid (read|write) on the stack: fp[-+]\d+\.\.fp[-+]\d+, size \d+, is outside the 512-byte frame \(through R(\d+)\)/, (m) => `invalid variable-offset ${m[1]} to stack R${m[2]}`],
  [/^invalid (?:key|value) of \d+ bytes for .* on the stack: fp(-?\d+), size (\d+), .*\(through R(\d+)\)/, (m) => `invalid read from stack R${m[3]} off=${m[1]} size=${m[2]}`],
  [/^invalid \d+-byte buffer for .* on the stack: fp(-?\d+), size (\d+), .*\(through R(\d+)\)/, (m) => `invalid write to stack R${m[3]} off=${m[1]} size=${m[2]}`],
  [/^invalid \d+-byte memory for .* on the stack: fp(-?\d+), size (\d+), .*\(through R(\d+)\)/, (m) => `invalid read from stack R${m[3]} off=${m[1]} size=${m[2]}`],
  // the kernel checks the lowest offset first, then the highest, and ends with which one failed
  [/^invalid .* of (?:map \S+ value \(value_size=|ring buffer memory \(size |memory \(size |the flow keys \(size )(\d+)\): offset (?:\[(-?\d+), -?\d+\]|(-?\d+)), size (\d+), .*\(through R(\d+)\)/, (m) => {
    const lo = Number(m[2] ?? m[3]);
    const bad = lo < 0 || lo + Number(m[4]) > Number(m[1]);
    return `R${m[5]} ${bad ? 'min' : 'max'} value is outside of the allowed memory range`;
  }],
  [/^R(\d+) \(argument \d+ of [^)]*\) must point to memory \(stack, packet, map value\)(?: or be NULL)?, not (\w+)/, (m) => `R${m[1]} type=${/^-?\d/.test(m[2]!) ? 'scalar' : m[2]} expected=fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_`],
  [/^write into the read-only map \S+ \(value_size=(\d+)\) at offset (-?\d+) size (\d+)/, (m) => `write into map forbidden, value_size=${m[1]} off=${m[2]} size=${m[3]}`],
  [/^R(\d+) points to a key of map/, (m) => `write to change key R${m[1]} not allowed`],
  [/^a function returns a pointer into its own stack frame/, () => 'cannot return stack pointer to the caller'],
  [/^R(\d+) pointer ([-+*/|&^]?=) pointer is prohibited/, (m) => `R${m[1]} pointer ${m[2]} pointer prohibited`],
  [/^R(\d+) bitwise operation (\S+) on a pointer/, (m) => `R${m[1]} bitwise operator ${m[2]} on pointer prohibited`],
  [/^R(\d+) 32-bit arithmetic on a pointer/, (m) => `R${m[1]} 32-bit pointer arithmetic prohibited`],
  [/^R(\d+) pointer arithmetic on (\w+?)(?:_or_null)? is prohibited: check it against NULL/, (m) => `R${m[1]} pointer arithmetic on ${m[2]}_or_null prohibited, null-check it first`],
  [/^R(\d+) arithmetic on data_end/, (m) => `R${m[1]} pointer arithmetic on pkt_end prohibited`],
  [/^R(\d+) has an unbounded offset into map /, (m) => `R${m[1]} unbounded memory access, make sure to bounds check any such access`],
  [/^R\d+ pointer arithmetic with a number that has no lower bound/, () => 'math between map_value pointer and register with unbounded min value is not allowed'],
  [/^R0 leaks a pointer as the return value/, () => 'R0 leaks addr as return value'],
  // exits and structure
  [/^At (program exit|callback return) R0 may be (?:in \[(-?\d+), (-?\d+)\]|(-?\d+)), but .* requires \[(-?\d+), (-?\d+)\]/, (m) => {
    const lo = m[2] ?? m[4];
    const hi = m[3] ?? m[4];
    return `At ${m[1]} the register R0 has smin=${lo} smax=${hi} should have been in [${m[5]}, ${m[6]}]`;
  }],
  [/^R0 is not initialised at (?:program exit|the return of a callback)/, () => 'R0 !read_ok'],
  [/^unreachable instruction: no path from the entry reaches pc (\d+)/, (m) => `unreachable insn ${m[1]}`],
  [/^combined stack of (\d+) calls is (\d+) bytes/, (m) => `combined stack size of ${m[1]} calls is ${m[2]}. Too large`],
  [/^combined stack through global function \S+ is (\d+) bytes/, (m) => `combined stack size of 2 calls is ${m[1]}. Too large`],
  [/^the call stack of (\d+) frames is too deep/, (m) => `the call stack of ${m[1]} frames is too deep`],
  [/^the program is too complex/, () => 'BPF program is too large. Processed 1000001 insn'],
  [/^cannot prove that this loop terminates|^this loop may run \d+ times/, () => 'BPF program is too large. Processed 1000001 insn'],
  [/^program type (\S+) is not modelled by bpfkit/, () => ''],
];

/** The kernel's message for a bpfkit rejection message, or undefined when it has none. */
export function kernelWording(message: string): string | undefined {
  for (const [re, f] of RULES) {
    const m = message.match(re);
    if (m) return f(m) || undefined;
  }
  return undefined;
}
