/**
 * The Linux errno values the simulated kernel returns. Helpers return them negated, as the
 * kernel's helpers do (`-ENOENT` from `bpf_map_delete_elem`, ...).
 */
export const Errno = {
  EPERM: 1,
  ENOENT: 2,
  ENXIO: 6,
  EBADF: 9,
  E2BIG: 7,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EFAULT: 14,
  EBUSY: 16,
  EEXIST: 17,
  ENODEV: 19,
  EINVAL: 22,
  EOVERFLOW: 75,
  ENOSPC: 28,
  ERANGE: 34,
  ENOTCONN: 107,
  EPROTO: 71,
  EPROTOTYPE: 91,
  EPROTONOSUPPORT: 93,
  ESOCKTNOSUPPORT: 94,
  EAFNOSUPPORT: 97,
  EOPNOTSUPP: 95,
  EALREADY: 114,
  ENOTSUPP: 524,
} as const;
export type ErrnoName = keyof typeof Errno;

const NAMES = new Map<number, string>(Object.entries(Errno).map(([k, v]) => [v, k]));

/** `-errno` as a helper return value (a 64-bit two's-complement BigInt). */
export const neg = (e: number): bigint => BigInt(-e);

/** The symbolic name of a (positive or negative) errno, e.g. `-ENOENT`; numbers it does not know stay numbers. */
export function errnoName(value: number): string {
  const n = NAMES.get(Math.abs(value));
  if (n === undefined) return String(value);
  return value < 0 ? `-${n}` : n;
}
