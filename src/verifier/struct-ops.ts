/**
 * struct_ops programs: the members of a kernel struct of function pointers (tcp_congestion_ops,
 * ...) written in BPF. The kernel types their arguments from the member's prototype, promotes
 * `struct sock *` to `struct tcp_sock *` for a congestion control (bpf_tcp_ca_is_valid_access),
 * lets it write a few tcp_sock fields (bpf_tcp_ca_btf_struct_access) and no other kernel memory,
 * gives it the base helpers plus the socket ones of bpf_tcp_ca_get_func_proto, and requires a
 * GPL-compatible license (check_struct_ops_btf_id).
 */
import type { AttachTarget } from '../btf/attach.js';
import type { Btf } from '../btf/btf.js';
import { resolveType, sizeof } from '../btf/btf.js';
import type { BtfAnyType } from '../btf/types.js';
import { helperId } from '../helpers/helper-ids.js';
import { HELPERS_BY_PROG_TYPE } from '../helpers/protos/availability.js';

/** The struct a congestion control's socket arguments are promoted to, and the one they name. */
const TCP_CA = 'tcp_congestion_ops';

/** Whether a program is a struct_ops member. */
export const isStructOps = (t: AttachTarget | undefined): t is AttachTarget & { structOps: NonNullable<AttachTarget['structOps']> } =>
  t?.kind === 'struct_ops' && t.structOps !== undefined;

/**
 * The helpers a struct_ops member may call: bpf_base_func_proto's (the table's netfilter list,
 * which is exactly that), and for a congestion control bpf_tcp_send_ack and the socket storage
 * helpers, bpf_setsockopt/bpf_getsockopt except in `release`.
 */
export function structOpsHelpers(t: AttachTarget): Set<number> {
  const base = new Set<number>(HELPERS_BY_PROG_TYPE['netfilter'] ?? []);
  if (t.structOps?.struct === TCP_CA) {
    for (const h of ['tcp_send_ack', 'sk_storage_get', 'sk_storage_delete']) base.add(helperId(h));
    if (t.structOps.member !== 'release') for (const h of ['setsockopt', 'getsockopt']) base.add(helperId(h));
  }
  return base;
}

/** The struct an argument's BTF pointer points to, after the kernel's promotion (sock → tcp_sock for a congestion control). */
export { structOpsArgStruct } from '../btf/attach.js';

/** Offset and size of member `path` (dotted) of struct `name`, or undefined when the BTF lacks it. */
function field(btf: Btf, name: string, path: string): { off: number; end: number } | undefined {
  let t: BtfAnyType | undefined = btf.named(name).find((x) => x.kind === 'STRUCT');
  let off = 0;
  let end = 0;
  for (const part of path.split('.')) {
    if (t === undefined || (t.kind !== 'STRUCT' && t.kind !== 'UNION')) return undefined;
    const found = findMember(btf, t, part);
    if (found === undefined) return undefined;
    off += found.off;
    end = off + found.size;
    t = resolveType(btf, found.type);
  }
  return { off, end };
}

/** A member by name, looking through anonymous structs and unions and leading embedded structs (tcp_sock → inet_connection_sock → ...). */
function findMember(btf: Btf, t: BtfAnyType, name: string, depth = 0): { off: number; size: number; type: number } | undefined {
  if ((t.kind !== 'STRUCT' && t.kind !== 'UNION') || depth > 8) return undefined;
  for (const m of t.members) {
    if (m.name === name) return { off: m.bitsOffset / 8, size: sizeof(btf, m.type), type: m.type };
  }
  for (const m of t.members) {
    const inner = resolveType(btf, m.type);
    if (inner.kind !== 'STRUCT' && inner.kind !== 'UNION') continue;
    const found = findMember(btf, inner, name, depth + 1);
    if (found !== undefined) return { ...found, off: found.off + m.bitsOffset / 8 };
  }
  return undefined;
}

/** The tcp_sock fields a congestion control may write (bpf_tcp_ca_btf_struct_access, Linux 6.18), by the struct that declares them. */
const TCP_CA_WRITABLE: ReadonlyArray<{ struct: string; field: string; range?: true }> = [
  { struct: 'sock', field: 'sk_pacing_rate' },
  { struct: 'sock', field: 'sk_pacing_status' },
  { struct: 'inet_connection_sock', field: 'icsk_ca_priv', range: true },
  { struct: 'inet_connection_sock', field: 'icsk_ack.pending' },
  { struct: 'tcp_sock', field: 'snd_cwnd' },
  { struct: 'tcp_sock', field: 'snd_cwnd_cnt' },
  { struct: 'tcp_sock', field: 'snd_ssthresh' },
  { struct: 'tcp_sock', field: 'ecn_flags' },
  { struct: 'tcp_sock', field: 'app_limited' },
];

const writeRules = new WeakMap<Btf, ReadonlyArray<{ off: number; end: number; range: boolean }>>();

/**
 * Whether a struct_ops member may write `size` bytes at `off` of the struct `structId` points to:
 * undefined when allowed, else the kernel's complaint.
 */
export function structOpsWrite(btf: Btf, t: AttachTarget, structId: number, off: number, size: number): string | undefined {
  const s = resolveType(btf, structId);
  if (t.structOps?.struct !== TCP_CA || s.kind !== 'STRUCT' || s.name !== 'tcp_sock') return 'only read is supported';
  let rules = writeRules.get(btf);
  if (rules === undefined) {
    rules = TCP_CA_WRITABLE.flatMap((w) => {
      const f = field(btf, w.struct, w.field);
      return f === undefined ? [] : [{ ...f, range: w.range === true }];
    });
    writeRules.set(btf, rules);
  }
  const rule = rules.find((r) => (r.range ? off >= r.off && off < r.end : off === r.off));
  if (rule === undefined) return `no write support to tcp_sock at off ${off}`;
  if (off + size > rule.end) return `write access at off ${off} with size ${size} beyond the member of tcp_sock ended at ${rule.end}`;
  return undefined;
}

/** A member whose prototype returns void: the kernel does not look at R0 when it exits. */
export function returnsVoid(t: AttachTarget | undefined): boolean {
  // BTF type 0 is void
  return isStructOps(t) && t.proto.returnType === 0;
}

/** Why the kernel refuses the program before verifying it, or undefined. */
export function structOpsLoadError(t: AttachTarget | undefined, gpl: boolean): string | undefined {
  if (isStructOps(t) && !gpl) return 'struct ops programs must have a GPL compatible license';
  return undefined;
}
