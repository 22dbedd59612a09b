/**
 * The vocabulary of context rules: a structure's layout, the answer to "may a load/store of
 * `size` bytes at `off` happen, and what does a load give", and the kernel's recurring checks
 * (bpf_ctx_narrow_access_ok, bpf_ctx_wide_access_ok), in the shape of the kernel's
 * `*_is_valid_access` functions (net/core/filter.c, kernel/bpf/cgroup.c, kernel/trace/bpf_trace.c).
 */

/**
 * What a context load gives: a number, packet pointers, a socket (`sock`: PTR_TO_SOCKET;
 * `sock_or_null`: PTR_TO_SOCKET_OR_NULL; `sock_common_or_null`: PTR_TO_SOCK_COMMON_OR_NULL), or
 * the flow dissector's keys (PTR_TO_FLOW_KEYS), a writable tracepoint's buffer (PTR_TO_TP_BUFFER),
 * a kernel object known by BTF (PTR_TO_BTF_ID).
 */
export type CtxResult =
  | 'num'
  | 'packet'
  | 'packet_end'
  | 'packet_meta'
  | 'sock'
  | 'sock_or_null'
  | 'sock_common_or_null'
  | 'flow_keys'
  | 'tp_buffer'
  | 'btf';

export type CtxAccess = { readonly ok: true; readonly result: CtxResult } | { readonly ok: false; readonly why: string };

export interface ContextSpec {
  /** The C type, for messages (`struct xdp_md`). */
  readonly name: string;
  readonly size: number;
  /** Whether a load/store of `size` bytes at `off` is allowed, and what a load gives. */
  access(off: number, size: number, write: boolean): CtxAccess;
}

export interface Field {
  readonly name: string;
  readonly off: number;
  readonly size: number;
}

/**
 * Lays out a C structure's members in order with natural alignment: `[name, size]`, `[name, size,
 * count]` for arrays (`remote_ip6[4]`), `['', n]` for padding.
 */
export function layout(members: ReadonlyArray<readonly [string, number, number?]>): Field[] {
  const out: Field[] = [];
  let off = 0;
  for (const [name, size, count = 1] of members) {
    off = Math.ceil(off / size) * size;
    out.push({ name, off, size: size * count });
    off += size * count;
  }
  return out;
}

/** Members sharing storage (a C union) from `off`. */
export const union = (off: number, members: ReadonlyArray<readonly [string, number]>): Field[] => members.map(([name, size]) => ({ name, off, size }));

export const endOf = (fields: readonly Field[]): number => Math.max(...fields.map((f) => f.off + f.size));

export const fieldAt = (fields: readonly Field[], off: number): Field | undefined => fields.find((f) => off >= f.off && off < f.off + f.size);

export const ok = (result: CtxResult = 'num'): CtxAccess => ({ ok: true, result });
export const no = (why: string): CtxAccess => ({ ok: false, why });

/** bpf_ctx_narrow_access_ok: a power-of-two size no larger than the field's. */
export const narrowOk = (size: number, fieldSize: number): boolean => size <= fieldSize && (size & (size - 1)) === 0;

/** bpf_ctx_wide_access_ok: an aligned 8-byte access inside an array field (`user_ip6`). */
export const wideOk = (off: number, size: number, f: Field | undefined): boolean =>
  f !== undefined && size === 8 && off >= f.off && off + 8 <= f.off + f.size && off % 8 === 0;

/** Common preamble of the kernel's rules: inside the structure and aligned to the access size. */
export function bounds(fields: readonly Field[], total: number, off: number, size: number): CtxAccess | Field {
  if (off < 0 || off >= total) return no(`offset ${off} is outside the structure (${total} bytes)`);
  if (off % size !== 0) return no(`offset ${off} is not aligned to the access size ${size}`);
  const f = fieldAt(fields, off);
  if (!f || f.name === '') return no(`offset ${off} is padding`);
  return f;
}

export const isAccess = (x: CtxAccess | Field): x is CtxAccess => 'ok' in x;

/** A context no program may read or write (a type bpfkit models as empty). */
export const readOnlyNumbers = (name: string, fields: readonly Field[], rule: (f: Field, off: number, size: number) => string | undefined): ContextSpec => {
  const total = endOf(fields);
  return {
    name,
    size: total,
    access(off, size, write) {
      const f = bounds(fields, total, off, size);
      if (isAccess(f)) return f;
      if (write) return no(`${f.name} is read-only`);
      const why = rule(f, off, size);
      return why ? no(why) : ok();
    },
  };
};
