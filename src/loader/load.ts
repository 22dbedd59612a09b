import { BpfkitError, ErrorCode } from '../errors.js';
import type { Btf } from '../btf/btf.js';
import { extCounts, parseBtfExt } from '../btf/ext.js';
import { parseBtf } from '../btf/parse.js';
import { attachKindOf, findAttachTarget, requireAttachTarget } from '../btf/attach.js';
import { kernelBtf } from '../btf/kernel-btf.js';
import { ET_REL, SHT } from '../elf/constants.js';
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
import { programTypeForSection } from './sections.js';

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

  const ctx: LoadContext = { elf, endian: elf.endian, funcs: [], maps: [], places: [] };
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
  applyCodeRelocations(ctx);
  applyMapInitialisers(ctx);
  const kernel = options.btf !== undefined ? (options.btf instanceof Uint8Array ? parseTargetBtf(options.btf) : options.btf) : undefined;
  const target = kernel ?? (options.targetBtf !== undefined ? parseTargetBtf(options.targetBtf) : ctx.btf);
  const coreRelocations = target !== undefined ? applyCoreRelocations(ctx, target) : [];
  markFunctionStarts(ctx);

  const programs: ProgramDef[] = [];
  for (const f of ctx.funcs) {
    if (f.isSubprog) continue;
    const st = programTypeForSection(f.section.name);
    const linked = linkProgram(ctx, f);
    const p: ProgramDef = {
      name: f.name,
      section: f.section.name,
      type: st.type,
      expectedAttachType: st.expectedAttachType,
      instructions: linked.instructions,
      functions: linked.functions,
      subprograms: linked.subprograms,
    };
    if (st.attachTo !== undefined) p.attachTo = st.attachTo;
    const attach = kernel !== undefined && st.attachTo !== undefined ? attachKindOf(f.section.name) : undefined;
    if (attach !== undefined) {
      // libbpf resolves these at load; raw tracepoints only when they attach.
      // libbpf resolves these when it loads the program (raw tracepoints only when they attach);
      // a program it does not load (autoload off) may name a target the kernel lacks.
      try {
        const found = attach === 'raw_tp' ? findAttachTarget(kernel!, attach, st.attachTo!) : requireAttachTarget(kernel!, f.name, attach, st.attachTo!);
        if (found !== undefined) p.attachBtf = found;
      } catch (e) {
        if (!(e instanceof BpfkitError)) throw e;
        p.attachError = e.message;
      }
    }
    programs.push(p);
  }

  const obj: BpfObject = { endian: elf.endian, license: readLicense(elf), programs, maps: ctx.maps };
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
