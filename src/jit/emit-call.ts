/**
 * Calls, exits and faults.
 *
 * A bpf-to-bpf call is a WebAssembly call: the callee is the function compiled for its entry slot,
 * it gets all of r0..r9 (as the interpreter's callee sees the caller's registers) and computes its
 * own r10 from the depth global; r6..r9 and r10 are the caller's locals, so they come back
 * untouched, and r1..r5 come back through the `ret` globals as the callee left them. Helpers and
 * `callx` go through JS imports. The budget lives in a local; it is written to its global before
 * anything that may spend it (a callee, a helper running a callback) and read back after.
 */
import { HELPER_ARGS, HELPER_RET_HI, kfuncId } from '../helpers/abi.js';
import { FAST_HELPER_IDS } from '../helpers/impl/registry.js';
import { MAX_CALL_FRAMES } from '../helpers/memory.js';
import type { Expr } from './types.js';
import { type EmitCtx, I32, I64, NONE, reg, setReg } from './emit-context.js';
import { invalidateCache, reloadBudget, spillBudget } from './emit-mem.js';
import { fnName, Global, helperArity, HELPER_MOVED, Import, Local, mayTailCall, mayUnwind, PARAM_COUNT, retGlobal, TAIL_CALL_HELPER, TAIL_FLAG } from './runtime.js';

/**
 * Raises a fault known at compile time (or the pending budget fault, which JS checks first). The
 * budget goes to its global first: a fault reports the instructions run up to it.
 */
export function emitFault(c: EmitCtx, code: number): Expr {
  return c.m.block(null, [spillBudget(c), c.m.call(Import.fault, [c.m.i32.const(code)], NONE), c.m.unreachable()]);
}

/**
 * What reaching slot `target` outside the program does. Loading refuses jumps that leave the
 * program, so only running off the end gets here: the interpreter executes a sentinel slot there,
 * which costs one instruction of budget and then faults at the last pc.
 */
export function emitOutOfProgram(c: EmitCtx, target: number): Expr[] {
  const m = c.m;
  const n = c.slots.length;
  if (target !== n) {
    const pc = target < 0 ? 0 : n - 1;
    return [emitFault(c, c.staticFault({ kind: 'invalid', pc, reason: `jump out of the program to pc ${target}` }))];
  }
  const rem = (): Expr => m.local.get(Local.REM, I64);
  return [
    m.local.set(Local.REM, m.i64.sub(rem(), m.i64.const(1n))),
    m.if(m.i64.lt_s(rem(), m.i64.const(0n)), emitFault(c, c.staticFault({ kind: 'budget', pc: n, reason: '' }))),
    emitFault(c, c.staticFault({ kind: 'invalid', pc: n - 1, reason: 'execution fell off the end of the program' })),
  ];
}

/**
 * After a call that may have set TAIL_FLAG (the tail-call helper; a callee or callx that reached it
 * or an LD_ABS/LD_IND out of the packet): the engine deferred the tail call or the program's end
 * (runtime.ts TAIL_FLAG), so return at once. The budget global already holds what the call left;
 * r0 is not looked at.
 */
function unwindReturn(c: EmitCtx, may: (slots: EmitCtx['slots']) => boolean = mayUnwind): Expr[] {
  if (!may(c.slots)) return [];
  const m = c.m;
  return [m.if(m.i32.load(0, 1, m.i32.const(TAIL_FLAG)), m.return(m.i64.const(0n)))];
}

const allRegs = (c: EmitCtx): Expr[] => Array.from({ length: PARAM_COUNT }, (_, r) => reg(c, r));
const readRets = (c: EmitCtx): Expr[] =>
  [1, 2, 3, 4, 5].map((r) => setReg(c, r, c.m.global.get(retGlobal(r), I64)));

/** A bpf-to-bpf call at `pc` to `target` (which may lie outside the program). */
export function emitLocalCall(c: EmitCtx, pc: number, target: number): Expr[] {
  const m = c.m;
  const depth = (): Expr => m.global.get(Global.depth, I32);
  const tooDeep = c.staticFault({ kind: 'call-depth', pc, reason: `call depth exceeds ${MAX_CALL_FRAMES} frames` });
  const out: Expr[] = [
    m.if(m.i32.ge_s(m.i32.add(depth(), m.i32.const(1)), m.i32.const(MAX_CALL_FRAMES)), emitFault(c, tooDeep)),
    m.global.set(Global.depth, m.i32.add(depth(), m.i32.const(1))),
  ];
  if (target < 0 || target >= c.slots.length) {
    out.push(...emitOutOfProgram(c, target));
    return out;
  }
  out.push(
    spillBudget(c),
    setReg(c, 0, m.call(fnName(target), allRegs(c), I64)),
    ...unwindReturn(c),
    reloadBudget(c),
    m.global.set(Global.depth, m.i32.sub(depth(), m.i32.const(1))),
    ...readRets(c),
    ...invalidateCache(c),
  );
  return out;
}

/** `call IMM` of a helper. */
export function emitHelperCall(c: EmitCtx, pc: number): Expr[] {
  const m = c.m;
  const imm = c.slots.imm[pc]!;
  const id = c.slots.src[pc] === 2 ? kfuncId(imm) : imm;
  const n = helperArity(id);
  const depth = m.global.get(Global.depth, I32);
  if (FAST_HELPER_IDS.has(id)) {
    // r1..rN through memory, r0 as two i32 halves: no i64 crosses into JS (see Import.helperm).
    const stores = [1, 2, 3, 4, 5].slice(0, n).map((r) => m.i64.store(0, 8, m.i32.const(HELPER_ARGS + 8 * (r - 1)), reg(c, r)));
    const lo = m.i64.extend_u(m.call(Import.helperm, [m.i32.const(pc), m.i32.const(id), depth], I32));
    const hi = m.i64.shl(m.i64.load32_u(0, 4, m.i32.const(HELPER_RET_HI)), m.i64.const(32n));
    const moved = m.if(m.i32.load(0, 4, m.i32.const(HELPER_MOVED)), m.block(null, invalidateCache(c)));
    return [...stores, spillBudget(c), setReg(c, 0, lo), setReg(c, 0, m.i64.or(reg(c, 0), hi)), reloadBudget(c), moved];
  }
  const args = [m.i32.const(pc), m.i32.const(id), depth, ...[1, 2, 3, 4, 5].slice(0, n).map((r) => reg(c, r))];
  const call = [spillBudget(c), setReg(c, 0, m.call(Import.helperN(n), args, I64))];
  if (id === TAIL_CALL_HELPER) call.push(...unwindReturn(c, mayTailCall));
  return [...call, reloadBudget(c), ...invalidateCache(c)];
}

/** `callx REG`: a helper id or a function pointer, decided at run time by JS. */
export function emitCallx(c: EmitCtx, pc: number): Expr[] {
  const m = c.m;
  const args = [m.i32.const(pc), reg(c, c.slots.dst[pc]!), ...allRegs(c)];
  return [spillBudget(c), setReg(c, 0, m.call(Import.callx, args, I64)), ...unwindReturn(c), reloadBudget(c), ...readRets(c), ...invalidateCache(c)];
}

/** `exit`: hands r1..r5 (when a caller can read them) and the budget back, returns r0. */
export function emitExit(c: EmitCtx): Expr[] {
  const m = c.m;
  return [
    ...[1, 2, 3, 4, 5].filter((r) => c.exitUse & (1 << r)).map((r) => m.global.set(retGlobal(r), reg(c, r))),
    spillBudget(c),
    m.return(reg(c, 0)),
  ];
}
