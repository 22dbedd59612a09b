import type { Command } from 'commander';
import { fromHex } from '../isa/encode.js';
import { runRaw, type EngineName } from '../run/raw.js';
import { engineOption, ExitError, guarded, readText } from './common.js';

export function registerPlugin(program: Command): void {
  program
    .command('plugin')
    .description('bpf_conformance plugin: program hex on stdin, memory hex as argument; prints r0 in hex')
    .argument('[memory]', 'memory as a hex string (r1 points at a copy, r2 holds its length)')
    .addOption(engineOption())
    .allowUnknownOption(true)
    .action((memory: string | undefined, opts: { engine: EngineName }) =>
      guarded(1, () => {
        let code: Uint8Array;
        let mem: Uint8Array | undefined;
        try {
          code = fromHex(readText('-'));
          mem = memory !== undefined && memory !== '' ? fromHex(memory) : undefined;
        } catch (e) {
          throw new ExitError(`bad hex input: ${(e as Error).message}`, 1);
        }
        const { r0 } = runRaw(code, mem, { engine: opts.engine });
        process.stdout.write(`${r0.toString(16)}\n`);
      }),
    );
}
