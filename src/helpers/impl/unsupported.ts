/**
 * Every kernel helper the simulated kernel does not implement, with the reason: a run that calls
 * one stops with "helper bpf_… is not supported". test/helpers/prototypes.test.ts holds that every
 * helper id is either implemented (registry.ts) or named here, so a helper cannot fall through the
 * cracks. Grouped by why.
 */
const group = (reason: string, names: string): Array<[string, string]> => names.trim().split(/\s+/).map((n) => [n, reason]);

export const UNSUPPORTED_HELPERS: ReadonlyMap<string, string> = new Map([
  ...group(
    'only for program types bpfkit does not run yet (sk_reuseport, lirc, lwt_seg6local, iterators, LSM, tracing), or socket state it does not simulate (socket options, TCP header options, bind, ACKs)',
    `setsockopt getsockopt bind load_hdr_opt store_hdr_opt reserve_hdr_opt
     tcp_send_ack sk_select_reuseport
     rc_repeat rc_keydown rc_pointer_rel lwt_push_encap lwt_seg6_store_bytes lwt_seg6_adjust_srh lwt_seg6_action
     seq_printf_btf d_path bprm_opts_set ima_inode_hash ima_file_hash override_return get_func_arg get_func_ret
     get_func_arg_cnt get_func_ip sys_bpf btf_find_by_name_kind sys_close kallsyms_lookup_name`,
  ),
  ...group(
    'needs more of a socket than the simulated socket table keeps (BTF socket casts, sockets from files)',
    `skc_to_tcp6_sock skc_to_tcp_sock skc_to_tcp_timewait_sock skc_to_tcp_request_sock skc_to_udp6_sock skc_to_unix_sock
     skc_to_mptcp_sock sock_from_file`,
  ),
  ...group('needs IPsec state (an xfrm security path) bpfkit does not model', 'skb_get_xfrm_state'),
  ...group(
    'needs hardware or kernel state bpfkit does not simulate (perf counters, branch records, stacks, VMAs, BTF-typed dumps, per-CPU kernel symbols, kptrs)',
    `perf_prog_read_value read_branch_records get_branch_snapshot get_task_stack
     find_vma snprintf_btf per_cpu_ptr this_cpu_ptr kptr_xchg`,
  ),
  ...group('output to a perf event array with packet bytes from a tracing program (BTF-typed skb/xdp pointers) is not modelled', 'skb_output xdp_output'),
]);
