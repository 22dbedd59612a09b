import type { BtfKindName } from './kinds.js';

/**
 * The BTF type graph as plain data. Types refer to each other by id (an index into
 * {@link Btf.types}; id 0 is `void`). Names are resolved from the string table; anonymous
 * types have the name `''`.
 */
interface Base<K extends BtfKindName> {
  id: number;
  kind: K;
  name: string;
}

export interface BtfInt extends Base<'INT'> {
  size: number;
  /** INT encoding bits (SIGNED=1, CHAR=2, BOOL=4). */
  encoding: number;
  bitsOffset: number;
  bits: number;
}

/** Types that only point at another type. */
export interface BtfRef<K extends 'PTR' | 'TYPEDEF' | 'VOLATILE' | 'CONST' | 'RESTRICT' | 'TYPE_TAG'> extends Base<K> {
  type: number;
}

export interface BtfArray extends Base<'ARRAY'> {
  type: number;
  indexType: number;
  nelems: number;
}

export interface BtfMember {
  name: string;
  type: number;
  /** Offset of the member from the start of the struct, in bits. */
  bitsOffset: number;
  /** Bitfield width in bits (0 when the member is not a bitfield). */
  bitfieldSize: number;
}

export interface BtfComposite<K extends 'STRUCT' | 'UNION'> extends Base<K> {
  size: number;
  /** kind_flag: member offsets carry bitfield sizes. */
  kindFlag: boolean;
  members: BtfMember[];
}

export interface BtfEnumValue {
  name: string;
  /** Low 32 bits. */
  lo: number;
  /** High 32 bits (ENUM64; for ENUM, the sign extension of `lo` when the enum is signed, else 0). */
  hi: number;
}

export interface BtfEnum<K extends 'ENUM' | 'ENUM64'> extends Base<K> {
  size: number;
  /** kind_flag: values are signed. */
  signed: boolean;
  values: BtfEnumValue[];
}

export interface BtfFwd extends Base<'FWD'> {
  /** kind_flag: a forward declaration of a union rather than a struct. */
  union: boolean;
}

export interface BtfFunc extends Base<'FUNC'> {
  /** The FUNC_PROTO. */
  type: number;
  /** BtfFuncLinkage (static, global, extern). */
  linkage: number;
}

export interface BtfParam {
  name: string;
  type: number;
}

export interface BtfFuncProto extends Base<'FUNC_PROTO'> {
  returnType: number;
  params: BtfParam[];
}

export interface BtfVar extends Base<'VAR'> {
  type: number;
  /** BtfVarLinkage (static, global, extern). */
  linkage: number;
}

export interface BtfVarSecinfo {
  type: number;
  offset: number;
  size: number;
}

export interface BtfDatasec extends Base<'DATASEC'> {
  size: number;
  vars: BtfVarSecinfo[];
}

export interface BtfFloat extends Base<'FLOAT'> {
  size: number;
}

export interface BtfDeclTag extends Base<'DECL_TAG'> {
  type: number;
  /** -1 for the type itself, else the member or parameter index. */
  componentIdx: number;
}

export type BtfType =
  | BtfInt
  | BtfRef<'PTR'>
  | BtfRef<'TYPEDEF'>
  | BtfRef<'VOLATILE'>
  | BtfRef<'CONST'>
  | BtfRef<'RESTRICT'>
  | BtfRef<'TYPE_TAG'>
  | BtfArray
  | BtfComposite<'STRUCT'>
  | BtfComposite<'UNION'>
  | BtfEnum<'ENUM'>
  | BtfEnum<'ENUM64'>
  | BtfFwd
  | BtfFunc
  | BtfFuncProto
  | BtfVar
  | BtfDatasec
  | BtfFloat
  | BtfDeclTag;

/** `void`, type id 0. */
export interface BtfVoid {
  id: 0;
  kind: 'VOID';
  name: '';
}

export type BtfAnyType = BtfType | BtfVoid;

export type BtfStruct = BtfComposite<'STRUCT'> | BtfComposite<'UNION'>;
export type BtfEnumType = BtfEnum<'ENUM'> | BtfEnum<'ENUM64'>;
