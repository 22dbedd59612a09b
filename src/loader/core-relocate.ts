import { BpfkitError } from '../errors.js';
import type { Btf } from '../btf/btf.js';
import { CoreResolver, patchCoreInstruction } from '../btf/core.js';
import { coreReloKindName } from '../btf/kinds.js';
import { badInput, hex } from '../elf/reader.js';
import type { LoadContext } from './context.js';
import { funcAt, insnAtSlot } from './context.js';
import type { CoreRelocationReport } from './model.js';

/**
 * Applies the object's CO-RE relocations against `target` (the object's own BTF when the user
 * gave none), section by section in `.BTF.ext` order, the way libbpf's relocate_core does
 * before any linking: instruction numbers are relative to the function they are in.
 */
export function applyCoreRelocations(ctx: LoadContext, target: Btf): CoreRelocationReport[] {
  const { ext, btf } = ctx;
  const out: CoreRelocationReport[] = [];
  if (ext === undefined || btf === undefined || ext.coreRelos.size === 0) return out;
  const resolver = new CoreResolver(btf, target, ctx.endian);
  for (const [secName, records] of ext.coreRelos) {
    const sec = ctx.elf.section(secName);
    if (sec === undefined) badInput(`BTF.ext CO-RE relocations name section '${secName}', which the object does not have`);
    records.forEach((relo, i) => {
      const where = `CO-RE relocation #${i} of section ${secName}`;
      if (relo.insnOff % 8 !== 0) badInput(`${where}: instruction offset ${hex(relo.insnOff)} is not a multiple of 8`);
      const slot = relo.insnOff / 8;
      const f = funcAt(ctx.funcs, sec.index, slot);
      if (f === undefined) return; // libbpf skips relocations of code that belongs to no program
      const rel = slot - f.secSlot;
      const idx = insnAtSlot(f, rel);
      if (idx < 0) badInput(`${where}: instruction offset ${hex(relo.insnOff)} is the second half of an lddw`);
      let res;
      let patched;
      try {
        res = resolver.resolve(relo, `${where} in '${f.name}'`);
        patched = patchCoreInstruction(f.insns[idx]!, res, rel, `${where} in '${f.name}'`);
      } catch (e) {
        // one relocation libbpf could not apply fails the programs that contain it, not the object
        if (!(e instanceof BpfkitError)) throw e;
        f.linkErrors.push(e.message);
        return;
      }
      const note = `CO-RE ${res.local}`;
      for (const ins of patched.out) ins.meta = { ...ins.meta, reloc: note };
      f.insns.splice(idx, 1, ...patched.out);
      const report: CoreRelocationReport = {
        section: secName,
        index: i,
        function: f.name,
        insn: rel,
        kind: coreReloKindName(relo.kind),
        local: res.local,
        candidates: res.candidates,
        log: patched.log,
      };
      const poisoned = patched.out[0]!.meta?.poisoned;
      if (poisoned !== undefined) report.poisoned = poisoned;
      out.push(report);
    });
  }
  return out;
}
