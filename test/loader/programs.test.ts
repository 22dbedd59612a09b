import { describe, expect, it } from 'vitest';
import { PseudoCall, PseudoLd } from '../../src/isa/opcodes.js';
import { AttachType, loadObject, programTypeForSection, ProgType } from '../../src/loader/index.js';
import type { ProgramDef } from '../../src/loader/index.js';
import { readObject } from '../elf/facts.js';

const slotsOf = (p: ProgramDef): number[] => {
  const out: number[] = [];
  let pc = 0;
  for (const i of p.instructions) {
    out.push(pc);
    pc += i.opcode === 0x18 ? 2 : 1;
  }
  return out;
};

describe('section name → program type (libbpf rules)', () => {
  const cases: [string, number, number, string?][] = [
    ['xdp', ProgType.XDP, AttachType.XDP],
    ['xdp.frags', ProgType.XDP, AttachType.XDP],
    ['xdp/devmap', ProgType.XDP, AttachType.XDP_DEVMAP],
    ['tc', ProgType.SCHED_CLS, 0],
    ['classifier', ProgType.SCHED_CLS, 0],
    ['tc/ingress', ProgType.SCHED_CLS, AttachType.TCX_INGRESS],
    ['action', ProgType.SCHED_ACT, 0],
    ['socket', ProgType.SOCKET_FILTER, 0],
    ['kprobe/do_sys_open', ProgType.KPROBE, 0, 'do_sys_open'],
    ['kretprobe/do_sys_open', ProgType.KPROBE, 0, 'do_sys_open'],
    ['kprobe', ProgType.KPROBE, 0],
    ['uprobe/usr/lib/libc.so.6:malloc', ProgType.KPROBE, 0, 'usr/lib/libc.so.6:malloc'],
    ['kprobe.multi/tcp_*', ProgType.KPROBE, AttachType.TRACE_KPROBE_MULTI, 'tcp_*'],
    ['tracepoint/syscalls/sys_enter_openat', ProgType.TRACEPOINT, 0, 'syscalls/sys_enter_openat'],
    ['tp/sched/sched_switch', ProgType.TRACEPOINT, 0, 'sched/sched_switch'],
    ['raw_tp/sched_switch', ProgType.RAW_TRACEPOINT, 0, 'sched_switch'],
    ['raw_tracepoint/sys_enter', ProgType.RAW_TRACEPOINT, 0, 'sys_enter'],
    ['raw_tp.w/sys_enter', ProgType.RAW_TRACEPOINT_WRITABLE, 0, 'sys_enter'],
    ['tp_btf/sched_switch', ProgType.TRACING, AttachType.TRACE_RAW_TP, 'sched_switch'],
    ['fentry/do_unlinkat', ProgType.TRACING, AttachType.TRACE_FENTRY, 'do_unlinkat'],
    ['fexit/do_unlinkat', ProgType.TRACING, AttachType.TRACE_FEXIT, 'do_unlinkat'],
    ['fmod_ret/security_x', ProgType.TRACING, AttachType.MODIFY_RETURN, 'security_x'],
    ['fentry.s/do_unlinkat', ProgType.TRACING, AttachType.TRACE_FENTRY, 'do_unlinkat'],
    ['lsm/file_open', ProgType.LSM, AttachType.LSM_MAC, 'file_open'],
    ['iter/task', ProgType.TRACING, AttachType.TRACE_ITER, 'task'],
    ['cgroup_skb/ingress', ProgType.CGROUP_SKB, AttachType.CGROUP_INET_INGRESS],
    ['cgroup_skb/egress', ProgType.CGROUP_SKB, AttachType.CGROUP_INET_EGRESS],
    ['cgroup/skb', ProgType.CGROUP_SKB, 0],
    ['cgroup/connect4', ProgType.CGROUP_SOCK_ADDR, AttachType.CGROUP_INET4_CONNECT],
    ['cgroup/sock_create', ProgType.CGROUP_SOCK, AttachType.CGROUP_INET_SOCK_CREATE],
    ['cgroup/dev', ProgType.CGROUP_DEVICE, AttachType.CGROUP_DEVICE],
    ['cgroup/sysctl', ProgType.CGROUP_SYSCTL, AttachType.CGROUP_SYSCTL],
    ['sockops', ProgType.SOCK_OPS, AttachType.CGROUP_SOCK_OPS],
    ['sk_skb/stream_verdict', ProgType.SK_SKB, AttachType.SK_SKB_STREAM_VERDICT],
    ['sk_msg', ProgType.SK_MSG, AttachType.SK_MSG_VERDICT],
    ['sk_lookup', ProgType.SK_LOOKUP, AttachType.SK_LOOKUP],
    ['flow_dissector', ProgType.FLOW_DISSECTOR, AttachType.FLOW_DISSECTOR],
    ['perf_event', ProgType.PERF_EVENT, 0],
    ['lwt_xmit', ProgType.LWT_XMIT, 0],
    ['syscall', ProgType.SYSCALL, 0],
    ['struct_ops/test_1', ProgType.STRUCT_OPS, 0, 'test_1'],
    ['netfilter', ProgType.NETFILTER, AttachType.NETFILTER],
  ];
  for (const [section, type, attach, target] of cases) {
    it(section, () => {
      const r = programTypeForSection(section);
      expect([r.type, r.expectedAttachType, r.attachTo]).toEqual([type, attach, target]);
    });
  }
  it('a `+` pattern needs an exact name or a `/` after it; unknown names are UNSPEC', () => {
    expect(programTypeForSection('kprobex').type).toBe(ProgType.UNSPEC);
    expect(programTypeForSection('xdpfoo').type).toBe(ProgType.UNSPEC);
    expect(programTypeForSection('tc/foo').type).toBe(ProgType.UNSPEC);
    expect(programTypeForSection('my_section').type).toBe(ProgType.UNSPEC);
  });
});

describe('programs found by section and split by symbol (multi.c)', () => {
  const obj = loadObject(readObject('multi'));
  it('two programs in one xdp section, one per symbol, each with only its own code', () => {
    const xdp = obj.programs.filter((p) => p.section === 'xdp');
    expect(xdp.map((p) => p.name)).toEqual(['xdp_pass', 'xdp_drop']);
    for (const p of xdp) {
      expect(p.instructions[0]!.meta?.func).toBe(p.name);
      expect(p.instructions[p.instructions.length - 1]!.opcode).toBe(0x95); // exit
    }
    expect(xdp[1]!.instructions.filter((i) => i.opcode === 0xb7 && i.dst === 0).map((i) => i.imm)).toEqual([1]); // return XDP_DROP
  });
  it('every program has its type, attach type and target', () => {
    expect(obj.programs.map((p) => [p.name, p.section, p.type, p.expectedAttachType, p.attachTo])).toEqual([
      ['xdp_pass', 'xdp', ProgType.XDP, AttachType.XDP, undefined],
      ['xdp_drop', 'xdp', ProgType.XDP, AttachType.XDP, undefined],
      ['tc_ok', 'tc', ProgType.SCHED_CLS, 0, undefined],
      ['cls_mark', 'classifier', ProgType.SCHED_CLS, 0, undefined],
      ['sock_len', 'socket', ProgType.SOCKET_FILTER, 0, undefined],
      ['kp_unlink', 'kprobe/do_unlinkat', ProgType.KPROBE, 0, 'do_unlinkat'],
      ['krp_unlink', 'kretprobe/do_unlinkat', ProgType.KPROBE, 0, 'do_unlinkat'],
      ['tp_openat', 'tracepoint/syscalls/sys_enter_openat', ProgType.TRACEPOINT, 0, 'syscalls/sys_enter_openat'],
      ['rtp_switch', 'raw_tp/sched_switch', ProgType.RAW_TRACEPOINT, 0, 'sched_switch'],
      ['cg_ingress', 'cgroup_skb/ingress', ProgType.CGROUP_SKB, AttachType.CGROUP_INET_INGRESS, undefined],
      ['cg_egress', 'cgroup_skb/egress', ProgType.CGROUP_SKB, AttachType.CGROUP_INET_EGRESS, undefined],
      ['fentry_unlink', 'fentry/do_unlinkat', ProgType.TRACING, AttachType.TRACE_FENTRY, 'do_unlinkat'],
    ]);
  });
  it('programs do not share instruction objects', () => {
    const [a, b] = obj.programs;
    a!.instructions[0]!.imm = 12345;
    expect(b!.instructions[0]!.imm).not.toBe(12345);
  });
});

describe('sub-programs are appended and linked (subprogs.c)', () => {
  const obj = loadObject(readObject('subprogs'));
  const prog = (n: string) => obj.programs.find((p) => p.name === n)!;

  it('only entry programs are programs; .text functions are appended to each caller', () => {
    expect(obj.programs.map((p) => p.name)).toEqual(['sub_xdp', 'sub_tc']);
    expect(prog('sub_xdp').subprograms).toEqual(['loop_step', 'mix', 'clamp_len', 'mix3']);
    expect(prog('sub_tc').subprograms).toEqual(['clamp_len', 'mix']);
    expect(prog('sub_xdp').functions.map((f) => [f.name, f.slot, f.global])).toEqual([
      ['sub_xdp', 0, true],
      ['loop_step', 28, false],
      ['mix', 36, false],
      ['clamp_len', 45, true],
      ['mix3', 52, false],
    ]);
  });

  it('every local call and function address points at the start of the function it names', () => {
    for (const p of obj.programs) {
      const slots = slotsOf(p);
      p.instructions.forEach((ins, i) => {
        const local = (ins.opcode === 0x85 && ins.src === PseudoCall.LOCAL) || (ins.opcode === 0x18 && ins.src === PseudoLd.FUNC);
        if (!local) return;
        const target = slots[i]! + 1 + ins.imm;
        const f = p.functions.find((g) => g.slot === target);
        expect(f?.name, `${p.name} pc ${slots[i]}`).toBe(ins.meta?.callee);
        expect(p.instructions[slots.indexOf(target)]!.meta?.func).toBe(f!.name);
      });
    }
  });

  it('a sub-program calling another reaches the callee inside the same linked array', () => {
    const p = prog('sub_xdp');
    const slots = slotsOf(p);
    const mix3 = p.functions.find((f) => f.name === 'mix3')!;
    const calls = p.instructions.filter((ins, i) => slots[i]! >= mix3.slot && ins.opcode === 0x85 && ins.src === PseudoCall.LOCAL);
    expect(calls.map((c) => c.meta?.callee)).toEqual(['mix', 'mix']);
  });

  it('the callback passed to bpf_loop becomes a BPF_PSEUDO_FUNC lddw', () => {
    const p = prog('sub_xdp');
    const f = p.instructions.find((i) => i.opcode === 0x18 && i.src === PseudoLd.FUNC)!;
    expect(f.meta?.callee).toBe('loop_step');
  });

  it('global functions carry their BTF FUNC id (the verifier checks them on their own)', () => {
    const clamp = prog('sub_tc').functions.find((f) => f.name === 'clamp_len')!;
    const t = obj.btfTypes!.type(clamp.btfTypeId!);
    expect(t.kind === 'FUNC' && t.name).toBe('clamp_len');
  });

  it('each instruction keeps its source line after linking', () => {
    const p = prog('sub_tc');
    const slots = slotsOf(p);
    const mix = p.functions.find((f) => f.name === 'mix')!;
    const first = p.instructions[slots.indexOf(mix.slot)]!;
    expect(first.meta?.func).toBe('mix');
    expect(first.meta?.source?.text).toBe('static __noinline __u32 mix(__u32 a, __u32 b)');
    expect(p.instructions.every((i) => i.meta?.source !== undefined)).toBe(true);
  });
});
