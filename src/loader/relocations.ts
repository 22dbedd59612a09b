import { relocationTypeName, SHF, SHN, STT } from '../elf/constants.js';
import { badInput, hex } from '../elf/reader.js';
import { PseudoCall, PseudoLd } from '../isa/opcodes.js';
import type { Func, LoadContext } from './context.js';
import type { Instruction } from '../isa/instruction.js';
import { funcAt, insnAtSlot, symbolName } from './context.js';
import { codeSections } from './functions.js';
import { MapType } from './kinds.js';

const CALL = 0x85;
const LDDW = 0x18;

/**
 * Reads the relocations of every code section and acts on them as libbpf's record_reloc and
 * relocate_data do:
 * - `call` against a function: kept for linking;
 * - `lddw` against a function (a callback address): becomes BPF_PSEUDO_FUNC, kept for linking;
 * - `lddw` against a map definition: src=1 (map fd), imm = map index;
 * - `lddw` against global data: src=2 (map value), imm = map index, immHi = offset in the value.
 */
export function applyCodeRelocations(ctx: LoadContext): void {
  const { elf } = ctx;
  for (const sec of codeSections(ctx)) {
    const rel = elf.relocationsFor(sec.index);
    if (rel === undefined) continue;
    rel.entries.forEach((e, n) => {
      const where = `relocation ${n} of section ${sec.name} (${rel.section.name})`;
      if (e.offset % 8 !== 0) badInput(`${where}: offset ${hex(e.offset)} is not at an instruction boundary`);
      if (e.offset >= sec.size) badInput(`${where}: offset ${hex(e.offset)} past the end of the ${hex(sec.size)}-byte section`);
      const slot = e.offset / 8;
      const f = funcAt(ctx.funcs, sec.index, slot);
      if (f === undefined) return; // code outside any function symbol: libbpf skips it too
      const idx = insnAtSlot(f, slot - f.secSlot);
      if (idx < 0) badInput(`${where}: offset ${hex(e.offset)} is the second half of an lddw in '${f.name}'`);
      const ins = f.insns[idx]!;
      const sym = elf.symbols[e.symbol]!;
      const symName = symbolName(elf, sym);
      const note = `${relocationTypeName(e.type)} ${symName}`;
      if (ins.opcode === CALL) {
        if (sym.shndx === SHN.UNDEF && sym.index !== 0) {
          // an extern function: a kfunc declared `__ksym`, or (memset, ...) nothing the kernel has
          const ext = ctx.externs.get(symName);
          if (ext === undefined || ext.def.kind !== 'kfunc') {
            f.linkErrors.push(`call of undefined function '${symName}'`);
            f.codeRelocs.set(slot - f.secSlot, { kind: 'unresolved', symOff: 0, symSection: 0, symName });
            ins.meta = { ...ins.meta, reloc: `${note} (undefined)` };
            return;
          }
          if (ext.unresolved !== undefined) f.linkErrors.push(ext.unresolved);
          ins.src = PseudoCall.KFUNC;
          ins.imm = ext.def.btfId ?? 0;
          ins.meta = { ...ins.meta, callee: symName, reloc: `kfunc ${symName}` };
          return;
        }
        if (ins.src !== PseudoCall.LOCAL) badInput(`${where}: relocation against '${symName}' on a call that is not a BPF-to-BPF call (src ${ins.src})`);
        const target = elf.sections[sym.shndx];
        if (target === undefined || (target.flags & SHF.EXECINSTR) === 0) {
          badInput(`${where}: bad call relocation against '${symName}', which is not in a code section`);
        }
        if (sym.value % 8 !== 0) badInput(`${where}: call target '${symName}' is not instruction-aligned`);
        f.codeRelocs.set(slot - f.secSlot, { kind: 'call', symOff: sym.value, symSection: sym.shndx, symName });
        ins.meta = { ...ins.meta, reloc: note };
        return;
      }
      if (ins.opcode !== LDDW) badInput(`${where}: relocation against '${symName}' on instruction with opcode ${hex(ins.opcode)}, neither lddw nor call`);
      if (sym.shndx === SHN.UNDEF) {
        if (sym.index === 0 || sym.name === '') badInput(`${where}: relocation against the undefined symbol ${sym.index}`);
        relocateExtern(ctx, f, ins, symName);
        return;
      }
      const symSec = elf.sections[sym.shndx];
      if (symSec === undefined) badInput(`${where}: symbol '${symName}' is in section ${sym.shndx}, which does not exist`);
      if ((symSec.flags & SHF.EXECINSTR) !== 0) {
        if (sym.type !== STT.SECTION && sym.type !== STT.FUNC) badInput(`${where}: lddw against '${symName}' in code section ${symSec.name} that is neither a function nor a section symbol`);
        if (sym.value % 8 !== 0 || ins.imm % 8 !== 0) badInput(`${where}: bad subprog addr relo against '${symName}' at offset ${sym.value}+${ins.imm}`);
        f.codeRelocs.set(slot - f.secSlot, { kind: 'subprog_addr', symOff: sym.value, symSection: sym.shndx, symName });
        ins.src = PseudoLd.FUNC;
        ins.meta = { ...ins.meta, reloc: note };
        return;
      }
      // old clang names legacy maps by section symbol + offset in imm (or RELA addend)
      const defOff = sym.value + (sym.type === STT.SECTION ? ins.imm : 0) + (e.addend ?? 0);
      const mapIndex = ctx.places.findIndex((p) => p.section === sym.shndx && (p.kind === 'data' || p.offset === defOff));
      if (mapIndex < 0) badInput(`${where}: bad map relo against '${symName}' in section '${symSec.name}'`);
      const place = ctx.places[mapIndex]!;
      const map = ctx.maps[mapIndex]!;
      if (place.kind === 'data') {
        ins.src = PseudoLd.MAP_VALUE;
        const off = ins.imm + sym.value;
        if (off < 0 || off > map.valueSize) badInput(`${where}: offset ${off} into '${map.name}' is outside its ${map.valueSize}-byte value`);
        ins.immHi = off;
        ins.imm = mapIndex;
      } else {
        ins.src = PseudoLd.MAP_FD;
        ins.imm = mapIndex;
      }
      ins.meta = { ...ins.meta, map: map.name, reloc: note };
    });
  }
}

/**
 * `.values` initialisers of prog arrays and map-in-maps: each relocation in `.rel.maps` writes a
 * program or a map into one 8-byte slot of an outer map's trailing `values` array.
 */
export function applyMapInitialisers(ctx: LoadContext): void {
  const { elf, btf } = ctx;
  const sec = elf.section('.maps');
  if (sec === undefined || btf === undefined) return;
  const rel = elf.relocationsFor(sec.index);
  if (rel === undefined) return;
  const slots = new Map<number, { index: number; name: string }[]>();
  rel.entries.forEach((e, n) => {
    const where = `.maps relo #${n}`;
    const sym = elf.symbols[e.symbol]!;
    const name = symbolName(elf, sym);
    const mapIndex = ctx.places.findIndex((p) => p.kind === 'btf' && p.offset <= e.offset && e.offset + 8 <= p.offset + p.size);
    if (mapIndex < 0) badInput(`${where}: cannot find map '${name}' at rel->r_offset ${e.offset}`);
    const map = ctx.maps[mapIndex]!;
    const place = ctx.places[mapIndex]!;
    const mapInMap = map.type === MapType.ARRAY_OF_MAPS || map.type === MapType.HASH_OF_MAPS;
    if (mapInMap) {
      if (sym.shndx !== sec.index) badInput(`${where}: '${name}' isn't a BTF-defined map`);
      if (map.type === MapType.HASH_OF_MAPS && map.keySize !== 4) badInput(`${where}: hash-of-maps '${map.name}' should have key size 4`);
      if (!ctx.maps.some((m, i) => m.name === name && ctx.places[i]!.kind !== 'data')) badInput(`${where}: '${name}' isn't a valid map reference`);
    } else if (map.type === MapType.PROG_ARRAY) {
      const prog = ctx.funcs.find((f) => f.name === name);
      if (prog === undefined) badInput(`${where}: '${name}' isn't a valid program reference`);
      if (prog.section.index !== sym.shndx || prog.secSlot * 8 !== sym.value || prog.isSubprog) badInput(`${where}: '${name}' isn't an entry-point program`);
    } else {
      badInput(`${where}: map '${map.name}' of type ${map.type} cannot have initial values`);
    }
    // the slot is the pointer's index within the struct's last member, `values`
    const v = btf.find('.maps', 'DATASEC')?.vars.find((x) => x.offset === place.offset);
    const varType = v ? btf.types[v.type] : undefined;
    const def = varType && varType.kind === 'VAR' ? btf.types[varType.type] : undefined;
    const resolved = def && def.kind !== 'VOID' ? (def.kind === 'STRUCT' ? def : undefined) : undefined;
    const last = resolved?.members[resolved.members.length - 1];
    if (resolved === undefined || last === undefined || last.name !== 'values') badInput(`${where}: map '${map.name}' has no 'values' member`);
    const moff = last.bitsOffset / 8;
    if (e.offset - place.offset < moff) badInput(`${where}: relocation before the 'values' member of '${map.name}'`);
    const byteOff = e.offset - place.offset - moff;
    if (byteOff % 8 !== 0) badInput(`${where}: relocation not at a pointer boundary in '${map.name}'`);
    const list = slots.get(mapIndex) ?? [];
    list.push({ index: byteOff / 8, name });
    slots.set(mapIndex, list);
  });
  for (const [i, list] of slots) ctx.maps[i]!.initialSlots = list.sort((a, b) => a.index - b.index);
}

/**
 * An `lddw` of an extern variable, as libbpf patches it: a kconfig value becomes a pointer into
 * the `.kconfig` map; a typed ksym a kernel BTF id (BPF_PSEUDO_BTF_ID); a typeless ksym its
 * address, which only a running kernel knows (0 here). Anything else cannot be linked, and only
 * the programs that use it say so.
 */
function relocateExtern(ctx: LoadContext, f: Func, ins: Instruction, name: string): void {
  const ext = ctx.externs.get(name);
  if (ext === undefined || ext.def.kind === 'kfunc') {
    f.linkErrors.push(`extern '${name}' is declared in neither .kconfig nor .ksyms, so no loader can resolve it`);
    return;
  }
  if (ext.unresolved !== undefined) f.linkErrors.push(ext.unresolved);
  if (ext.def.kind === 'kconfig') {
    ins.src = PseudoLd.MAP_VALUE;
    ins.imm = ctx.kconfigMap ?? 0;
    ins.immHi = ext.def.offset ?? 0;
    ins.meta = { ...ins.meta, map: '.kconfig', reloc: `kconfig ${name}` };
    return;
  }
  if (ext.typed) {
    ins.src = PseudoLd.BTF_ID;
    ins.imm = ext.def.btfId ?? 0;
    ins.immHi = 0;
  } else {
    ins.src = PseudoLd.IMM64;
    ins.imm = 0;
    ins.immHi = 0;
  }
  ins.meta = { ...ins.meta, reloc: `ksym ${name}` };
}
