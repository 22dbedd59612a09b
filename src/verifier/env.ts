/**
 * What the checker and the transformer know about the program besides the abstract state: its
 * type and context, the maps, the rules in force (privileged or not), and stable ids for the
 * values a call site creates.
 */
import type { Endian } from '../isa/decode.js';
import { type Btf, resolveType } from '../btf/btf.js';
import { availabilityKey } from '../helpers/prototypes.js';
import { HELPERS_BY_PROG_TYPE } from '../helpers/protos/availability.js';
import type { BpfObject, MapDef, ProgramDef } from '../loader/model.js';
import { MapFlag, MapType, progTypeName } from '../loader/kinds.js';
import { programTypeForSection } from '../loader/sections.js';
import type { Node } from './cfg/build.js';
import { type ContextSpec, contextFor, packetAccess, returnRange } from './contexts.js';
import { type GlobalFunc, globalFunctions } from './global-funcs.js';
import type { KernelBtfEnv } from './btf-pointers.js';
import { helpersForAttach } from './attach-helpers.js';

export interface MapInfo {
  readonly name: string;
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  /** The program may not write to its values (`.rodata`, BPF_F_RDONLY_PROG). */
  readonly readOnly: boolean;
  /** Frozen initial contents the verifier may read as constants (`.rodata`). */
  readonly constant?: Uint8Array;
  /** For maps of maps: index of the inner map's entry in this table. */
  readonly inner?: number;
  /** Index of the entry standing for this map's keys (what iteration callbacks receive). */
  readonly keyEntry?: number;
  /** Set on such a key entry: the map whose key it is (keys are read-only). */
  readonly keyOf?: string;
  /** Offset of the value's `struct bpf_spin_lock`, from the map's BTF. */
  readonly spinLockOff?: number;
  /** Offset of the value's `struct bpf_timer`, from the map's BTF. */
  readonly timerOff?: number;
}

export interface VerifierEnv {
  readonly progName: string;
  readonly progType: number;
  readonly progTypeName: string;
  /** The helper table's key for the type and attach type (`cgroup_sock_addr/bind4`). */
  readonly progKey: string;
  readonly expectedAttachType?: number;
  /** Loaded with BPF_F_SLEEPABLE (a `.s` section): may call helpers that sleep. */
  readonly sleepable: boolean;
  readonly ctx: ContextSpec;
  readonly packet: 'read' | 'write';
  readonly maps: readonly MapInfo[];
  readonly endian: Endian;
  readonly privileged: boolean;
  /** Keep the abstract state of each error (--verbose). */
  readonly verbose: boolean;
  /**
   * Also keep what the kernel does not (departures.ts): only to tell whether a rejection is of a
   * program bpfkit proves safe, never to accept one.
   */
  readonly precise?: boolean;
  /** Set when the analysis dropped something the precise mode keeps (a rerun could differ). */
  readonly departed?: { used: boolean };
  /**
   * Helpers this program type may call, as the kernel decides: none for a type it has no table
   * for, so a program of no type is never checked more loosely than a typed one (the loader
   * leaves such programs unverified unless `--type` names one).
   */
  readonly allowedHelpers: ReadonlySet<number>;
  readonly gpl: boolean;
  /** Constants of the program, for widening with thresholds. */
  readonly thresholds: readonly bigint[];
  /** Allowed range of the program's return value. */
  readonly returnRange?: readonly [number, number];
  /** Global functions by slot (verified on their own). */
  readonly globalFuncs: ReadonlyMap<number, GlobalFunc>;
  /** When a global function is being verified on its own: that function. */
  readonly rootGlobal?: GlobalFunc;
  /** The kernel's BTF and the program's hook in it (tp_btf, fentry, lsm, iter...), when the object was loaded with one. */
  readonly kernel?: KernelBtfEnv;
  /** A stable number for a CFG node (ids of lookups and references made there). */
  idOf(node: Node): number;
  functionName(slot: number): string;
}

/** Licenses the kernel treats as GPL-compatible (license_is_gpl_compatible). */
const GPL_LICENSES = new Set(['GPL', 'GPL v2', 'GPL and additional rights', 'Dual BSD/GPL', 'Dual MIT/GPL', 'Dual MPL/GPL']);

/** Offset of the first member of struct type `name` in a value type (nested structs included). */
function fieldOffset(btf: Btf, typeId: number, name: string, depth = 0): number | undefined {
  if (depth > 8 || typeId <= 0) return undefined;
  const t = resolveType(btf, typeId);
  if (t.kind !== 'STRUCT' && t.kind !== 'UNION') return undefined;
  if (t.name === name) return 0;
  for (const m of t.members) {
    const inner = fieldOffset(btf, m.type, name, depth + 1);
    if (inner !== undefined) return m.bitsOffset / 8 + inner;
  }
  return undefined;
}

/** Flattens maps and their inner maps into one table. */
export function mapTable(maps: readonly MapDef[], btf?: Btf): MapInfo[] {
  const out: MapInfo[] = [];
  const add = (m: MapDef): number => {
    const idx = out.length;
    const readOnly = (m.flags & MapFlag.RDONLY_PROG) !== 0;
    const info: MapInfo = { name: m.name, type: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, readOnly };
    const lock = btf && m.btfValueTypeId ? safe(() => fieldOffset(btf, m.btfValueTypeId, 'bpf_spin_lock')) : undefined;
    const timer = btf && m.btfValueTypeId ? safe(() => fieldOffset(btf, m.btfValueTypeId, 'bpf_timer')) : undefined;
    out.push({ ...info, ...(lock !== undefined ? { spinLockOff: lock } : {}), ...(timer !== undefined ? { timerOff: timer } : {}) });
    return idx;
  };
  for (const m of maps) add(m);
  maps.forEach((m, i) => {
    const info = out[i]!;
    let extra: Partial<MapInfo> = {};
    if (m.inner && (m.type === MapType.ARRAY_OF_MAPS || m.type === MapType.HASH_OF_MAPS)) extra = { inner: add(m.inner) };
    // libbpf freezes .rodata after loading its initial value: the kernel reads it as constants
    if (info.readOnly && m.initialValue && m.type === MapType.ARRAY) extra = { ...extra, constant: m.initialValue };
    out[i] = { ...info, ...extra };
  });
  // a read-only pseudo-map per map for the key pointers bpf_for_each_map_elem hands out
  maps.forEach((m, i) => {
    const keyEntry = out.length;
    out.push({ name: `${m.name} (key)`, type: -1, keySize: 0, valueSize: m.keySize, maxEntries: 1, readOnly: true, keyOf: m.name });
    out[i] = { ...out[i]!, keyEntry };
  });
  return out;
}

function safe<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch {
    return undefined;
  }
}

export interface EnvOptions {
  readonly privileged?: boolean;
  readonly verbose?: boolean;
  readonly thresholds?: readonly bigint[];
}

export function makeEnv(obj: BpfObject, prog: ProgramDef, options: EnvOptions = {}): VerifierEnv {
  // ids for the values each CFG node creates (lookups, reservations), unique across analyses
  const nodeIds = new WeakMap<Node, number>();
  let nextId = 1;
  const expectedAttachType = (prog as ProgramDef & { expectedAttachType?: number }).expectedAttachType;
  const key = availabilityKey(prog.type, expectedAttachType);
  const list = key ? HELPERS_BY_PROG_TYPE[key] : undefined;
  const fnNames = new Map(prog.functions.map((f) => [f.slot, f.name]));
  const ctx = contextFor(prog.type, expectedAttachType);
  return {
    globalFuncs: globalFunctions(obj, prog, ctx),
    progName: prog.name,
    progType: prog.type,
    progTypeName: progTypeName(prog.type),
    progKey: key ?? progTypeName(prog.type),
    sleepable: programTypeForSection(prog.section).def?.sleepable === true,
    ...(expectedAttachType !== undefined ? { expectedAttachType } : {}),
    ctx,
    packet: packetAccess(prog.type),
    maps: mapTable(obj.maps, obj.btfTypes),
    endian: obj.endian,
    privileged: options.privileged ?? true,
    verbose: options.verbose ?? false,
    allowedHelpers: helpersForAttach(prog.attachBtf, new Set(list ?? [])),
    gpl: GPL_LICENSES.has(obj.license),
    thresholds: options.thresholds ?? [],
    ...(returnRange(prog.type, expectedAttachType) ? { returnRange: returnRange(prog.type, expectedAttachType)! } : {}),
    idOf: (node) => {
      let id = nodeIds.get(node);
      if (id === undefined) nodeIds.set(node, (id = nextId++));
      return id;
    },
    functionName: (slot) => fnNames.get(slot) ?? (slot === 0 ? prog.name : `func@${slot}`),
    ...(obj.kernelBtf !== undefined
      ? { kernel: { btf: obj.kernelBtf, ...(prog.attachBtf !== undefined ? { attach: prog.attachBtf } : {}), ...(obj.btfTypes !== undefined ? { local: obj.btfTypes } : {}) } }
      : {}),
  };
}
