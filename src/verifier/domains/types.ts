/**
 * The type/region half of a register's abstract value: which kinds of value it may hold
 * (a set, so joins of paths stay sound), and for pointers which region and what identity
 * (map, stack frame, null-check id, reference id, memory size, function).
 *
 * The numeric half (`num`) is one {@link Scalar}: the value itself for a number, the offset
 * from the start of the region for a pointer. The packet-end pointer's `num` is the packet's
 * size (the zone ties it to the packet-size variable), so `data + off <= data_end` is a
 * comparison of two numbers of the same region.
 */
import {
  constValue,
  equals as scalarEquals,
  join as scalarJoin,
  leq as scalarLeq,
  narrow as scalarNarrow,
  SCALAR_UNKNOWN,
  type Scalar,
  scalarConst,
  scalarToString,
  widen as scalarWiden,
} from './scalar.js';

/** Kinds of value, as bits of {@link RegValue.kinds}. */
export const Kind = {
  UNINIT: 1 << 0,
  NUM: 1 << 1,
  CTX: 1 << 2,
  STACK: 1 << 3,
  PACKET: 1 << 4,
  PACKET_END: 1 << 5,
  PACKET_META: 1 << 6,
  MAP_VALUE: 1 << 7,
  MAP_PTR: 1 << 8,
  /** Helper-allocated memory: ring buffer reservations. */
  MEM: 1 << 9,
  FUNC: 1 << 10,
  /** A kernel socket (`struct bpf_sock`, from __sk_buff->sk): compared with NULL, passed on. */
  SOCK: 1 << 12,
  /** A `struct bpf_sock` that may not be a full socket (request or timewait socket). */
  SOCK_COMMON: 1 << 13,
  /** A `struct bpf_tcp_sock` (bpf_tcp_sock). */
  TCP_SOCK: 1 << 14,
  /** A kernel object bpfkit knows by its BTF name only (skc_to_*, bpf_get_current_task_btf). */
  BTF_ID: 1 << 15,
  /** The same kind, typed by the kernel's BTF when the object was loaded with it (`btf`, verifier/btf-pointers.ts). */
  BTF: 1 << 15,
  /** A flag: the pointer kinds present may also be NULL (a lookup not yet checked). */
  NULLABLE: 1 << 11,
} as const;

export const POINTER_KINDS =
  Kind.CTX | Kind.STACK | Kind.PACKET | Kind.PACKET_END | Kind.PACKET_META | Kind.MAP_VALUE | Kind.MAP_PTR | Kind.MEM | Kind.FUNC | Kind.SOCK | Kind.SOCK_COMMON | Kind.TCP_SOCK | Kind.BTF_ID;
/** Socket pointers of any flavour. */
export const SOCKET_KINDS = Kind.SOCK | Kind.SOCK_COMMON | Kind.TCP_SOCK;
/** Kinds that a null check can turn into NULL (zero). */
export const NULLABLE_KINDS = Kind.MAP_VALUE | Kind.MEM | Kind.MAP_PTR | Kind.SOCK | Kind.SOCK_COMMON | Kind.TCP_SOCK | Kind.BTF_ID;

export interface RegValue {
  readonly kinds: number;
  /** Value (numbers) or offset into the region (pointers). */
  readonly num: Scalar;
  /** MAP_VALUE / MAP_PTR: index of the map in the verifier's map table; -1 when unknown or mixed. */
  readonly map: number;
  /** When paths that pointed into different maps meet (map = -1): every map it may point into. */
  readonly maps?: readonly number[];
  /** STACK: the frame (0 = the program's own); -1 when mixed. */
  readonly frame: number;
  /** NULLABLE pointers: copies share this id so a null check of one applies to all; 0 = none. */
  readonly id: number;
  /** MEM from a ring buffer reservation: the reference that must be released; 0 none, -1 mixed. */
  readonly ref: number;
  /** MEM: the size of the memory region in bytes; -1 unknown. */
  readonly size: number;
  /** FUNC: the slot of the function; -1 unknown. */
  readonly func: number;
  /** Why a former pointer is now just a number (released memory, invalidated packet), for messages. */
  readonly stale?: string;
  /** BTF: the kernel BTF id of the struct pointed to; -1 when paths with different types met. */
  readonly btf?: number;
  /** BTF: the struct's name, for messages (`task_struct`). */
  readonly btfName?: string;
  /** BTF: read out of another kernel object (PTR_UNTRUSTED): loads are fine, trusted kfunc arguments are not. */
  readonly untrusted?: boolean;
  /** BTF: an object the program allocated (bpf_obj_new, MEM_ALLOC): `btf` is a type of the program's own BTF. */
  readonly alloc?: boolean;
  /** BTF: MEM_RCU, read inside an RCU read section from a field the kernel lists as RCU-safe: fine for KF_RCU kfuncs, not trusted. */
  readonly rcu?: boolean;
}

const BASE: RegValue = { kinds: Kind.UNINIT, num: SCALAR_UNKNOWN, map: -1, frame: -1, id: 0, ref: 0, size: -1, func: -1 };

export const UNINIT: RegValue = BASE;
export const NUM_UNKNOWN: RegValue = { ...BASE, kinds: Kind.NUM };

export const numValue = (num: Scalar, stale?: string): RegValue =>
  stale === undefined ? { ...BASE, kinds: Kind.NUM, num } : { ...BASE, kinds: Kind.NUM, num, stale };
export const constNum = (v: bigint): RegValue => numValue(scalarConst(v));
export const pointer = (kind: number, num: Scalar, extra: Partial<RegValue> = {}): RegValue => ({ ...BASE, ...extra, kinds: kind, num });

/** The btfName marking a MEM pointer as a helper's read-only struct bpf_dynptr (the kernel's CONST_PTR_TO_DYNPTR, e.g. bpf_user_ringbuf_drain's callback argument). */
export const CONST_DYNPTR = 'const struct bpf_dynptr';

export const hasKind = (v: RegValue, k: number): boolean => (v.kinds & k) !== 0;
/** Exactly one kind (ignoring NULLABLE). */
export const onlyKind = (v: RegValue, k: number): boolean => (v.kinds & ~Kind.NULLABLE) === k;
export const isPointer = (v: RegValue): boolean => (v.kinds & POINTER_KINDS) !== 0;
export const isNumber = (v: RegValue): boolean => v.kinds === Kind.NUM;
export const isInitialized = (v: RegValue): boolean => (v.kinds & Kind.UNINIT) === 0;
/** A number known to be zero: NULL. */
export const isNull = (v: RegValue): boolean => v.kinds === Kind.NUM && constValue(v.num) === 0n;

const mergeField = (a: number, b: number, aHas: boolean, bHas: boolean, mixed: number): number => {
  if (!aHas) return b;
  if (!bHas) return a;
  return a === b ? a : mixed;
};

function combine(a: RegValue, b: RegValue, num: (x: Scalar, y: Scalar) => Scalar): RegValue {
  if (a === b) return a;
  // NULL joined with a nullable-capable pointer is that pointer "or NULL"
  if (isNull(a) && (b.kinds & NULLABLE_KINDS) !== 0 && (b.kinds & ~(NULLABLE_KINDS | Kind.NULLABLE)) === 0)
    return { ...b, kinds: b.kinds | Kind.NULLABLE };
  if (isNull(b) && (a.kinds & NULLABLE_KINDS) !== 0 && (a.kinds & ~(NULLABLE_KINDS | Kind.NULLABLE)) === 0)
    return { ...a, kinds: a.kinds | Kind.NULLABLE };
  // the same kind of value with the same identity on both sides (the usual case): only the
  // numbers join, and a side that already holds the other is the result itself
  if (
    a.kinds === b.kinds &&
    (a.kinds & Kind.BTF) === 0 &&
    a.map === b.map &&
    a.maps === b.maps &&
    a.frame === b.frame &&
    a.id === b.id &&
    a.ref === b.ref &&
    a.size === b.size &&
    a.func === b.func &&
    a.stale === b.stale
  ) {
    const n = (a.kinds & ~Kind.UNINIT) === 0 ? b.num : num(a.num, b.num);
    if (n === a.num) return a;
    if (n === b.num) return b;
    return { ...a, num: n };
  }
  const kinds = a.kinds | b.kinds;
  const mapKinds = Kind.MAP_VALUE | Kind.MAP_PTR;
  const mapField = joinMaps(a, b, hasKind(a, mapKinds), hasKind(b, mapKinds));
  const aMem = hasKind(a, Kind.MEM);
  const bMem = hasKind(b, Kind.MEM);
  const r: RegValue = {
    kinds,
    num: (a.kinds & ~Kind.UNINIT) === 0 ? b.num : (b.kinds & ~Kind.UNINIT) === 0 ? a.num : num(a.num, b.num),
    map: mapField.map,
    frame: mergeField(a.frame, b.frame, hasKind(a, Kind.STACK), hasKind(b, Kind.STACK), -1),
    id: a.id === b.id ? a.id : 0,
    ref: mergeField(a.ref, b.ref, a.ref !== 0, b.ref !== 0, -1),
    // memory of either size: accesses must fit the smaller
    size: aMem && bMem ? (a.size < 0 || b.size < 0 ? -1 : Math.min(a.size, b.size)) : aMem ? a.size : b.size,
    func: mergeField(a.func, b.func, hasKind(a, Kind.FUNC), hasKind(b, Kind.FUNC), -1),
  };
  const stale = a.stale ?? b.stale;
  let withMaps: RegValue = mapField.maps ? { ...r, maps: mapField.maps } : r;
  if (hasKind(a, Kind.BTF) || hasKind(b, Kind.BTF)) withMaps = { ...withMaps, ...joinBtf(a, b) };
  return stale === undefined ? withMaps : { ...withMaps, stale };
}

/** The BTF type of a join: the same struct, or -1 (different kernel types). */
function joinBtf(a: RegValue, b: RegValue): Pick<RegValue, 'btf' | 'btfName' | 'untrusted' | 'alloc' | 'rcu'> {
  const untrusted = a.untrusted === true || b.untrusted === true;
  // the weaker trust of the two: trusted ⊔ rcu = rcu, anything ⊔ untrusted = untrusted
  const rcu = !untrusted && (a.rcu === true || b.rcu === true);
  return rcu ? { ...joinBtfType(a, b, untrusted), rcu } : joinBtfType(a, b, untrusted);
}

function joinBtfType(a: RegValue, b: RegValue, untrusted: boolean): Pick<RegValue, 'btf' | 'btfName' | 'untrusted' | 'alloc'> {
  if (!hasKind(a, Kind.BTF)) return { btf: b.btf ?? -1, btfName: b.btfName ?? '', untrusted, ...(b.alloc ? { alloc: true } : {}) };
  if (!hasKind(b, Kind.BTF)) return { btf: a.btf ?? -1, btfName: a.btfName ?? '', untrusted, ...(a.alloc ? { alloc: true } : {}) };
  // ids of the program's BTF and of the kernel's are different spaces
  if (a.alloc !== b.alloc) return { btf: -1, btfName: `${a.btfName ?? '?'}|${b.btfName ?? '?'}`, untrusted };
  if (a.btf === b.btf) return { btf: a.btf ?? -1, btfName: a.btfName ?? '', untrusted, ...(a.alloc ? { alloc: true } : {}) };
  return { btf: -1, btfName: `${a.btfName ?? '?'}|${b.btfName ?? '?'}`, untrusted };
}

/** The maps a MAP_VALUE/MAP_PTR value may refer to. */
export const mapsOf = (v: RegValue): readonly number[] => (v.map >= 0 ? [v.map] : (v.maps ?? []));

/** The map fields of a value that refers to one of `set` (one map, a set, or none known). */
export function mapField(set: readonly number[]): { map: number; maps?: readonly number[] } {
  const sorted = [...new Set(set)].sort((x, y) => x - y);
  return sorted.length === 1 ? { map: sorted[0]! } : sorted.length === 0 ? { map: -1 } : { map: -1, maps: sorted };
}

/**
 * The map field of a join: one map (map >= 0), a set (map -1 with maps), or unknown (map -1
 * without maps: any map, the top). Only the sides that hold map kinds count.
 */
function joinMaps(a: RegValue, b: RegValue, aHas: boolean, bHas: boolean): { map: number; maps?: readonly number[] } {
  if (!aHas) return b.maps ? { map: b.map, maps: b.maps } : { map: b.map };
  if (!bHas || a.map === b.map) return a.maps ? { map: a.map, maps: a.maps } : { map: a.map };
  const unknown = (v: RegValue): boolean => v.map < 0 && !v.maps;
  if (unknown(a) || unknown(b)) return { map: -1 };
  const set = [...new Set([...mapsOf(a), ...mapsOf(b)])].sort((x, y) => x - y);
  return set.length === 1 ? { map: set[0]! } : { map: -1, maps: set };
}

export const joinValue = (a: RegValue, b: RegValue): RegValue => combine(a, b, scalarJoin);
export const widenValue = (a: RegValue, b: RegValue, thresholds: readonly bigint[]): RegValue =>
  combine(a, b, (x, y) => scalarWiden(x, y, thresholds));
export function narrowValue(a: RegValue, b: RegValue): RegValue {
  if (a.kinds !== b.kinds) return a;
  return { ...a, num: scalarNarrow(a.num, b.num) };
}

export function leqValue(a: RegValue, b: RegValue): boolean {
  if (a === b) return true;
  if (b.kinds & Kind.UNINIT && b.kinds === Kind.UNINIT) return a.kinds === Kind.UNINIT;
  let ak = a.kinds;
  // NULL is included in a nullable pointer
  if (isNull(a) && (b.kinds & Kind.NULLABLE) !== 0) return true;
  if ((ak & ~b.kinds) !== 0) return false;
  const fieldOk = (x: number, y: number, has: boolean): boolean => !has || y === -1 || x === y;
  if (hasKind(a, Kind.MAP_VALUE | Kind.MAP_PTR) && a.map !== b.map) {
    const bTop = b.map < 0 && !b.maps;
    const aTop = a.map < 0 && !a.maps;
    if (!bTop) {
      const bm = mapsOf(b);
      if (aTop || !mapsOf(a).every((m) => bm.includes(m))) return false;
    }
  }
  if (!fieldOk(a.frame, b.frame, hasKind(a, Kind.STACK))) return false;
  if (hasKind(a, Kind.MEM) && b.size !== -1 && (a.size === -1 || a.size < b.size)) return false;
  if (!fieldOk(a.func, b.func, hasKind(a, Kind.FUNC))) return false;
  if (hasKind(a, Kind.BTF) && (!fieldOk(a.btf ?? -1, b.btf ?? -1, true) || (a.untrusted === true && b.untrusted !== true) || (b.btf !== -1 && a.alloc !== b.alloc) || (a.rcu === true && b.rcu !== true && b.untrusted !== true))) return false;
  if (a.ref !== b.ref && b.ref !== -1) return false;
  if (a.id !== b.id && b.id !== 0) return false;
  ak &= ~Kind.UNINIT;
  if (ak === 0) return true;
  return scalarLeq(a.num, b.num);
}

export function equalValue(a: RegValue, b: RegValue): boolean {
  return (
    a === b ||
    (a.kinds === b.kinds &&
      a.map === b.map &&
      (a.maps ?? []).join() === (b.maps ?? []).join() &&
      a.frame === b.frame &&
      a.id === b.id &&
      a.ref === b.ref &&
      a.size === b.size &&
      a.func === b.func &&
      a.btf === b.btf &&
      a.untrusted === b.untrusted &&
      a.alloc === b.alloc &&
      a.rcu === b.rcu &&
      scalarEquals(a.num, b.num))
  );
}

const KIND_NAMES: Array<[number, string]> = [
  [Kind.UNINIT, 'uninit'],
  [Kind.NUM, 'scalar'],
  [Kind.CTX, 'ctx'],
  [Kind.STACK, 'fp'],
  [Kind.PACKET, 'pkt'],
  [Kind.PACKET_END, 'pkt_end'],
  [Kind.PACKET_META, 'pkt_meta'],
  [Kind.MAP_VALUE, 'map_value'],
  [Kind.MAP_PTR, 'map_ptr'],
  [Kind.MEM, 'mem'],
  [Kind.FUNC, 'func'],
  [Kind.SOCK, 'sock'],
  [Kind.SOCK_COMMON, 'sock_common'],
  [Kind.TCP_SOCK, 'tcp_sock'],
  [Kind.BTF_ID, 'ptr_'],
];

/** Human names of the kinds of a value (`map_value_or_null`, `scalar|pkt`...). */
export function kindNames(kinds: number): string {
  const names = KIND_NAMES.filter(([k]) => (kinds & k) !== 0).map(([, n]) => n);
  const s = names.join('|') || 'nothing';
  return (kinds & Kind.NULLABLE) !== 0 ? `${s}_or_null` : s;
}

/** One register for the log: `fp-8`, `pkt(off=14)`, `map_value(map=counts,off=0)`, `scalar(umax=15)`. */
export function valueToString(v: RegValue, mapName: (i: number) => string = (i) => `#${i}`): string {
  if (v.kinds === Kind.UNINIT) return 'uninit';
  const maybeUninit = v.kinds & Kind.UNINIT ? 'uninit|' : '';
  const kinds = v.kinds & ~Kind.UNINIT;
  if (kinds === Kind.NUM) return maybeUninit + scalarToString(v.num) + (v.stale ? ` (${v.stale})` : '');
  const off = constValue(v.num);
  const small = v.num.smin > -(1n << 32n) && v.num.smax < 1n << 32n;
  const offText = off !== undefined ? `${BigInt.asIntN(64, off)}` : small ? `${v.num.smin}..${v.num.smax}` : scalarToString(v.num);
  if (kinds === Kind.STACK) {
    const frame = v.frame > 0 ? `[frame ${v.frame}]` : '';
    return `${maybeUninit}fp${frame}${off !== undefined ? (BigInt.asIntN(64, off) - 512n).toString() : `-512+${offText}`}`;
  }
  const parts: string[] = [];
  if (kinds & (Kind.MAP_VALUE | Kind.MAP_PTR) && mapsOf(v).length) parts.push(`map=${mapsOf(v).map(mapName).join('|')}`);
  if (kinds & Kind.BTF && v.btfName) parts.push(`type=${v.btfName}`);
  if (kinds & Kind.MEM && v.size >= 0) parts.push(`size=${v.size}`);
  if (v.ref) parts.push(`ref=${v.ref}`);
  if (v.id) parts.push(`id=${v.id}`);
  if (kinds & Kind.FUNC && v.func >= 0) parts.push(`pc=${v.func}`);
  const offsetless = Kind.PACKET_END | Kind.FUNC | Kind.MAP_PTR | Kind.SOCK | Kind.SOCK_COMMON | Kind.TCP_SOCK | Kind.BTF_ID;
  if (!(kinds & offsetless) && off !== 0n) parts.push(`off=${offText}`);
  // a kernel object pointer alone is named as the kernel names it (reg_type_str): its trust, then
  // ptr_, then or_null_ (`trusted_ptr_or_null_`, `rcu_ptr_`); bpfkit's untrusted is the plain kind
  if ((kinds & ~Kind.NULLABLE) === Kind.BTF) {
    const trust = v.alloc ? 'alloc_' : v.rcu ? 'rcu_' : v.untrusted || v.ref > 0 ? '' : 'trusted_';
    return `${maybeUninit}${trust}ptr_${v.kinds & Kind.NULLABLE ? 'or_null_' : ''}(${parts.join(',')})`;
  }
  return `${maybeUninit}${kindNames(kinds | (v.kinds & Kind.NULLABLE))}(${parts.join(',')})`;
}
