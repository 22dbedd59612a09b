/** Readers for what libbpf and the kernel recorded about the fixtures (fixtures/kernel). */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES } from '../elf/facts.js';

export interface LibbpfMap {
  name: string;
  type: number;
  key: number;
  value: number;
  maxEntries: number;
  flags: number;
  btfKey: number;
  btfValue: number;
  initial?: string;
  inner?: LibbpfMap;
}

export interface LibbpfProg {
  name: string;
  section: string;
  type: number;
  expectedAttachType: number;
  insns: number;
}

const kernelFile = (name: string): string => join(FIXTURES, 'kernel', name);
export const hasKernelFile = (name: string): boolean => existsSync(kernelFile(name));
export const readKernelFile = (name: string): string => readFileSync(kernelFile(name), 'utf8');

function parseMap(line: string): LibbpfMap {
  const m = /map (\S+) type=(\d+) key=(\d+) value=(\d+) max_entries=(\d+) flags=0x([0-9a-f]+) btf_key=(\d+) btf_value=(\d+)(?: initial=([0-9a-f]*))?/.exec(line);
  if (!m) throw new Error(`unparsable libbpf line: ${line}`);
  const out: LibbpfMap = {
    name: m[1]!,
    type: Number(m[2]),
    key: Number(m[3]),
    value: Number(m[4]),
    maxEntries: Number(m[5]),
    flags: parseInt(m[6]!, 16),
    btfKey: Number(m[7]),
    btfValue: Number(m[8]),
  };
  if (m[9] !== undefined) out.initial = m[9];
  return out;
}

/** `fixtures/kernel/NAME.libbpf.txt`: libbpf's maps and programs after bpf_object__open. */
export function libbpfView(stem: string): { maps: LibbpfMap[]; programs: LibbpfProg[] } {
  const maps: LibbpfMap[] = [];
  const programs: LibbpfProg[] = [];
  for (const line of readKernelFile(`${stem}.libbpf.txt`).split('\n')) {
    if (line.startsWith('map ')) maps.push(parseMap(line));
    else if (line.startsWith('  inner map ')) maps[maps.length - 1]!.inner = parseMap(line.slice('  inner '.length));
    else if (line.startsWith('prog ')) {
      const m = /^prog (\S+) section=(\S+) type=(\d+) expected_attach_type=(\d+) insns=(\d+)$/.exec(line)!;
      programs.push({ name: m[1]!, section: m[2]!, type: Number(m[3]), expectedAttachType: Number(m[4]), insns: Number(m[5]) });
    }
  }
  return { maps, programs };
}

/** A run recorded by kernel-run: maps in libbpf's object order (ring buffers left out). */
export interface KernelRun {
  accepted: boolean;
  retval: number;
  packet: string;
  maps: Record<string, { key: string; value: string }[]>;
  ringbuf: string[];
}
export const kernelRun = (file: string): KernelRun => JSON.parse(readKernelFile(file)) as KernelRun;

/** One relocation in libbpf's CO-RE log. */
export interface LibbpfCoreRelo {
  index: number;
  local: string;
  candidates: { spec: string; matched: boolean }[];
  log: string[];
}

/** `fixtures/kernel/core.TARGET.log`: libbpf's own account of each CO-RE relocation. */
export function libbpfCoreLog(target: string): LibbpfCoreRelo[] {
  const out = new Map<number, LibbpfCoreRelo>();
  for (const line of readKernelFile(`core.${target}.log`).split('\n')) {
    const m = /^libbpf: prog '[^']+': relo #(\d+): (.*)$/.exec(line);
    if (!m) continue;
    const index = Number(m[1]);
    const text = m[2]!;
    let r = out.get(index);
    if (r === undefined) {
      r = { index, local: text, candidates: [], log: [] };
      out.set(index, r);
      continue;
    }
    const cand = /^(non-matching|matching) candidate #\d+ (.*)$/.exec(text);
    if (cand) r.candidates.push({ spec: cand[2]!, matched: cand[1] === 'matching' });
    else if (text.startsWith('patched') || text.startsWith('substituting')) r.log.push(text);
  }
  return [...out.values()];
}

/** One entry program's linking, from libbpf's log. */
export interface LibbpfLink {
  main: string;
  /** Sub-programs appended, in order, with their sizes. */
  added: { sub: string; insns: number }[];
  /** Relocated calls: in function `func`, instruction `insn` (relative to it) got `imm`, pointing at `sub` now at slot `at`. */
  calls: { func: string; insn: number; imm: number; sub: string; at: number }[];
}

/**
 * `fixtures/kernel/NAME.link.log`: libbpf's log lines about linking, grouped by entry program
 * (libbpf links one entry program at a time; lines naming a sub-program belong to the entry
 * program being linked at that point).
 */
export function libbpfLinkLog(stem: string, entries: readonly string[]): LibbpfLink[] {
  const out: LibbpfLink[] = [];
  let current: LibbpfLink | undefined;
  const group = (prog: string): LibbpfLink => {
    if (entries.includes(prog) && current?.main !== prog) {
      current = { main: prog, added: [], calls: [] };
      out.push(current);
    }
    if (current === undefined) throw new Error(`link log line for ${prog} before any entry program`);
    return current;
  };
  for (const line of readKernelFile(`${stem}.link.log`).split('\n')) {
    const a = /^libbpf: prog '([^']+)': added (\d+) insns from sub-prog '([^']+)'$/.exec(line);
    if (a) group(a[1]!).added.push({ sub: a[3]!, insns: Number(a[2]) });
    const c = /^libbpf: prog '([^']+)': insn #(\d+) relocated, imm (-?\d+) points to subprog '([^']+)' \(now at (\d+) offset\)$/.exec(line);
    if (c) group(c[1]!).calls.push({ func: c[1]!, insn: Number(c[2]), imm: Number(c[3]), sub: c[4]!, at: Number(c[5]) });
  }
  return out;
}
