/** BTF wire-format numbers (include/uapi/linux/btf.h). */

export const BTF_MAGIC = 0xeb9f;
export const BTF_VERSION = 1;
/** Size of `struct btf_header`; newer headers may be longer and are accepted. */
export const BTF_HEADER_SIZE = 24;
/** Size of `struct btf_type`, the fixed part of every type record. */
export const BTF_TYPE_SIZE = 12;

/** Kinds, by their number in `btf_type.info` bits 24-28. */
export const BtfKind = {
  UNKN: 0,
  INT: 1,
  PTR: 2,
  ARRAY: 3,
  STRUCT: 4,
  UNION: 5,
  ENUM: 6,
  FWD: 7,
  TYPEDEF: 8,
  VOLATILE: 9,
  CONST: 10,
  RESTRICT: 11,
  FUNC: 12,
  FUNC_PROTO: 13,
  VAR: 14,
  DATASEC: 15,
  FLOAT: 16,
  DECL_TAG: 17,
  TYPE_TAG: 18,
  ENUM64: 19,
} as const;

export type BtfKindName = Exclude<keyof typeof BtfKind, 'UNKN'>;

const KIND_BY_NUMBER = new Map<number, BtfKindName>(
  (Object.entries(BtfKind) as [keyof typeof BtfKind, number][]).filter(([k]) => k !== 'UNKN').map(([k, v]) => [v, k as BtfKindName]),
);
/** The kind name for a kind number, or undefined for kinds BTF does not define. */
export const kindName = (n: number): BtfKindName | undefined => KIND_BY_NUMBER.get(n);

/** INT encoding bits. */
export const BtfIntEncoding = { SIGNED: 1, CHAR: 2, BOOL: 4 } as const;

/** FUNC linkage (carried in vlen). */
export const BtfFuncLinkage = { STATIC: 0, GLOBAL: 1, EXTERN: 2 } as const;
/** VAR linkage. */
export const BtfVarLinkage = { STATIC: 0, GLOBAL_ALLOCATED: 1, GLOBAL_EXTERN: 2 } as const;

/** `.BTF.ext` header sizes: without and with the CO-RE relocation section. */
export const BTF_EXT_HEADER_SIZE_V1 = 24;
export const BTF_EXT_HEADER_SIZE_CORE = 32;

/** CO-RE relocation kinds (`enum bpf_core_relo_kind`). */
export const CoreReloKind = {
  FIELD_BYTE_OFFSET: 0,
  FIELD_BYTE_SIZE: 1,
  FIELD_EXISTS: 2,
  FIELD_SIGNED: 3,
  FIELD_LSHIFT_U64: 4,
  FIELD_RSHIFT_U64: 5,
  TYPE_ID_LOCAL: 6,
  TYPE_ID_TARGET: 7,
  TYPE_EXISTS: 8,
  TYPE_SIZE: 9,
  ENUMVAL_EXISTS: 10,
  ENUMVAL_VALUE: 11,
  TYPE_MATCHES: 12,
} as const;

/** libbpf's short names for relocation kinds, as in its log (`byte_off`, `field_exists`, ...). */
export const CORE_RELO_KIND_NAMES: Readonly<Record<number, string>> = {
  0: 'byte_off',
  1: 'byte_sz',
  2: 'field_exists',
  3: 'signed',
  4: 'lshift_u64',
  5: 'rshift_u64',
  6: 'local_type_id',
  7: 'target_type_id',
  8: 'type_exists',
  9: 'type_size',
  10: 'enumval_exists',
  11: 'enumval_value',
  12: 'type_matches',
};
export const coreReloKindName = (k: number): string => CORE_RELO_KIND_NAMES[k] ?? `unknown(${k})`;
