/**
 * The vocabulary of the helper table: what a helper's argument must be and what it returns, in
 * bpfkit's spelling of the kernel's `bpf_func_proto` (include/linux/bpf.h: `enum bpf_arg_type`,
 * `enum bpf_return_type` and their flags).
 */

/**
 * Argument kinds, with the kernel's type each stands for:
 * - `anything`: ARG_ANYTHING / ARG_SCALAR, any initialised value;
 * - `map`: ARG_CONST_MAP_PTR; `map-key`: ARG_PTR_TO_MAP_KEY (key_size readable bytes of the map in
 *   the map argument); `map-value`: ARG_PTR_TO_MAP_VALUE; `uninit-map-value`: the same with
 *   MEM_UNINIT | MEM_WRITE (the helper fills it); `map-value-or-null`: ARG_PTR_TO_MAP_VALUE_OR_NULL;
 * - `mem`: ARG_PTR_TO_MEM | MEM_RDONLY, readable memory sized by the next argument; `mem-or-null`:
 *   the same or NULL (PTR_MAYBE_NULL); `writable-mem`: ARG_PTR_TO_MEM without MEM_RDONLY (read and
 *   possibly written: read-only memory is refused); `writable-mem-or-null`: ARG_PTR_TO_MEM_OR_NULL;
 *   `uninit-mem`: ARG_PTR_TO_UNINIT_MEM, written by the helper, may be uninitialised;
 *   `fixed-mem`: ARG_PTR_TO_FIXED_SIZE_MEM, readable memory of a size the prototype fixes
 *   ({@link HelperPrototype.sizes}); `long` / `int`: ARG_PTR_TO_FIXED_SIZE_MEM of 8 / 4 aligned bytes
 *   the helper writes (the kernel's former ARG_PTR_TO_LONG / ARG_PTR_TO_INT);
 * - `size`: ARG_CONST_SIZE (a bounded, non-zero size of the previous argument's memory);
 *   `size-or-zero`: ARG_CONST_SIZE_OR_ZERO; `alloc-size-or-zero`: ARG_CONST_ALLOC_SIZE_OR_ZERO (a
 *   constant: the size of memory the helper returns);
 * - `ctx`: ARG_PTR_TO_CTX, the program's unmodified context; `ctx-or-null`: ARG_PTR_TO_CTX_OR_NULL;
 * - `func`: ARG_PTR_TO_FUNC (a callback); `stack-or-null`: ARG_PTR_TO_STACK | PTR_MAYBE_NULL;
 *   `const-str`: ARG_PTR_TO_CONST_STR (a NUL-terminated string in a frozen read-only map);
 * - `ringbuf-mem`: ARG_PTR_TO_RINGBUF_MEM | OBJ_RELEASE (a reservation, released by the call);
 * - `sock-common`: ARG_PTR_TO_SOCK_COMMON (a socket pointer: sock_common, socket or tcp_sock);
 *   `socket-or-null`: ARG_PTR_TO_SOCKET_OR_NULL; `btf-sock-common`: ARG_PTR_TO_BTF_ID_SOCK_COMMON
 *   (any socket pointer, or a BTF pointer to a socket type); `btf-sock-common-or-null`: the same or
 *   NULL; `btf-sock-common-release`: the same with OBJ_RELEASE (bpf_sk_release: a referenced socket);
 * - `btf-id`: ARG_PTR_TO_BTF_ID, a pointer to the kernel struct named in {@link HelperPrototype.btf};
 *   `btf-id-or-null`: ARG_PTR_TO_BTF_ID_OR_NULL; `percpu-btf-id`: ARG_PTR_TO_PERCPU_BTF_ID (a ksym);
 *   `kptr-dest`: ARG_KPTR_XCHG_DEST (a kptr field of a map value); `kptr`: ARG_PTR_TO_BTF_ID_OR_NULL |
 *   OBJ_RELEASE (an owned kernel object);
 * - `spin-lock`: ARG_PTR_TO_SPIN_LOCK (the `struct bpf_spin_lock` field of a map value, at its
 *   offset in the map's BTF); `timer`: ARG_PTR_TO_TIMER (the `struct bpf_timer` field likewise);
 * - `dynptr`: ARG_PTR_TO_DYNPTR | MEM_RDONLY (an initialised dynptr on the stack); `uninit-dynptr`:
 *   the same with MEM_UNINIT (the helper initialises it, acquiring a reference for ring buffers);
 *   `dynptr-release`: ARG_PTR_TO_DYNPTR | OBJ_RELEASE.
 */
export type HelperArgKind =
  | 'anything'
  | 'map'
  | 'map-key'
  | 'map-value'
  | 'uninit-map-value'
  | 'map-value-or-null'
  | 'mem'
  | 'mem-or-null'
  | 'writable-mem'
  | 'writable-mem-or-null'
  | 'uninit-mem'
  | 'fixed-mem'
  | 'long'
  | 'int'
  | 'size'
  | 'size-or-zero'
  | 'alloc-size-or-zero'
  | 'ctx'
  | 'ctx-or-null'
  | 'func'
  | 'stack-or-null'
  | 'const-str'
  | 'ringbuf-mem'
  | 'sock-common'
  | 'socket-or-null'
  | 'btf-sock-common'
  | 'btf-sock-common-or-null'
  | 'btf-sock-common-release'
  | 'btf-id'
  | 'btf-id-or-null'
  | 'percpu-btf-id'
  | 'kptr-dest'
  | 'kptr'
  | 'spin-lock'
  | 'timer'
  | 'dynptr'
  | 'uninit-dynptr'
  | 'dynptr-release';

/**
 * Return kinds: `integer` (RET_INTEGER), `void` (RET_VOID: r0 is unusable after the call),
 * `map-value-or-null` (RET_PTR_TO_MAP_VALUE_OR_NULL: for a map of maps the inner map),
 * `map-value` (RET_PTR_TO_MAP_VALUE), `socket-or-null` / `tcp-sock-or-null` /
 * `sock-common-or-null` (RET_PTR_TO_SOCKET_OR_NULL ...: a lookup's result is a reference that must
 * be released with bpf_sk_release), `ringbuf-mem-or-null` (RET_PTR_TO_RINGBUF_MEM_OR_NULL, a
 * reference of the size of argument 2), `btf-id` / `btf-id-or-null` (RET_PTR_TO_BTF_ID[_OR_NULL],
 * a kernel struct named in {@link HelperPrototype.retBtf}), `percpu-mem` / `percpu-mem-or-null`
 * (RET_PTR_TO_MEM_OR_BTF_ID | MEM_RDONLY), `dynptr-mem-or-null` (RET_PTR_TO_DYNPTR_MEM_OR_NULL).
 */
export type HelperReturnKind =
  | 'integer'
  | 'void'
  | 'map-value-or-null'
  | 'map-value'
  | 'socket-or-null'
  | 'tcp-sock-or-null'
  | 'sock-common-or-null'
  | 'ringbuf-mem-or-null'
  | 'btf-id'
  | 'btf-id-or-null'
  | 'percpu-mem'
  | 'percpu-mem-or-null'
  | 'dynptr-mem-or-null';

/** What a callback receives in r1..r5 and must return. */
export interface CallbackProto {
  /** Argument (1-based) holding the callback. */
  readonly arg: number;
  /**
   * Each parameter: `index` (the iteration number), `scalar`, `map` / `map-key` / `map-value` (the
   * map of argument 1, a pointer to one of its keys / values), `{ fromArg: n }` (a copy of the
   * helper's argument n), `btf` (a kernel object bpfkit passes as an opaque number), `dynptr` (a
   * pointer to a read-only struct bpf_dynptr the helper holds: the kernel's CONST_PTR_TO_DYNPTR).
   */
  readonly params: ReadonlyArray<'index' | 'scalar' | 'map' | 'map-key' | 'map-value' | 'btf' | 'dynptr' | { readonly fromArg: number }>;
  /** Range of the callback's return value. */
  readonly ret: readonly [number, number];
}

/** A prototype as one program type sees it (the kernel has several protos for some helpers). */
export interface HelperSignature {
  readonly args: readonly HelperArgKind[];
  readonly ret: HelperReturnKind;
  /** Only for programs with a GPL-compatible license (`gpl_only`). */
  readonly gplOnly: boolean;
  /** For `btf-id` arguments: the kernel struct, by argument index (0-based). */
  readonly btf?: Readonly<Record<number, string>>;
  /** For `fixed-mem` arguments: the size in bytes, by argument index (0-based). */
  readonly sizes?: Readonly<Record<number, number>>;
  /** For `btf-id` results: the kernel struct. */
  readonly retBtf?: string;
}

export interface HelperVariant extends HelperSignature {
  /** bpftool program-type names this prototype applies to. */
  readonly progTypes: readonly string[];
}

export interface HelperPrototype extends HelperSignature {
  /** `enum bpf_func_id`. */
  readonly id: number;
  /** The kernel's name, `bpf_...`. */
  readonly name: string;
  /** Only sleepable programs may call it (`might_sleep`). */
  readonly sleepable: boolean;
  /** The helper may move or resize the packet (bpf_helper_changes_pkt_data): packet pointers die. */
  readonly changesPacket: boolean;
  /** For `func` arguments: what the callback receives and returns. */
  readonly callback?: CallbackProto;
  /** The prototypes other program types see, where they differ from this one. */
  readonly variants: readonly HelperVariant[];
  /**
   * Program types that may call it (`enum bpf_prog_type` numbers) with their default attach type,
   * as the kernel decides (recorded from it); see {@link helperAvailable} for attach types.
   */
  readonly progTypes: readonly number[];
  /** The simulated kernel's spelling of a callback's parameters (kept for its engines). */
  readonly callbackArgs?: readonly string[];
}
