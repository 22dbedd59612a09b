import { BpfkitError, ErrorCode } from '../errors.js';
import type { Btf } from '../btf/btf.js';
import { extCounts, parseBtfExt } from '../btf/ext.js';
import { parseBtf } from '../btf/parse.js';
import { bindStructOpsPrograms, collectStructOps } from './struct-ops.js';
import { attachKindOf, findAttachTarget, requireAttachTarget } from '../btf/attach.js';
import { kernelBtf } from '../btf/kernel-btf.js';
import { EM_NONE, ET_REL, R_BPF, SHF, SHT } from '../elf/constants.js';
import { parseElf } from '../elf/file.js';
import { badInput, decodeText } from '../elf/reader.js';
import type { ElfFile } from '../elf/file.js';
import { collectBtfMaps } from './btf-maps.js';
import type { LoadContext } from './context.js';
import { applyCoreRelocations } from './core-relocate.js';
import { fixupDatasecs } from './datasec-fixup.js';
import { attachDebugInfo, collectFunctions, markFunctionStarts } from './functions.js';
import { collectGlobalData, collectGlobals } from './global-data.js';
import { collectLegacyMaps } from './legacy-maps.js';
import { linkProgram } from './link.js';
import type { BpfObject, ProgramDef } from './model.js';
import { applyCodeRelocations, applyMapInitialisers } from './relocations.js';
import { checkProgramTypes, noTypeMessage, resolveProgramType, type ProgramTypes } from './program-types.js';
import { collectExterns, parseKconfig } from './externs.js';
import { applyTailCallSections } from './tail-calls.js';

export interface LoadOptions {
  /**
   * The BTF to apply CO-RE relocations against, like libbpf's `btf_custom_path`: raw BTF (a copy
   * of `/sys/kernel/btf/vmlinux`) or an ELF object with a `.BTF` section. Default: the object's
   * own BTF, which leaves every satisfiable relocation as the compiler wrote it.
   */
  targetBtf?: Uint8Array;
  /**
   * The kernel's BTF (e.g. `/sys/kernel/btf/vmlinux`, raw or parsed): CO-RE relocations go against
   * it, and BTF-attached programs (tp_btf, fentry/fexit/fmod_ret, lsm, iter) find their hook's
   * prototype in it, or fail to load as libbpf makes them fail. Raw bytes are opened once per
   * process and decoded on demand.
   */
  btf?: Btf | Uint8Array;
  /** Program types for programs whose section names none (see {@link ProgramTypes}). */
  types?: ProgramTypes;
  /**
   * The kernel config `.kconfig` externs read (`CONFIG_X=y` lines, as in /proc/config.gz),
   * parsed or as text. Without it, strong `CONFIG_*` externs are unresolved (the programs using
   * them are not verifiable) and weak ones 0, as libbpf leaves them.
   */
  kconfig?: string | ReadonlyMap<string, string>;
}

/** libbpf copies at most this much of the license section. */
const LICENSE_MAX = 63;

/**
 * Turns a clang-compiled eBPF object (`clang -O2 -g -target bpf -c`) into bpfkit's object model,
 * doing what libbpf does before it calls the kernel: find programs and maps, make global data
 * into maps, resolve map and data references, apply CO-RE relocations, append sub-programs.
 * Malformed input throws BpfkitError(BAD_INPUT) saying what and where; objects using features
 * bpfkit does not implement throw BpfkitError(UNSUPPORTED).
 */
export function loadObject(bytes: Uint8Array, options: LoadOptions = {}): BpfObject {
  try {
    return load(bytes, options);
  } catch (e) {
    if (e instanceof BpfkitError) throw e;
    // Not a property of the input we anticipated: still one line, never a stack trace.
    throw new BpfkitError(ErrorCode.BadInput, `internal error while loading the object: ${(e as Error).message ?? String(e)}`, { cause: e });
  }
}

function load(bytes: Uint8Array, options: LoadOptions): BpfObject {
  const elf = parseElf(bytes);
  if (elf.header.type !== ET_REL) badInput(`ELF header: e_type ${elf.header.type} is not ET_REL (1); expected a relocatable object from clang -c`);
  if (!elf.sections.some((s) => s.type === SHT.SYMTAB)) badInput('the object has no symbol table (.symtab); was it stripped?');

  const ctx: LoadContext = { elf, endian: elf.endian, funcs: [], maps: [], places: [], externs: new Map(), notes: [] };
  if (elf.header.machine === EM_NONE) checkNoMachine(ctx);
  const btfSec = elf.section('.BTF');
  if (btfSec !== undefined) {
    ctx.btf = withContext('.BTF', () => parseBtf(btfSec.data));
    const extSec = elf.section('.BTF.ext');
    if (extSec !== undefined) ctx.ext = withContext('.BTF.ext', () => parseBtfExt(extSec.data, ctx.btf!));
  }

  fixupDatasecs(ctx);
  collectFunctions(ctx);
  attachDebugInfo(ctx);
  // map order is libbpf's: legacy `maps`, then `.maps`, then global data in section order
  collectLegacyMaps(ctx);
  collectBtfMaps(ctx);
  collectGlobalData(ctx);
  const kernel = options.btf !== undefined ? (options.btf instanceof Uint8Array ? parseTargetBtf(options.btf) : options.btf) : undefined;
  const target = kernel ?? (options.targetBtf !== undefined ? parseTargetBtf(options.targetBtf) : ctx.btf);
  const kconfig = typeof options.kconfig === 'string' ? parseKconfig(options.kconfig) : options.kconfig !== undefined ? new Map(options.kconfig) : undefined;
  collectExterns(ctx, kconfig, target);
  applyCodeRelocations(ctx);
  applyMapInitialisers(ctx);
  applyTailCallSections(ctx);
  const coreRelocations = target !== undefined ? applyCoreRelocations(ctx, target) : [];
  markFunctionStarts(ctx);

  const entries = ctx.funcs.filter((f) => !f.isSubprog);
  checkProgramTypes(options.types, entries.map((f) => f.name));
  const programs: ProgramDef[] = [];
  for (const f of entries) {
    const st = resolveProgramType(f.name, f.section.name, options.types);
    const linked = linkProgram(ctx, f);
    const p: ProgramDef = {
      name: f.name,
      section: f.section.name,
      type: st.type,
      expectedAttachType: st.expectedAttachType,
      instructions: linked.instructions,
      functions: linked.functions,
      subprograms: linked.subprograms,
      convention: f.convention,
      typeSource: st.source,
    };
    if (st.attachTo !== undefined) p.attachTo = st.attachTo;
    if (linked.linkErrors.length > 0) p.notVerifiable = `cannot be linked: ${linked.linkErrors.join('; ')}`;
    else if (st.source === 'none') p.notVerifiable = noTypeMessage(f.name, f.section.name);
    const attach = kernel !== undefined && st.attachTo !== undefined ? attachKindOf(f.section.name) : undefined;
    if (attach !== undefined) {
      // libbpf resolves these when it loads the program (raw tracepoints only when they attach);
      // a program it does not load (autoload off) may name a target the kernel lacks.
      try {
        const found = attach === 'raw_tp' ? findAttachTarget(kernel!, attach, st.attachTo!) : requireAttachTarget(kernel!, f.name, attach, st.attachTo!);
        if (found !== undefined) p.attachBtf = found;
      } catch (e) {
        if (!(e instanceof BpfkitError)) throw e;
        p.attachError = e.message;
        p.notVerifiable ??= e.message;
      }
    }
    programs.push(p);
  }
  const structOps = collectStructOps(ctx);
  bindStructOpsPrograms(programs, structOps, kernel);

  const obj: BpfObject = { endian: elf.endian, license: readLicense(elf), programs, maps: ctx.maps };
  if (structOps.length > 0) obj.structOps = structOps;
  const version = readKernelVersion(elf);
  if (version !== undefined) obj.kernelVersion = version;
  if (ctx.btf !== undefined) {
    const counts = ctx.ext ? extCounts(ctx.ext) : { funcInfos: 0, lineInfos: 0, coreRelocations: 0 };
    obj.btf = { types: ctx.btf.length - 1, strings: ctx.btf.stringCount, ...counts };
    obj.btfTypes = ctx.btf;
  }
  obj.globals = collectGlobals(ctx);
  if (coreRelocations.length > 0) obj.coreRelocations = coreRelocations;
  if (kernel !== undefined) obj.kernelBtf = kernel;
  if (ctx.externs.size > 0) obj.externs = [...ctx.externs.values()].map((e) => e.def);
  if (ctx.notes.length > 0) obj.notes = ctx.notes;
  return obj;
}

/** Prefixes errors from a section's parser with the section's name. */
function withContext<T>(section: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof BpfkitError) throw new BpfkitError(e.code, `section ${section}: ${e.message}`, { cause: e });
    throw e;
  }
}

/** A target BTF given as raw BTF or inside an ELF object. */
export function parseTargetBtf(bytes: Uint8Array): Btf {
  const isElf = bytes.length >= 4 && bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46;
  if (!isElf) return withContext('target BTF', () => kernelBtf(bytes));
  const elf = parseElf(bytes);
  const sec = elf.section('.BTF');
  if (sec === undefined) badInput('target BTF: the ELF file has no .BTF section');
  return withContext('target BTF .BTF', () => parseBtf(sec.data));
}

function readLicense(elf: ElfFile): string {
  const sec = elf.section('license');
  if (sec === undefined) return '';
  const nul = sec.data.indexOf(0);
  const bytes = sec.data.subarray(0, Math.min(nul < 0 ? sec.data.length : nul, LICENSE_MAX));
  return decodeText(bytes);
}

function readKernelVersion(elf: ElfFile): number | undefined {
  const sec = elf.section('version');
  if (sec === undefined) return undefined;
  if (sec.data.length !== 4) badInput(`section version: ${sec.data.length} bytes of data, not 4`);
  const dv = new DataView(sec.data.buffer, sec.data.byteOffset, 4);
  return dv.getUint32(0, elf.endian === 'little');
}

/**
 * e_machine 0 (EM_NONE): accepted as BPF when every relocation of a code section is a BPF one,
 * with a note saying so; anything else is some other machine's object.
 */
function checkNoMachine(ctx: LoadContext): void {
  const { elf } = ctx;
  const known = new Set<number>(Object.values(R_BPF));
  for (const rel of elf.relocationSections()) {
    const target = elf.sections[rel.target];
    if (target === undefined || (target.flags & SHF.EXECINSTR) === 0) continue;
    const bad = rel.entries.find((e) => !known.has(e.type));
    if (bad !== undefined) badInput(`ELF header: e_machine 0 (EM_NONE), and relocation type ${bad.type} in ${rel.section.name} is not a BPF relocation`);
  }
  ctx.notes.push('e_machine 0 (EM_NONE), not EM_BPF (247): read as eBPF, its relocations being BPF relocations');
}
