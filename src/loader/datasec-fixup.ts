import { BtfVarLinkage } from '../btf/kinds.js';
import { badInput } from '../elf/reader.js';
import { STT, STV } from '../elf/constants.js';
import type { LoadContext } from './context.js';

/**
 * clang leaves DATASEC sizes and variable offsets at 0 in objects (the linker decides them), so
 * libbpf fills them from the ELF before using the BTF: size from the section, each variable's
 * offset from its symbol, then sorts the variables by offset. The map order of `.maps` follows
 * from that sort. Variables with hidden visibility become static, as libbpf marks them.
 */
export function fixupDatasecs(ctx: LoadContext): void {
  const { btf, elf } = ctx;
  if (btf === undefined) return;
  for (const t of btf.types) {
    if (t.kind !== 'DATASEC') continue;
    // extern sections have no ELF section: the extern collector lays .kconfig out
    if (t.name === '.kconfig' || t.name === '.ksyms') continue;
    if (t.size === 0) {
      const sec = elf.section(t.name);
      if (sec === undefined || sec.size === 0) badInput(`BTF DATASEC '${t.name}': no ELF section of that name to take its size from`);
      t.size = sec.size;
      for (const [i, vi] of t.vars.entries()) {
        const v = btf.type(vi.type, `BTF DATASEC '${t.name}' variable ${i}`);
        if (v.kind !== 'VAR') badInput(`BTF DATASEC '${t.name}' variable ${i}: type [${vi.type}] is a ${v.kind}, not a VAR`);
        if (v.linkage === BtfVarLinkage.STATIC || v.linkage === BtfVarLinkage.GLOBAL_EXTERN) continue;
        const sym = elf.symbols.find((s) => s.name === v.name && s.type === STT.OBJECT) ?? elf.symbols.find((s) => s.name === v.name && s.type !== STT.SECTION && s.type !== STT.FILE);
        if (sym === undefined) badInput(`BTF DATASEC '${t.name}': no ELF symbol for VAR '${v.name}'`);
        vi.offset = sym.value;
        if (sym.visibility === STV.HIDDEN || sym.visibility === STV.INTERNAL) v.linkage = BtfVarLinkage.STATIC;
      }
    }
    // a stable sort keeps the compiler's order among variables at the same offset
    t.vars.sort((a, b) => a.offset - b.offset);
  }
}
