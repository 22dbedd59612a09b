/**
 * Helper prototypes as the verifier reads them: the shared helper table (src/helpers/prototypes.ts:
 * the kernel's `bpf_func_proto` of every helper, with the variant a program type sees) plus what
 * only the verifier needs to know of a call (which map types it takes). Which program types may
 * call which helper is in the same table, recorded from the kernel.
 */
import { HELPER_NAMES } from '../helpers/helper-ids.js';
import {
  type CallbackProto,
  type HelperArgKind,
  type HelperReturnKind,
  helperPrototype,
  helperSignature,
} from '../helpers/prototypes.js';
import { HELPER_MAP_TYPES } from '../helpers/protos/map-compat.js';

export type ArgKind = HelperArgKind;
export type RetKind = HelperReturnKind;
export type CallbackSpec = CallbackProto;

export interface HelperProto {
  readonly id: number;
  /** The kernel's name without `bpf_`. */
  readonly name: string;
  readonly args: readonly ArgKind[];
  readonly ret: RetKind;
  readonly callback?: CallbackSpec;
  /** The helper may move or resize the packet: every packet pointer becomes invalid. */
  readonly changesPacket: boolean;
  /** Map types argument 1 may be (when it is a map), from the helper's side. */
  readonly mapTypes?: readonly number[];
  /** Needs a GPL-compatible license. */
  readonly gpl: boolean;
  /** For `btf-id` arguments: the kernel struct, by argument index (0-based). */
  readonly btf?: Readonly<Record<number, string>>;
  /** For `fixed-mem` arguments: the size, by argument index (0-based). */
  readonly sizes?: Readonly<Record<number, number>>;
  readonly retBtf?: string;
  readonly sleepable: boolean;
}

const cache = new Map<string, HelperProto | undefined>();

/**
 * The prototype of helper `id` as a program of bpftool type `progKey` sees it (the default
 * prototype without one), or undefined when `id` is no helper of the kernel's UAPI.
 */
export function helperProto(id: number, progKey = ''): HelperProto | undefined {
  const k = `${id}:${progKey}`;
  if (cache.has(k)) return cache.get(k);
  const p = helperPrototype(id);
  let out: HelperProto | undefined;
  if (p) {
    const sig = helperSignature(id, progKey) ?? p;
    const name = p.name.replace(/^bpf_/, '');
    const mapTypes = HELPER_MAP_TYPES.get(name);
    out = {
      id,
      name,
      args: sig.args,
      ret: sig.ret,
      changesPacket: p.changesPacket,
      gpl: sig.gplOnly || p.gplOnly,
      sleepable: p.sleepable,
      ...(p.callback ? { callback: p.callback } : {}),
      ...(mapTypes ? { mapTypes } : {}),
      ...(sig.btf ? { btf: sig.btf } : {}),
      ...(sig.sizes ? { sizes: sig.sizes } : {}),
      ...(sig.retBtf ? { retBtf: sig.retBtf } : {}),
    };
  }
  cache.set(k, out);
  return out;
}

/** `bpf_name#id` as the kernel's log spells a helper, or `unknown#id`. */
export const helperName = (id: number): string => {
  const n = id > 0 ? HELPER_NAMES[id] : undefined;
  return n === undefined ? `unknown#${id}` : `bpf_${n}#${id}`;
};
