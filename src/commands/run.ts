import type { Command } from 'commander';
import { Option } from 'commander';
import { BpfkitError, ErrorCode, isBpfkitError } from '../errors.js';
import { ARG_REGS, PT_REGS, type PtRegName, type PtRegs } from '../helpers/contexts/kprobe.js';
import { ObjectInstance } from '../helpers/kernel.js';
import { hexOf } from '../helpers/maps/map.js';
import { TestRunError } from '../run/context.js';
import { loadJitEngine, type EngineKind } from '../run/engine.js';
import { toKernelJson } from '../run/kernel-json.js';
import { runProgram, type RunOptions } from '../run/program.js';
import { formatMaps, formatRunSummary, verdictName } from '../run/summary.js';
import { decodeAs, findBtfType } from '../api/records.js';
import { packetFromSpec } from '../packets/spec.js';
import { readPcap, writePcap, LINKTYPE_ETHERNET, type Pcap, type PcapFrame } from '../packets/pcap.js';
import { tailCallReach } from '../api/verdict.js';
import { formatReport, verifyProgram } from '../verifier/index.js';
import { writeFileSync } from 'node:fs';
import { CoverageCollector } from '../observe/coverage.js';
import { TraceRecorder, formatTrace, traceToJsonLines } from '../observe/trace.js';
import { engineOption, ExitError, guarded, jsonSafe, readBinary } from './common.js';
import { loaderOptions, loadObjectFile, requireProgram, requireRunnable, type ObjectFileOptions } from './object.js';
import { parseTaskFields, parseTracingArgs } from './tracing-args.js';
import { CONTEXT_INPUT_OPTIONS, contextInputs, type ContextInputCliOptions } from './context-inputs.js';

interface RunCliOptions extends ObjectFileOptions, ContextInputCliOptions {
  program?: string;
  data?: string;
  ctx?: string;
  arg: string[];
  reg: string[];
  engine: EngineKind;
  verify: boolean;
  repeat: string;
  budget?: string;
  cpu: string;
  cpus: string;
  seed?: string;
  perf?: boolean;
  json?: boolean;
  args?: string;
  task?: string;
  trace?: boolean;
  traceFormat: 'text' | 'jsonl';
  traceLimit: string;
  coverage?: string;
  packet?: string;
  pcap?: string;
  pcapOut?: string;
  ringbufType?: string;
}

const collect = (v: string, prev: string[]): string[] => [...prev, v];

function integer(v: string, what: string, min: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new ExitError(`${what} must be an integer >= ${min}, not '${v}'`, 2);
  return n;
}

function big(v: string, what: string): bigint {
  try {
    return BigInt(v);
  } catch {
    throw new ExitError(`${what}: '${v}' is not an integer`, 2);
  }
}

function registers(regs: string[]): PtRegs {
  const out: PtRegs = {};
  for (const r of regs) {
    const m = /^([a-z0-9_]+)=(.+)$/.exec(r);
    const name = m?.[1] as PtRegName | undefined;
    if (!m || name === undefined || !(PT_REGS as readonly string[]).includes(name)) {
      throw new ExitError(`--reg ${r}: expected NAME=VALUE with NAME one of ${PT_REGS.join(', ')}`, 2);
    }
    out[name] = big(m[2]!, `--reg ${name}`);
  }
  return out;
}

export function registerRun(program: Command): void {
  const cmd = program
    .command('run')
    .description("run a program on a packet or context in the simulated kernel, as the kernel's BPF_PROG_TEST_RUN does")
    .argument('<obj>', 'eBPF object file (clang -target bpf)')
    .option('--program <name>', 'the program to run (default: the only one)')
    .option('--data <file>', 'the packet (an Ethernet frame) for xdp, tc and socket filter programs')
    .option('--packet <spec>', 'the packet from a one-line spec, e.g. \'eth/ipv4(src=10.0.0.1,dst=10.0.0.2,ttl=64)/udp(dport=53)/"payload"\'')
    .option('--pcap <file>', 'run once per frame of a pcap file (Ethernet): a verdict line per frame, then counts per return code')
    .option('--pcap-out <file>', 'with --pcap: write the frames the program passes on (as it left them) to this pcap file')
    .option('--ringbuf-type <name>', "decode ring-buffer records as this BTF type (e.g. 'struct event')")
    .option('--ctx <file>', 'context bytes: a tracepoint record, or raw tracepoint arguments (u64s)')
    .option('--arg <value>', `a kprobe argument (${ARG_REGS.join(', ')} in order) or raw tracepoint argument; repeatable`, collect, [])
    .option('--args <json>', 'tracing programs: the hook\'s arguments by name from its BTF prototype, or by position; pointers to kernel objects as their fields, e.g. \'{"arg0":{"pid":42,"comm":"bash","real_parent":{"pid":1}}}\' (64-bit integers as "123n")')
    .option('--task <json>', 'the current task (a task_struct) by its fields, e.g. \'{"pid":42,"tgid":42,"comm":"bash"}\'')
    .option('--reg <name=value>', 'a kprobe pt_regs register, e.g. --reg ip=0xffffffff81000000; repeatable', collect, [])
    .option(...CONTEXT_INPUT_OPTIONS[0])
    .option(...CONTEXT_INPUT_OPTIONS[1])
    .option(...CONTEXT_INPUT_OPTIONS[2])
    .option(...CONTEXT_INPUT_OPTIONS[3])
    .option(...CONTEXT_INPUT_OPTIONS[4])
    .option(...CONTEXT_INPUT_OPTIONS[5])
    .option(...CONTEXT_INPUT_OPTIONS[6])
    .addOption(engineOption())
    .option('--no-verify', 'run even when the verifier rejects the program (only it and its tail-call targets are judged)')
    .option('--repeat <n>', 'run this many times on the same context (like BPF_PROG_TEST_RUN repeat)', '1')
    .option('--budget <n>', 'instructions a run may execute (default 1000000)')
    .option('--cpu <n>', 'the CPU the program runs on', '0')
    .addOption(new Option('--cpus <n>', 'possible CPUs (per-CPU map copies)').default('2'))
    .option('--seed <n>', 'seed of bpf_get_prandom_u32')
    .option('--perf', 'open readers on perf event arrays and show the records')
    .option('--json', "print kernel-run's JSON: accepted, retval, packet, maps, ringbuf, plus printk")
    .option('--btf <file>', 'kernel BTF for CO-RE relocations, attach targets and --args (default: /sys/kernel/btf/vmlinux when the object needs it and it exists; none: no kernel BTF)')
    .option('--trace', 'record every executed instruction: pc, source line, registers written, memory, helper calls')
    .addOption(new Option('--trace-format <format>', 'trace output: readable text or JSON lines').choices(['text', 'jsonl']).default('text'))
    .option('--trace-limit <n>', 'most trace entries kept', '100000')
    .option('--coverage <file>', 'write source-line and branch coverage of the run(s) as lcov (with --engine jit: counted by the compiled code)');
  loaderOptions(cmd)
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  bpfkit run prog.o --program xdp_main --data packet.bin --json',
        '  bpfkit run prog.o --program handle_open --arg 0x1000 --arg 2',
        "  bpfkit run prog.o --packet 'eth/ipv4(src=10.0.0.1,dst=10.0.0.2)/tcp(dport=443,flags=S)'",
        '  bpfkit run prog.o --pcap capture.pcap --pcap-out passed.pcap',
        "  bpfkit run prog.o --data packet.bin --ringbuf-type 'struct event'",
        '  bpfkit run exec.o --btf vmlinux.btf --args \'{"arg0":{"pid":42,"comm":"bash"}}\' --json',
        '  bpfkit run prog.o --data packet.bin --trace',
        '  bpfkit run prog.o --data packet.bin --repeat 10 --coverage prog.lcov && genhtml prog.lcov -o cov/',
        '',
        'Exit codes: 0 ran; 1 rejected by the verifier, runtime fault (pc, source line, reason) or',
        'unsupported map type; 2 bad input or usage (missing file, unknown program, a packet the',
        "kernel's test run refuses).",
      ].join('\n'),
    )
    .action((obj: string, opts: RunCliOptions) => guarded(1, () => runCommand(obj, opts)));
}

async function runCommand(path: string, opts: RunCliOptions): Promise<void> {
  const object = loadObjectFile(path, opts);
  let name = opts.program;
  if (name === undefined) {
    if (object.programs.length !== 1) {
      throw new ExitError(`${path}: say which program to run with --program (programs: ${object.programs.map((p) => p.name).join(', ') || 'none'})`, 2);
    }
    name = object.programs[0]!.name;
  }
  requireRunnable(object, name, path);
  const repeat = integer(opts.repeat, '--repeat', 1);
  const cpus = integer(opts.cpus, '--cpus', 1);
  const cpu = integer(opts.cpu, '--cpu', 0);
  if (cpu >= cpus) throw new ExitError(`--cpu ${cpu} is not one of the ${cpus} CPUs`, 2);
  const run: RunOptions = { engine: opts.engine, repeat };
  if (opts.budget !== undefined) run.budget = integer(opts.budget, '--budget', 1);
  const sources = [opts.data, opts.packet, opts.pcap].filter((x) => x !== undefined).length;
  if (sources > 1) throw new ExitError('give the packet one way: --data, --packet or --pcap', 2);
  if (opts.pcapOut !== undefined && opts.pcap === undefined) throw new ExitError('--pcap-out needs --pcap', 2);
  if (opts.data !== undefined) run.packet = readBinary(opts.data);
  if (opts.packet !== undefined) {
    try {
      run.packet = packetFromSpec(opts.packet);
    } catch (e) {
      if (isBpfkitError(e)) throw new ExitError(e.message, 2, e.code);
      throw e;
    }
  }
  const pcap = opts.pcap !== undefined ? readPcapFile(opts.pcap) : undefined;
  if (opts.ringbufType !== undefined) {
    try {
      findBtfType(object.btfTypes, opts.ringbufType);
    } catch (e) {
      if (isBpfkitError(e)) throw new ExitError(`--ringbuf-type: ${e.message}`, 2);
      throw e;
    }
  }
  if (opts.ctx !== undefined) run.ctx = readBinary(opts.ctx);
  if (opts.arg.length) run.args = opts.arg.map((a) => big(a, '--arg'));
  if (opts.args !== undefined) {
    if (opts.arg.length) throw new ExitError('give the arguments with --args or with --arg, not both', 2);
    run.args = parseTracingArgs(opts.args);
  }
  if (opts.reg.length) run.regs = registers(opts.reg);
  contextInputs(opts, run);

  // Only the program that runs is judged, with what it can reach by tail call: another program of
  // the object that the verifier rejects does not stop this one (libbpf would refuse the whole
  // object; load the others with autoload off, as a user would). A refusal names what was judged.
  if (opts.verify) {
    const judged = tailCallReach(object, name);
    const reports = judged.map((p) => verifyProgram(object, p));
    const rejected = reports.filter((r) => !r.accepted);
    const others = object.programs.filter((p) => !judged.includes(p.name)).map((p) => p.name);
    const scope = `verified ${judged.map((p) => `'${p}'`).join(', ')}${judged.length > 1 ? ' (the program and its tail-call targets)' : ''}${others.length ? `; not judged: ${others.join(', ')}` : ''}`;
    if (rejected.length > 0) {
      const log = `${formatReport({ programs: rejected })}\n${name}: not run: ${rejected[0]!.name === name ? 'the verifier rejects it' : `it can tail-call '${rejected[0]!.name}', which the verifier rejects`} (${scope}; --no-verify runs it anyway)`;
      if (opts.json) process.stdout.write(`${JSON.stringify({ accepted: false, log, verified: judged })}\n`);
      else process.stderr.write(`${log}\n`);
      process.exitCode = 1;
      return;
    }
  }
  if (opts.engine === 'jit') await loadJitEngine();

  let instance: ObjectInstance;
  try {
    const kernel: ConstructorParameters<typeof ObjectInstance>[1] = { cpus, cpu };
    if (opts.seed !== undefined) kernel.seed = integer(opts.seed, '--seed', 0);
    instance = new ObjectInstance(object, kernel);
  } catch (e) {
    if (isBpfkitError(e)) throw new BpfkitError(e.code, `${path}: ${e.message}`);
    throw e;
  }
  if (opts.task !== undefined) {
    try {
      instance.kernelObjects().setCurrentTask(parseTaskFields(opts.task));
    } catch (e) {
      if (isBpfkitError(e)) throw new ExitError(`--task: ${e.message}`, 2);
      throw e;
    }
  }
  if (opts.perf) for (const m of instance.maps) if (m.typeName === 'perf_event_array') instance.map(m.name).openPerfBuffer();

  let trace: TraceRecorder | undefined;
  let coverage: CoverageCollector | undefined;
  if (opts.trace) {
    trace = new TraceRecorder({ limit: integer(opts.traceLimit, '--trace-limit', 1) });
    run.instrument = trace.instrument();
  } else if (opts.coverage !== undefined) {
    coverage = new CoverageCollector();
    run.instrument = coverage.instrument();
  }

  if (pcap !== undefined) {
    runPcap(instance, name, run, pcap, opts);
    return;
  }

  let result;
  try {
    result = runProgram(instance, name, run);
  } catch (e) {
    if (e instanceof TestRunError || (isBpfkitError(e) && e.code === ErrorCode.Usage)) throw new ExitError(`${path}: ${e.message}`, 2);
    throw e;
  }
  if (coverage !== undefined && opts.coverage !== undefined) writeFileSync(opts.coverage, coverage.toLcov(name));
  if (trace !== undefined) {
    trace.finish();
    const more = trace.truncated ? `\n; trace truncated: ${trace.executed} instructions executed, ${trace.entries.length} kept (raise --trace-limit)` : '';
    if (opts.traceFormat === 'jsonl') process.stdout.write(`${traceToJsonLines(trace.entries)}\n`);
    else if (!opts.json) process.stdout.write(`${formatTrace(trace.entries)}${more}\n\n`);
  }
  if (opts.json) {
    const json: Record<string, unknown> = { ...toKernelJson(instance, result) };
    if (trace !== undefined && opts.traceFormat === 'text') json.trace = trace.entries;
    if (opts.perf) json.perf = result.perf.map((r) => ({ map: r.map, cpu: r.cpu, data: hexOf(r.data) }));
    if (opts.ringbufType !== undefined) json.ringbufTyped = result.ringbuf.map((r) => jsonSafe(decodeAs(object.btfTypes, opts.ringbufType!, r)));
    if (result.error) json.error = result.error.message;
    process.stdout.write(`${JSON.stringify(json)}\n`);
  } else {
    process.stdout.write(`${formatRunSummary(instance, name, run.packet, result, opts.ringbufType !== undefined ? { ringbufType: opts.ringbufType } : {})}\n`);
  }
  if (result.error) {
    process.stderr.write(`${result.error.message}\n`);
    process.exitCode = 1;
  }
}

function readPcapFile(path: string): Pcap {
  let pcap: Pcap;
  try {
    pcap = readPcap(readBinary(path));
  } catch (e) {
    if (isBpfkitError(e)) throw new ExitError(`${path}: ${e.message}`, 2, e.code);
    throw e;
  }
  if (pcap.linkType !== LINKTYPE_ETHERNET) throw new ExitError(`${path}: link type ${pcap.linkType} is not Ethernet (1); packet programs take Ethernet frames`, 2, ErrorCode.BadInput);
  return pcap;
}

/** Return codes after which the frame goes no further (XDP drop/aborted, tc shot, a filter's 0). */
function dropped(progType: number, retval: number): boolean {
  const name = verdictName(progType, retval);
  if (name !== undefined) return name === 'XDP_DROP' || name === 'XDP_ABORTED' || name === 'TC_ACT_SHOT';
  return retval === 0;
}

/**
 * Runs the program on every frame of a capture, in order, on one instance (maps carry over from
 * frame to frame, as with live traffic): one line per frame, then the count of each return code.
 */
function runPcap(instance: ObjectInstance, name: string, run: RunOptions, pcap: Pcap, opts: RunCliOptions): void {
  const def = instance.program(name);
  const frames: Array<Record<string, unknown>> = [];
  const counts = new Map<string, number>();
  const passed: PcapFrame[] = [];
  let faults = 0;
  const count = (k: string): void => void counts.set(k, (counts.get(k) ?? 0) + 1);
  pcap.frames.forEach((f, i) => {
    const n = i + 1;
    let result;
    try {
      result = runProgram(instance, name, { ...run, packet: f.data });
    } catch (e) {
      if (!(e instanceof TestRunError || (isBpfkitError(e) && e.code === ErrorCode.Usage))) throw e;
      count('refused');
      frames.push({ frame: n, len: f.data.length, refused: e.message });
      if (!opts.json) process.stdout.write(`frame ${n}: ${f.data.length} bytes: refused: ${e.message}\n`);
      return;
    }
    if (result.error) {
      faults++;
      count('fault');
      frames.push({ frame: n, len: f.data.length, error: result.error.message });
      if (!opts.json) process.stdout.write(`frame ${n}: ${f.data.length} bytes: fault: ${result.error.message}\n`);
      return;
    }
    const verdict = verdictName(def.type, result.retval);
    const label = verdict ?? String(result.retval);
    count(label);
    const changed = result.packet !== undefined && hexOf(result.packet) !== hexOf(f.data);
    frames.push({ frame: n, len: f.data.length, retval: result.retval, ...(verdict ? { verdict } : {}), ...(changed ? { changed: true } : {}) });
    if (!opts.json) process.stdout.write(`frame ${n}: ${f.data.length} bytes: ${result.retval}${verdict ? ` ${verdict}` : ''}${changed ? ' (packet changed)' : ''}\n`);
    if (!dropped(def.type, result.retval)) passed.push({ ...f, data: result.packet ?? f.data });
  });
  const summary = Object.fromEntries([...counts].sort((a, b) => b[1] - a[1]));
  if (opts.pcapOut !== undefined) {
    try {
      writeFileSync(opts.pcapOut, writePcap(passed, { nanosecond: pcap.nanosecond, snapLen: pcap.snapLen }));
    } catch (e) {
      throw new ExitError(`cannot write ${opts.pcapOut}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, 2);
    }
  }
  if (opts.json) {
    const json: Record<string, unknown> = { program: name, frames, summary, total: pcap.frames.length };
    if (opts.pcapOut !== undefined) json.written = passed.length;
    process.stdout.write(`${JSON.stringify(json)}\n`);
  } else {
    const parts = Object.entries(summary).map(([k, v]) => `${k} ${v}`);
    process.stdout.write(`${pcap.frames.length} frame${pcap.frames.length === 1 ? '' : 's'}: ${parts.join(', ') || 'none'}\n`);
    if (opts.pcapOut !== undefined) process.stdout.write(`wrote ${passed.length} frame${passed.length === 1 ? '' : 's'} to ${opts.pcapOut}\n`);
    for (const l of formatMaps(instance)) process.stdout.write(`${l}\n`);
  }
  if (faults > 0) process.exitCode = 1;
}

