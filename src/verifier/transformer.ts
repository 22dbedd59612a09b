/**
 * The abstract semantics of each statement: the state after it, given the state before it (which
 * the checker has already found safe). One exhaustive switch on the statement kind.
 */
import type { Node } from './cfg/build.js';
import {
  type AbsState,
  counterVar,
  type Domain,
  type Editor,
  META_SIZE,
  PKT_SIZE,
  REG_COUNT,
  regVar,
  scaledCounterVar,
  stackVar,
} from './domains/ebpf-domain.js';
import { U32_MAX } from './domains/interval.js';
import {
  alu,
  assumeCmp,
  byteSwap,
  type CmpOp,
  constValue,
  NEGATE,
  neg,
  SCALAR_UNKNOWN,
  type Scalar,
  scalarConst,
  scalarRange,
  signExtend,
  truncate,
} from './domains/scalar.js';
import { Cell, STACK_SIZE } from './domains/stack.js';
import { constNum, isNull, isNumber, Kind, mapField, mapsOf, NUM_UNKNOWN, numValue, pointer, POINTER_KINDS, type RegValue, UNINIT } from './domains/types.js';
import type { VerifierEnv } from './env.js';
import { btfLoad, contextLoad, helperBtfResult, structContextLoad } from './btf-pointers.js';
import { CONST_DYNPTR } from './domains/types.js';
import { applyKfunc, inRcuSection, kfuncInfo } from './kfuncs.js';
import { boundedReturn } from './return-bounds.js';
import { helperName, helperProto } from './helper-protos.js';
import type { Operand, Stmt } from './ir.js';
import { MapType, ProgType } from '../loader/kinds.js';
import { FLOW_KEYS_SIZE } from './contexts/skb.js';

const S64_MAX = (1n << 63n) - 1n;
/** What a writable tracepoint's buffer may reach before attach time says more. */
const TP_BUFFER_SIZE = 1 << 16;
const S64_MIN = -(1n << 63n);

/** A number of `bytes` bytes: what a load of that size gives when nothing more is known. */
const sizedNumber = (bytes: number): RegValue => (bytes >= 8 ? NUM_UNKNOWN : numValue(scalarRange(0n, (1n << BigInt(bytes * 8)) - 1n)));

function operandValue(e: Editor, o: Operand): RegValue {
  return o.kind === 'reg' ? e.reg(o.reg) : constNum(o.value);
}

export function transform(stmt: Stmt, s: AbsState, env: VerifierEnv, node: Node): Domain {
  const e = s.edit();
  applyStatement(stmt, e, env, node);
  return e.done();
}

/** Changes the state being edited by one statement (marks it dead when no execution continues). */
export function applyStatement(stmt: Stmt, e: Editor, env: VerifierEnv, node: Node): void {
  switch (stmt.kind) {
    case 'alu':
      return aluStmt(e, stmt.op, stmt.dst, stmt.src, stmt.is64);
    case 'mov':
      return movStmt(e, stmt.dst, stmt.src, stmt.is64, stmt.signExtend);
    case 'neg': {
      const v = e.reg(stmt.dst);
      e.setReg(stmt.dst, v.kinds === Kind.NUM ? numValue(neg(v.num, stmt.is64)) : NUM_UNKNOWN);
      return;
    }
    case 'extend32': {
      const v = e.reg(stmt.dst);
      if (v.kinds !== Kind.NUM) {
        e.setReg(stmt.dst, NUM_UNKNOWN);
        return;
      }
      // the low 32 bits, zero- or sign-extended; a value that already fits is unchanged
      const fits = stmt.signed ? v.num.smin >= -(1n << 31n) && v.num.smax < 1n << 31n : v.num.umax <= U32_MAX;
      if (!fits) e.setReg(stmt.dst, numValue(stmt.signed ? signExtend(v.num, 32, true) : truncate(v.num, 4)));
      return;
    }
    case 'end': {
      const v = e.reg(stmt.dst);
      e.setReg(stmt.dst, v.kinds === Kind.NUM ? numValue(byteSwap(v.num, stmt.bits, stmt.swap)) : NUM_UNKNOWN);
      return;
    }
    case 'ldimm':
      e.setReg(stmt.dst, constNum(stmt.value));
      return;
    case 'ldmap':
      e.setReg(stmt.dst, pointer(Kind.MAP_PTR, scalarConst(0n), { map: stmt.map }));
      return;
    case 'ldmapvalue':
      e.setReg(stmt.dst, pointer(Kind.MAP_VALUE, scalarConst(BigInt(stmt.offset)), { map: stmt.map }));
      return;
    case 'ldfunc':
      e.setReg(stmt.dst, pointer(Kind.FUNC, scalarConst(0n), { func: stmt.target }));
      return;
    case 'load':
      return loadStmt(e, env, node, stmt.dst, stmt.base, stmt.off, stmt.size, stmt.signed);
    case 'store':
      return storeStmt(e, stmt.base, stmt.off, stmt.size, stmt.value);
    case 'atomic': {
      const base = e.reg(stmt.base);
      if (base.kinds === Kind.STACK) {
        const k = constValue(base.num);
        if (k !== undefined) {
          const at = Number(k) + stmt.off;
          writeStack(e, base.frame, at, at + stmt.size, undefined);
        }
      }
      if (stmt.op === 'cmpxchg') e.setReg(0, sizedNumber(stmt.size));
      else if (stmt.fetch) e.setReg(stmt.src, sizedNumber(stmt.size));
      return;
    }
    case 'ldpkt':
      for (let r = 1; r <= 5; r++) e.setReg(r, UNINIT);
      e.setReg(0, sizedNumber(stmt.size));
      return;
    case 'call':
      if (stmt.phase === 'args') return;
      return callStmt(e, env, node, stmt.helper);
    case 'callGlobal': {
      // the function may write any memory it was given; it returns a number
      const g = env.globalFuncs.get(stmt.target);
      g?.params.forEach((p, i) => {
        const v = e.reg(i + 1);
        if (p.kind === 'mem' && v.kinds === Kind.STACK) clobberStackArg(e, v, BigInt(p.size));
      });
      for (let r = 1; r <= 5; r++) e.setReg(r, UNINIT);
      e.setReg(0, NUM_UNKNOWN);
      return;
    }
    case 'kfunc': {
      const info = kfuncInfo(env, stmt.btfId, stmt.callee);
      if (typeof info === 'string') {
        for (let r = 1; r <= 5; r++) e.setReg(r, UNINIT);
        e.setReg(0, NUM_UNKNOWN);
      } else applyKfunc(e, env, info, env.idOf(node), node.pc);
      return;
    }
    case 'callLocal':
    case 'ja':
      return;
    case 'exit':
      if (e.depth === 0) e.contradiction();
      return;
    case 'assume':
      return assumeStmt(e, env, stmt.op, stmt.left, stmt.right, stmt.is64);
    case 'enter': {
      const caller = e.depth;
      const regs: RegValue[] = new Array<RegValue>(REG_COUNT).fill(UNINIT);
      for (let r = 1; r <= 5; r++) regs[r] = e.reg(r);
      regs[10] = pointer(Kind.STACK, scalarConst(BigInt(STACK_SIZE)), { frame: caller + 1 });
      e.pushFrame(regs, stmt.fn);
      for (let r = 1; r <= 5; r++) if (regs[r]!.kinds !== Kind.UNINIT) e.relate(regVar(caller + 1, r), regVar(caller, r), 0);
      return;
    }
    case 'leave': {
      const callee = e.depth;
      const r0 = e.reg(0);
      e.setReg(0, r0, callee - 1);
      if (r0.kinds !== Kind.UNINIT) e.relate(regVar(callee - 1, 0), regVar(callee, 0), 0);
      e.popFrame();
      for (let r = 1; r <= 5; r++) e.setReg(r, UNINIT);
      return;
    }
    case 'callbackEnter': {
      const caller = e.depth;
      const spec = helperProto(stmt.helper, env.progKey)?.callback;
      const regs: RegValue[] = new Array<RegValue>(REG_COUNT).fill(UNINIT);
      const links: Array<[number, number]> = [];
      const mapArg = e.reg(1);
      const map = env.maps[mapArg.map];
      spec?.params.forEach((p, i) => {
        const r = i + 1;
        if (p === 'index') regs[r] = numValue(scalarRange(0n, U32_MAX));
        else if (p === 'scalar' || p === 'btf') regs[r] = NUM_UNKNOWN;
        // The helper's own read-only dynptr (CONST_PTR_TO_DYNPTR): dynptr helpers take it, nothing writes it.
        else if (p === 'dynptr') regs[r] = pointer(Kind.MEM, scalarConst(0n), { size: 16, btfName: CONST_DYNPTR });
        else if (p === 'map') regs[r] = map ? pointer(Kind.MAP_PTR, scalarConst(0n), { map: mapArg.map }) : NUM_UNKNOWN;
        else if (p === 'map-key') regs[r] = map?.keyEntry !== undefined ? pointer(Kind.MAP_VALUE, scalarConst(0n), { map: map.keyEntry }) : NUM_UNKNOWN;
        else if (p === 'map-value') regs[r] = map ? pointer(Kind.MAP_VALUE, scalarConst(0n), { map: mapArg.map }) : NUM_UNKNOWN;
        else {
          regs[r] = e.reg(p.fromArg);
          links.push([r, p.fromArg]);
        }
      });
      regs[10] = pointer(Kind.STACK, scalarConst(BigInt(STACK_SIZE)), { frame: caller + 1 });
      e.pushFrame(regs, stmt.fn);
      for (const [r, from] of links) if (regs[r]!.kinds !== Kind.UNINIT) e.relate(regVar(caller + 1, r), regVar(caller, from), 0);
      return;
    }
    case 'callbackLeave':
      e.popFrame();
      return;
    case 'loopHead': {
      const vars: Array<[number, number]> = [[counterVar(stmt.counter), 1], ...stmt.strides.map((k): [number, number] => [scaledCounterVar(stmt.counter, k), k])];
      for (const [v, k] of vars) {
        const [lo, hi] = e.global(v);
        e.setGlobal(v, [lo + k, hi + k]);
        e.shiftVar(v, k);
      }
      return;
    }
    case 'loopEntry': {
      for (const v of [counterVar(stmt.counter), ...stmt.strides.map((k) => scaledCounterVar(stmt.counter, k))]) {
        e.forgetVar(v);
        e.setGlobal(v, [0, 0]);
      }
      return;
    }
    case 'invalid':
      e.contradiction();
      return;
    default:
      return unreachable(stmt);
  }
}

function unreachable(x: never): never {
  throw new Error(`unhandled statement ${JSON.stringify(x)}`);
}

// ---------------------------------------------------------------------------------------------
// ALU

/** Whether x + c cannot wrap around for any value of x (so x' - x = c holds as integers). */
function shiftIsExact(x: Scalar, c: bigint, is64: boolean): boolean {
  if (is64) return x.smin + c >= S64_MIN && x.smax + c <= S64_MAX;
  return x.umax <= U32_MAX && x.umin + c >= 0n && x.umax + c <= U32_MAX && x.smin >= 0n;
}

function aluStmt(e: Editor, op: import('./domains/scalar.js').AluOp, dst: number, src: Operand, is64: boolean): void {
  const d = e.reg(dst);
  const sv = operandValue(e, src);
  const dPtr = (d.kinds & POINTER_KINDS) !== 0;
  const sPtr = (sv.kinds & POINTER_KINDS) !== 0;
  const dv = regVar(e.depth, dst);
  // the constant added or subtracted, as a signed number of the operation's width
  const konst = (): bigint | undefined => {
    const k = src.kind === 'imm' ? src.value : sv.kinds === Kind.NUM ? constValue(sv.num) : undefined;
    if (k === undefined) return undefined;
    return is64 ? BigInt.asIntN(64, k) : BigInt.asIntN(32, k);
  };
  if (!dPtr && !sPtr) {
    const res = alu(op, d.num, sv.num, is64);
    const k = op === 'add' || op === 'sub' ? konst() : undefined;
    if (k !== undefined && shiftIsExact(d.num, op === 'add' ? k : -k, is64) && Math.abs(Number(k)) < Number.MAX_SAFE_INTEGER) {
      e.refineReg(dst, numValue(res));
      e.shiftVar(dv, Number(op === 'add' ? k : -k));
    } else {
      e.setReg(dst, numValue(res));
    }
    return;
  }
  if ((dPtr && sPtr) || !is64 || (op !== 'add' && op !== 'sub')) {
    // pointer - pointer (privileged), 32-bit pointer arithmetic: an unknown number
    e.setReg(dst, NUM_UNKNOWN);
    return;
  }
  if (dPtr) {
    const off = alu(op, d.num, sv.num, true);
    const k = konst();
    const nv: RegValue = { ...d, num: off };
    if (k !== undefined && shiftIsExact(d.num, op === 'add' ? k : -k, true)) {
      e.refineReg(dst, nv);
      e.shiftVar(dv, Number(op === 'add' ? k : -k));
    } else {
      e.setReg(dst, nv);
    }
    return;
  }
  // number += pointer: the pointer, moved by the number
  const off = alu('add', sv.num, d.num, true);
  const k = d.kinds === Kind.NUM ? constValue(d.num) : undefined;
  e.setReg(dst, { ...sv, num: off });
  if (k !== undefined && src.kind === 'reg' && shiftIsExact(sv.num, BigInt.asIntN(64, k), true))
    e.relate(dv, regVar(e.depth, src.reg), Number(BigInt.asIntN(64, k)));
}

function movStmt(e: Editor, dst: number, src: Operand, is64: boolean, sx: 8 | 16 | 32 | undefined): void {
  if (src.kind === 'imm') {
    const v = is64 ? src.value : src.value & U32_MAX;
    const num = sx ? signExtend(scalarConst(v), sx, is64) : scalarConst(v);
    e.setReg(dst, numValue(num));
    return;
  }
  const v = e.reg(src.reg);
  const dv = regVar(e.depth, dst);
  const sv = regVar(e.depth, src.reg);
  if (sx) {
    e.setReg(dst, v.kinds === Kind.NUM ? numValue(signExtend(v.num, sx, is64)) : NUM_UNKNOWN);
    if (v.kinds === Kind.NUM && v.num.umax < 1n << BigInt(sx - 1) && dst !== src.reg) e.relate(dv, sv, 0);
    return;
  }
  if (!is64) {
    if (v.kinds !== Kind.NUM) {
      e.setReg(dst, numValue(scalarRange(0n, U32_MAX)));
      return;
    }
    const exact = v.num.umax <= U32_MAX;
    if (dst === src.reg) {
      if (!exact) e.setReg(dst, numValue(truncate(v.num, 4)));
      return;
    }
    e.setReg(dst, numValue(truncate(v.num, 4)));
    if (exact) e.relate(dv, sv, 0);
    return;
  }
  if (dst === src.reg) return;
  e.setReg(dst, v);
  if (v.kinds !== Kind.UNINIT) e.relate(dv, sv, 0);
}

// ---------------------------------------------------------------------------------------------
// Memory

function loadStmt(e: Editor, env: VerifierEnv, node: Node, dst: number, base: number, off: number, size: 1 | 2 | 4 | 8, signed: boolean): void {
  const b = e.reg(base);
  const dv = regVar(e.depth, dst);
  let result: RegValue = sizedNumber(size);
  let linkTo: number | undefined;
  switch (b.kinds) {
    case Kind.CTX: {
      const a = env.ctx.access(off, size, false);
      if (!a.ok) break;
      switch (a.result) {
        case 'packet':
          result = pointer(Kind.PACKET, scalarConst(0n));
          break;
        case 'packet_meta':
          result = pointer(Kind.PACKET_META, scalarConst(0n));
          break;
        case 'packet_end':
          result = pointer(Kind.PACKET_END, scalarRange(0n, 1n << 53n));
          linkTo = PKT_SIZE;
          break;
        case 'sock':
          result = pointer(Kind.SOCK, scalarConst(0n));
          break;
        case 'sock_or_null':
        case 'sock_common_or_null':
          detachId(e, env.idOf(node));
          result = pointer((a.result === 'sock_or_null' ? Kind.SOCK : Kind.SOCK_COMMON) | Kind.NULLABLE, scalarConst(0n), { id: env.idOf(node) });
          break;
        case 'flow_keys':
          result = pointer(Kind.MEM, scalarConst(0n), { size: FLOW_KEYS_SIZE });
          break;
        case 'tp_buffer':
          // the buffer's size is checked against the tracepoint's when the program is attached
          result = pointer(Kind.MEM, scalarConst(0n), { size: TP_BUFFER_SIZE });
          break;
        case 'btf':
        case 'num': {
          // a BTF-typed hook's argument: its type from the kernel's prototype
          const atStart = constValue(b.num) === 0n;
          const typed =
            env.kernel?.attach !== undefined && atStart
              ? contextLoad(env.kernel, off, size, env.idOf(node))
              : env.progType === ProgType.NETFILTER && atStart
                ? structContextLoad(env.kernel, 'bpf_nf_ctx', off, size)
                : undefined;
          if (typed !== undefined) {
            if (typed.id) detachId(e, typed.id);
            result = typed;
          } else if (a.result === 'btf') result = pointer(Kind.BTF_ID, scalarConst(0n));
          break;
        }
      }
      break;
    }
    case Kind.BTF:
      result = btfLoad(env.kernel, b, off, size, inRcuSection(e, env), env.idOf(node));
      if (result.id) detachId(e, result.id);
      break;
    case Kind.STACK: {
      const k = constValue(b.num);
      const frame = e.frame(b.frame);
      if (k !== undefined && frame) {
        const at = Number(k) + off;
        result = frame.stack.read(at, size);
        if (size === 8 && at % 8 === 0 && frame.stack.spills.get(at)?.size === 8) linkTo = stackVar(b.frame, at);
      }
      break;
    }
    case Kind.MAP_VALUE: {
      const m = env.maps[b.map];
      const k = constValue(b.num);
      if (m?.constant && k !== undefined) {
        const at = Number(k) + off;
        if (at >= 0 && at + size <= m.constant.length) result = constNum(readConstant(m.constant, at, size, env.endian === 'big'));
      }
      break;
    }
    default:
      break;
  }
  if (signed && result.kinds === Kind.NUM) result = numValue(signExtend(result.num, (size * 8) as 8 | 16 | 32, true));
  e.setReg(dst, result);
  if (linkTo !== undefined && !signed) e.relate(dv, linkTo, 0);
}

function readConstant(bytes: Uint8Array, at: number, size: number, bigEndian: boolean): bigint {
  let v = 0n;
  for (let i = 0; i < size; i++) {
    const byte = BigInt(bytes[bigEndian ? at + i : at + size - 1 - i]!);
    v = (v << 8n) | byte;
  }
  return v;
}

/** Writes [lo, hi) of a frame's stack; `value` is the register stored (undefined: unknown bytes). */
function writeStack(e: Editor, frame: number, lo: number, hi: number, value: { reg: number; v: RegValue } | { imm: bigint } | undefined): void {
  const f = e.frame(frame);
  if (!f || lo < 0 || hi > STACK_SIZE) return;
  for (let slot = lo & ~7; slot < hi; slot += 8) e.forgetVar(stackVar(frame, slot));
  const size = hi - lo;
  let stack;
  if (value && (size === 1 || size === 2 || size === 4 || size === 8)) {
    const v = 'imm' in value ? constNum(value.imm) : value.v;
    stack = f.stack.write(lo, size, v);
  } else {
    stack = f.stack.clobber(lo, hi);
  }
  e.setStack(frame, stack);
  if (value && 'reg' in value && size === 8 && lo % 8 === 0 && stack.spills.get(lo)?.size === 8)
    e.relate(stackVar(frame, lo), regVar(e.depth, value.reg), 0);
}

function storeStmt(e: Editor, base: number, off: number, size: 1 | 2 | 4 | 8, value: Operand): void {
  const b = e.reg(base);
  if (b.kinds !== Kind.STACK) return; // maps, packets and the context are not tracked
  const k = constValue(b.num);
  if (k !== undefined) {
    const at = Number(k) + off;
    writeStack(e, b.frame, at, at + size, value.kind === 'reg' ? { reg: value.reg, v: e.reg(value.reg) } : { imm: value.value });
    return;
  }
  // a variable-offset store may have written any byte of its range
  const lo = Number(b.num.smin) + off;
  const hi = Number(b.num.smax) + off + size;
  writeStack(e, b.frame, Math.max(0, lo), Math.min(STACK_SIZE, hi), undefined);
}

// ---------------------------------------------------------------------------------------------
// Calls

function callStmt(e: Editor, env: VerifierEnv, node: Node, id: number): void {
  const proto = helperProto(id, env.progKey);
  const name = helperName(id);
  const nid = env.idOf(node);
  if (!proto) {
    for (let r = 1; r <= 5; r++) e.setReg(r, UNINIT);
    e.setReg(0, NUM_UNKNOWN);
    return;
  }
  let mapIdxs: readonly number[] = [];
  let memArg: RegValue | undefined;
  // the reference a cast or release works on (argument 1 of sk_fullsock, tcp_sock, skc_to_*...)
  const ref1 = e.reg(1).ref;
  const releaseRef = (ref: number, why: string): void => {
    e.release(ref);
    e.mapValues((x) => (x.ref === ref ? numValue(SCALAR_UNKNOWN, why) : x));
  };
  proto.args.forEach((kind, i) => {
    const r = i + 1;
    const v = e.reg(r);
    switch (kind) {
      case 'map':
        mapIdxs = mapsOf(v);
        break;
      case 'uninit-mem':
      case 'writable-mem':
      case 'writable-mem-or-null':
        memArg = v;
        break;
      case 'size':
      case 'size-or-zero':
        if (memArg?.kinds === Kind.STACK) clobberStackArg(e, memArg, v.num.umax);
        memArg = undefined;
        break;
      case 'uninit-map-value':
      case 'long':
      case 'int': {
        // a value written for one of several maps: only the smallest is surely initialised
        const sizes = mapIdxs.map((m) => env.maps[m]?.valueSize ?? 0);
        const size = kind === 'long' ? 8n : kind === 'int' ? 4n : sizes.length ? BigInt(Math.min(...sizes)) : 0n;
        if (v.kinds === Kind.STACK) clobberStackArg(e, v, size);
        break;
      }
      case 'uninit-dynptr': {
        if (v.kinds !== Kind.STACK) break;
        clobberStackArg(e, v, 16n);
        // a ring buffer dynptr holds a reservation: its stack slot carries the reference
        const at = constValue(v.num);
        if (proto.name === 'ringbuf_reserve_dynptr' && at !== undefined) {
          e.acquire(nid, { pc: node.pc, what: `ring buffer dynptr reserved by ${name}` });
          writeStack(e, v.frame, Number(at), Number(at) + 8, { imm: 0n });
          const f = e.frame(v.frame);
          if (f) e.setStack(v.frame, f.stack.write(Number(at), 8, pointer(Kind.MEM, scalarConst(0n), { ref: nid, size: 0 })));
        }
        break;
      }
      case 'dynptr-release': {
        const at = constValue(v.num);
        const f = v.kinds === Kind.STACK ? e.frame(v.frame) : undefined;
        const held = f && at !== undefined ? f.stack.read(Number(at), 8) : undefined;
        if (held && held.ref > 0) releaseRef(held.ref, `its ring buffer dynptr was released by ${name} at pc ${node.pc}`);
        if (f && at !== undefined) writeStack(e, v.frame, Number(at), Number(at) + 16, undefined);
        break;
      }
      case 'ringbuf-mem':
        if (v.ref > 0) releaseRef(v.ref, `its ring buffer memory was released by ${name} at pc ${node.pc}`);
        break;
      case 'btf-sock-common-release':
        if (v.ref > 0) releaseRef(v.ref, `the socket was released by ${name} at pc ${node.pc}`);
        break;
      case 'spin-lock':
        if (proto.name === 'spin_lock') e.acquire(-(v.map + 1), { pc: node.pc, what: `bpf_spin_lock of map ${env.maps[v.map]?.name ?? v.map}` });
        else e.release(-(v.map + 1));
        break;
      default:
        break;
    }
  });
  if (proto.changesPacket) {
    const why = `packet pointers were invalidated by ${name} at pc ${node.pc}`;
    e.mapValues((x) => ((x.kinds & (Kind.PACKET | Kind.PACKET_END | Kind.PACKET_META)) !== 0 ? numValue(SCALAR_UNKNOWN, why) : x));
    e.forgetVar(PKT_SIZE);
    e.forgetVar(META_SIZE);
    e.setGlobal(PKT_SIZE, [0, Infinity]);
    e.setGlobal(META_SIZE, [0, Infinity]);
  }
  // A sockmap/sockhash lookup gives a referenced socket (the kernel's PTR_TO_SOCKET_OR_NULL), not a value.
  const sockMapLookup = proto.name === 'map_lookup_elem' && mapIdxs.length > 0 && mapIdxs.every((i) => env.maps[i]?.type === MapType.SOCKMAP || env.maps[i]?.type === MapType.SOCKHASH);
  const acquires = sockMapLookup || /^(sk_lookup_tcp|sk_lookup_udp|skc_lookup_tcp)$/.test(proto.name);
  const socket = (kind: number): RegValue => {
    detachId(e, nid);
    if (acquires) {
      e.acquire(nid, { pc: node.pc, what: `socket from ${name} (release it with bpf_sk_release)` });
      return pointer(kind | Kind.NULLABLE, scalarConst(0n), { ref: nid, id: nid });
    }
    return pointer(kind | Kind.NULLABLE, scalarConst(0n), { id: nid, ...(ref1 > 0 ? { ref: ref1 } : {}) });
  };
  let r0: RegValue;
  switch (proto.ret) {
    case 'integer':
      r0 = NUM_UNKNOWN;
      break;
    case 'void':
      r0 = UNINIT;
      break;
    case 'map-value-or-null': {
      if (sockMapLookup) {
        r0 = socket(Kind.SOCK);
        break;
      }
      detachId(e, nid);
      const ms = mapIdxs.map((i) => env.maps[i]);
      const outer = ms.length > 0 && ms.every((m) => m && (m.type === MapType.ARRAY_OF_MAPS || m.type === MapType.HASH_OF_MAPS) && m.inner !== undefined);
      // a lookup in one of several maps gives a value of one of them (the set is kept)
      const targets = outer ? [...new Set(ms.map((m) => m!.inner!))] : mapIdxs;
      const sure = !outer && proto.name === 'map_lookup_elem' && constantKeyInRange(e, env, proto.args.indexOf('map-key') + 1, mapIdxs);
      r0 = sure
        ? pointer(Kind.MAP_VALUE, scalarConst(0n), mapField(targets))
        : pointer((outer ? Kind.MAP_PTR : Kind.MAP_VALUE) | Kind.NULLABLE, scalarConst(0n), { id: nid, ...mapField(targets) });
      break;
    }
    case 'map-value':
      r0 = pointer(Kind.MAP_VALUE, scalarConst(0n), mapField(mapIdxs));
      break;
    case 'socket-or-null':
      r0 = socket(Kind.SOCK);
      break;
    case 'tcp-sock-or-null':
      r0 = socket(Kind.TCP_SOCK);
      break;
    case 'sock-common-or-null':
      r0 = socket(Kind.SOCK_COMMON);
      break;
    case 'btf-id-or-null':
      r0 = socket(Kind.BTF_ID);
      break;
    case 'btf-id':
      r0 = pointer(Kind.BTF_ID, scalarConst(0n));
      break;
    case 'percpu-mem':
      r0 = pointer(Kind.MEM, scalarConst(0n));
      break;
    case 'percpu-mem-or-null':
      detachId(e, nid);
      r0 = pointer(Kind.MEM | Kind.NULLABLE, scalarConst(0n), { id: nid });
      break;
    case 'dynptr-mem-or-null': {
      detachId(e, nid);
      const size = constValue(e.reg(3).num);
      r0 = pointer(Kind.MEM | Kind.NULLABLE, scalarConst(0n), { id: nid, size: size === undefined ? -1 : Number(size) });
      break;
    }
    case 'ringbuf-mem-or-null': {
      detachId(e, nid);
      const size = constValue(e.reg(2).num);
      e.acquire(nid, { pc: node.pc, what: `ring buffer memory reserved by ${name}` });
      r0 = pointer(Kind.MEM | Kind.NULLABLE, scalarConst(0n), { size: size === undefined ? -1 : Number(size), ref: nid, id: nid });
      break;
    }
    default:
      r0 = unreachable(proto.ret);
  }
  const bounded = r0.kinds === Kind.NUM ? boundedReturn(name, (r) => e.reg(r)) : undefined;
  if (bounded !== undefined) r0 = bounded;
  const typed = helperBtfResult(env.kernel, name, nid);
  if (typed !== undefined) {
    if (typed.id) detachId(e, typed.id);
    r0 = typed;
  }
  for (let r = 1; r <= 5; r++) e.setReg(r, UNINIT);
  e.setReg(0, r0);
}

/** A helper wrote `size` bytes through a stack pointer: they are initialised now. */
function clobberStackArg(e: Editor, p: RegValue, size: bigint): void {
  if (size <= 0n || p.frame < 0) return;
  const lo = Number(p.num.smin);
  const hi = Number(p.num.smax + size);
  writeStack(e, p.frame, Math.max(0, lo), Math.min(STACK_SIZE, hi), undefined);
}

/** Before a call site hands out a new null-check id, older values with that id stop sharing it. */
function detachId(e: Editor, id: number): void {
  e.mapValues((x) => (x.id === id ? { ...x, id: 0 } : x));
}

// ---------------------------------------------------------------------------------------------
// Branch conditions

const REGION_OF = (v: RegValue): number => {
  const k = v.kinds & ~Kind.NULLABLE;
  if (k === Kind.PACKET || k === Kind.PACKET_END) return Kind.PACKET;
  return k;
};

function assumeStmt(e: Editor, env: VerifierEnv, op: CmpOp, left: number, right: Operand, is64: boolean): void {
  const l = e.reg(left);
  const r = operandValue(e, right);
  if (right.kind === 'reg' && right.reg === left) {
    const alwaysTrue = op === 'eq' || op === 'le' || op === 'ge' || op === 'sle' || op === 'sge';
    if (op === 'set' || op === 'nset') {
      const res = assumeCmp(op, l.num, l.num, is64);
      if (!res) e.contradiction();
      return;
    }
    if (!alwaysTrue) e.contradiction();
    return;
  }
  // null checks: a nullable pointer compared with NULL
  if (op === 'eq' || op === 'ne') {
    const lNullable = (l.kinds & Kind.NULLABLE) !== 0;
    const rNullable = (r.kinds & Kind.NULLABLE) !== 0;
    if ((lNullable && isNull(r)) || (rNullable && isNull(l))) {
      const p = lNullable ? l : r;
      const preg = lNullable ? left : (right as { reg: number }).reg;
      nullCheck(e, p, preg, op === 'eq');
      return;
    }
    // a pointer that cannot be NULL is never equal to NULL
    const lPtrOnly = (l.kinds & POINTER_KINDS) !== 0 && (l.kinds & (Kind.NUM | Kind.NULLABLE | Kind.UNINIT)) === 0;
    const rPtrOnly = (r.kinds & POINTER_KINDS) !== 0 && (r.kinds & (Kind.NUM | Kind.NULLABLE | Kind.UNINIT)) === 0;
    if ((lPtrOnly && isNull(r)) || (rPtrOnly && isNull(l))) {
      if (op === 'eq') e.contradiction();
      return;
    }
  }
  const lNum = l.kinds === Kind.NUM;
  const rNum = r.kinds === Kind.NUM;
  const samePointerRegion =
    is64 &&
    (l.kinds & POINTER_KINDS) !== 0 &&
    (l.kinds & (Kind.NUM | Kind.NULLABLE)) === 0 &&
    (r.kinds & (Kind.NUM | Kind.NULLABLE)) === 0 &&
    REGION_OF(l) === REGION_OF(r) &&
    (REGION_OF(l) & (REGION_OF(l) - 1)) === 0 &&
    (l.kinds & (Kind.STACK | Kind.MAP_VALUE | Kind.MEM) ? l.frame === r.frame && l.map === r.map && l.ref === r.ref : true);
  if ((lNum && rNum) || samePointerRegion) {
    // addresses of one region compare like their (small, possibly negative) offsets: signed
    const cmp = samePointerRegion ? SIGNED_OF[op] : op;
    const res = assumeCmp(cmp, l.num, r.num, is64);
    if (!res) {
      e.contradiction();
      return;
    }
    const lv = regVar(e.depth, left);
    e.refineReg(left, { ...l, num: res[0] });
    const touched = [lv];
    if (right.kind === 'reg') {
      const rv = regVar(e.depth, right.reg);
      e.refineReg(right.reg, { ...r, num: res[1] });
      touched.push(rv);
      // the kernel keeps what a comparison of two unknown numbers proves only as each one's bounds
      // at that moment (no relation: bounding one later does not bound the other); pointers into
      // one region (the packet against data_end) keep theirs, as its packet ranges do (the
      // precise mode keeps them all: departures.ts)
      if (!samePointerRegion && cmp !== 'eq' && !env.precise && env.departed) env.departed.used = true;
      if (samePointerRegion || cmp === 'eq' || env.precise) relational(e, cmp, lv, rv, l.num, r.num, is64, samePointerRegion);
    }
    e.tighten(touched);
    return;
  }
  // data_meta compared with data: relates the meta offset to the metadata's size
  if (is64 && right.kind === 'reg' && l.kinds === Kind.PACKET_META && r.kinds === Kind.PACKET) {
    const k = constValue(r.num);
    if (k !== undefined) metaCompare(e, op, regVar(e.depth, left), Number(k));
  } else if (is64 && right.kind === 'reg' && r.kinds === Kind.PACKET_META && l.kinds === Kind.PACKET) {
    const k = constValue(l.num);
    if (k !== undefined) metaCompare(e, NEGATE_SWAP[op], regVar(e.depth, right.reg), Number(k));
  }
}

const SIGNED_OF: Record<CmpOp, CmpOp> = { eq: 'eq', ne: 'ne', gt: 'sgt', ge: 'sge', lt: 'slt', le: 'sle', sgt: 'sgt', sge: 'sge', slt: 'slt', sle: 'sle', set: 'set', nset: 'nset' };

/** `a op b` with the operands exchanged, i.e. `b op' a`. */
const NEGATE_SWAP: Record<CmpOp, CmpOp> = { eq: 'eq', ne: 'ne', gt: 'lt', ge: 'le', lt: 'gt', le: 'ge', sgt: 'slt', sge: 'sle', slt: 'sgt', sle: 'sge', set: 'set', nset: 'nset' };

function metaCompare(e: Editor, op: CmpOp, metaVar: number, dataOff: number): void {
  // meta <= data + k  <=>  meta_off <= META_SIZE + k
  if (op === 'le' || op === 'sle') e.constrain(metaVar, META_SIZE, dataOff);
  else if (op === 'lt' || op === 'slt') e.constrain(metaVar, META_SIZE, dataOff - 1);
  else if (op === 'ge' || op === 'sge') e.constrain(META_SIZE, metaVar, -dataOff);
  else if (op === 'gt' || op === 'sgt') e.constrain(META_SIZE, metaVar, -dataOff - 1);
}

/** Adds the difference constraint a comparison implies, when the values compare as integers. */
function relational(e: Editor, op: CmpOp, lv: number, rv: number, a: Scalar, b: Scalar, is64: boolean, pointers: boolean): void {
  const unsignedAsSigned = pointers || (a.smin >= 0n && b.smin >= 0n);
  const in32 = a.umax < 1n << 31n && b.umax < 1n << 31n;
  const signedOk = is64 || in32;
  const unsignedOk = is64 ? unsignedAsSigned : in32;
  switch (op) {
    case 'eq':
      if (signedOk && (is64 || in32)) {
        e.constrain(lv, rv, 0);
        e.constrain(rv, lv, 0);
      }
      return;
    case 'lt':
      if (unsignedOk) e.constrain(lv, rv, -1);
      return;
    case 'le':
      if (unsignedOk) e.constrain(lv, rv, 0);
      return;
    case 'gt':
      if (unsignedOk) e.constrain(rv, lv, -1);
      return;
    case 'ge':
      if (unsignedOk) e.constrain(rv, lv, 0);
      return;
    case 'slt':
      if (signedOk) e.constrain(lv, rv, -1);
      return;
    case 'sle':
      if (signedOk) e.constrain(lv, rv, 0);
      return;
    case 'sgt':
      if (signedOk) e.constrain(rv, lv, -1);
      return;
    case 'sge':
      if (signedOk) e.constrain(rv, lv, 0);
      return;
    default:
      return;
  }
}

/**
 * True when a lookup cannot fail, so the kernel (6.13 on) drops "or NULL" from its result: every
 * map is an array or per-CPU array and the key is a constant below max_entries, read from the stack
 * the way the kernel can read it (get_constant_map_key): known-zero bytes within one 8-byte slot,
 * or a number spilled at the key's own address with the key's size.
 */
function constantKeyInRange(e: Editor, env: VerifierEnv, keyReg: number, mapIdxs: readonly number[]): boolean {
  if (keyReg <= 0 || mapIdxs.length === 0) return false;
  const ms = mapIdxs.map((i) => env.maps[i]);
  if (!ms.every((m) => m !== undefined && (m.type === MapType.ARRAY || m.type === MapType.PERCPU_ARRAY) && m.keySize === 4)) return false;
  const k = e.reg(keyReg);
  const off = k.kinds === Kind.STACK ? constValue(k.num) : undefined;
  if (off === undefined || off < 0n || off + 4n > BigInt(STACK_SIZE)) return false;
  const at = Number(off);
  const stack = e.frame(k.frame).stack;
  let key: bigint | undefined;
  const spill = stack.spills.get(at);
  if (spill !== undefined) {
    if (at % 8 === 0 && spill.size === 4 && isNumber(spill.value)) key = constValue(spill.value.num);
  } else if (at % 8 === 4 || at % 8 === 0) {
    // bpfkit keeps every zero store as zero bytes, the kernel keeps an aligned one as a spill of
    // its own size: a key in the upper half of a slot reads either as 4 zeros; one at the slot's
    // start is a 4-byte spill only when the upper half was not zeroed with it (an 8-byte zero
    // store there is an 8-byte spill, which the kernel cannot read as a 4-byte key)
    const zeros = (lo: number): boolean => [0, 1, 2, 3].every((i) => stack.cell(lo + i) === Cell.ZERO);
    if (zeros(at) && (at % 8 === 4 || !zeros(at + 4))) key = 0n;
  }
  return key !== undefined && ms.every((m) => key! >= 0n && key! < BigInt(m!.maxEntries));
}

/** The result of comparing a nullable pointer with NULL, for every copy sharing its id. */
function nullCheck(e: Editor, p: RegValue, reg: number, isNullBranch: boolean): void {
  const id = p.id;
  const same = (x: RegValue): boolean => (id !== 0 ? x.id === id : false);
  if (isNullBranch) {
    // a failed reservation holds no reference
    if (p.ref > 0) e.release(p.ref);
    const nul = constNum(0n);
    e.mapValues((x) => (same(x) ? nul : x));
    if (id === 0) e.setReg(reg, nul);
    return;
  }
  const nonNull = (x: RegValue): RegValue => ({ ...x, kinds: x.kinds & ~Kind.NULLABLE });
  e.mapValues((x) => (same(x) ? nonNull(x) : x));
  if (id === 0) e.refineReg(reg, nonNull(p));
}

export { NEGATE };
