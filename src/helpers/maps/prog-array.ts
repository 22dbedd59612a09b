import type { MapDef } from '../../loader/model.js';
import { Errno } from '../errno.js';
import { BpfMap, u32le, type MapEnv, type MapStatus } from './map.js';

/**
 * `BPF_MAP_TYPE_PROG_ARRAY`: slots holding programs for `bpf_tail_call`. User space stores a
 * program (here: its index in the object, standing in for the kernel's program fd); programs
 * cannot look it up. libbpf fills slots declared in `.values` at load.
 */
export class ProgArrayMap extends BpfMap {
  private readonly slots: Array<number | undefined>;

  constructor(def: MapDef, index: number, env: MapEnv) {
    super(def, index, env);
    this.slots = new Array<number | undefined>(def.maxEntries).fill(undefined);
  }

  /** The program in slot `index`, or undefined. */
  program(index: number): number | undefined {
    return index < this.slots.length ? this.slots[index] : undefined;
  }

  /** Puts program `prog` (an index into the object's programs) in slot `index`, or clears it. */
  setProgram(index: number, prog: number | undefined): MapStatus {
    if (index >= this.maxEntries) return -Errno.E2BIG;
    this.slots[index] = prog;
    return 0;
  }

  override sysLookup(_key: Uint8Array): Uint8Array | MapStatus {
    // The kernel answers -ENOTSUPP: program fds are not readable back.
    return -Errno.ENOTSUPP;
  }

  override sysUpdate(key: Uint8Array, value: Uint8Array, _flags: number): MapStatus {
    return this.setProgram(u32le(key), u32le(value));
  }

  override sysDelete(key: Uint8Array): MapStatus {
    const i = u32le(key);
    if (i >= this.maxEntries) return -Errno.E2BIG;
    if (this.slots[i] === undefined) return -Errno.ENOENT;
    this.slots[i] = undefined;
    return 0;
  }

  override entries(): Array<{ key: Uint8Array; value: Uint8Array }> {
    return [];
  }
}
