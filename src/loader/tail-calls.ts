import type { LoadContext } from './context.js';
import { MapType } from './kinds.js';

/** iproute2's tail-call section names: `ID/KEY` (KEY decimal or hex, as `1/0x1010`). */
export const TAIL_CALL_SECTION = /^(\d+)\/(\d+|0x[0-9a-fA-F]+)$/;

/**
 * iproute2 (`tc`, and Cilium's old datapath with it) puts the program of section `ID/KEY` into
 * slot KEY of the prog array whose `bpf_elf_map` id is ID. The loader records that as the map's
 * initial slots, as `.values` initialisers are recorded for libbpf objects.
 */
export function applyTailCallSections(ctx: LoadContext): void {
  for (const f of ctx.funcs) {
    if (f.isSubprog) continue;
    const m = TAIL_CALL_SECTION.exec(f.section.name);
    if (!m) continue;
    const id = Number(m[1]);
    const key = Number(m[2]);
    const map = ctx.maps.find((x) => x.convention === 'iproute2' && x.id === id && x.type === MapType.PROG_ARRAY);
    if (map === undefined) continue;
    f.convention = 'iproute2';
    const slots = [...(map.initialSlots ?? []).filter((s) => s.index !== key), { index: key, name: f.name }];
    map.initialSlots = slots.sort((a, b) => a.index - b.index);
  }
}
