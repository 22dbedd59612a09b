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
}

const fmtNs = (ns: number): string =>
  ns >= 1e6 ? `${(ns / 1e6).toFixed(2)} ms` : ns >= 1e3 ? `${(ns / 1e3).toFixed(2)} us` : `${ns.toFixed(0)} ns`;

export function registerBench(program: Command): void {
  const cmd = program
    .command('bench')
    .description('time a program on a packet or context: ns per run, instructions per second, JIT compile time')
    .argument('<obj>', 'eBPF object file')
    .option('--program <name>', 'the program (default: the only one)')
    .option('--data <file>', 'the packet for xdp, tc and socket filter programs')
    .option('--ctx <file>', 'context bytes for tracing programs')
    .addOption(new Option('--engine <engine>', 'engine(s) to time').choices(['interp', 'jit', 'both']).default('both'))
    .option('--ms <n>', 'milliseconds to measure per engine', '1000')
    .option('--profile', 'also report, per source line and per helper, instructions and share of the time')
    .option('--json', 'print JSON')
    .option('--btf <file>', 'target BTF for CO-RE relocations');
  loaderOptions(cmd)
    .addHelpText('after', '\nExamples:\n  bpfkit bench prog.o --program xdp_main --data packet.bin\n  bpfkit bench prog.o --data packet.bin --engine interp --profile\n\nExit codes: 0 ok, 1 runtime fault, 2 bad input or usage.')
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
        // A fresh instance per engine, so one engine's map updates do not slow or speed the other.
        const results: BenchResult[] = engines.map((engine) => benchProgram(new ObjectInstance(obj), name, { ...input, engine, ms }));
        const profile = opts.profile ? profileProgram(new ObjectInstance(obj), name, input, ms) : undefined;
        if (opts.json) {
          process.stdout.write(`${JSON.stringify({ program: name, results, ...(profile ? { profile } : {}) }, null, 2)}\n`);
          return;
        }
        process.stdout.write(`${name}: retval ${results[0]?.retval}\n`);
        process.stdout.write('engine       time/run      insn/run        insn/s   compile\n');
        for (const r of results) {
          process.stdout.write(
            `${r.engine.padEnd(8)} ${fmtNs(r.nsPerRun).padStart(12)} ${r.instructionsPerRun.toFixed(0).padStart(12)} ${r.instructionsPerSecond.toExponential(2).padStart(13)}   ${r.compileMs !== undefined ? `${r.compileMs.toFixed(1)} ms` : '-'}\n`,
          );
        }
        if (results.length === 2) process.stdout.write(`jit speed-up: ${(results[0]!.nsPerRun / results[1]!.nsPerRun).toFixed(1)}x\n`);
        if (profile) process.stdout.write(`\nprofile (interpreter):\n${formatProfile(profile)}\n`);
      }),
    );
}
