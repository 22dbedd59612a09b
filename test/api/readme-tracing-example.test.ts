// The README's tracing example, verbatim (paths from the repository root).
import { describe, expect, it } from 'vitest';
import { loadObject } from '../../src/node.js';

describe('count_exec (tp_btf/sched_process_exec)', () => {
  // The kernel's BTF: a copy of /sys/kernel/btf/vmlinux, or here a small one built for the tests.
  const obj = loadObject('fixtures/tracing/build/exec_count.o', { btf: 'fixtures/tracing/build/kernel.btf' });
  const prog = obj.program('count_exec');

  it('passes the verifier (p->real_parent->tgid is a read through two BTF pointers)', () => {
    expect(prog.verify().accepted).toBe(true);
  });

  it('counts exec() by command name', () => {
    const bash = obj.kernel.object('task_struct', { pid: 42, comm: 'bash', real_parent: { pid: 1, tgid: 1 } });

    // The tracepoint's arguments (struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm):
    // kernel BTF has no names for a tracepoint's arguments, so they are arg0, arg1, arg2.
    prog.run({ args: { arg0: bash, arg1: 42 } });
    prog.run({ args: { arg0: bash, arg1: 42 } });
    prog.run({ args: { arg0: { pid: 77, comm: 'make', real_parent: { tgid: 42 } }, arg1: 77 } });

    expect(obj.map('exec_count').entriesTyped()).toEqual([
      { key: { comm: 'bash' }, value: 2n },
      { key: { comm: 'make' }, value: 1n },
    ]);
    expect(obj.map('.bss').lookup(0)).toEqual({ last_ppid: 42 });
  });
});
