/**
 * Helpers whose return value the kernel bounds by their size argument (do_refine_retval_range):
 * the string probes return at most the buffer's size (bytes copied, NUL included), the stack
 * helpers at most the buffer's size; a negative errno stays possible. Programs add the result to
 * an offset (`off += ret` after `ret > 0`) and rely on it.
 */
import { scalarSignedRange } from './domains/scalar.js';
import { Kind, numValue, type RegValue } from './domains/types.js';

/** Which argument (1-based) holds the size, by helper name. */
const SIZE_ARG: Readonly<Record<string, number>> = {
  probe_read_str: 2,
  probe_read_kernel_str: 2,
  probe_read_user_str: 2,
  get_stack: 3,
  get_task_stack: 3,
};

const S64_MIN = -(1n << 63n);

/** r0 after helper `name` when its size argument was `size`, or undefined when the kernel does not bound it. */
export function boundedReturn(name: string, reg: (r: number) => RegValue): RegValue | undefined {
  const arg = SIZE_ARG[name.replace(/^bpf_/, '')];
  if (arg === undefined) return undefined;
  const size = reg(arg);
  if (size.kinds !== Kind.NUM || size.num.umax > (1n << 31n)) return undefined;
  return numValue(scalarSignedRange(S64_MIN, size.num.umax));
}
