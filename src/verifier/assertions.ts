/**
 * The safety policy as data: for each statement, the assertions that must hold in the state
 * before it, in the order the kernel checks them (so the first failure is the one it reports).
 * A pure function of the statement and the program's context; checker.ts decides each one.
 */
import type { AluOp } from './domains/scalar.js';
import type { Operand, Stmt } from './ir.js';

export type AccessMode = 'read' | 'write' | 'atomic';

export type Assertion =
  /** The register holds a value (it was written before). */
  | { readonly kind: 'initialized'; readonly reg: number; readonly role: string }
  /** The register may be written: not the frame pointer r10. */
  | { readonly kind: 'writable'; readonly reg: number }
  /** Arithmetic on pointers follows the rules (add/sub with numbers, no null, no pkt_end...). */
  | { readonly kind: 'arith'; readonly op: AluOp | 'mov32' | 'movsx' | 'neg' | 'end'; readonly dst: number; readonly src?: Operand; readonly is64: boolean }
  /** A load/store/atomic stays inside the region its base register points to. */
  | {
      readonly kind: 'access';
      readonly base: number;
      readonly off: number;
      readonly size: number;
      readonly mode: AccessMode;
      readonly value?: Operand;
    }
  /** Legacy ld_abs/ld_ind: allowed for the program type, with r6 the context. */
  | { readonly kind: 'legacyPacket'; readonly indirect: boolean; readonly src: number }
  /** A global function's arguments match its BTF prototype. */
  | { readonly kind: 'globalCall'; readonly target: number }
  /** A helper call: allowed for the program type, arguments of the prototype's kinds and sizes. */
  | { readonly kind: 'helper'; readonly helper: number }
  /** A kfunc call: known, its arguments as its BTF prototype and kernel flags want them. */
  | { readonly kind: 'kfunc'; readonly btfId: number; readonly callee?: string }
  /** Comparison operands are comparable. */
  | { readonly kind: 'comparable'; readonly left: number; readonly right: Operand; readonly is64: boolean }
  /** At exit: r0 holds a value of the right kind and range. */
  | { readonly kind: 'returnValue'; readonly where: 'program' | 'callback' | 'global'; readonly helper?: number }
  /** At program exit: every acquired reference has been released. */
  | { readonly kind: 'noReferences' }
  /** A sub-program returns no pointer into its own stack. */
  | { readonly kind: 'noStackEscape' }
  /** A loop head: the number of iterations is bounded. */
  | { readonly kind: 'boundedLoop'; readonly counter: number }
  /** A map reference names a map of the object. */
  | { readonly kind: 'mapExists'; readonly map: number; readonly offset?: number }
  /** The instruction cannot run at all. */
  | { readonly kind: 'invalid'; readonly reason: string };

export type AssertionKind = Assertion['kind'];

const init = (reg: number, role: string): Assertion => ({ kind: 'initialized', reg, role });

/** The assertions of a statement; `depth` is its call depth (0 = the program's own frame). */
export function assertionsFor(stmt: Stmt, depth: number): Assertion[] {
  switch (stmt.kind) {
    case 'alu': {
      const a: Assertion[] = [];
      if (stmt.src.kind === 'reg') a.push(init(stmt.src.reg, 'source'));
      a.push(init(stmt.dst, 'destination'), { kind: 'writable', reg: stmt.dst });
      a.push({ kind: 'arith', op: stmt.op, dst: stmt.dst, src: stmt.src, is64: stmt.is64 });
      return a;
    }
    case 'mov': {
      const a: Assertion[] = [];
      if (stmt.src.kind === 'reg') a.push(init(stmt.src.reg, 'source'));
      a.push({ kind: 'writable', reg: stmt.dst });
      if (stmt.src.kind === 'reg' && (stmt.signExtend || !stmt.is64))
        a.push({ kind: 'arith', op: stmt.signExtend ? 'movsx' : 'mov32', dst: stmt.dst, src: stmt.src, is64: stmt.is64 });
      return a;
    }
    case 'neg':
      return [init(stmt.dst, 'operand'), { kind: 'writable', reg: stmt.dst }, { kind: 'arith', op: 'neg', dst: stmt.dst, is64: stmt.is64 }];
    case 'extend32':
      return [init(stmt.dst, 'operand'), { kind: 'writable', reg: stmt.dst }, { kind: 'arith', op: 'lsh', dst: stmt.dst, src: { kind: 'imm', value: 32n }, is64: true }];
    case 'end':
      return [init(stmt.dst, 'operand'), { kind: 'writable', reg: stmt.dst }, { kind: 'arith', op: 'end', dst: stmt.dst, is64: true }];
    case 'ldimm':
    case 'ldfunc':
      return [{ kind: 'writable', reg: stmt.dst }];
    case 'ldmap':
      return [{ kind: 'writable', reg: stmt.dst }, { kind: 'mapExists', map: stmt.map }];
    case 'ldmapvalue':
      return [{ kind: 'writable', reg: stmt.dst }, { kind: 'mapExists', map: stmt.map, offset: stmt.offset }];
    case 'load':
      return [init(stmt.base, 'base'), { kind: 'writable', reg: stmt.dst }, { kind: 'access', base: stmt.base, off: stmt.off, size: stmt.size, mode: 'read' }];
    case 'store': {
      const a: Assertion[] = [init(stmt.base, 'base')];
      if (stmt.value.kind === 'reg') a.push(init(stmt.value.reg, 'stored value'));
      a.push({ kind: 'access', base: stmt.base, off: stmt.off, size: stmt.size, mode: 'write', value: stmt.value });
      return a;
    }
    case 'atomic': {
      const a: Assertion[] = [init(stmt.src, 'source'), init(stmt.base, 'base')];
      if (stmt.op === 'cmpxchg') a.push(init(0, 'comparand'));
      a.push({ kind: 'access', base: stmt.base, off: stmt.off, size: stmt.size, mode: 'atomic', value: { kind: 'reg', reg: stmt.src } });
      return a;
    }
    case 'ldpkt': {
      const a: Assertion[] = [{ kind: 'legacyPacket', indirect: stmt.indirect, src: stmt.src }];
      if (stmt.indirect) a.push(init(stmt.src, 'index'));
      return a;
    }
    case 'call':
      return stmt.phase === 'result' ? [] : [{ kind: 'helper', helper: stmt.helper }];
    case 'callGlobal':
      return [{ kind: 'globalCall', target: stmt.target }];
    case 'kfunc':
      return [stmt.callee !== undefined ? { kind: 'kfunc', btfId: stmt.btfId, callee: stmt.callee } : { kind: 'kfunc', btfId: stmt.btfId }];
    case 'callLocal':
    case 'ja':
    case 'enter':
    case 'callbackEnter':
    case 'loopEntry':
      return [];
    case 'leave':
      return [];
    case 'exit':
      // a sub-program may return nothing (void): only the caller's use of r0 is checked
      if (stmt.global) return [{ kind: 'returnValue', where: 'global' }, { kind: 'noReferences' }];
      if (depth === 0) return [{ kind: 'returnValue', where: 'program' }, { kind: 'noReferences' }];
      if (stmt.callback !== undefined) return [{ kind: 'returnValue', where: 'callback', helper: stmt.callback }];
      return [{ kind: 'noStackEscape' }];
    case 'callbackLeave':
      return [];
    case 'assume': {
      const a: Assertion[] = [init(stmt.left, 'compared')];
      if (stmt.right.kind === 'reg') a.push(init(stmt.right.reg, 'compared'));
      a.push({ kind: 'comparable', left: stmt.left, right: stmt.right, is64: stmt.is64 });
      return a;
    }
    case 'loopHead':
      return [{ kind: 'boundedLoop', counter: stmt.counter }];
    case 'invalid':
      return [{ kind: 'invalid', reason: stmt.reason }];
    default:
      return unreachable(stmt);
  }
}

function unreachable(x: never): never {
  throw new Error(`unhandled statement ${JSON.stringify(x)}`);
}
