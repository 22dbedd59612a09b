import type { Command } from 'commander';
import { Option } from 'commander';
import { ObjectInstance } from '../helpers/kernel.js';
import { formatProfile } from '../observe/profile.js';
import { benchProgram, profileProgram, type BenchResult } from '../run/bench.js';
import type { ContextInput } from '../run/context.js';
import { loadJitEngine, type EngineKind } from '../run/engine.js';
import { ExitError, guarded, readBinary } from './common.js';
import { loaderOptions, loadObjectFile, requireRunnable, type ObjectFileOptions } from './object.js';

interface BenchCliOptions extends ObjectFileOptions {
  program?: string;
  data?: string;
  ctx?: string;
  engine: 'interp' | 'jit' | 'both';
  ms: string;
  json?: boolean;
  profile?: boolean;
  reset?: boolean;
  btf?: string;
}

const fmtNs = (ns: number): string =>
  ns >= 1e6 ? `${(ns / 1e6).toFixed(2)} ms` : ns >= 1e3 ? `${(ns / 1e3).toFixed(2)} us` : `${ns.toFixed(0)} ns`;

export function registerBench(program: Command): void {
  const cmd = program
    .command('bench')
    .description('time a program on a packet or context: per call (set-up apart) and steady state, instructions per second, JIT compile time')
    .argument('<obj>', 'eBPF object file')
    .option('--program <name>', 'the program (default: the only one)')
    .option('--data <file>', 'the packet for xdp, tc and socket filter programs')
    .option('--ctx <file>', 'context bytes for tracing programs')
    .addOption(new Option('--engine <engine>', 'engine(s) to time').choices(['interp', 'jit', 'both']).default('both'))
    .option('--ms <n>', 'milliseconds to measure per engine', '1000')
    .option('--reset', 'per-call runs start from fresh maps and a fresh packet (the default: engines then take the same path)')
    .option('--no-reset', 'per-call runs carry maps over from run to run')
    .option('--profile', 'also report, per source line and per helper, instructions and share of the time of the runs timed')
    .option('--json', 'print JSON')
    .option('--btf <file>', 'target BTF for CO-RE relocations');
  loaderOptions(cmd)
    .addHelpText(
      'after',
      '\nPer call: one run() as a unit test makes it, split into the engine\'s time and the set-up around it\n(context, packet, results). Steady state: many runs on one context, maps and packet carrying over\n(BPF_PROG_TEST_RUN\'s repeat); its retval is the one those runs returned.\n\nExamples:\n  bpfkit bench prog.o --program xdp_main --data packet.bin\n  bpfkit bench prog.o --data packet.bin --engine interp --profile --json\n\nExit codes: 0 ok, 1 runtime fault, 2 bad input or usage.',
    )
    .action((file: string, opts: BenchCliOptions) =>
      guarded(1, async () => {
        const obj = loadObjectFile(file, opts);
        const name = opts.program ?? (obj.programs.length === 1 ? obj.programs[0]!.name : undefined);
        if (name === undefined) throw new ExitError(`${file}: say which program with --program (programs: ${obj.programs.map((p) => p.name).join(', ')})`, 2);
        requireRunnable(obj, name, file);
        const ms = Number(opts.ms);
        if (!(ms > 0)) throw new ExitError(`--ms must be a positive number, not '${opts.ms}'`, 2);
        const input: ContextInput = {};
        if (opts.data !== undefined) input.packet = readBinary(opts.data);
        if (opts.ctx !== undefined) input.ctx = readBinary(opts.ctx);
        const engines: EngineKind[] = opts.engine === 'both' ? ['interp', 'jit'] : [opts.engine];
        if (engines.includes('jit')) await loadJitEngine();
        const reset = opts.reset !== false;
        // Fresh instances from the one parsed object: engines never see each other's map updates.
        const fresh = (): ObjectInstance => new ObjectInstance(obj);
        const results: BenchResult[] = engines.map((engine) => benchProgram(fresh, name, { ...input, engine, ms, reset }));
        const profile = opts.profile ? profileProgram(fresh, name, input, ms, reset) : undefined;
        if (opts.json) {
          process.stdout.write(`${JSON.stringify({ program: name, reset, results, ...(profile ? { profile } : {}) }, null, 2)}\n`);
          return;
        }
        const r0 = results[0]!;
        const same = results.every((r) => r.retval === r0.retval && r.firstRetval === r0.firstRetval);
        process.stdout.write(
          `${name}: retval ${r0.retval} in steady state${r0.firstRetval !== r0.retval ? `, ${r0.firstRetval} from a fresh kernel` : ''}${same ? '' : ' (engines differ: see --json)'}\n`,
        );
        process.stdout.write(`per call: ${reset ? 'fresh maps and packet each call (--reset)' : 'maps carried over (--no-reset)'}; steady state: maps and packet carried over\n`);
        process.stdout.write('engine      per call    engine   set-up   steady/run      insn/run        insn/s   compile\n');
        for (const r of results) {
          process.stdout.write(
            `${r.engine.padEnd(8)} ${fmtNs(r.perCallNs).padStart(10)} ${fmtNs(r.execNsPerCall).padStart(9)} ${fmtNs(r.setupNsPerCall).padStart(8)} ${fmtNs(r.nsPerRun).padStart(12)} ${r.instructionsPerRun.toFixed(0).padStart(13)} ${r.instructionsPerSecond.toExponential(2).padStart(13)}   ${r.compileMs !== undefined ? `${r.compileMs.toFixed(1)} ms` : '-'}\n`,
          );
        }
        if (results.length === 2) {
          const [a, b] = results as [BenchResult, BenchResult];
          process.stdout.write(`jit speed-up: ${(a.nsPerRun / b.nsPerRun).toFixed(1)}x steady state, ${(a.perCallNs / b.perCallNs).toFixed(1)}x per call\n`);
        }
        if (profile) process.stdout.write(`\nprofile (interpreter, ${reset ? 'fresh state each run' : 'state carried over'}):\n${formatProfile(profile)}\n`);
      }),
    );
}
