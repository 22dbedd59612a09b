/**
 * Decides each assertion in an abstract state: undefined when it holds for every execution the
 * state describes, else the message of the error. One exhaustive switch on the assertion kind.
 */
import { MapType, ProgType } from '../loader/kinds.js';
import type { Assertion } from './assertions.js';
import { mayUseLegacyPacketLoads } from './contexts.js';
import { type StateView, META_SIZE, PKT_SIZE, regVar, counterVar } from './domains/ebpf-domain.js';
import { constValue, type Scalar } from './domains/scalar.js';
import { STACK_SIZE } from './domains/stack.js';
import { tnumAdd, tnumConst } from './domains/tnum.js';
import { CONST_DYNPTR, hasKind, isInitialized, isNull, Kind, kindNames, mapsOf, onlyKind, POINTER_KINDS, type RegValue, SOCKET_KINDS, valueToString } from './domains/types.js';
import { mapFitsHelper } from '../helpers/prototypes.js';
import { checkFormat } from './formats.js';
import { FLOW_KEYS_SIZE } from './contexts/skb.js';
import { socketFieldAccess, tcpSockFieldAccess } from './contexts/sock.js';
import { Zone } from './domains/zone.js';
import type { VerifierEnv } from './env.js';
import { btfHelperArgMismatch, btfPointerName, checkBtfAccess } from './btf-pointers.js';
import { returnsVoid } from './struct-ops.js';
import { checkKfunc, kfuncInfo } from './kfuncs.js';
import { type ArgKind, helperName, helperProto } from './helper-protos.js';
import type { Operand } from './ir.js';
import type { Node } from './cfg/build.js';

/** Largest offset the kernel lets a pointer carry (BPF_MAX_VAR_OFF). */
export const MAX_VAR_OFF = 1n << 29n;
/** Largest packet offset the kernel tracks (MAX_PACKET_OFF). */
export const MAX_PACKET_OFF = 0xffffn;

const S64_MIN = -(1n << 63n);

export function describe(v: RegValue, env: VerifierEnv): string {
  return valueToString(v, (i) => env.maps[i]?.name ?? `#${i}`);
}

/** Why a value that is not a pointer cannot be dereferenced. */
function notAPointer(r: number, v: RegValue, env: VerifierEnv): string {
  if (isNull(v)) return `R${r} is NULL`;
  if (v.stale) return `R${r} is no longer a pointer: ${v.stale}`;
  return `R${r} is a number (${describe(v, env)}), not a pointer`;
}

function fmtOff(x: bigint): string {
  return x >= 0n ? `+${x}` : `${x}`;
}

export interface RegionCheck {
  readonly reg: number;
  readonly v: RegValue;
  /** Added to the pointer's offset (the instruction's offset). */
  readonly off: bigint;
  /** Bytes from there on: the exact size for an access, the largest size for a helper argument. */
  readonly size: bigint;
  readonly write: boolean;
  /** How the access is described in messages: "read", "write", "bpf_map_lookup_elem argument 2". */
  readonly what: string;
  /** Set for instruction accesses (atomics included): which region kinds are allowed is stricter. */
  readonly insn?: 'load' | 'store' | 'atomic';
}

/**
 * Checks that [ptr + off, ptr + off + size) lies inside the region the pointer points to, and that
 * the region may be accessed that way. Used for loads, stores and helper memory arguments.
 */
export function checkRegion(s: StateView, env: VerifierEnv, c: RegionCheck): string | undefined {
  const { reg: r, v, off, size, write, what } = c;
  if (v.kinds & Kind.UNINIT) return `R${r} is not initialised`;
  if (v.kinds & Kind.NULLABLE) return `R${r} may be NULL (${describe(v, env)}): check it against NULL before the ${what}`;
  const ptrKinds = v.kinds & POINTER_KINDS;
  if (ptrKinds === 0) return `${what} through R${r}: ${notAPointer(r, v, env)}`;
  if (v.kinds & Kind.NUM) return `R${r} may be a number or a pointer (${kindNames(v.kinds)}): the ${what} cannot be checked`;
  if ((ptrKinds & (ptrKinds - 1)) !== 0) return `R${r} may point to different regions (${kindNames(v.kinds)}): the ${what} cannot be checked`;
  const lo = v.num.smin + off;
  const hi = v.num.smax + off + size;
  const offText = (): string => {
    const k = constValue(v.num);
    return k !== undefined ? `offset ${BigInt.asIntN(64, k) + off}` : `offset [${v.num.smin + off}, ${v.num.smax + off}]`;
  };
  switch (ptrKinds) {
    case Kind.CTX: {
      if (c.insn === 'atomic') return `atomic operation on the context (R${r}) is not allowed`;
      if (!c.insn) return `R${r} is the context, not memory the helper may ${write ? 'write' : 'read'}`;
      const k = constValue(v.num);
      if (k !== 0n) return `R${r} is a modified context pointer (${describe(v, env)}): context fields must be accessed at fixed offsets from the original pointer`;
      const a = env.ctx.access(Number(off), Number(size), write);
      if (!a.ok) return `invalid ${write ? 'write to' : 'read of'} the context (${env.ctx.name}) at offset ${off}, size ${size}: ${a.why}`;
      return undefined;
    }
    case Kind.STACK: {
      if (v.frame < 0) return `R${r} may point into different stack frames: the ${what} cannot be checked`;
      if (lo < 0n || hi > BigInt(STACK_SIZE)) {
        const k = constValue(v.num);
        const where = k !== undefined ? `fp${fmtOff(BigInt.asIntN(64, k) - 512n + off)}` : `fp${fmtOff(lo - 512n)}..fp${fmtOff(v.num.smax + off - 512n)}`;
        if (v.num.smin === S64_MIN || v.num.smax >= MAX_VAR_OFF) return `invalid ${what} on the stack through R${r}: unbounded offset (${describe(v, env)})`;
        return `invalid ${what} on the stack: ${where}, size ${size}, is outside the 512-byte frame (through R${r})`;
      }
      if (c.insn) {
        // the kernel's spill tracking needs naturally aligned stack accesses
        const t = tnumAdd(v.num.t, tnumConst(off));
        const mask = size - 1n;
        if (((t.value | t.mask) & mask) !== 0n)
          return `misaligned stack access: ${constValue(v.num) !== undefined ? `fp${fmtOff(BigInt.asIntN(64, constValue(v.num)!) - 512n + off)}` : offText()} size ${size} (stack accesses must be aligned to their size)`;
      }
      if (c.insn === 'load') {
        const frame = s.frames[v.frame]!;
        const k = constValue(v.num);
        if (k !== undefined) {
          const at = Number(k + off);
          const spill = frame.stack.spillAt(at);
          if (spill && (spill[1].value.kinds & POINTER_KINDS) !== 0 && (spill[0] !== at || BigInt(spill[1].size) !== size))
            return `invalid partial read of a spilled pointer at fp${at - 512} (size ${size}): spilled pointers must be read back whole`;
        }
        if (!env.privileged && !frame.stack.initialized(Number(lo), Number(hi))) return `invalid read from stack: fp${lo - 512n} size ${size} is not initialised`;
      }
      return undefined;
    }
    case Kind.PACKET:
    case Kind.PACKET_META: {
      if (write && env.packet !== 'write') return `program type ${env.progTypeName} cannot write into the packet`;
      if (c.insn === 'atomic') return `atomic operation on packet memory (R${r}) is not allowed`;
      if (v.num.smin < 0n) return `R${r} may point before the start of the packet (${describe(v, env)}): check the offset is not negative`;
      if (lo < 0n) return `invalid packet ${what}: ${offText()} is before the start of the packet`;
      if (v.num.umax > MAX_PACKET_OFF) return `R${r} has an unbounded packet offset (${describe(v, env)}): bound it (at most ${MAX_PACKET_OFF}) before comparing with data_end`;
      const sizeVar = ptrKinds === Kind.PACKET ? PKT_SIZE : META_SIZE;
      const d = Zone.bound(s.zone, regVar(s.depth, r), sizeVar, s.bounds);
      if (d + Number(off + size) > 0) {
        const k = constValue(v.num);
        const region = ptrKinds === Kind.PACKET ? 'packet' : 'metadata';
        if (k !== undefined && Number.isFinite(d)) {
          const known = Number(k) - d;
          return `invalid packet ${what}: bytes ${k + off}..${k + off + size - 1n} through R${r}, but only ${known} byte${known === 1 ? ' is' : 's are'} known to be in the ${region}: compare with data_end first`;
        }
        if (k !== undefined) return `invalid packet ${what}: bytes ${k + off}..${k + off + size - 1n} through R${r}, but nothing is known about the ${region}'s size: compare with data_end first`;
        return `invalid packet ${what} through R${r} (${describe(v, env)}) at +${off}, size ${size}: R${r} + ${off + size} <= data_end is not proven (${provenPacketRange(s, r)}): compare with data_end first`;
      }
      return undefined;
    }
    case Kind.PACKET_END:
      return `R${r} is data_end (pkt_end): it cannot be dereferenced`;
    case Kind.MAP_VALUE: {
      const all = mapsOf(v).map((i) => env.maps[i]!).filter((x) => x !== undefined);
      if (all.length === 0) return `R${r} points into the value of an unknown map: the ${what} cannot be checked`;
      // several maps (paths met): the access must be valid in each
      const ro = all.find((x) => x.readOnly);
      const m = all.reduce((x, y) => (y.valueSize < x.valueSize ? y : x));
      if (write && ro?.keyOf) return `R${r} points to a key of map ${ro.keyOf}, which is read-only: it cannot be written`;
      if (write && ro) return `write into the read-only map ${ro.name} (value_size=${ro.valueSize}) at ${offText()} size ${size}: the program may not write it`;
      if (c.insn === 'atomic' && ro) return `atomic operation on the read-only map ${ro.name}`;
      if (v.num.smin < 0n && lo < 0n) return `R${r} may point before the start of the value of map ${m.name} (${describe(v, env)}): check the index is not negative`;
      if (v.num.smax >= MAX_VAR_OFF && hi > BigInt(m.valueSize)) return `R${r} has an unbounded offset into map ${m.name} (${describe(v, env)}): bound it before the ${what}`;
      if (lo < 0n || hi > BigInt(m.valueSize))
        return `invalid ${what} of map ${m.name}'s value (value_size=${m.valueSize}): ${offText()}, size ${size}, may reach byte ${hi - 1n} (through R${r})`;
      return undefined;
    }
    case Kind.MEM: {
      // The kernel's CONST_PTR_TO_DYNPTR is not memory: only dynptr helpers take it.
      if (v.btfName === CONST_DYNPTR) return `R${r} is a dynptr the helper owns (${describe(v, env)}): read its data with bpf_dynptr_read or bpf_dynptr_data, not by ${what.includes('write') ? 'writing' : 'reading'} it`;
      if (v.size < 0) return `R${r} may point to memory of different sizes: the ${what} cannot be checked`;
      const region = v.ref > 0 ? 'ring buffer memory' : v.size === FLOW_KEYS_SIZE ? 'the flow keys' : 'memory';
      if (lo < 0n || hi > BigInt(v.size)) return `invalid ${what} of ${region} (size ${v.size}): ${offText()}, size ${size}, may reach byte ${hi - 1n} (through R${r})`;
      return undefined;
    }
    case Kind.SOCK:
    case Kind.SOCK_COMMON:
    case Kind.TCP_SOCK: {
      const flavour = ptrKinds === Kind.SOCK ? 'sock' : ptrKinds === Kind.SOCK_COMMON ? 'sock_common' : 'tcp_sock';
      if (write) return `R${r} is a socket (${describe(v, env)}): the program cannot write into a ${flavour}`;
      if (!c.insn) return `R${r} is a socket (${describe(v, env)}), not memory ${what.includes('for') ? 'a helper' : 'the program'} may use`;
      const k = constValue(v.num);
      if (k === undefined) return `R${r} is a socket with a variable offset (${describe(v, env)}): its fields are read at fixed offsets`;
      const at = Number(k + off);
      const a = ptrKinds === Kind.TCP_SOCK ? tcpSockFieldAccess(at, Number(size)) : socketFieldAccess(ptrKinds === Kind.SOCK ? 'full' : 'common', at, Number(size));
      if (!a.ok) return `invalid read of the ${flavour} R${r} points to at offset ${at}, size ${size}: ${a.why}`;
      return undefined;
    }
    case Kind.BTF_ID: {
      if (c.insn === 'atomic') return `atomic operation on a kernel object (R${r}, ${btfPointerName(v)}) is not allowed`;
      if (!c.insn) return `R${r} is a kernel object (${btfPointerName(v)}): the ${what} takes memory the program owns; copy the field with bpf_probe_read_kernel first`;
      if (env.kernel === undefined || v.btf === undefined) return `R${r} points to a kernel object (${describe(v, env)}): bpfkit has no kernel BTF to check the ${what} against (--btf FILE)`;
      return checkBtfAccess(env.kernel, r, v, off, size, write);
    }
    case Kind.MAP_PTR:
      return `R${r} is a map pointer (${describe(v, env)}): it cannot be dereferenced`;
    case Kind.FUNC:
      return `R${r} is a function pointer: it cannot be dereferenced`;
    default:
      return `R${r} (${describe(v, env)}) cannot be used for a ${what}`;
  }
}

function provenPacketRange(s: StateView, r: number): string {
  const d = Zone.bound(s.zone, regVar(s.depth, r), PKT_SIZE, s.bounds);
  return Number.isFinite(d) ? `only R${r} + ${-d} <= data_end is` : `nothing relates R${r} to data_end`;
}

function isUnprivilegedLeak(v: RegValue): boolean {
  return (v.kinds & POINTER_KINDS) !== 0;
}

function operandValue(s: StateView, o: Operand | undefined): RegValue | undefined {
  return o && o.kind === 'reg' ? s.reg(o.reg) : undefined;
}

const ALU_NAMES: Record<string, string> = {
  add: '+=', sub: '-=', mul: '*=', div: '/=', sdiv: 's/=', mod: '%=', smod: 's%=', or: '|=', and: '&=', xor: '^=', lsh: '<<=', rsh: '>>=', arsh: 's>>=',
  mov32: '= (u32)', movsx: '= (sign-extended)', neg: '= -', end: 'byte swap',
};

function checkArith(s: StateView, env: VerifierEnv, a: Extract<Assertion, { kind: 'arith' }>): string | undefined {
  const d = s.reg(a.dst);
  const src = operandValue(s, a.src);
  const opText = ALU_NAMES[a.op] ?? a.op;
  if (a.op === 'mov32' || a.op === 'movsx') {
    if (src && (src.kinds & POINTER_KINDS) !== 0 && !env.privileged) return `R${a.src?.kind === 'reg' ? a.src.reg : '?'} partial copy of a pointer`;
    return undefined;
  }
  if (a.op === 'neg' || a.op === 'end') {
    if ((d.kinds & POINTER_KINDS) !== 0 && !env.privileged) return `R${a.dst} ${opText} on a pointer is prohibited`;
    return undefined;
  }
  const dPtr = (d.kinds & POINTER_KINDS) !== 0;
  const sPtr = src !== undefined && (src.kinds & POINTER_KINDS) !== 0;
  if (!dPtr && !sPtr) return undefined;
  if (dPtr && sPtr) {
    if (a.op === 'sub' && env.privileged) return undefined;
    return `R${a.dst} pointer ${opText} pointer is prohibited (${describe(d, env)} and ${describe(src!, env)})`;
  }
  const ptr = dPtr ? d : src!;
  const ptrReg = dPtr ? a.dst : (a.src as { reg: number }).reg;
  if (!a.is64) {
    if (a.op === 'sub' && env.privileged) return undefined;
    return `R${a.dst} 32-bit arithmetic on a pointer (${describe(ptr, env)}) is prohibited`;
  }
  if (a.op === 'and' || a.op === 'or' || a.op === 'xor') return `R${a.dst} bitwise operation ${opText} on a pointer (${describe(ptr, env)}) is prohibited`;
  if (a.op !== 'add' && a.op !== 'sub') return `R${a.dst} pointer arithmetic with ${opText} is prohibited (only += and -= a number)`;
  if (ptr.kinds & Kind.NULLABLE) return `R${ptrReg} pointer arithmetic on ${kindNames(ptr.kinds)} is prohibited: check it against NULL first`;
  if (a.op === 'sub' && !dPtr) return `R${a.dst} subtracting a pointer from a number is prohibited`;
  if (ptr.kinds & Kind.PACKET_END) return `R${ptrReg} arithmetic on data_end (pkt_end) is prohibited`;
  if (ptr.kinds & Kind.SOCK) return `R${ptrReg} arithmetic on a socket pointer is prohibited`;
  if (a.op === 'sub' && ptr.kinds & Kind.STACK) return `R${a.dst} subtraction from a stack pointer is prohibited (add a negative number instead)`;
  // the number added: the immediate, or the non-pointer register
  const offScalar: Scalar | undefined = dPtr ? src?.num : d.num;
  const known = a.src?.kind === 'imm' ? BigInt.asIntN(64, a.src.value) : offScalar ? constValue(offScalar) : undefined;
  if (ptr.kinds & Kind.MAP_PTR && !(known === 0n && a.op === 'add')) return `R${ptrReg} arithmetic on a map pointer is prohibited`;
  if (known !== undefined) {
    const k = BigInt.asIntN(64, known);
    if (k >= MAX_VAR_OFF || k <= -MAX_VAR_OFF) return `R${a.dst} pointer arithmetic with ${k} is not allowed (the kernel limits offsets to ±2^29)`;
    return undefined;
  }
  if (offScalar) {
    if (offScalar.smin === S64_MIN) return `R${a.dst} pointer arithmetic with a number that has no lower bound (${scalarText(offScalar)}) is not allowed: bound it first`;
    if (offScalar.smin >= MAX_VAR_OFF || offScalar.smin <= -MAX_VAR_OFF) return `R${a.dst} pointer arithmetic: the offset ${offScalar.smin} makes the pointer go out of bounds`;
  }
  return undefined;
}

function scalarText(x: Scalar): string {
  return `smin=${x.smin}, smax=${x.smax}, umax=${x.umax}`;
}

/** Size argument: a number, not negative, bounded. Returns [error] or [undefined, max size, min size]. */
function checkSizeArg(r: number, v: RegValue, zeroOk: boolean, name: string): [string | undefined, bigint, bigint] {
  if (!onlyKind(v, Kind.NUM) || v.kinds & Kind.NULLABLE) return [`R${r} (size argument of ${name}) must be a number, not ${kindNames(v.kinds)}`, 0n, 0n];
  if (v.num.smin < 0n) return [`R${r} (size argument of ${name}) may be negative (smin=${v.num.smin}): bound it below`, 0n, 0n];
  if (v.num.umax >= MAX_VAR_OFF) return [`R${r} (size argument of ${name}) is unbounded (umax=${v.num.umax}): bound it with 'if (len > N)' or 'len &= N'`, 0n, 0n];
  if (!zeroOk && v.num.umin === 0n) return [`R${r} (size argument of ${name}) may be zero: ${name} needs at least one byte`, 0n, 0n];
  return [undefined, v.num.umax, v.num.umin];
}

/** The kinds a socket argument accepts (the kernel's compatible register types). */
const SOCK_ARG_KINDS: Partial<Record<ArgKind, number>> = {
  'sock-common': SOCKET_KINDS,
  'socket-or-null': Kind.SOCK,
  'btf-sock-common': SOCKET_KINDS | Kind.BTF_ID,
  'btf-sock-common-or-null': SOCKET_KINDS | Kind.BTF_ID,
  'btf-sock-common-release': SOCKET_KINDS | Kind.BTF_ID,
  'btf-id': Kind.BTF_ID,
  'btf-id-or-null': Kind.BTF_ID,
};

/** Whether a spin lock (a reference with a negative id) is held in the state. */
export function heldLock(s: StateView): [number, { pc: number; what: string }] | undefined {
  for (const [id, r] of s.refs) if (id < 0) return [id, r];
  return undefined;
}

function checkHelper(s: StateView, env: VerifierEnv, id: number): string | undefined {
  const name = helperName(id);
  const proto = helperProto(id, env.progKey);
  if (!proto) return `${name} is not a helper of the kernel: invalid func ${name}`;
  if (!env.allowedHelpers.has(id)) return `program type ${env.progKey} cannot call ${name}: the kernel does not give this helper to it`;
  if (proto.gpl && !env.gpl) return `${name} is GPL-only and the program's license is not GPL-compatible`;
  if (proto.sleepable && !env.sleepable) return `${name} may sleep: only sleepable programs (a .s section such as fentry.s/, lsm.s/) may call it`;
  const lock = heldLock(s);
  if (lock && proto.name !== 'spin_unlock') return `${name} is called while the bpf_spin_lock taken at pc ${lock[1].pc} is held: release it first (function calls are not allowed while holding a lock)`;
  let mapIndexes: readonly number[] = [];
  let memArg: { reg: number; v: RegValue; write: boolean; orNull: boolean } | undefined;
  for (let i = 0; i < proto.args.length; i++) {
    const r = i + 1;
    const v = s.reg(r);
    const kind: ArgKind = proto.args[i]!;
    const argText = `R${r} (argument ${r} of ${name})`;
    if (!isInitialized(v)) return `${argText} is not initialised`;
    switch (kind) {
      case 'anything':
        if (!env.privileged && (v.kinds & POINTER_KINDS) !== 0) return `${argText} leaks a pointer into the helper (unprivileged)`;
        break;
      case 'map': {
        if (!onlyKind(v, Kind.MAP_PTR) || v.kinds & Kind.NULLABLE) return `${argText} must be a map, not ${describe(v, env)}`;
        // One of several maps (paths that chose different maps met): the kernel walks each path
        // with its own map, so the call must be valid with every one of them.
        const ms = mapsOf(v).map((i) => env.maps[i]);
        if (ms.length === 0 || ms.some((m) => m === undefined)) return `${argText} is a map that cannot be known`;
        for (const m of ms) {
          if (!mapFitsHelper(proto.name, m!.type, env.progKey))
            return `${name} cannot be used with map ${m!.name} of type ${mapTypeText(m!.type)} (map_type ${m!.type})`;
        }
        mapIndexes = mapsOf(v);
        break;
      }
      case 'map-key':
      case 'map-value':
      case 'uninit-map-value':
      case 'map-value-or-null': {
        if (kind === 'map-value-or-null' && isNull(v)) break;
        const ms = mapIndexes.map((i) => env.maps[i]!);
        if (ms.length === 0) return `${argText}: no map in argument 1`;
        // checked against the largest of the maps it may be: valid for each of them
        const size = Math.max(...ms.map((m) => (kind === 'map-key' ? m.keySize : m.valueSize)));
        const err = memPointerType(r, v, env, name, false);
        if (err) return err;
        const e = checkRegion(s, env, { reg: r, v, off: 0n, size: BigInt(size), write: kind === 'uninit-map-value', what: `${kind === 'map-key' ? 'key' : 'value'} of ${size} bytes for ${name}` });
        if (e) return e;
        break;
      }
      case 'mem':
      case 'mem-or-null':
      case 'writable-mem':
      case 'writable-mem-or-null':
      case 'uninit-mem': {
        const orNull = kind === 'mem-or-null' || kind === 'writable-mem-or-null';
        if (orNull && isNull(v)) {
          memArg = { reg: r, v, write: false, orNull };
          break;
        }
        const err = memPointerType(r, v, env, name, orNull);
        if (err) return err;
        memArg = { reg: r, v, write: kind !== 'mem' && kind !== 'mem-or-null', orNull };
        break;
      }
      case 'fixed-mem':
      case 'long':
      case 'int': {
        const size = BigInt(kind === 'long' ? 8 : kind === 'int' ? 4 : (proto.sizes?.[i] ?? 0));
        const err = memPointerType(r, v, env, name, false);
        if (err) return err;
        const e = checkRegion(s, env, { reg: r, v, off: 0n, size, write: kind !== 'fixed-mem', what: `${size}-byte ${kind === 'fixed-mem' ? 'argument' : 'result'} of ${name}` });
        if (e) return e;
        break;
      }
      case 'size':
      case 'size-or-zero': {
        const [err, max] = checkSizeArg(r, v, kind === 'size-or-zero' || (memArg?.orNull === true && isNull(memArg.v)), name);
        if (err) return err;
        if (memArg && !(memArg.orNull && isNull(memArg.v)) && max > 0n) {
          const e = checkRegion(s, env, { reg: memArg.reg, v: memArg.v, off: 0n, size: max, write: memArg.write, what: `${max}-byte ${memArg.write ? 'buffer' : 'memory'} for ${name}` });
          if (e) return e;
        }
        if (memArg && memArg.orNull && isNull(memArg.v) && max > 0n) return `R${memArg.reg} is NULL but R${r} (its size) may be ${max}`;
        memArg = undefined;
        break;
      }
      case 'alloc-size-or-zero': {
        const k = onlyKind(v, Kind.NUM) ? constValue(v.num) : undefined;
        if (k === undefined) return `${argText} must be a known constant size, not ${describe(v, env)}`;
        break;
      }
      case 'ctx':
      case 'ctx-or-null':
        if (kind === 'ctx-or-null' && isNull(v)) break;
        if (!onlyKind(v, Kind.CTX)) return `${argText} must be the context, not ${describe(v, env)}`;
        if (constValue(v.num) !== 0n) return `${argText} is a modified context pointer (${describe(v, env)})`;
        break;
      case 'func':
        if (!onlyKind(v, Kind.FUNC)) return `${argText} must be a function, not ${describe(v, env)}`;
        break;
      case 'stack-or-null':
        if (isNull(v)) break;
        if (!onlyKind(v, Kind.STACK) || v.kinds & Kind.NULLABLE) return `${argText} must be a stack pointer or NULL, not ${describe(v, env)}`;
        break;
      case 'ringbuf-mem': {
        if (v.kinds === Kind.NUM && v.stale) return `${argText} is no longer ring buffer memory: ${v.stale}`;
        if (!onlyKind(v, Kind.MEM) || v.ref === 0) return `${argText} must be ring buffer memory from bpf_ringbuf_reserve, not ${describe(v, env)}`;
        if (v.kinds & Kind.NULLABLE) return `${argText} may be NULL (${describe(v, env)}): check the reservation against NULL first`;
        if (constValue(v.num) !== 0n) return `${argText} must point to the start of the reservation (it has ${describe(v, env)})`;
        if (v.ref < 0) return `${argText} may be one of several reservations: which one is released cannot be tracked`;
        if (!s.refs.has(v.ref)) return `${argText} was already released`;
        break;
      }
      case 'sock-common':
      case 'socket-or-null':
      case 'btf-sock-common':
      case 'btf-sock-common-or-null':
      case 'btf-sock-common-release':
      case 'btf-id':
      case 'btf-id-or-null': {
        const allowed = SOCK_ARG_KINDS[kind]!;
        const orNull = kind === 'socket-or-null' || kind === 'btf-sock-common-or-null' || kind === 'btf-id-or-null';
        if (orNull && isNull(v)) break;
        const what = kind.startsWith('btf-id') ? `a pointer to a kernel struct ${proto.btf?.[i] ?? ''}`.trim() : kind === 'socket-or-null' ? 'a full socket (struct bpf_sock) or NULL' : 'a socket pointer';
        if ((v.kinds & POINTER_KINDS & ~allowed) !== 0 || (v.kinds & POINTER_KINDS) === 0 || v.kinds & Kind.NUM) {
          // the kernel types fentry/fexit/LSM arguments from the attach target's BTF; bpfkit has none
          const untyped = v.kinds === Kind.NUM && env.kernel?.attach === undefined && (env.progType === ProgType.TRACING || env.progType === ProgType.LSM);
          if (untyped) return `${argText} must be ${what}; bpfkit has no kernel BTF to type this program's arguments, so it sees ${describe(v, env)} (a known departure: the kernel may accept it)`;
          return `${argText} must be ${what}, not ${describe(v, env)}`;
        }
        if (v.kinds & Kind.NULLABLE && !orNull) return `${argText} may be NULL (${describe(v, env)}): check it against NULL first`;
        const mismatch = btfHelperArgMismatch(env.kernel, r, v, proto.btf?.[i]);
        if (mismatch !== undefined) return mismatch;
        if (constValue(v.num) !== 0n) return `${argText} must point to the start of the socket, not ${describe(v, env)}`;
        if (kind === 'btf-sock-common-release') {
          if (v.ref <= 0) return `${argText} must be a socket this program acquired (from bpf_sk_lookup_tcp/udp, bpf_skc_lookup_tcp): ${describe(v, env)} holds no reference`;
          if (!s.refs.has(v.ref)) return `${argText} was already released`;
        }
        break;
      }
      case 'spin-lock':
      case 'timer': {
        const what = kind === 'spin-lock' ? 'bpf_spin_lock' : 'bpf_timer';
        if (!onlyKind(v, Kind.MAP_VALUE) || v.kinds & Kind.NULLABLE) return `${argText} must point to the struct ${what} of a map value, not ${describe(v, env)}`;
        const k = constValue(v.num);
        if (k === undefined) return `${argText} has a variable offset (${describe(v, env)}): the ${what} must be at a constant offset`;
        const m = env.maps[v.map];
        if (!m) return `${argText} may point into several maps`;
        const at = kind === 'spin-lock' ? m.spinLockOff : m.timerOff;
        if (at === undefined) return `map ${m.name} has no struct ${what} in its value (its BTF has none)`;
        if (Number(k) !== at) return `${argText} points to offset ${k} of map ${m.name}'s value, but its struct ${what} is at offset ${at}`;
        if (kind === 'spin-lock') {
          if (proto.name === 'spin_lock' && lock) return `bpf_spin_lock while the lock taken at pc ${lock[1].pc} is held: only one lock may be held at a time`;
          if (proto.name === 'spin_unlock' && !lock) return `bpf_spin_unlock without a lock taken on this path`;
          if (proto.name === 'spin_unlock' && lock && lock[0] !== -(v.map + 1)) return `bpf_spin_unlock of a different lock than the one taken at pc ${lock[1].pc}`;
        }
        if (kind === 'timer' && proto.name === 'timer_init') {
          const m2 = env.maps[s.reg(2).map];
          if (m2 && s.reg(2).map !== v.map) return `R2 (argument 2 of ${name}) must be the map that holds the timer (${m.name}), not ${m2.name}`;
        }
        break;
      }
      case 'dynptr':
      case 'uninit-dynptr':
      case 'dynptr-release': {
        // A helper's own dynptr (a user ring buffer record): readable, never initialised or released here.
        if (onlyKind(v, Kind.MEM) && v.btfName === CONST_DYNPTR && constValue(v.num) === 0n) {
          if (kind !== 'dynptr') return `${argText} is a read-only dynptr the helper owns (CONST_PTR_TO_DYNPTR): ${name} cannot ${kind === 'uninit-dynptr' ? 'initialise' : 'release'} it`;
          break;
        }
        if (!onlyKind(v, Kind.STACK) || v.kinds & Kind.NULLABLE) return `${argText} must point to a struct bpf_dynptr on the stack, not ${describe(v, env)}`;
        const k = constValue(v.num);
        if (k === undefined || Number(k) % 8 !== 0) return `${argText} must point to a struct bpf_dynptr at a constant 8-byte aligned stack offset`;
        const e = checkRegion(s, env, { reg: r, v, off: 0n, size: 16n, write: kind === 'uninit-dynptr', what: `16-byte dynptr for ${name}` });
        if (e) return e;
        break;
      }
      case 'percpu-btf-id':
      case 'kptr-dest':
      case 'kptr':
        return `${argText}: bpfkit does not model ${kind === 'percpu-btf-id' ? 'per-CPU kernel variables (ksyms)' : 'kptrs'}, so it cannot check ${name}`;
      case 'const-str': {
        if (!onlyKind(v, Kind.MAP_VALUE) || v.kinds & Kind.NULLABLE) return `${argText} must point to a constant string in a read-only map, not ${describe(v, env)}`;
        const m = env.maps[v.map];
        if (!m || !m.readOnly || !m.constant) return `${argText} must point into a read-only (frozen) map such as .rodata`;
        const k = constValue(v.num);
        if (k === undefined) return `${argText} must point to a fixed offset of the string`;
        const start = Number(k);
        if (start < 0 || start >= m.constant.length || m.constant.indexOf(0, start) < 0) return `${argText}: the string is not NUL-terminated inside the map value`;
        break;
      }
      default:
        return unreachable(kind);
    }
  }
  return checkFormat(s, env, proto.name);
}

function checkGlobalCall(s: StateView, env: VerifierEnv, target: number): string | undefined {
  const g = env.globalFuncs.get(target);
  if (!g) return `the global function at pc ${target} has no BTF prototype to check its arguments against`;
  if (g.invalid) return g.invalid;
  for (let i = 0; i < g.params.length; i++) {
    const r = i + 1;
    const p = g.params[i]!;
    const v = s.reg(r);
    const argText = `R${r} (argument ${r} of ${g.name})`;
    if (!isInitialized(v)) return `${argText} is not initialised`;
    if (p.kind === 'scalar' && v.kinds !== Kind.NUM) return `${argText} must be a number, not ${describe(v, env)}`;
    if (p.kind === 'ctx' && (!onlyKind(v, Kind.CTX) || constValue(v.num) !== 0n)) return `${argText} must be the unmodified context, not ${describe(v, env)}`;
    if (p.kind === 'mem' && !isNull(v)) {
      const err = memPointerType(r, v, env, g.name, true);
      if (err) return err;
      const e = checkRegion(s, env, { reg: r, v, off: 0n, size: BigInt(p.size), write: false, what: `${p.size}-byte ${p.type} argument of ${g.name}` });
      if (e) return e;
    }
  }
  return undefined;
}

function memPointerType(r: number, v: RegValue, env: VerifierEnv, name: string, orNull: boolean): string | undefined {
  const kinds = v.kinds & ~Kind.NULLABLE;
  const allowed = Kind.STACK | Kind.PACKET | Kind.PACKET_META | Kind.MAP_VALUE | Kind.MEM;
  if (v.kinds & Kind.NULLABLE) return `R${r} (argument ${r} of ${name}) may be NULL (${describe(v, env)}): check it first`;
  if ((kinds & ~allowed) !== 0 || kinds === 0)
    return `R${r} (argument ${r} of ${name}) must point to memory (stack, packet, map value)${orNull ? ' or be NULL' : ''}, not ${describe(v, env)}`;
  return undefined;
}

function unreachable(x: never): never {
  throw new Error(`unhandled case ${JSON.stringify(x)}`);
}

const MAP_TYPE_NAMES = new Map<number, string>(Object.entries(MapType).map(([k, v]) => [v, k.toLowerCase()]));
const mapTypeText = (t: number): string => MAP_TYPE_NAMES.get(t) ?? `${t}`;

/** The maximum iterations a loop may be proven to run (beyond it, the kernel would give up). */
export const LOOP_LIMIT = 1 << 23;

export function check(a: Assertion, s: StateView, env: VerifierEnv, node?: Node): string | undefined {
  switch (a.kind) {
    case 'initialized': {
      const v = s.reg(a.reg);
      if (!isInitialized(v)) {
        if (v.kinds === Kind.UNINIT) return `R${a.reg} (${a.role}) is read before it is written${a.reg >= 1 && a.reg <= 5 ? ' (r1-r5 do not survive calls)' : ''}`;
        return `R${a.reg} (${a.role}) may be uninitialised on some path (${kindNames(v.kinds)})`;
      }
      return undefined;
    }
    case 'writable':
      return a.reg === 10 ? 'R10 (the frame pointer) is read-only' : undefined;
    case 'arith':
      return checkArith(s, env, a);
    case 'access': {
      const v = s.reg(a.base);
      const write = a.mode !== 'read';
      const e = checkRegion(s, env, {
        reg: a.base,
        v,
        off: BigInt(a.off),
        size: BigInt(a.size),
        write,
        what: a.mode === 'read' ? 'read' : a.mode === 'write' ? 'write' : 'atomic operation',
        insn: a.mode === 'read' ? 'load' : a.mode === 'write' ? 'store' : 'atomic',
      });
      if (e) return e;
      const value = operandValue(s, a.value);
      if (value && write) {
        if (!env.privileged && isUnprivilegedLeak(value) && !onlyKind(v, Kind.STACK)) return `R${(a.value as { reg: number }).reg} leaks a pointer into memory`;
        if (onlyKind(v, Kind.STACK) && hasKind(value, Kind.STACK) && value.frame > v.frame)
          return `a pointer into the stack of a called function cannot be stored in the caller's frame`;
        if (a.mode === 'atomic' && (value.kinds & POINTER_KINDS) !== 0) return `R${(a.value as { reg: number }).reg} is a pointer: atomic operations take numbers`;
      }
      return undefined;
    }
    case 'legacyPacket': {
      if (!mayUseLegacyPacketLoads(env.progType)) return `legacy packet loads (ld_abs/ld_ind) are not allowed in program type ${env.progTypeName}`;
      const r6 = s.reg(6);
      if (!onlyKind(r6, Kind.CTX) || constValue(r6.num) !== 0n) return `legacy packet loads need the context in R6, which holds ${describe(r6, env)}`;
      return undefined;
    }
    case 'globalCall': {
      const lock = heldLock(s);
      if (lock) return `a global function is called while the bpf_spin_lock taken at pc ${lock[1].pc} is held (global function calls are not allowed while holding a lock): release it first or make the function static`;
      return checkGlobalCall(s, env, a.target);
    }
    case 'helper': {
      const err = checkHelper(s, env, a.helper);
      if (err || !node) return err;
      // a reservation made here earlier (a loop) must be released before the next one
      if (helperProto(a.helper)?.ret === 'ringbuf-mem-or-null' && s.refs.has(env.idOf(node)))
        return `the ring buffer memory reserved here on an earlier iteration may not be released yet`;
      return undefined;
    }
    case 'comparable': {
      if (env.privileged) return undefined;
      const l = s.reg(a.left);
      const r = operandValue(s, a.right);
      const lp = (l.kinds & POINTER_KINDS) !== 0;
      const rp = r !== undefined && (r.kinds & POINTER_KINDS) !== 0;
      const nullCheck = (lp && (r === undefined ? a.right.kind === 'imm' && a.right.value === 0n : isNull(r))) || (rp && isNull(l));
      const packetCheck = lp && rp && (l.kinds | r!.kinds) & (Kind.PACKET | Kind.PACKET_END | Kind.PACKET_META);
      if ((lp || rp) && !nullCheck && !packetCheck) return `R${a.left} pointer comparison prohibited`;
      return undefined;
    }
    case 'returnValue': {
      const r0 = s.reg(0);
      if (a.where === 'global') {
        const g = env.rootGlobal;
        if (g?.returnsVoid) return undefined;
        if (!isInitialized(r0)) return `R0 is not initialised at the exit of global function ${g?.name ?? ''}`;
        if (r0.kinds !== Kind.NUM) return `At the exit of global function ${g?.name ?? ''} R0 must be a number, not ${describe(r0, env)}`;
        return undefined;
      }
      // a struct_ops member returning void: the kernel does not read R0 (check_return_code)
      if (a.where === 'program' && returnsVoid(env.kernel?.attach)) return undefined;
      if (!isInitialized(r0)) return `R0 is not initialised at ${a.where === 'program' ? 'program exit' : 'the return of a callback'}`;
      const range = a.where === 'callback' ? helperProto(a.helper ?? 0)?.callback?.ret : env.returnRange;
      if (a.where === 'program' && !env.privileged && (r0.kinds & POINTER_KINDS) !== 0) return 'R0 leaks a pointer as the return value';
      if (!range) return undefined;
      if (r0.kinds !== Kind.NUM) return `At ${a.where === 'program' ? 'program exit' : 'callback return'} R0 must be a number, not ${describe(r0, env)}`;
      const [lo, hi] = range;
      if (r0.num.smin < BigInt(lo) || r0.num.smax > BigInt(hi)) {
        const value = r0.num.smin === r0.num.smax ? `${r0.num.smin}` : `in [${r0.num.smin}, ${r0.num.smax}]`;
        return `At ${a.where === 'program' ? 'program exit' : 'callback return'} R0 may be ${value}, but ${a.where === 'program' ? `program type ${env.progTypeName}` : helperName(a.helper ?? 0)} requires [${lo}, ${hi}]`;
      }
      return undefined;
    }
    case 'kfunc': {
      const info = kfuncInfo(env, a.btfId, a.callee);
      return typeof info === 'string' ? info : checkKfunc(s, env, info);
    }
    case 'noReferences': {
      if (s.refs.size === 0) return undefined;
      const lock = heldLock(s);
      if (lock) return `the ${lock[1].what} taken at pc ${lock[1].pc} may still be held at program exit: bpf_spin_unlock is missing on some path`;
      // the kernel names an open RCU read section before any leaked reference
      const rcu = [...s.refs.values()].find((x) => x.what.startsWith('bpf_rcu_read_lock'));
      if (rcu) return `the RCU read section opened by bpf_rcu_read_lock at pc ${rcu.pc} may still be open at program exit: bpf_rcu_read_unlock is missing on some path`;
      const [id, ref] = [...s.refs][0]!;
      const how = ref.what.startsWith('ring buffer') ? ' (submitted or discarded)' : '';
      return `unreleased reference #${id}: the ${ref.what} at pc ${ref.pc} is not released${how} on every path to this exit`;
    }
    case 'noStackEscape': {
      const r0 = s.reg(0);
      if (hasKind(r0, Kind.STACK) && (r0.frame < 0 || r0.frame >= s.depth)) return `a function returns a pointer into its own stack frame (R0=${describe(r0, env)})`;
      return undefined;
    }
    case 'boundedLoop': {
      const [, hi] = s.globals.get(counterVar(a.counter)) ?? [0, Infinity];
      if (!Number.isFinite(hi)) return 'cannot prove that this loop terminates: no bound on its number of iterations was found';
      if (hi > LOOP_LIMIT) return `this loop may run ${hi} times, more than the ${LOOP_LIMIT} iterations the kernel could follow`;
      return undefined;
    }
    case 'mapExists': {
      const m = env.maps[a.map];
      if (!m) return `reference to map #${a.map}, which the object does not define`;
      if (a.offset !== undefined && (a.offset < 0 || a.offset >= Math.max(1, m.valueSize))) return `direct access to map ${m.name} at offset ${a.offset} is beyond its value size ${m.valueSize}`;
      return undefined;
    }
    case 'invalid':
      return `invalid instruction: ${a.reason}`;
    default:
      return unreachable(a);
  }
}
