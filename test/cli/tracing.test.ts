/**
 * The CLI's tracing side (issue 16): --btf FILE, --args JSON by name or position, --task JSON,
 * the running kernel's BTF off with --btf none, libbpf's error for a missing attach target.
 * Never depends on /sys/kernel/btf/vmlinux: every run names the fixture BTF or none.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'src', 'cli.js');
// BPFKIT_KERNEL_BTF unset: the machine's kernel BTF must not leak into these runs unasked.
const env = { ...process.env, BPFKIT_KERNEL_BTF: undefined };
const bpfkit = (args: string[]): { code: number; stdout: string; stderr: string } => {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8', env });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
};
const BTF = 'fixtures/tracing/build/kernel.btf';
const built = existsSync(join(ROOT, 'dist', 'src', 'cli.js'));

describe.skipIf(!built)('bpfkit CLI: tracing programs', () => {
  it('verify --btf types a tp_btf program\'s arguments; without kernel BTF it cannot', () => {
    const ok = bpfkit(['verify', 'fixtures/tracing/build/exec_count.o', '--btf', BTF]);
    expect(ok).toMatchObject({ code: 0 });
    const none = bpfkit(['verify', 'fixtures/tracing/build/exec_count.o', '--btf', 'none']);
    expect(none.code).toBe(1);
    expect(none.stderr).not.toMatch(/running kernel/);
  });

  it('run --args by name and --task, --json', () => {
    const r = bpfkit(['run', 'fixtures/tracing/build/kprobe_core.o', '--btf', BTF, '--args', '{"dfd":3,"name":{"name":"a.txt"}}', '--task', '{"pid":7,"tgid":7,"comm":"rm","real_parent":{"tgid":1}}', '--json']);
    expect(r.code).toBe(0);
    const bss = (JSON.parse(r.stdout) as { maps: Record<string, Array<{ value: string }>> }).maps['.bss']![0]!.value;
    expect(Buffer.from(bss.slice(0, 10), 'hex').toString()).toBe('a.txt');
  });

  it('run shows what an iterator wrote to its seq_file, in text and --json', () => {
    const args = ['run', 'fixtures/tracing/build/iter_seq.o', '--btf', BTF, '--args', '{"meta":{"seq":{},"seq_num":0},"task":{"pid":42,"comm":"bash"}}'];
    const text = bpfkit(args);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('seq_file:\n    pid comm\n     42 bash\n  #bk');
    const json = bpfkit([...args, '--json']);
    expect((JSON.parse(json.stdout) as { seq: string }).seq).toBe('  pid comm\n   42 bash\n#bk\n');
  });

  it('verify: struct_ops members against the member prototypes of the kernel BTF', () => {
    const r = bpfkit(['verify', 'fixtures/tracing/build/reject_struct_ops_write.o', '--btf', BTF]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/ok {2}bad_ssthresh/);
    expect(r.stdout).toMatch(/bad_cong_avoid: pc \d+ .*: no write support to tcp_sock at off \d+/);
  });

  it('run --args by position with 64-bit integers as strings', () => {
    const r = bpfkit(['run', 'fixtures/tracing/build/fentry_unlink.o', '--program', 'unlink_exit', '--btf', BTF, '--args', '[1, null, "-2n"]']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/returned 0/);
  });

  it('bad --args, unknown argument names and missing attach targets are one line, exit 2', () => {
    expect(bpfkit(['run', 'fixtures/tracing/build/exec_count.o', '--btf', BTF, '--args', '{oops'])).toMatchObject({ code: 2, stderr: expect.stringMatching(/^--args: not JSON/) });
    const unknown = bpfkit(['run', 'fixtures/tracing/build/fentry_unlink.o', '--program', 'unlink_entry', '--btf', BTF, '--args', '{"dfx":1}']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/no argument 'dfx' \(arguments: dfd, name\)\n$/);
    const missing = bpfkit(['verify', 'fixtures/tracing/build/fentry_unlink.o', '--btf', 'fixtures/build/core_target_moved.btf']);
    // as kernel-verify-each's "skip": the program is not verified, saying libbpf's error (exit 2)
    expect(missing.code).toBe(2);
    expect(missing.stdout + missing.stderr).toMatch(/prog 'unlink_entry': failed to find kernel BTF type ID of 'do_unlinkat': -3/);
  });
});
