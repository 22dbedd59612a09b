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
import { formatRunSummary } from '../run/summary.js';
import { verifyForRun } from '../run/verify-hook.js';
import { writeFileSync } from 'node:fs';
import { CoverageCollector } from '../observe/coverage.js';
import { TraceRecorder, formatTrace, traceToJsonLines } from '../observe/trace.js';
import { engineOption, ExitError, guarded, readBinary } from './common.js';
import { parseTaskFields, parseTracingArgs } from './tracing-args.js';
import { loadObjectFile, requireProgram } from './object.js';

interface RunCliOptions {
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
  btf?: string;
  args?: string;
  task?: string;
  trace?: boolean;
  traceFormat: 'text' | 'jsonl';
  traceLimit: string;
  coverage?: string;
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
  program
    .command('run')
    .description("run a program on a packet or context in the simulated kernel, as the kernel's BPF_PROG_TEST_RUN does")
    .argument('<obj>', 'eBPF object file (clang -target bpf)')
    .option('--program <name>', 'the program to run (default: the only one)')
    .option('--data <file>', 'the packet (an Ethernet frame) for xdp, tc and socket filter programs')
    .option('--ctx <file>', 'context bytes: a tracepoint record, or raw tracepoint arguments (u64s)')
    .option('--arg <value>', `a kprobe argument (${ARG_REGS.join(', ')} in order) or raw tracepoint argument; repeatable`, collect, [])
    .option('--args <json>', 'tracing programs: the hook\'s arguments by name from its BTF prototype, or by position; pointers to kernel objects as their fields, e.g. \'{"arg0":{"pid":42,"comm":"bash","real_parent":{"pid":1}}}\' (64-bit integers as "123n")')
    .option('--task <json>', 'the current task (a task_struct) by its fields, e.g. \'{"pid":42,"tgid":42,"comm":"bash"}\'')
    .option('--reg <name=value>', 'a kprobe pt_regs register, e.g. --reg ip=0xffffffff81000000; repeatable', collect, [])
    .addOption(engineOption())
    .option('--no-verify', 'skip the load-time verification')
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
    .option('--coverage <file>', 'write source-line and branch coverage of the run(s) as lcov (with --engine jit: counted by the compiled code)')
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  bpfkit run prog.o --program xdp_main --data packet.bin --json',
        '  bpfkit run prog.o --program handle_open --arg 0x1000 --arg 2',
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
  requireProgram(object, name, path);
  const repeat = integer(opts.repeat, '--repeat', 1);
  const cpus = integer(opts.cpus, '--cpus', 1);
  const cpu = integer(opts.cpu, '--cpu', 0);
  if (cpu >= cpus) throw new ExitError(`--cpu ${cpu} is not one of the ${cpus} CPUs`, 2);
  const run: RunOptions = { engine: opts.engine, repeat };
  if (opts.budget !== undefined) run.budget = integer(opts.budget, '--budget', 1);
  if (opts.data !== undefined) run.packet = readBinary(opts.data);
  if (opts.ctx !== undefined) run.ctx = readBinary(opts.ctx);
  if (opts.arg.length) run.args = opts.arg.map((a) => big(a, '--arg'));
  if (opts.args !== undefined) {
    if (opts.arg.length) throw new ExitError('give the arguments with --args or with --arg, not both', 2);
    run.args = parseTracingArgs(opts.args);
  }
  if (opts.reg.length) run.regs = registers(opts.reg);

  // The kernel verifies every program of the object when libbpf loads it.
  if (opts.verify) {
    const verdict = verifyForRun(object);
    if (!verdict.accepted) {
      if (opts.json) process.stdout.write(`${JSON.stringify({ accepted: false, log: verdict.log })}\n`);
      else process.stderr.write(`${verdict.log}\n`);
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
    if (result.error) json.error = result.error.message;
    process.stdout.write(`${JSON.stringify(json)}\n`);
  } else {
    process.stdout.write(`${formatRunSummary(instance, name, run.packet, result)}\n`);
  }
  if (result.error) {
    process.stderr.write(`${result.error.message}\n`);
    process.exitCode = 1;
  }
}
