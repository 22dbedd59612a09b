/**
 * Global (non-static) functions, as the kernel treats them: verified once on their own, for any
 * arguments their BTF prototype allows (a pointer argument may be NULL), and called as opaque
 * functions whose arguments are checked against that prototype and which return a number.
 */
import { resolveType, sizeof } from '../btf/btf.js';
import type { Btf } from '../btf/btf.js';
import type { BpfObject, ProgramDef } from '../loader/model.js';
import type { ContextSpec } from './contexts.js';

export type ParamSpec =
  | { readonly kind: 'scalar' }
  | { readonly kind: 'ctx' }
  /** A pointer to `size` bytes, or NULL. */
  | { readonly kind: 'mem'; readonly size: number; readonly type: string }
  | { readonly kind: 'unsupported'; readonly why: string };

export interface GlobalFunc {
  readonly name: string;
  readonly slot: number;
  readonly params: readonly ParamSpec[];
  readonly returnsVoid: boolean;
  /** Why the prototype itself is refused (a non-scalar return, more than 5 arguments). */
  readonly invalid?: string;
}

/** The BTF names of each program type's context struct, for `struct xdp_md *ctx` arguments. */
function isContextType(name: string, ctx: ContextSpec): boolean {
  return ctx.name === `struct ${name}` || (name === 'pt_regs' && ctx.name === 'struct pt_regs');
}

function paramSpec(btf: Btf, typeId: number, ctx: ContextSpec): ParamSpec {
  const t = resolveType(btf, typeId);
  if (t.kind === 'INT' || t.kind === 'ENUM' || t.kind === 'ENUM64') return { kind: 'scalar' };
  if (t.kind !== 'PTR') return { kind: 'unsupported', why: `argument of kind ${t.kind}` };
  const target = resolveType(btf, t.type);
  if ((target.kind === 'STRUCT' || target.kind === 'UNION') && isContextType(target.name, ctx)) return { kind: 'ctx' };
  if (target.kind === 'VOID') return { kind: 'unsupported', why: 'void * argument (the kernel needs the pointee type)' };
  try {
    return { kind: 'mem', size: sizeof(btf, t.type), type: 'name' in target && target.name ? target.name : target.kind.toLowerCase() };
  } catch {
    return { kind: 'unsupported', why: 'pointer to a type without a size' };
  }
}

/** The global functions of a program (other than its entry), with their prototypes. */
export function globalFunctions(obj: BpfObject, prog: ProgramDef, ctx: ContextSpec): Map<number, GlobalFunc> {
  const out = new Map<number, GlobalFunc>();
  const btf = obj.btfTypes;
  if (!btf) return out;
  for (const f of prog.functions) {
    if (f.slot === 0 || !f.global || f.btfTypeId === undefined) continue;
    const fn = btf.types[f.btfTypeId];
    if (!fn || fn.kind !== 'FUNC') continue;
    const proto = btf.types[fn.type];
    if (!proto || proto.kind !== 'FUNC_PROTO') continue;
    const params = proto.params.map((p) => paramSpec(btf, p.type, ctx));
    const ret = resolveType(btf, proto.returnType);
    let invalid: string | undefined;
    if (ret.kind !== 'VOID' && ret.kind !== 'INT' && ret.kind !== 'ENUM' && ret.kind !== 'ENUM64')
      invalid = `global function ${f.name} does not return a number (the kernel only supports scalar or void returns)`;
    if (params.length > 5) invalid = `global function ${f.name} has more than 5 arguments`;
    const bad = params.find((p): p is Extract<ParamSpec, { kind: 'unsupported' }> => p.kind === 'unsupported');
    if (bad) invalid = `global function ${f.name}: ${bad.why}`;
    out.set(f.slot, { name: f.name, slot: f.slot, params, returnsVoid: ret.kind === 'VOID', ...(invalid ? { invalid } : {}) });
  }
  return out;
}
