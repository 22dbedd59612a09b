import type { MapDef } from '../../loader/model.js';
import { mapTypeName } from '../../loader/kinds.js';
import { Errno } from '../errno.js';
import type { Memory } from '../memory.js';

/** `flags` of `bpf_map_update_elem`. */
export const UpdateFlags = {
  ANY: 0,
  NOEXIST: 1,
  EXIST: 2,
  /** BPF_F_LOCK: only for values holding a `struct bpf_spin_lock`, which bpfkit does not model. */
  F_LOCK: 4,
} as const;

/** What every map needs from the simulated kernel. */
export interface MapEnv {
  readonly memory: Memory;
  /** Possible CPUs: how many copies a per-CPU map keeps. */
  readonly cpus: number;
  /** sock_gen_cookie of the simulated kernel (socket maps hand cookies to user space). */
  readonly nextCookie?: () => bigint;
}

/** A result of a map operation: 0 or a negative errno, as the kernel's map ops return. */
export type MapStatus = number;

/** A key/value pair as bytes (copies, never views into the memory). */
export interface MapEntry {
  key: Uint8Array;
  value: Uint8Array;
}

/**
 * One map instance of the simulated kernel. The methods mirror the kernel's `bpf_map_ops`: the
 * `lookup`/`update`/`delete`/`push`/... used by helpers on behalf of a program, and the `sys*` ones
 * used by user space (TypeScript, before and after a run), which see per-CPU maps whole.
 * An operation a type does not have answers like the kernel's: `-EINVAL` (or `-ENOTSUPP`).
 */
export abstract class BpfMap {
  readonly def: MapDef;
  /** Index in the instance's map list; the map pointer a program holds is `mapHandle(index)`. */
  readonly index: number;
  protected readonly env: MapEnv;
  /**
   * True for the socket maps, whose lookup and update from a program take and give sockets instead
   * of value bytes. A field the map helpers read on every call (an `instanceof` there walked the
   * prototype chain of a map array holding several classes).
   */
  readonly holdsSockets: boolean;

  constructor(def: MapDef, index: number, env: MapEnv, holdsSockets = false) {
    this.def = def;
    this.index = index;
    this.env = env;
    this.holdsSockets = holdsSockets;
  }

  get name(): string {
    return this.def.name;
  }
  get type(): number {
    return this.def.type;
  }
  get typeName(): string {
    return mapTypeName(this.def.type);
  }
  get keySize(): number {
    return this.def.keySize;
  }
  get valueSize(): number {
    return this.def.valueSize;
  }
  get maxEntries(): number {
    return this.def.maxEntries;
  }
  /** True for maps whose value exists once per CPU. */
  get perCpu(): boolean {
    return false;
  }

  // ---- program side ------------------------------------------------------------------------
  /** Address of the value of `key` as CPU `cpu` sees it, or 0 (NULL) when absent. */
  lookup(_key: Uint8Array, _cpu: number): number {
    return 0;
  }
  /** `bpf_map_update_elem` from a program: `value` is written to CPU `cpu`'s copy. */
  update(_key: Uint8Array, _value: Uint8Array, _flags: number, _cpu: number): MapStatus {
    return -Errno.EINVAL;
  }
  delete(_key: Uint8Array): MapStatus {
    return -Errno.EINVAL;
  }
  /**
   * {@link lookup}, {@link update} and {@link delete} with the key (and value) read where they lie
   * in the memory, at addresses the caller has checked: the path of the map helpers. A map type
   * whose operations are hot overrides them to read the bytes in place; these copy.
   */
  lookupAt(keyAddr: number, cpu: number): number {
    return this.lookup(this.env.memory.u8.subarray(keyAddr, keyAddr + this.keySize), cpu);
  }
  updateAt(keyAddr: number, valueAddr: number, flags: number, cpu: number): MapStatus {
    const u8 = this.env.memory.u8;
    return this.update(u8.slice(keyAddr, keyAddr + this.keySize), u8.slice(valueAddr, valueAddr + this.valueSize), flags, cpu);
  }
  deleteAt(keyAddr: number): MapStatus {
    return this.delete(this.env.memory.u8.slice(keyAddr, keyAddr + this.keySize));
  }
  push(_value: Uint8Array, _flags: number): MapStatus {
    return -Errno.ENOTSUPP;
  }
  /** {@link push} of the `valueSize` bytes at `valueAddr` of the memory (checked by the caller). */
  pushAt(valueAddr: number, flags: number): MapStatus {
    return this.push(this.env.memory.u8.slice(valueAddr, valueAddr + this.valueSize), flags);
  }
  /** Pops (or peeks) a value: the value or a negative errno. */
  pop(_peek: boolean): Uint8Array | MapStatus {
    return -Errno.ENOTSUPP;
  }

  // ---- user space ----------------------------------------------------------------------------
  /** The value of `key` as `BPF_MAP_LOOKUP_ELEM` returns it (per-CPU maps: every CPU's copy, each rounded up to 8 bytes), or a negative errno. */
  sysLookup(key: Uint8Array): Uint8Array | MapStatus {
    const addr = this.lookup(key, 0);
    if (addr === 0) return -Errno.ENOENT;
    return this.env.memory.u8.slice(addr, addr + this.valueSize);
  }
  sysUpdate(key: Uint8Array, value: Uint8Array, flags: number): MapStatus {
    return this.update(key, value, flags, 0);
  }
  sysDelete(key: Uint8Array): MapStatus {
    return this.delete(key);
  }
  /** `BPF_MAP_GET_NEXT_KEY`: the key after `key` (the first key when `key` is undefined or absent), or undefined at the end. */
  sysNextKey(_key: Uint8Array | undefined): Uint8Array | undefined {
    return undefined;
  }

  /** Every entry, in the map's own iteration order, with CPU `cpu`'s value for per-CPU maps. */
  entries(cpu = 0): MapEntry[] {
    const out: MapEntry[] = [];
    let key: Uint8Array | undefined;
    const seen = new Set<string>();
    for (;;) {
      key = this.sysNextKey(key);
      if (key === undefined) break;
      const k = hexOf(key);
      if (seen.has(k)) break;
      seen.add(k);
      const addr = this.lookup(key, cpu);
      if (addr !== 0) out.push({ key, value: this.env.memory.u8.slice(addr, addr + this.valueSize) });
    }
    return out;
  }

  /**
   * Iterates for `bpf_for_each_map_elem`: calls `visit(keyAddr, valueAddr)` for each element until
   * it returns true (stop); returns the number of elements visited. Undefined for map types the
   * kernel does not iterate.
   */
  forEach?(cpu: number, visit: (keyAddr: number, valueAddr: number) => boolean): number;
}

export const round8 = (n: number): number => Math.ceil(n / 8) * 8;

/** The two hex digits of every byte value: hexOf runs on every hash-map operation (its key string). */
const HEX_BYTE: readonly string[] = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));

export function hexOf(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += HEX_BYTE[bytes[i]!]!;
  return s;
}

export function u32le(bytes: Uint8Array): number {
  return (bytes[0]! | (bytes[1]! << 8) | (bytes[2]! << 16) | (bytes[3]! << 24)) >>> 0;
}

export function u32Bytes(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v >>> 0, true);
  return b;
}

/** The common check of `map_flags` in update: only ANY/NOEXIST/EXIST (F_LOCK needs a spin lock bpfkit does not model). */
export function badUpdateFlags(flags: number): boolean {
  return flags < 0 || flags > UpdateFlags.EXIST;
}
