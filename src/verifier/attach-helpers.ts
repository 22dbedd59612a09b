/**
 * Helpers whose availability depends on the program's attach target, not only on its type (the
 * helper table's key): the kernel's tracing_prog_func_proto gives bpf_seq_printf, bpf_seq_write and
 * bpf_seq_printf_btf to iterators only; a struct_ops member gets its struct's set (struct-ops.ts).
 */
import type { AttachTarget } from '../btf/attach.js';
import { helperId } from '../helpers/helper-ids.js';
import { isStructOps, structOpsHelpers } from './struct-ops.js';

const ITER_ONLY = ['seq_printf', 'seq_write', 'seq_printf_btf'];

/** The helpers a program attached to `target` may call, from those its type may (`byType`). */
export function helpersForAttach(target: AttachTarget | undefined, byType: ReadonlySet<number>): ReadonlySet<number> {
  if (isStructOps(target)) return structOpsHelpers(target);
  if (target === undefined || target.kind === 'iter') return byType;
  const out = new Set(byType);
  for (const h of ITER_ONLY) out.delete(helperId(h));
  return out;
}
