import type { Btf } from './btf.js';
import { enumValue } from './btf.js';
import { BtfIntEncoding } from './kinds.js';
import type { BtfAnyType } from './types.js';

const quoted = (name: string): string => `'${name === '' ? '(anon)' : name}'`;

function intEncoding(e: number): string {
  switch (e) {
    case 0:
      return '(none)';
    case BtfIntEncoding.SIGNED:
      return 'SIGNED';
    case BtfIntEncoding.CHAR:
      return 'CHAR';
    case BtfIntEncoding.BOOL:
      return 'BOOL';
    default:
      return 'UNKN';
  }
}

const FUNC_LINKAGE = ['static', 'global', 'extern'];
const VAR_LINKAGE = ['static', 'global', 'extern'];

/**
 * One type in the raw format of `bpftool btf dump file X` (lines after the first start with a
 * tab), so a dump can be compared with bpftool's line for line.
 */
export function formatType(btf: Btf, id: number): string {
  const t: BtfAnyType = btf.type(id);
  if (t.kind === 'VOID') return '[0] VOID';
  const head = `[${t.id}] ${t.kind} ${quoted(t.name)}`;
  switch (t.kind) {
    case 'INT':
      return `${head} size=${t.size} bits_offset=${t.bitsOffset} nr_bits=${t.bits} encoding=${intEncoding(t.encoding)}`;
    case 'PTR':
    case 'TYPEDEF':
    case 'VOLATILE':
    case 'CONST':
    case 'RESTRICT':
    case 'TYPE_TAG':
      return `${head} type_id=${t.type}`;
    case 'ARRAY':
      return `${head} type_id=${t.type} index_type_id=${t.indexType} nr_elems=${t.nelems}`;
    case 'STRUCT':
    case 'UNION':
      return [
        `${head} size=${t.size} vlen=${t.members.length}`,
        ...t.members.map(
          (m) => `\t${quoted(m.name)} type_id=${m.type} bits_offset=${m.bitsOffset}${m.bitfieldSize ? ` bitfield_size=${m.bitfieldSize}` : ''}`,
        ),
      ].join('\n');
    case 'ENUM':
    case 'ENUM64': {
      // bpftool marks 64-bit enumerator values with C's suffixes
      const suffix = t.kind === 'ENUM64' ? (t.signed ? 'LL' : 'ULL') : '';
      return [
        `${head} encoding=${t.signed ? 'SIGNED' : 'UNSIGNED'} size=${t.size} vlen=${t.values.length}`,
        ...t.values.map((v) => `\t${quoted(v.name)} val=${enumValue(t.signed, t.kind, v)}${suffix}`),
      ].join('\n');
    }
    case 'FWD':
      return `${head} fwd_kind=${t.union ? 'union' : 'struct'}`;
    case 'FUNC':
      return `${head} type_id=${t.type} linkage=${FUNC_LINKAGE[t.linkage] ?? '(unknown)'}`;
    case 'FUNC_PROTO':
      return [`${head} ret_type_id=${t.returnType} vlen=${t.params.length}`, ...t.params.map((p) => `\t${quoted(p.name)} type_id=${p.type}`)].join('\n');
    case 'VAR':
      return `${head} type_id=${t.type}, linkage=${VAR_LINKAGE[t.linkage] ?? '(unknown)'}`;
    case 'DATASEC':
      return [
        `${head} size=${t.size} vlen=${t.vars.length}`,
        ...t.vars.map((v) => {
          const target = btf.types[v.type];
          const named = target !== undefined && target.kind !== 'VOID' ? ` (${target.kind} ${quoted(target.name)})` : '';
          return `\ttype_id=${v.type} offset=${v.offset} size=${v.size}${named}`;
        }),
      ].join('\n');
    case 'FLOAT':
      return `${head} size=${t.size}`;
    case 'DECL_TAG':
      return `${head} type_id=${t.type} component_idx=${t.componentIdx}`;
  }
}

/** The whole graph in bpftool's raw format, one type after another (void omitted, as bpftool does). */
export function formatBtf(btf: Btf): string {
  const lines: string[] = [];
  for (let id = 1; id < btf.types.length; id++) lines.push(formatType(btf, id));
  return lines.length ? `${lines.join('\n')}\n` : '';
}

/**
 * A C spelling of a type for reports: `struct counters`, `const volatile __u32`, `char[8]`,
 * `int *`, `int (void *)`. Deep or cyclic graphs are cut short with `...`.
 */
export function cTypeName(btf: Btf, id: number, depth = 0): string {
  if (depth > 16) return '...';
  const t = btf.types[id];
  if (t === undefined) return `<bad type ${id}>`;
  const name = t.name === '' ? '(anon)' : t.name;
  switch (t.kind) {
    case 'VOID':
      return 'void';
    case 'INT':
    case 'FLOAT':
    case 'TYPEDEF':
      return name;
    case 'STRUCT':
    case 'UNION':
      return `${t.kind.toLowerCase()} ${name}`;
    case 'ENUM':
    case 'ENUM64':
      return `enum ${name}`;
    case 'FWD':
      return `${t.union ? 'union' : 'struct'} ${name}`;
    case 'PTR':
      return `${cTypeName(btf, t.type, depth + 1)} *`;
    case 'CONST':
    case 'VOLATILE':
    case 'RESTRICT':
      return `${t.kind.toLowerCase()} ${cTypeName(btf, t.type, depth + 1)}`;
    case 'TYPE_TAG':
      return `${cTypeName(btf, t.type, depth + 1)} __tag(${name})`;
    case 'ARRAY':
      return `${cTypeName(btf, t.type, depth + 1)}[${t.nelems}]`;
    case 'FUNC_PROTO':
      return `${cTypeName(btf, t.returnType, depth + 1)} (${t.params.map((p) => (p.type === 0 ? '...' : cTypeName(btf, p.type, depth + 1))).join(', ') || 'void'})`;
    case 'FUNC':
    case 'VAR':
    case 'DATASEC':
    case 'DECL_TAG':
      return name;
  }
}
