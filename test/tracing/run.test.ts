/**
 * Unit tests of tracing programs against kernel objects built from BTF (issue 16, part 4): each
 * tracing kind (tp_btf, fentry/fexit, lsm, iter, raw_tp and kprobe with CO-RE) runs on both
 * engines with the arguments given by name, pointer arguments given as the fields of the kernel
 * object they point to. The kernel BTF is the committed fixture (fixtures/tracing/build/kernel.btf),
 * never the machine's.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadJit, loadObject, type BpfkitObject, type EngineKind } from '../../src/node.js';

const ROOT = join(import.meta.dirname, '..', '..');
const BTF = new Uint8Array(readFileSync(join(ROOT, 'fixtures/tracing/build/kernel.btf')));
const load = (name: string): BpfkitObject => loadObject(join(ROOT, `fixtures/tracing/build/${name}.o`), { btf: BTF });
const bss = (obj: BpfkitObject): Record<string, unknown> => obj.map('.bss').lookup(0) as Record<string, unknown>;

beforeAll(async () => {
  await loadJit();
});

describe.each(['interp', 'jit'] as EngineKind[])('tracing programs on %s', (engine) => {
  it('tp_btf: counts exec by comm, reads the parent through two BTF pointers', () => {
    const obj = load('exec_count');
    const prog = obj.program('count_exec');
    const bash = obj.kernel.object('task_struct', { pid: 42, comm: 'bash', real_parent: { pid: 1, tgid: 1 } });
    for (let i = 0; i < 3; i++) expect(prog.run({ engine, args: { arg0: bash, arg1: 42 } }).error).toBeUndefined();
    // Arguments by position, the task as fields: a kernel object for this run only.
    const r = prog.run({ engine, args: [{ pid: 7, comm: 'make', real_parent: { tgid: 99 } }, 7] });
    expect(r.error).toBeUndefined();
    expect(obj.map('exec_count').entriesTyped()).toEqual([
      { key: { comm: 'bash' }, value: 3n },
      { key: { comm: 'make' }, value: 1n },
    ]);
    expect(bss(obj).last_ppid).toBe(99);
  });

  it('tp_btf: a NULL pointer read through BTF gives 0, as the kernel\'s probe load does', () => {
    const obj = load('exec_count');
    const r = obj.program('count_exec').run({ engine, args: { arg0: { pid: 5, comm: 'init' } } });
    expect(r.error).toBeUndefined();
    expect(bss(obj).last_ppid).toBe(0);
  });

  it.each([
    ['a kernel address outside the simulated memory', 0xffff888012345678n],
    ['an unmapped 32-bit address above the NULL page', 0x7ff00000n],
    ['a small non-NULL address in the NULL page', 0x20n],
  ])('tp_btf: a load through %s reads 0 (BPF_PROBE_MEM\'s exception fixup), no fault', (_what, addr) => {
    const obj = load('exec_count');
    // last_ppid holds a value first, so a read of 0 is seen
    obj.program('count_exec').run({ engine, args: { arg0: { pid: 6, comm: 'a', real_parent: { tgid: 77 } } } });
    expect(bss(obj).last_ppid).toBe(77);
    const r = obj.program('count_exec').run({ engine, args: { arg0: { pid: 5, comm: 'init', real_parent: addr } } });
    expect(r.error).toBeUndefined();
    expect(bss(obj).last_ppid).toBe(0);
  });

  it('fentry/fexit: arguments by their names in the function prototype, fexit\'s return value', () => {
    const obj = load('fentry_unlink');
    const r = obj.program('unlink_entry').run({ engine, args: { dfd: -100, name: { name: '/tmp/victim' } } });
    expect(r.error).toBeUndefined();
    const x = obj.program('unlink_exit').run({ engine, args: { dfd: -100, name: null, ret: -2 } });
    expect(x.error).toBeUndefined();
    const g = bss(obj);
    expect(g.last_name).toBe('/tmp/victim');
    expect(g.last_dfd).toBe(-100);
    expect(g.last_ret).toBe(-2n);
    expect(g.entries).toBe(1n);
  });

  it('lsm: file->f_inode->i_ino decides the verdict', () => {
    const obj = load('lsm_file_open');
    obj.map('.bss').update(0, { blocked_ino: 1234n, denied: 0n, last_flags: 0 });
    const file = obj.kernel.object('file', { f_flags: 0o100, f_inode: { i_ino: 1234 } });
    expect(obj.program('guard_open').run({ engine, args: { file } }).retval | 0).toBe(-1); // -EPERM's stand-in: the hook refuses
    expect(obj.program('guard_open').run({ engine, args: { file: { f_inode: { i_ino: 1 } } } }).r0).toBe(0n);
    expect(bss(obj).denied).toBe(1n);
  });

  it('iter/task: the context by field name, the final call without a task', () => {
    const obj = load('iter_task');
    const prog = obj.program('count_tasks');
    for (const pid of [1, 2, 300]) expect(prog.run({ engine, args: { task: { pid } } }).error).toBeUndefined();
    expect(prog.run({ engine, args: { task: null } }).error).toBeUndefined();
    expect(bss(obj)).toMatchObject({ tasks: 3n, pid_sum: 303n, ends: 1n });
  });

  it('raw_tp with CO-RE: BPF_CORE_READ through bpf_probe_read_kernel', () => {
    const obj = load('rawtp_core');
    const task = obj.kernel.object('task_struct', { comm: 'sshd', real_parent: { tgid: 777 } });
    expect(obj.program('exec_core').run({ engine, args: { arg0: task } }).error).toBeUndefined();
    expect(bss(obj)).toMatchObject({ ppid: 777, comm: 'sshd' });
  });

  it('kprobe with CO-RE: arguments in pt_regs by name, the current task set by the test', () => {
    const obj = load('kprobe_core');
    obj.kernel.setCurrentTask({ pid: 4321, tgid: 4300, comm: 'rm', real_parent: { tgid: 1000 } });
    const r = obj.program('unlink_probe').run({ engine, args: { dfd: 3, name: { name: 'a.txt', uptr: 0x7ffe0000n } } });
    expect(r.error).toBeUndefined();
    expect(bss(obj)).toMatchObject({ name: 'a.txt', ppid: 1000, pid_tgid: (4300n << 32n) | 4321n, uptr: 0x7ffe0000n });
  });

  it('kprobe: an unmapped kernel address reads as the kernel\'s probe read does (zeroed, error)', () => {
    const obj = load('kprobe_core');
    const r = obj.program('unlink_probe').run({ engine, args: [3n, 0xffff888000001000n] });
    expect(r.error).toBeUndefined();
    expect(bss(obj)).toMatchObject({ name: '', ppid: 0, uptr: 0n });
  });

  it('bpf_get_current_task_btf: the task the test made current', () => {
    const obj = load('current_task_btf');
    obj.kernel.setCurrentTask(obj.kernel.object('task_struct', { pid: 10, real_parent: { pid: 9 } }));
    const r = obj.program('on_fork').run({ engine, args: { arg0: { pid: 10 }, arg1: { pid: 11 } } });
    expect(r.error).toBeUndefined();
    expect(bss(obj)).toMatchObject({ child_pid: 11, cur_pid: 10, cur_ppid: 9 });
  });

  it('iter/task: bpf_seq_printf and bpf_seq_write fill the seq_file, formatted as bpf_snprintf does', () => {
    const obj = load('iter_seq');
    const prog = obj.program('print_tasks');
    const first = prog.run({ engine, args: { meta: { seq: {}, seq_num: 0 }, task: { pid: 42, comm: 'bash' } } });
    expect(first.error).toBeUndefined();
    expect(first.seq).toBe('  pid comm\n   42 bash\n#bk\n');
    expect(prog.run({ engine, args: { meta: { seq: {}, seq_num: 1 }, task: { pid: 7, comm: 'sh' } } }).seq).toBe('    7 sh\n#bk\n');
    expect(prog.run({ engine, args: { meta: { seq: {} }, task: null } }).seq).toBe('-- end\n');
  });

  it('iter/task: bpf_seq_printf with a format bpf_snprintf refuses returns -EINVAL when it runs (the verifier does not look)', () => {
    const obj = load('iter_seq_bad_format');
    const r = obj.program('bad_format').run({ engine, args: { meta: { seq: {} }, task: { pid: 3 } } });
    expect(r.error).toBeUndefined();
    expect(r.seq).toBeUndefined();
    expect(bss(obj).last_ret).toBe(-22n);
  });

  it('bpf_task_pt_regs: the registers the test gave the task, read through a BTF pointer', () => {
    const obj = load('task_pt_regs');
    const task = obj.kernel.object('task_struct', { pid: 9 });
    obj.kernel.taskRegs(task, { ip: 0x401000n, sp: 0x7ffc0000n });
    expect(obj.program('exec_regs').run({ engine, args: { arg0: task } }).error).toBeUndefined();
    expect(bss(obj)).toMatchObject({ ip: 0x401000n, sp: 0x7ffc0000n });
    // a task whose registers were not set reads zeroes
    expect(obj.program('exec_regs').run({ engine, args: { arg0: { pid: 10 } } }).error).toBeUndefined();
    expect(bss(obj)).toMatchObject({ ip: 0n, sp: 0n });
  });

  it('kfuncs: bpf_task_acquire/release on an argument, bpf_task_from_pid finds the current task', () => {
    const obj = load('kfunc_task');
    obj.kernel.setCurrentTask({ pid: 1, tgid: 1, comm: 'init' });
    expect(obj.program('task_ref').run({ engine, args: { arg0: { pid: 10 }, arg1: { pid: 11 } } }).error).toBeUndefined();
    expect(bss(obj)).toMatchObject({ seen: 11, looked_up: 1 });
  });

  it('kfuncs: an open-coded bpf_iter_num loop runs its range', () => {
    const obj = load('iter_num');
    expect(obj.program('iter_sum').run({ engine, args: { arg0: { pid: 1 }, arg1: { pid: 2 } } }).error).toBeUndefined();
    expect(bss(obj).sum).toBe(45n);
  });

  it('kfuncs: bpf_obj_new gives a zeroed object of the program\'s type, bpf_obj_drop takes it back', () => {
    const obj = load('obj_new');
    expect(obj.program('obj_sample').run({ engine, args: { arg0: { pid: 7 } } }).error).toBeUndefined();
    const total = bss(obj).total as bigint;
    expect(total).toBeGreaterThan(7n); // the clock's nanoseconds plus the pid
  });

  it('kfuncs: bpf_rcu_read_lock/unlock around a read of an RCU field', () => {
    const obj = load('rcu_lock');
    expect(obj.program('rcu_read').run({ engine, args: { arg0: { pid: 1 }, arg1: { pid: 2, real_parent: { tgid: 31 } } } }).error).toBeUndefined();
    expect(bss(obj).ppid).toBe(31);
  });

  it('struct_ops: a congestion control\'s members run on a tcp_sock built from BTF and write its allowed fields', () => {
    const obj = load('struct_ops_ca');
    // member prototypes have no parameter names in BTF: arguments are arg0, arg1... or positional
    const tp = obj.kernel.object('tcp_sock', { snd_cwnd: 10, snd_ssthresh: 20 });
    expect(obj.program('ca_cong_avoid').run({ engine, args: { arg0: tp, arg1: 1, arg2: 3 } }).error).toBeUndefined();
    expect(obj.kernel.read(tp, 'snd_cwnd')).toBe(13n); // slow start: cwnd + acked, below ssthresh
    expect(obj.program('ca_ssthresh').run({ engine, args: [tp] }).r0).toBe(6n);
    // the sock argument given as fields is built as the tcp_sock the kernel promotes it to
    expect(obj.program('ca_init').run({ engine, args: { arg0: { snd_cwnd: 4 } } }).error).toBeUndefined();
    const fresh = obj.kernel.object('tcp_sock', {});
    obj.program('ca_init').run({ engine, args: [fresh] });
    expect(obj.kernel.read(fresh, 'snd_ssthresh')).toBe(0x7fffffffn);
  });
});

describe('kernel objects', () => {
  it('are laid out by the BTF: fields read back, nested pointers, strings, the rest zero', () => {
    const obj = load('exec_count');
    const t = obj.kernel.object('struct task_struct', { pid: 42, tgid: 40, comm: 'a-very-long-command-name', real_parent: { pid: 1 }, cred: { uid: { val: 1000 } } });
    expect(obj.kernel.read(t, 'pid')).toBe(42n);
    expect(obj.kernel.read(t, 'real_parent.pid')).toBe(1n);
    expect(obj.kernel.read(t, 'cred.uid.val')).toBe(1000n);
    expect(obj.kernel.read(t, 'exit_code')).toBe(0n);
    expect(obj.kernel.read(t, 'parent')).toBe(0n);
    expect(obj.kernel.readString(t, 'comm')).toBe('a-very-long-com'); // 15 bytes and the NUL, as the kernel keeps it
    obj.kernel.setCurrentTask(t);
    const k = obj.instance.kernel;
    expect([k.task.pid, k.task.tgid, k.task.comm, k.task.uid, k.currentTask]).toEqual([42, 40, 'a-very-long-com', 1000, t.address]);
  });

  it('reject unknown types and fields with the fields there are', () => {
    const obj = load('exec_count');
    expect(() => obj.kernel.object('task_strukt')).toThrow(/the BTF has no type 'task_strukt'/);
    expect(() => obj.kernel.object('task_struct', { pidd: 1 })).toThrow(/struct task_struct has no field 'pidd' \(fields: .*pid/);
    expect(() => obj.kernel.object('task_struct', { comm: 5 })).toThrow(/task_struct.comm: expected an array/);
  });

  it('stay from run to run; a run\'s own objects go with it', () => {
    const obj = load('exec_count');
    const t = obj.kernel.object('task_struct', { pid: 1, comm: 'init' });
    obj.program('count_exec').run({ args: [{ comm: 'tmp' }] });
    expect(obj.kernel.readString(t, 'comm')).toBe('init');
    const u = obj.kernel.object('task_struct', { comm: 'next' });
    expect(u.address).toBeGreaterThan(t.address);
  });

  it('named arguments the prototype does not have are refused, naming those it has', () => {
    const obj = load('fentry_unlink');
    expect(() => obj.program('unlink_entry').run({ args: { dfx: 1 } })).toThrow(/no argument 'dfx' \(arguments: dfd, name\)/);
    expect(() => obj.program('unlink_exit').run({ args: { nope: 1 } })).toThrow(/arguments: dfd, name, ret/);
  });
});
