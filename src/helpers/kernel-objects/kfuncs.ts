/**
 * kfuncs in the simulated kernel: the kernel functions a program calls through `.ksyms`
 * declarations (`call` with src 2, imm = the function's BTF id), one table entry each, run by
 * both engines through the helper table under ids of their own ({@link kfuncId}). The verifier
 * checks their rules (src/verifier/kfuncs.ts); here they do their work on kernel objects: references
 * are not counted (a test's objects live until the instance goes), an RCU section is a no-op,
 * bpf_obj_new allocates the program's own type zeroed, bpf_iter_num_* keep the kernel's state.
 */
import { sizeof } from '../../btf/btf.js';
import type { Btf } from '../../btf/btf.js';
import type { ExternDef } from '../../loader/model.js';
import { type HelperFn, type HelperTable, kfuncId } from '../abi.js';
import { Errno } from '../errno.js';
import { FaultSignal } from '../fault.js';
import type { KernelState } from '../kernel/state.js';
import { view } from '../impl/args.js';


/** BPF_MAX_LOOPS: bpf_iter_num's longest range. */
const BPF_MAX_LOOPS = 8 * 1024 * 1024;

type KfuncImpl = (k: KernelState, local: Btf | undefined) => HelperFn;

const ret0: KfuncImpl = () => () => 0n;
const identity: KfuncImpl = () => (_rt, p) => p;

/** struct bpf_iter_num_kern { int cur; int end; } in the program's 8-byte iterator slot. */
function iterNum(k: KernelState, it: bigint): DataView {
  const b = view(k.memory, it, 8, true);
  return new DataView(b.buffer, b.byteOffset, 8);
}

const KFUNC_IMPLS: Readonly<Record<string, KfuncImpl>> = {
  bpf_rcu_read_lock: ret0,
  bpf_rcu_read_unlock: ret0,
  bpf_task_acquire: identity,
  bpf_task_release: ret0,
  bpf_cgroup_acquire: identity,
  bpf_cgroup_release: ret0,
  // the one task the simulated kernel knows: the current one, when the test set it
  bpf_task_from_pid: (k) => (_rt, pid) => (k.currentTask !== 0n && BigInt.asIntN(32, pid) === BigInt(k.task.pid) ? k.currentTask : 0n),
  bpf_obj_new_impl: (k, local) => (_rt, typeId) => {
    if (local === undefined) throw new FaultSignal('helper', 'bpf_obj_new: the object has no BTF to size its type from');
    const size = sizeof(local, Number(typeId));
    return BigInt(k.memory.alloc('bpf_obj_new object', 'kernel', Math.max(size, 1), { writable: true }).start);
  },
  bpf_obj_drop_impl: ret0,
  bpf_iter_num_new: (k) => (_rt, it, start, end) => {
    const s = iterNum(k, it);
    const lo = Number(BigInt.asIntN(32, start));
    const hi = Number(BigInt.asIntN(32, end));
    const bad = lo > hi ? -Errno.EINVAL : hi - lo > BPF_MAX_LOOPS ? -Errno.E2BIG : 0;
    s.setInt32(0, bad ? 0 : lo - 1, true);
    s.setInt32(4, bad ? 0 : hi, true);
    return BigInt(bad);
  },
  bpf_iter_num_next: (k) => (_rt, it) => {
    const s = iterNum(k, it);
    const cur = s.getInt32(0, true);
    const end = s.getInt32(4, true);
    if (cur + 1 >= end) {
      s.setInt32(0, 0, true);
      s.setInt32(4, 0, true);
      return 0n;
    }
    s.setInt32(0, cur + 1, true);
    return BigInt.asUintN(64, it);
  },
  bpf_iter_num_destroy: (k) => (_rt, it) => {
    const s = iterNum(k, it);
    s.setInt32(0, 0, true);
    s.setInt32(4, 0, true);
    return 0n;
  },
};

/**
 * The helper table with the object's kfuncs added: each `.ksyms` function the loader resolved, by
 * the BTF id its calls carry. A kfunc bpfkit does not run faults when called, naming it.
 */
export function withKfuncs(table: HelperTable, k: KernelState, externs: readonly ExternDef[] | undefined, local: Btf | undefined): HelperTable {
  const fns = new Map<number, HelperFn>();
  const names = new Map<number, string>();
  for (const e of externs ?? []) {
    if (e.kind !== 'kfunc' || e.btfId === undefined) continue;
    const id = kfuncId(e.btfId);
    names.set(id, e.name);
    const impl = KFUNC_IMPLS[e.name];
    fns.set(
      id,
      impl !== undefined
        ? impl(k, local)
        : () => {
            throw new FaultSignal('helper', `kfunc ${e.name} (BTF id ${e.btfId}) is not supported by the simulated kernel`);
          },
    );
  }
  if (fns.size === 0) return table;
  return {
    get: (id) => (id < 0 ? fns.get(id) : table.get(id)),
    nameOf: (id) => (id < 0 ? (names.get(id) ?? `kfunc (BTF id ${-id - 1})`) : table.nameOf(id)),
    fast: (id) => table.fast?.(id),
  };
}
