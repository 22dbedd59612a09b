import { BpfkitError, ErrorCode } from '../errors.js';
import { ProgType, progTypeName } from './kinds.js';
import type { ProgramTypeSource } from './model.js';
import { programTypeForSection, type SectionProgramType } from './sections.js';

/**
 * Program types a user gives for programs whose section names none: one type name for every such
 * program, or per program name, with `'*'` for every other such program. A program named here
 * takes the type even when its section names another. Names are the kernel's `enum
 * bpf_prog_type` names lowercased without the `BPF_PROG_TYPE_` prefix (`xdp`, `sched_cls`,
 * `socket_filter`, `cgroup_sock`, `lwt_out`, ...), as bpftool prints them.
 */
export type ProgramTypes = string | Readonly<Record<string, string>>;

/** Every accepted `--type` name, in `enum bpf_prog_type` order. */
export const PROGRAM_TYPE_NAMES: readonly string[] = Object.entries(ProgType)
  .filter(([k]) => k !== 'UNSPEC')
  .sort((a, b) => a[1] - b[1])
  .map(([k]) => k.toLowerCase());

/** The type number of a `--type` name; a BpfkitError (USAGE) listing the names otherwise. */
export function programTypeByName(name: string): number {
  const n = (ProgType as Record<string, number>)[name.toUpperCase()];
  if (n === undefined || n === ProgType.UNSPEC || name !== name.toLowerCase()) {
    throw new BpfkitError(ErrorCode.Usage, `unknown program type '${name}' (one of: ${PROGRAM_TYPE_NAMES.join(', ')})`);
  }
  return n;
}

/**
 * Section name prefixes of the loaders before libbpf 1.x (samples/bpf's bpf_load.c, iproute2's
 * tc and ip), consulted only when libbpf's table names no type. Prefix rules as those loaders
 * applied them: `socket1`, `xdp_fwd`, `cgroup/sock1` all name a type there.
 */
const LEGACY_PREFIXES: ReadonlyArray<readonly [string, number]> = [
  ['socket', ProgType.SOCKET_FILTER],
  ['kprobe/', ProgType.KPROBE],
  ['kretprobe/', ProgType.KPROBE],
  ['uprobe/', ProgType.KPROBE],
  ['uretprobe/', ProgType.KPROBE],
  ['tracepoint/', ProgType.TRACEPOINT],
  ['raw_tracepoint/', ProgType.RAW_TRACEPOINT],
  ['xdp', ProgType.XDP],
  ['perf_event', ProgType.PERF_EVENT],
  ['cgroup/skb', ProgType.CGROUP_SKB],
  ['cgroup/sock', ProgType.CGROUP_SOCK],
  ['sockops', ProgType.SOCK_OPS],
  ['sk_skb', ProgType.SK_SKB],
  ['sk_msg', ProgType.SK_MSG],
  ['lwt_in', ProgType.LWT_IN],
  ['lwt_out', ProgType.LWT_OUT],
  ['lwt_xmit', ProgType.LWT_XMIT],
  ['lwt_seg6local', ProgType.LWT_SEG6LOCAL],
  // iproute2's default sections for `tc filter ... bpf` and `tc action ... bpf`
  ['classifier', ProgType.SCHED_CLS],
  ['action', ProgType.SCHED_ACT],
];

/** The type an older loader gave a section name libbpf's table does not know, or undefined. */
export function legacyTypeForSection(section: string): number | undefined {
  return LEGACY_PREFIXES.find(([prefix]) => section.startsWith(prefix))?.[1];
}

/** A program's type and where it came from. */
export interface ResolvedType extends SectionProgramType {
  source: ProgramTypeSource;
}

/** Checks the option against the object's program names before any program is typed. */
export function checkProgramTypes(types: ProgramTypes | undefined, programs: readonly string[]): void {
  if (types === undefined) return;
  if (typeof types === 'string') {
    programTypeByName(types);
    return;
  }
  for (const [prog, t] of Object.entries(types)) {
    programTypeByName(t);
    if (prog !== '*' && !programs.includes(prog)) {
      throw new BpfkitError(ErrorCode.Usage, `--type ${prog}=${t}: no program named '${prog}' (programs: ${programs.join(', ') || 'none'})`);
    }
  }
}

/**
 * The type of a program in `section`: the user's for this program, else libbpf's section table,
 * else an older loader's section names, else the user's type for every other program, else none.
 */
export function resolveProgramType(name: string, section: string, types: ProgramTypes | undefined): ResolvedType {
  const own = typeof types === 'object' ? types[name] : undefined;
  const st = programTypeForSection(section);
  if (own !== undefined) return { type: programTypeByName(own), expectedAttachType: st.def !== undefined && st.type === programTypeByName(own) ? st.expectedAttachType : 0, source: 'option' };
  if (st.def !== undefined) return { ...st, source: 'libbpf' };
  const legacy = legacyTypeForSection(section);
  if (legacy !== undefined) return { type: legacy, expectedAttachType: 0, source: 'legacy' };
  const fallback = typeof types === 'string' ? types : types?.['*'];
  if (fallback !== undefined) return { type: programTypeByName(fallback), expectedAttachType: 0, source: 'option' };
  return { type: ProgType.UNSPEC, expectedAttachType: 0, source: 'none' };
}

/** What `verify` says of a program whose section names no type. */
export const noTypeMessage = (name: string, section: string): string =>
  `section '${section}' names no program type: give one with --type TYPE or --type ${name}=TYPE (e.g. ${progTypeName(ProgType.SOCKET_FILTER)}, ${progTypeName(ProgType.SCHED_CLS)}, ${progTypeName(ProgType.XDP)})`;
