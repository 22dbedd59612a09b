import type { StructOpsDef } from './struct-ops.js';
import type { Btf } from '../btf/btf.js';
import type { AttachTarget } from '../btf/attach.js';
import type { Endian } from '../isa/decode.js';
import type { Instruction } from '../isa/instruction.js';

/**
 * bpfkit's object model: what the loader makes of a clang `.o`, and what the verifier, the
 * simulated kernel and both engines consume. It mirrors what libbpf hands to the kernel.
 *
 * Map references inside instructions follow the kernel's `lddw` convention, with map *indexes*
 * (into {@link BpfObject.maps}) standing in for file descriptors:
 * - `src = 1` (BPF_PSEUDO_MAP_FD): `imm` = map index → the map pointer;
 * - `src = 2` (BPF_PSEUDO_MAP_VALUE): `imm` = map index, `immHi` = offset into the map's (single)
 *   value → a pointer into global data;
 * - `src = 4` (BPF_PSEUDO_FUNC): `imm` = slot offset relative to the next instruction, like a local call.
 * `meta.map` names the map for readers.
 */

/**
 * The loader convention a program or map follows, named after the loader that defined it:
 * - `libbpf`: libbpf 1.x (global FUNC symbols in named sections, `.maps` with BTF, 20-byte `maps`);
 * - `cilium`: cilium/ebpf, which also takes static entry programs and any BTF map `pinning` value;
 * - `iproute2`: tc's `struct bpf_elf_map` (id, pinning, inner_id, inner_idx), numbered tail-call sections;
 * - `bpf_load`: samples/bpf's bpf_load.c (`struct bpf_map_def` with inner_map_idx/numa_node, `maps/NAME` sections);
 * - `old-clang`: code sections without FUNC symbols: the whole section is one program;
 * - `text`: objects whose only code is `.text`: each global function is a program (as PREVAIL loads them).
 */
export type LoaderConvention = 'libbpf' | 'cilium' | 'iproute2' | 'bpf_load' | 'old-clang' | 'text';

/** Where a program's type came from: libbpf's section table, an older loader's section names, the user (`--type`), or nowhere. */
export type ProgramTypeSource = 'libbpf' | 'legacy' | 'option' | 'none';

/** Where a map came from. */
export type MapOrigin = 'btf' | 'legacy' | 'data' | 'rodata' | 'bss' | 'kconfig';

/** A map definition (before any instance exists). */
export interface MapDef {
  /** Name: the variable name, or the section name for global data (`.data`, `.rodata`, `.bss`, `.rodata.str1.1`, ...). */
  name: string;
  /** `enum bpf_map_type` number. */
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  origin: MapOrigin;
  /** BTF type ids of key and value when the object describes them (0 when not). */
  btfKeyTypeId: number;
  btfValueTypeId: number;
  /** For array/hash of maps: the inner map's definition. */
  inner?: MapDef;
  /** Global data: the section's initial bytes (zeroes for `.bss`). */
  initialValue?: Uint8Array;
  /** Prog arrays and map-in-maps initialised in `.values`: slot → program or map name. */
  initialSlots?: ReadonlyArray<{ index: number; name: string }>;
  /** Pinning as declared (`LIBBPF_PIN_BY_NAME` = 1), kept for reporting. */
  pinning?: number;
  /** `map_extra` as declared (bloom filter hash count, arena address), when declared. */
  mapExtra?: number;
  /** `numa_node` as declared, when declared. */
  numaNode?: number;
  /** The ELF section the definition (or, for global data, the data) lives in. */
  section?: string;
  /** The loader convention of the definition (BTF and legacy maps). */
  convention?: LoaderConvention;
  /** iproute2 `bpf_elf_map`: the map's id, and the id of its inner map (map-in-map). */
  id?: number;
  innerId?: number;
}

/** A function inside a linked program. */
export interface ProgramFunction {
  name: string;
  /** First slot of the function in the linked array. */
  slot: number;
  /** The BTF FUNC type id from `.BTF.ext` func_info, when the object has it. */
  btfTypeId?: number;
  /** A global (non-static) function: the kernel verifies it on its own, against its BTF prototype. */
  global?: boolean;
}

/** A global variable in a global-data section (`.data`, `.bss`, `.rodata`, `.data.NAME`, ...). */
export interface GlobalVariable {
  name: string;
  /** Its section, which is also the name of the internal map holding it. */
  section: string;
  /** Index of that map in {@link BpfObject.maps}. */
  map: number;
  offset: number;
  size: number;
  /** The BTF type of the variable (after the VAR), when known. */
  btfTypeId?: number;
}

/** What happened to one CO-RE relocation, in libbpf's terms. */
export interface CoreRelocationReport {
  /** ELF section of the instruction and the relocation's index among that section's records. */
  section: string;
  index: number;
  /** Function the instruction belongs to, and the instruction's slot inside that function. */
  function: string;
  insn: number;
  /** libbpf's kind name (`byte_off`, `field_exists`, `type_size`, `enumval_value`, ...). */
  kind: string;
  /** The local spec as libbpf prints it, e.g. `<byte_off> [8] struct pkt_hdr.seq (0:3 @ offset 4)`. */
  local: string;
  /** Each target candidate tried, as libbpf prints it, and whether it matched. */
  candidates: ReadonlyArray<{ spec: string; matched: boolean }>;
  /** libbpf-style patch lines (`patched insn #6 (LDX/ST/STX) off 4 -> 8`, `substituting insn #6 w/ invalid insn`). */
  log: string[];
  /** Set when the instruction was poisoned: why. */
  poisoned?: string;
}

/** A program found in an executable section, linked with every sub-program it calls. */
export interface ProgramDef {
  name: string;
  /** The ELF section it came from (`xdp`, `tc`, `kprobe/do_sys_open`, ...). */
  section: string;
  /** `enum bpf_prog_type` number, decided from the section name the way libbpf does. */
  type: number;
  /** Expected attach type / target as parsed from the section name (e.g. `do_sys_open`), if any. */
  attachTo?: string;
  /** `enum bpf_attach_type` libbpf derives from the section name (e.g. 37 for `xdp`, 24 for `fentry/...`). */
  expectedAttachType?: number;
  /** The self-contained instruction array: the entry function first, then appended sub-programs. */
  instructions: Instruction[];
  /** Functions in the linked array: name and first slot (the entry function is at slot 0). */
  functions: ReadonlyArray<ProgramFunction>;
  /** Names of the sub-programs appended to this program. */
  subprograms: string[];
  /** The hook's prototype in the kernel BTF (tp_btf, fentry/fexit/fmod_ret, lsm, iter, raw_tp), when one was given. */
  attachBtf?: AttachTarget;
  /** libbpf's error when the kernel BTF has no attach target for it: the program cannot be loaded (the rest of the object can). */
  attachError?: string;
  /** The loader convention the program was found by (set by the loader). */
  convention?: LoaderConvention;
  /** Where {@link type} came from (set by the loader). */
  typeSource?: ProgramTypeSource;
  /**
   * Set when the program cannot be verified or run as loaded, saying why: its section names no
   * program type and none was given (`--type`), or it cannot be linked (a call to an undefined
   * function, an extern the loader cannot resolve). The rest of the object is unaffected.
   */
  notVerifiable?: string;
}

/** A summary of the object's BTF for reports; the full graph lives in `btf`. */
export interface BtfSummary {
  types: number;
  strings: number;
  lineInfos: number;
  funcInfos: number;
  coreRelocations: number;
}

/** The loaded object. */
export interface BpfObject {
  endian: Endian;
  license: string;
  kernelVersion?: number;
  programs: ProgramDef[];
  maps: MapDef[];
  btf?: BtfSummary;
  /** The object's BTF type graph (DATASEC sizes and offsets fixed up from the ELF, as libbpf does). */
  btfTypes?: Btf;
  /** Variables of the global-data sections. */
  globals?: GlobalVariable[];
  /** CO-RE relocations in the order they were applied. */
  coreRelocations?: CoreRelocationReport[];
  /** The kernel BTF the object was loaded against (`--btf`, `loadObject(bytes, { btf })`). */
  kernelBtf?: Btf;
  /** `.kconfig` and `.ksyms` externs and how each was resolved. */
  externs?: ExternDef[];
  /** What the loader accepted that a strict libbpf 1.x would not, one line each (e.g. `e_machine 0`). */
  notes?: string[];
  /** struct_ops maps (`.struct_ops`, `.struct_ops.link`): the kernel struct each implements and its programs. */
  structOps?: StructOpsDef[];
}

/** An extern the object declares (`extern ... __kconfig` / `__ksym`) and what it resolved to. */
export interface ExternDef {
  name: string;
  /** `kconfig` (a value in the `.kconfig` map), `ksym` (a kernel variable), `kfunc` (a kernel function). */
  kind: 'kconfig' | 'ksym' | 'kfunc';
  weak: boolean;
  /** kconfig: offset of the value in the `.kconfig` map, and its size. */
  offset?: number;
  size?: number;
  /** kconfig: the value as set (number, or string for char arrays); undefined when missing. */
  value?: number | string;
  /** ksym/kfunc: the BTF type id the instructions carry (kernel BTF when given, else the object's). */
  btfId?: number;
  /** How it was resolved: `kernel BTF`, `object BTF (symbolic)`, `--kconfig`, `default`, or why not (`missing`). */
  resolution: string;
}
