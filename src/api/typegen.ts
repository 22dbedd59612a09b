import { resolveType, type Btf } from '../btf/index.js';
import type { BtfAnyType, BtfComposite, BtfMember } from '../btf/types.js';
import { mapTypeName } from '../loader/kinds.js';
import type { BpfObject, MapDef } from '../loader/model.js';

/** Options of {@link generateTypes}. */
export interface GenerateTypesOptions {
  /** The module the generated file imports bpfkit from (default `'bpfkit'`). */
  importFrom?: string;
  /** Shown in the header comment: the object the file was generated from. */
  source?: string;
}

/**
 * TypeScript for an object, from its BTF, in the spirit of a libbpf skeleton or bpf2go: one type
 * per named struct, union and enum (ring-buffer and perf records included), one per global-data
 * section, and a typed `load()` whose `maps.<name>` are `BpfkitMap<Key, Value>` and whose
 * `programs.<name>` are the programs. The TypeScript types are those {@link BtfValue} decoding
 * produces: integers of up to 4 bytes are `number`, wider ones `bigint`, `char` arrays `string`,
 * `bool` `boolean`, pointers `bigint`, enums their numbers (each enum also gets a const object
 * of its named values).
 */
export function generateTypes(object: BpfObject, options: GenerateTypesOptions = {}): string {
  return new TypeGen(object, options).file();
}

const RESERVED = new Set(
  'break case catch class const continue debugger default delete do else enum export extends false finally for function if import in instanceof new null return super switch this throw true try typeof var void while with as implements interface let package private protected public static yield any boolean number string symbol bigint never unknown object type declare module namespace readonly keyof infer is asserts abstract async await constructor get set of require global Array Uint8Array Map Record Promise load'.split(
    ' ',
  ),
);

/** `flow_key` → `FlowKey`, `.data.hist` → `DataHist`. */
function pascal(name: string): string {
  const p = name
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('');
  if (p === '') return 'Anon';
  return /^[0-9]/.test(p) ? `T${p}` : p;
}

/** A name usable as a property key without quotes, else quoted. */
function prop(name: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) ? name : JSON.stringify(name);
}

/** `.bss` → `bss`, `.data.hist` → `data_hist`: the skeleton's names for global-data maps. */
function mapIdent(name: string): string {
  const id = name.replace(/^\./, '').replace(/[^A-Za-z0-9_$]/g, '_');
  return /^[0-9]/.test(id) || id === '' ? `_${id}` : id;
}

class TypeGen {
  private readonly btf: Btf | undefined;
  /** TypeScript name of each named struct/union/enum/datasec type id. */
  private readonly names = new Map<number, string>();
  private readonly used = new Set<string>();
  private readonly out: string[] = [];

  constructor(
    private readonly object: BpfObject,
    private readonly options: GenerateTypesOptions,
  ) {
    this.btf = object.btfTypes;
  }

  private claim(wanted: string): string {
    let name = RESERVED.has(wanted) ? `${wanted}T` : wanted;
    for (let i = 2; this.used.has(name); i++) name = `${wanted}${i}`;
    this.used.add(name);
    return name;
  }

  /** The TypeScript type of a value of BTF type `id`, as {@link decodeValue} produces it. */
  private ts(id: number, indent: string): string {
    const btf = this.btf;
    if (btf === undefined) return 'Uint8Array';
    const t: BtfAnyType = resolveType(btf, id);
    switch (t.kind) {
      case 'INT':
        if (t.encoding & 4) return 'boolean';
        return t.size <= 4 ? 'number' : 'bigint';
      case 'ENUM':
      case 'ENUM64':
        return this.names.get(t.id) ?? (t.size <= 4 ? 'number' : 'bigint');
      case 'PTR':
        return 'bigint';
      case 'FLOAT':
        return 'number';
      case 'ARRAY': {
        const elem = resolveType(btf, t.type);
        if (elem.kind === 'INT' && elem.size === 1 && elem.name === 'char') return 'string';
        const inner = this.ts(t.type, indent);
        return /^[A-Za-z0-9_]+$/.test(inner) ? `${inner}[]` : `Array<${inner}>`;
      }
      case 'STRUCT':
      case 'UNION': {
        const named = this.names.get(t.id);
        return named ?? this.body(t, indent);
      }
      case 'DATASEC':
        return this.names.get(t.id) ?? 'Record<string, unknown>';
      default:
        return 'unknown';
    }
  }

  /** The fields of a struct or union, anonymous members' fields merged in (as decoding does). */
  private fields(t: BtfComposite<'STRUCT' | 'UNION'>, indent: string): string[] {
    const lines: string[] = [];
    for (const m of t.members as BtfMember[]) {
      if (m.name === '') {
        const inner = resolveType(this.btf!, m.type);
        if (inner.kind === 'STRUCT' || inner.kind === 'UNION') {
          lines.push(...this.fields(inner, indent));
          continue;
        }
      }
      const bits = m.bitfieldSize > 0 ? this.bitfieldType(m) : undefined;
      lines.push(`${indent}  ${prop(m.name)}: ${bits ?? this.ts(m.type, `${indent}  `)};`);
    }
    return lines;
  }

  private bitfieldType(m: BtfMember): string {
    const t = resolveType(this.btf!, m.type);
    const size = t.kind === 'INT' || t.kind === 'ENUM' || t.kind === 'ENUM64' ? t.size : 4;
    return size <= 4 ? 'number' : 'bigint';
  }

  private body(t: BtfComposite<'STRUCT' | 'UNION'>, indent: string): string {
    const fields = this.fields(t, indent);
    return fields.length === 0 ? 'Record<string, never>' : `{\n${fields.join('\n')}\n${indent}}`;
  }

  private emitTypes(): void {
    const btf = this.btf;
    if (btf === undefined) return;
    // Names first, so types may refer to each other in any order.
    const composite: Array<BtfComposite<'STRUCT' | 'UNION'>> = [];
    for (const t of btf.types) {
      if ((t.kind === 'STRUCT' || t.kind === 'UNION' || t.kind === 'ENUM' || t.kind === 'ENUM64') && t.name !== '' && !this.names.has(t.id)) {
        // Kernel context types (xdp_md, __sk_buff, pt_regs...) are the program's input, not data.
        if ((t.kind === 'STRUCT' || t.kind === 'UNION') && t.members.length === 0) continue;
        this.names.set(t.id, this.claim(pascal(t.name)));
        if (t.kind === 'STRUCT' || t.kind === 'UNION') composite.push(t);
      }
      if (t.kind === 'DATASEC' && this.object.maps.some((m) => m.name === t.name)) this.names.set(t.id, this.claim(`${pascal(t.name)}Section`));
    }
    for (const t of btf.types) {
      if ((t.kind === 'ENUM' || t.kind === 'ENUM64') && this.names.has(t.id)) {
        const name = this.names.get(t.id)!;
        const wide = t.size > 4;
        this.out.push(`/** \`enum ${t.name}\` (${t.size} bytes): its values are numbers${wide ? ' (bigint)' : ''}; the names are below. */`);
        this.out.push(`export type ${name} = ${wide ? 'bigint' : 'number'};`);
        const values = t.values.map((v) => {
          const raw = (BigInt(v.hi >>> 0) << 32n) | BigInt(v.lo >>> 0);
          // As decoding reads it: the enum's size, signed or not.
          const value = t.signed ? BigInt.asIntN(t.size * 8, raw) : BigInt.asUintN(t.size * 8, raw);
          return `  ${prop(v.name)}: ${wide ? `${value}n` : String(Number(value))},`;
        });
        this.out.push(`export const ${name} = {\n${values.join('\n')}\n} as const;`, '');
      }
    }
    for (const t of composite) {
      this.out.push(`/** \`${t.kind === 'STRUCT' ? 'struct' : 'union'} ${t.name}\` (${t.size} bytes). */`);
      this.out.push(`export interface ${this.names.get(t.id)} ${this.body(t, '')}`, '');
    }
    for (const t of btf.types) {
      if (t.kind !== 'DATASEC' || !this.names.has(t.id)) continue;
      const lines: string[] = [];
      for (const v of t.vars) {
        const vt = btf.type(v.type);
        if (vt.kind !== 'VAR') continue;
        lines.push(`  ${prop(vt.name)}: ${this.ts(vt.type, '  ')};`);
      }
      this.out.push(`/** The global variables of \`${t.name}\`. */`);
      this.out.push(`export interface ${this.names.get(t.id)} ${lines.length ? `{\n${lines.join('\n')}\n}` : '{}'}`, '');
    }
  }

  private keyType(m: MapDef): string {
    if (m.origin !== 'btf' && m.origin !== 'legacy') return 'number';
    if (m.btfKeyTypeId !== 0) return this.ts(m.btfKeyTypeId, '  ');
    return m.keySize === 4 ? 'number | Uint8Array' : 'Uint8Array';
  }

  private valueType(m: MapDef): string {
    return m.btfValueTypeId !== 0 ? this.ts(m.btfValueTypeId, '  ') : 'Uint8Array';
  }

  file(): string {
    const from = this.options.importFrom ?? 'bpfkit';
    const src = this.options.source ?? 'the object';
    this.out.push(
      `// Generated by \`bpfkit gen types\` from ${src}'s BTF. Do not edit: regenerate it when the object changes.`,
      '/* eslint-disable */',
      `import { loadObject, type BpfkitMap, type BpfkitObject, type BpfkitProgram, type LoadObjectOptions } from '${from}';`,
      '',
    );
    this.emitTypes();
    const maps = this.object.maps.map((m) => {
      const kind = mapTypeName(m.type);
      return `  /** \`${m.name}\`: ${kind}, key ${m.keySize} bytes, value ${m.valueSize} bytes, ${m.maxEntries} entr${m.maxEntries === 1 ? 'y' : 'ies'}. */\n  ${prop(mapIdent(m.name))}: BpfkitMap<${this.keyType(m)}, ${this.valueType(m)}>;`;
    });
    const programs = this.object.programs.map((p) => `  /** section \`${p.section}\` */\n  ${prop(p.name)}: BpfkitProgram;`);
    this.out.push(
      '/** The maps, global data included (`.bss` is `bss`, `.data.x` is `data_x`). */',
      `export interface Maps {\n${maps.join('\n')}\n}`,
      '',
      `export interface Programs {\n${programs.join('\n')}\n}`,
      '',
      '/** A loaded object with typed maps and its programs by name. */',
      'export interface TypedObject {\n  readonly object: BpfkitObject;\n  readonly programs: Programs;\n  readonly maps: Maps;\n}',
      '',
      '/** Loads the object (its bytes or a path) into a fresh simulated kernel, typed. */',
      'export function load(input: Uint8Array | string, options: LoadObjectOptions = {}): TypedObject {',
      '  const object = loadObject(input, options);',
      `  const programs = {\n${this.object.programs.map((p) => `    ${prop(p.name)}: object.program(${JSON.stringify(p.name)}),`).join('\n')}\n  } as Programs;`,
      `  const maps = {\n${this.object.maps.map((m) => `    ${prop(mapIdent(m.name))}: object.map(${JSON.stringify(m.name)}),`).join('\n')}\n  } as unknown as Maps;`,
      '  return { object, programs, maps };',
      '}',
      '',
    );
    return this.out.join('\n');
  }
}
