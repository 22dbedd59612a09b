/**
 * A WebAssembly module written byte by byte, with no binaryen: the JIT's fast code generator.
 *
 * `ExprBuilder` offers the subset of binaryen's expression-building API the emitters use
 * (`m.i64.add(a, b)`, `m.block(name, children)`, `m.br(name, cond)`, ...), so emit-*.ts generate the
 * same code for either back end. Expressions are nodes in a table (an `Expr` is an index, as in
 * binaryen); labels, functions and globals are named and resolved when the module is written,
 * in one pass that keeps a stack of enclosing labels. Building an expression is one small object;
 * binaryen's per-expression cost (a call into its Emscripten heap, names interned, types checked)
 * was most of a compile.
 *
 * Types use binaryen's numbering (none 0, i32 2, i64 3, f64 5) so emitters pass the same constants
 * to both back ends; ./compile-binaryen.ts checks binaryen agrees.
 */
import type { Expr } from './types.js';
import { F64, I32, I64, NONE, UNREACHABLE } from './types.js';

const enum K {
  /** Children, then fixed bytes (opcode and immediates). */
  Plain,
  Block,
  Loop,
  If,
  Br,
  Switch,
  Call,
  GlobalGet,
  GlobalSet,
}

/** Value type byte of a type. */
function valType(t: number): number {
  switch (t) {
    case I32:
      return 0x7f;
    case I64:
      return 0x7e;
    case F64:
      return 0x7c;
    default:
      throw new Error(`wasm: no value type for type ${t}`);
  }
}
const blockType = (t: number): number => (t === NONE || t === UNREACHABLE ? 0x40 : valType(t));
const isValue = (t: number): boolean => t === I32 || t === I64 || t === F64;

/** A growable byte buffer (number[] pushes were most of the writer's time and garbage). */
export class Bytes {
  buf = new Uint8Array(1024);
  length = 0;
  push(...bs: number[]): void {
    for (const b of bs) this.byte(b);
  }
  byte(b: number): void {
    if (this.length === this.buf.length) this.reserve(1);
    this.buf[this.length++] = b;
  }
  /** Makes room for `n` more bytes. */
  reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }
  /** Appends `src[from, to)`: one capacity check, not one per byte. */
  copy(src: Uint8Array, from: number, to: number): void {
    const n = to - from;
    if (this.length + n > this.buf.length) this.reserve(n);
    const buf = this.buf;
    let at = this.length;
    for (let i = from; i < to; i++) buf[at++] = src[i]!;
    this.length = at;
  }
  append(src: Bytes | readonly number[]): void {
    if (src instanceof Bytes) {
      this.reserve(src.length);
      this.buf.set(src.buf.subarray(0, src.length), this.length);
      this.length += src.length;
    } else {
      for (let i = 0; i < src.length; i++) this.byte(src[i]!);
    }
  }
  bytes(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}
type Out = Bytes | number[];

/** Appends the unsigned LEB128 of `v` (v < 2^32). */
function uleb(out: Out, v: number): void {
  v >>>= 0;
  do {
    let b = v & 0x7f;
    v >>>= 7;
    if (v !== 0) b |= 0x80;
    out.push(b);
  } while (v !== 0);
}

/** Appends the signed LEB128 of a 32-bit integer. */
function sleb32(out: Out, v: number): void {
  v |= 0;
  for (;;) {
    const b = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return;
    }
    out.push(b | 0x80);
  }
}

/** Appends the signed LEB128 of a 64-bit integer. */
function sleb64(out: Out, v: bigint): void {
  v = BigInt.asIntN(64, v);
  if (v >= -0x80000000n && v <= 0x7fffffffn) {
    sleb32(out, Number(v));
    return;
  }
  for (;;) {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    if ((v === 0n && (b & 0x40) === 0) || (v === -1n && (b & 0x40) !== 0)) {
      out.push(b);
      return;
    }
    out.push(b | 0x80);
  }
}

function utf8(out: Out, s: string): void {
  const b = new TextEncoder().encode(s);
  uleb(out, b.length);
  for (const x of b) out.push(x);
}

const f64Bytes = (v: number): number[] => [...new Uint8Array(new Float64Array([v]).buffer)];

const NO_KIDS: readonly Expr[] = [];

type Un = (a: Expr) => Expr;
type Bin = (a: Expr, b: Expr) => Expr;
type Load = (offset: number, align: number, ptr: Expr) => Expr;
type Store = (offset: number, align: number, ptr: Expr, value: Expr) => Expr;

/** The integer operations of one width, as binaryen names them. */
export interface IntOps<C> {
  const(v: C): Expr;
  add: Bin; sub: Bin; mul: Bin; div_s: Bin; div_u: Bin; rem_s: Bin; rem_u: Bin;
  and: Bin; or: Bin; xor: Bin; shl: Bin; shr_s: Bin; shr_u: Bin; rotl: Bin; rotr: Bin;
  eq: Bin; ne: Bin; lt_s: Bin; lt_u: Bin; gt_s: Bin; gt_u: Bin; le_s: Bin; le_u: Bin; ge_s: Bin; ge_u: Bin;
  eqz: Un; extend8_s: Un; extend16_s: Un;
}

/** The part of binaryen's Module API the emitters use; both back ends provide it. */
export interface CodeBuilder {
  readonly i32: IntOps<number> & { wrap: Un; load: Load; store: Store };
  readonly i64: IntOps<bigint> & {
    extend32_s: Un; extend_u: Un; extend_s: Un;
    trunc_s: { f64: Un };
    load: Load; load8_s: Load; load8_u: Load; load16_s: Load; load16_u: Load; load32_s: Load; load32_u: Load;
    store: Store; store8: Store; store16: Store; store32: Store;
  };
  readonly f64: { const(v: number): Expr; convert_s: { i64: Un }; store: Store };
  readonly local: { get(index: number, type: number): Expr; set(index: number, value: Expr): Expr };
  readonly global: { get(name: string, type: number): Expr; set(name: string, value: Expr): Expr };
  block(name: string | null, children: Expr[], type?: number): Expr;
  loop(name: string, body: Expr): Expr;
  if(condition: Expr, ifTrue: Expr, ifFalse?: Expr): Expr;
  br(name: string, condition?: Expr): Expr;
  switch(names: string[], defaultName: string, condition: Expr): Expr;
  call(name: string, operands: Expr[], type: number): Expr;
  return(value?: Expr): Expr;
  unreachable(): Expr;
  nop(): Expr;
}

/** A growable Int32Array. */
class Ints {
  a = new Int32Array(4096);
  length = 0;
  push(v: number): number {
    if (this.length === this.a.length) {
      const next = new Int32Array(this.a.length * 2);
      next.set(this.a);
      this.a = next;
    }
    this.a[this.length] = v;
    return this.length++;
  }
}

/** An expression builder's node tables (see {@link ExprBuilder}), reused from one builder to the next. */
interface Tables {
  kind: Uint8Array;
  type: Uint8Array;
  kidAt: Int32Array;
  kidCount: Int32Array;
  aux: Int32Array;
  auxLen: Int32Array;
  readonly kids: Ints;
  readonly code: Bytes;
}
const NODES = 16384;
const newTables = (): Tables => ({
  kind: new Uint8Array(NODES),
  type: new Uint8Array(NODES),
  kidAt: new Int32Array(NODES),
  kidCount: new Int32Array(NODES),
  aux: new Int32Array(NODES),
  auxLen: new Int32Array(NODES),
  kids: new Ints(),
  code: new Bytes(),
});
/** The tables of the last builder released (compiles are synchronous: one builder fills them at a time). */
let spareTables: Tables | undefined;

/**
 * Builds expressions as nodes of a table (see the file comment), kept as columns of typed arrays:
 * a compile makes tens of thousands of nodes, and an object (and an array of children) each was
 * a third of the compile in garbage collection.
 */
export class ExprBuilder implements CodeBuilder {
  /** Per node: kind, result type, first child in `kids`, child count, and an operand (see `aux`). */
  private kind: Uint8Array;
  private type: Uint8Array;
  private kidAt: Int32Array;
  private kidCount: Int32Array;
  /** Plain: offset of its bytes in `code` (length in `auxLen`); named kinds: the name's id; Switch: offset in `kids` of its label ids. */
  private aux: Int32Array;
  private auxLen: Int32Array;
  private count = 0;
  private readonly kids: Ints;
  private readonly code: Bytes;
  private readonly names: string[] = [];
  private readonly nameIds = new Map<string, number>();
  readonly i32: CodeBuilder['i32'];
  readonly i64: CodeBuilder['i64'];
  readonly f64: CodeBuilder['f64'];
  readonly local: CodeBuilder['local'];
  readonly global: CodeBuilder['global'];

  constructor() {
    // The tables of the last builder released, when there is one: a compile fills tens of
    // thousands of nodes, and fresh (and growing) typed arrays each time were much of its garbage.
    const t = spareTables ?? newTables();
    spareTables = undefined;
    t.kids.length = 0;
    t.code.length = 0;
    this.tables = t;
    ({ kind: this.kind, type: this.type, kidAt: this.kidAt, kidCount: this.kidCount, aux: this.aux, auxLen: this.auxLen, kids: this.kids, code: this.code } = t);
    const plain1 = (type: number, op: number, a: Expr, b?: Expr): Expr => {
      const e = this.node(K.Plain, type);
      this.kidAt[e] = this.kids.length;
      this.kids.push(a);
      if (b !== undefined) this.kids.push(b);
      this.kidCount[e] = b === undefined ? 1 : 2;
      this.aux[e] = this.code.length;
      this.code.byte(op);
      this.auxLen[e] = 1;
      return e;
    };
    const plain = (type: number, bytes: readonly number[], kids: readonly Expr[] = NO_KIDS): Expr => {
      const e = this.node(K.Plain, type);
      this.setKids(e, kids);
      this.aux[e] = this.code.length;
      this.code.append(bytes);
      this.auxLen[e] = bytes.length;
      return e;
    };
    /** i32.const / i64.const of a value in the i32 range, written straight into `code`. */
    const constOp = (type: number, op: number, value: number): Expr => {
      const e = this.node(K.Plain, type);
      this.kidAt[e] = this.kids.length;
      this.kidCount[e] = 0;
      const code = this.code;
      const at = code.length;
      this.aux[e] = at;
      code.byte(op);
      for (let v = value | 0; ; ) {
        const b = v & 0x7f;
        v >>= 7;
        if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) {
          code.byte(b);
          break;
        }
        code.byte(b | 0x80);
      }
      this.auxLen[e] = code.length - at;
      return e;
    };
    const un = (op: number, type: number): Un => (a) => plain1(type, op, a);
    const bin = (op: number, type: number): Bin => (a, b) => plain1(type, op, a, b);
    const memarg = (op: number, offset: number, align: number): number[] => {
      const out = [op, 31 - Math.clz32(align)];
      uleb(out, offset);
      return out;
    };
    const load = (op: number, type: number): Load => (offset, align, ptr) => plain(type, memarg(op, offset, align), [ptr]);
    const store = (op: number): Store => (offset, align, ptr, value) => plain(NONE, memarg(op, offset, align), [ptr, value]);
    const ints = <C>(base: number, cmp: number, type: number, konst: (v: C) => Expr, ext: number): IntOps<C> => ({
      const: konst,
      add: bin(base + 3, type), sub: bin(base + 4, type), mul: bin(base + 5, type),
      div_s: bin(base + 6, type), div_u: bin(base + 7, type), rem_s: bin(base + 8, type), rem_u: bin(base + 9, type),
      and: bin(base + 10, type), or: bin(base + 11, type), xor: bin(base + 12, type),
      shl: bin(base + 13, type), shr_s: bin(base + 14, type), shr_u: bin(base + 15, type),
      rotl: bin(base + 16, type), rotr: bin(base + 17, type),
      eqz: un(cmp, I32), eq: bin(cmp + 1, I32), ne: bin(cmp + 2, I32),
      lt_s: bin(cmp + 3, I32), lt_u: bin(cmp + 4, I32), gt_s: bin(cmp + 5, I32), gt_u: bin(cmp + 6, I32),
      le_s: bin(cmp + 7, I32), le_u: bin(cmp + 8, I32), ge_s: bin(cmp + 9, I32), ge_u: bin(cmp + 10, I32),
      extend8_s: un(ext, type), extend16_s: un(ext + 1, type),
    });
    // Object.assign, not a spread: a spread copy got a map of its own in every builder, so code
    // optimized on one compile's `m.i64.add` deoptimized on the next (a dozen compiles to settle).
    this.i32 = Object.assign(ints<number>(0x67, 0x45, I32, (v) => constOp(I32, 0x41, v), 0xc0), {
      wrap: un(0xa7, I32),
      load: load(0x28, I32),
      store: store(0x36),
    });
    this.i64 = Object.assign(
      ints<bigint>(0x79, 0x50, I64, (v) => {
        // The same LEB128 bytes as sleb64 for values in the i32 range (most constants; asIntN
        // leaves those as they are, and would allocate).
        if (v >= -0x80000000n && v <= 0x7fffffffn) return constOp(I64, 0x42, Number(v));
        const w = BigInt.asIntN(64, v);
        if (w >= -0x80000000n && w <= 0x7fffffffn) return constOp(I64, 0x42, Number(w));
        const b = [0x42];
        sleb64(b, v);
        return plain(I64, b);
      }, 0xc2),
      {
      extend32_s: un(0xc4, I64),
      extend_u: un(0xad, I64),
      extend_s: un(0xac, I64),
      trunc_s: { f64: un(0xb0, I64) },
      load: load(0x29, I64),
      load8_s: load(0x30, I64),
      load8_u: load(0x31, I64),
      load16_s: load(0x32, I64),
      load16_u: load(0x33, I64),
      load32_s: load(0x34, I64),
      load32_u: load(0x35, I64),
      store: store(0x37),
      store8: store(0x3c),
      store16: store(0x3d),
      store32: store(0x3e),
      },
    );
    this.f64 = { const: (v) => plain(F64, [0x44, ...f64Bytes(v)]), convert_s: { i64: un(0xb9, F64) }, store: store(0x39) };
    // The most frequent nodes: their bytes go straight into `code`, with no array per node.
    const localOp = (type: number, op: number, index: number, value: Expr | undefined): Expr => {
      const e = this.node(K.Plain, type);
      this.kidAt[e] = this.kids.length;
      if (value !== undefined) this.kids.push(value);
      this.kidCount[e] = value === undefined ? 0 : 1;
      const code = this.code;
      const at = code.length;
      this.aux[e] = at;
      code.byte(op);
      for (let v = index >>> 0; ; ) {
        const b = v & 0x7f;
        v >>>= 7;
        if (v === 0) {
          code.byte(b);
          break;
        }
        code.byte(b | 0x80);
      }
      this.auxLen[e] = code.length - at;
      return e;
    };
    this.local = {
      get: (index, type) => localOp(type, 0x20, index, undefined),
      set: (index, value) => localOp(NONE, 0x21, index, value),
    };
    this.global = {
      get: (name, type) => this.named(K.GlobalGet, type, NO_KIDS, name),
      set: (name, value) => this.named(K.GlobalSet, NONE, [value], name),
    };
  }

  /** The tables this builder fills (handed on by {@link release}). */
  private readonly tables: Tables;

  /**
   * Hands the builder's tables to the next builder made: call once nothing more will be built or
   * written with this one (ModuleWriter.emit does, at its end).
   */
  release(): void {
    const t = this.tables;
    t.kind = this.kind;
    t.type = this.type;
    t.kidAt = this.kidAt;
    t.kidCount = this.kidCount;
    t.aux = this.aux;
    t.auxLen = this.auxLen;
    spareTables = t;
  }

  private node(k: K, type: number): Expr {
    const e = this.count++;
    if (e === this.kind.length) {
      const grow8 = (a: Uint8Array): Uint8Array => {
        const next = new Uint8Array(a.length * 2);
        next.set(a);
        return next;
      };
      const grow32 = (a: Int32Array): Int32Array => {
        const next = new Int32Array(a.length * 2);
        next.set(a);
        return next;
      };
      this.kind = grow8(this.kind);
      this.type = grow8(this.type);
      this.kidAt = grow32(this.kidAt);
      this.kidCount = grow32(this.kidCount);
      this.aux = grow32(this.aux);
      this.auxLen = grow32(this.auxLen);
    }
    this.kind[e] = k;
    this.type[e] = type;
    this.kidCount[e] = 0;
    return e;
  }
  private setKids(e: Expr, kids: readonly Expr[]): void {
    this.kidAt[e] = this.kids.length;
    this.kidCount[e] = kids.length;
    for (let i = 0; i < kids.length; i++) this.kids.push(kids[i]!);
  }
  private nameId(name: string): number {
    let id = this.nameIds.get(name);
    if (id === undefined) {
      id = this.names.length;
      this.names.push(name);
      this.nameIds.set(name, id);
    }
    return id;
  }
  private named(k: K, type: number, kids: readonly Expr[], name: string | null): Expr {
    const e = this.node(k, type);
    this.setKids(e, kids);
    this.aux[e] = name === null ? -1 : this.nameId(name);
    return e;
  }

  typeOf(e: Expr): number {
    return this.type[e]!;
  }

  block(name: string | null, children: Expr[], type?: number): Expr {
    // As binaryen: without a type, the block has its last child's value (if it has one).
    const last = children.length > 0 ? this.typeOf(children[children.length - 1]!) : NONE;
    return this.named(K.Block, type ?? (isValue(last) ? last : NONE), children, name);
  }
  loop(name: string, body: Expr): Expr {
    const t = this.typeOf(body);
    return this.named(K.Loop, isValue(t) ? t : NONE, [body], name);
  }
  if(condition: Expr, ifTrue: Expr, ifFalse?: Expr): Expr {
    const t = ifFalse === undefined ? NONE : this.typeOf(ifTrue) !== UNREACHABLE ? this.typeOf(ifTrue) : this.typeOf(ifFalse);
    return this.named(K.If, isValue(t) ? t : NONE, ifFalse === undefined ? [condition, ifTrue] : [condition, ifTrue, ifFalse], null);
  }
  br(name: string, condition?: Expr): Expr {
    return this.named(K.Br, condition === undefined ? UNREACHABLE : NONE, condition === undefined ? NO_KIDS : [condition], name);
  }
  switch(names: string[], defaultName: string, condition: Expr): Expr {
    const e = this.named(K.Switch, UNREACHABLE, [condition], null);
    this.aux[e] = this.kids.length;
    this.auxLen[e] = names.length + 1;
    for (const n of names) this.kids.push(this.nameId(n));
    this.kids.push(this.nameId(defaultName));
    return e;
  }
  call(name: string, operands: Expr[], type: number): Expr {
    return this.named(K.Call, type, operands, name);
  }
  return(value?: Expr): Expr {
    const e = this.node(K.Plain, UNREACHABLE);
    this.setKids(e, value === undefined ? NO_KIDS : [value]);
    this.aux[e] = this.code.length;
    this.code.byte(0x0f);
    this.auxLen[e] = 1;
    return e;
  }
  unreachable(): Expr {
    const e = this.node(K.Plain, UNREACHABLE);
    this.aux[e] = this.code.length;
    this.code.byte(0x00);
    this.auxLen[e] = 1;
    return e;
  }
  nop(): Expr {
    const e = this.node(K.Plain, NONE);
    this.aux[e] = this.code.length;
    this.code.byte(0x01);
    this.auxLen[e] = 1;
    return e;
  }

  /**
   * Appends the code of `root` to `out`. Recursion follows the expression tree; a chain of blocks
   * each opening with the next (the br_table layout nests one per block) is walked with a stack.
   */
  write(root: Expr, out: Bytes, funcIndex: (name: string) => number, globalIndex: (name: string) => number): void {
    // Label id -> its (innermost) position on the stack of open labels, so a branch finds its
    // depth at once (the br_table layout nests one block per bpf block: a scan would be quadratic).
    const labels: number[] = [];
    const saved: number[] = [];
    const at = new Int32Array(this.names.length).fill(-1);
    const pushLabel = (id: number): void => {
      labels.push(id);
      saved.push(id >= 0 ? at[id]! : -1);
      if (id >= 0) at[id] = labels.length - 1;
    };
    const popLabel = (): void => {
      const id = labels.pop()!;
      const prev = saved.pop()!;
      if (id >= 0) at[id] = prev;
    };
    const depth = (id: number): number => {
      const p = at[id]!;
      if (p < 0) throw new Error(`wasm: branch to unknown label ${this.names[id]}`);
      return labels.length - 1 - p;
    };
    const funcs = this.names.map((): number => -1);
    const globals = this.names.map((): number => -1);
    const fi = (id: number): number => (funcs[id] !== -1 ? funcs[id]! : (funcs[id] = funcIndex(this.names[id]!)));
    const gi = (id: number): number => (globals[id] !== -1 ? globals[id]! : (globals[id] = globalIndex(this.names[id]!)));
    const { kind, type, kidAt, kidCount, aux, auxLen } = this;
    const kids = this.kids.a;
    const code = this.code.buf;
    const emit = (e: Expr): void => {
      const kAt = kidAt[e]!;
      const n = kidCount[e]!;
      switch (kind[e] as K) {
        case K.Plain: {
          for (let i = 0; i < n; i++) emit(kids[kAt + i]!);
          const from = aux[e]!;
          out.copy(code, from, from + auxLen[e]!);
          return;
        }
        case K.Block: {
          // Walk down first children that are blocks, opening each; then close them inner first.
          const chain: Expr[] = [];
          let cur = e;
          for (;;) {
            chain.push(cur);
            out.byte(0x02);
            out.byte(blockType(type[cur]!));
            pushLabel(aux[cur]!);
            if (kidCount[cur] === 0) break;
            const first = kids[kidAt[cur]!]!;
            if (kind[first] !== K.Block) break;
            cur = first;
          }
          for (let i = chain.length - 1; i >= 0; i--) {
            const b = chain[i]!;
            const bAt = kidAt[b]!;
            const bn = kidCount[b]!;
            for (let j = i === chain.length - 1 ? 0 : 1; j < bn; j++) emit(kids[bAt + j]!);
            out.byte(0x0b);
            popLabel();
          }
          return;
        }
        case K.Loop:
          out.byte(0x03);
          out.byte(blockType(type[e]!));
          pushLabel(aux[e]!);
          emit(kids[kAt]!);
          out.byte(0x0b);
          popLabel();
          return;
        case K.If:
          emit(kids[kAt]!);
          out.byte(0x04);
          out.byte(blockType(type[e]!));
          pushLabel(-1);
          emit(kids[kAt + 1]!);
          if (n > 2) {
            out.byte(0x05);
            emit(kids[kAt + 2]!);
          }
          out.byte(0x0b);
          popLabel();
          return;
        case K.Br:
          if (n > 0) emit(kids[kAt]!);
          out.byte(n > 0 ? 0x0d : 0x0c);
          uleb(out, depth(aux[e]!));
          return;
        case K.Switch: {
          emit(kids[kAt]!);
          out.byte(0x0e);
          const from = aux[e]!;
          const len = auxLen[e]!;
          uleb(out, len - 1);
          for (let i = 0; i < len; i++) uleb(out, depth(kids[from + i]!));
          return;
        }
        case K.Call:
          for (let i = 0; i < n; i++) emit(kids[kAt + i]!);
          out.byte(0x10);
          uleb(out, fi(aux[e]!));
          return;
        case K.GlobalGet:
          out.byte(0x23);
          uleb(out, gi(aux[e]!));
          return;
        case K.GlobalSet:
          emit(kids[kAt]!);
          out.byte(0x24);
          uleb(out, gi(aux[e]!));
          return;
      }
    };
    emit(root);
  }
}

interface FuncType {
  readonly params: readonly number[];
  readonly results: readonly number[];
}

/** A module: imports, globals, functions and exports, written out by {@link ModuleWriter.emit}. */
export class ModuleWriter {
  readonly b = new ExprBuilder();
  private readonly types: FuncType[] = [];
  private readonly typeKeys = new Map<string, number>();
  private readonly funcImports: Array<{ module: string; name: string; type: number; id: string }> = [];
  private memoryImport: { module: string; name: string; min: number; max: number } | undefined;
  private readonly globals: Array<{ name: string; type: number; mutable: boolean; init: number | bigint }> = [];
  private readonly funcs: Array<{ name: string; type: number; vars: readonly number[]; body: Expr }> = [];
  private readonly exports: Array<{ name: string; kind: 0 | 3; target: string }> = [];

  private typeIndex(params: readonly number[], results: readonly number[]): number {
    const key = `${params.join(',')}>${results.join(',')}`;
    let i = this.typeKeys.get(key);
    if (i === undefined) {
      i = this.types.length;
      this.types.push({ params, results });
      this.typeKeys.set(key, i);
    }
    return i;
  }

  importMemory(module: string, name: string, min: number, max: number): void {
    this.memoryImport = { module, name, min, max };
  }
  importFunction(id: string, module: string, name: string, params: readonly number[], result: number): void {
    this.funcImports.push({ id, module, name, type: this.typeIndex(params, result === NONE ? [] : [result]) });
  }
  addGlobal(name: string, type: number, mutable: boolean, init: number | bigint): void {
    this.globals.push({ name, type, mutable, init });
  }
  addFunction(name: string, params: readonly number[], result: number, vars: readonly number[], body: Expr): void {
    this.funcs.push({ name, type: this.typeIndex(params, result === NONE ? [] : [result]), vars, body });
  }
  exportFunction(name: string): void {
    this.exports.push({ name, kind: 0, target: name });
  }
  exportGlobal(name: string): void {
    this.exports.push({ name, kind: 3, target: name });
  }

  emit(): Uint8Array {
    const funcIndex = new Map<string, number>();
    this.funcImports.forEach((f, i) => funcIndex.set(f.id, i));
    this.funcs.forEach((f, i) => funcIndex.set(f.name, this.funcImports.length + i));
    const globalIndex = new Map<string, number>();
    this.globals.forEach((g, i) => globalIndex.set(g.name, i));
    const fi = (name: string): number => {
      const i = funcIndex.get(name);
      if (i === undefined) throw new Error(`wasm: call to unknown function ${name}`);
      return i;
    };
    const gi = (name: string): number => {
      const i = globalIndex.get(name);
      if (i === undefined) throw new Error(`wasm: unknown global ${name}`);
      return i;
    };
    const out = new Bytes();
    out.push(0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00);
    const section = (id: number, body: Bytes | number[]): void => {
      out.byte(id);
      uleb(out, body.length);
      out.append(body);
    };
    // Types.
    let s: number[] = [];
    uleb(s, this.types.length);
    for (const t of this.types) {
      s.push(0x60);
      uleb(s, t.params.length);
      for (const p of t.params) s.push(valType(p));
      uleb(s, t.results.length);
      for (const r of t.results) s.push(valType(r));
    }
    section(1, s);
    // Imports.
    s = [];
    uleb(s, this.funcImports.length + (this.memoryImport ? 1 : 0));
    if (this.memoryImport) {
      const mi = this.memoryImport;
      utf8(s, mi.module);
      utf8(s, mi.name);
      s.push(0x02, 0x01);
      uleb(s, mi.min);
      uleb(s, mi.max);
    }
    for (const f of this.funcImports) {
      utf8(s, f.module);
      utf8(s, f.name);
      s.push(0x00);
      uleb(s, f.type);
    }
    section(2, s);
    // Functions.
    s = [];
    uleb(s, this.funcs.length);
    for (const f of this.funcs) uleb(s, f.type);
    section(3, s);
    // Globals.
    s = [];
    uleb(s, this.globals.length);
    for (const g of this.globals) {
      s.push(valType(g.type), g.mutable ? 1 : 0);
      if (g.type === I64) {
        s.push(0x42);
        sleb64(s, BigInt(g.init));
      } else if (g.type === F64) {
        s.push(0x44, ...f64Bytes(Number(g.init)));
      } else {
        s.push(0x41);
        sleb32(s, Number(g.init));
      }
      s.push(0x0b);
    }
    section(6, s);
    // Exports.
    s = [];
    uleb(s, this.exports.length);
    for (const e of this.exports) {
      utf8(s, e.name);
      s.push(e.kind);
      uleb(s, e.kind === 0 ? fi(e.target) : gi(e.target));
    }
    section(7, s);
    // Code.
    const code = new Bytes();
    uleb(code, this.funcs.length);
    for (const f of this.funcs) {
      const body = new Bytes();
      // Locals in runs of one type.
      const runs: Array<[number, number]> = [];
      for (const v of f.vars) {
        const last = runs[runs.length - 1];
        if (last !== undefined && last[1] === v) last[0]++;
        else runs.push([1, v]);
      }
      uleb(body, runs.length);
      for (const [n, t] of runs) {
        uleb(body, n);
        body.push(valType(t));
      }
      this.b.write(f.body, body, fi, gi);
      // A body that ends in a branch or return has no value (binaryen would type it unreachable).
      if (this.types[f.type]!.results.length > 0 && !isValue(this.b.typeOf(f.body))) body.byte(0x00);
      body.byte(0x0b);
      uleb(code, body.length);
      code.append(body);
    }
    section(10, code);
    // Nothing more is built with this writer's expressions: the next writer reuses their tables.
    this.b.release();
    return out.bytes();
  }
}
