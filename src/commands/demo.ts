import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { loadJitEngine } from '../run/engine.js';
import { loadObject } from '../node.js';
import { decodePacket, ethernet, ipv4, ipv6, tcp, udp } from '../packets/index.js';
import { formatInspect } from '../loader/inspect.js';
import { guarded } from './common.js';

const here = dirname(fileURLToPath(import.meta.url));
/** The bundled example, from dist/src/commands back to the package root. */
const EXAMPLE = join(here, '..', '..', '..', 'fixtures', 'build', 'xdp_counter.o');

const VERDICTS = ['XDP_ABORTED', 'XDP_DROP', 'XDP_PASS', 'XDP_TX', 'XDP_REDIRECT'];

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('load, verify and run the bundled XDP example on both engines')
    .action(() =>
      guarded(1, async () => {
        const path = relative(process.cwd(), EXAMPLE);
        const say = (s = ''): void => void process.stdout.write(`${s}\n`);
        say(`$ bpfkit inspect ${path}`);
        const obj = loadObject(EXAMPLE);
        say(formatInspect(obj.inspect()));
        const prog = obj.program('xdp_counter');
        say(`$ bpfkit verify ${path}`);
        const report = prog.verify();
        say(`${prog.name}: ${report.accepted ? 'accepted' : 'REJECTED'} (${report.stats.instructions} instructions, ${report.stats.ms.toFixed(1)} ms)`);
        for (const e of report.errors) say(`  pc ${e.pc} ${e.source}: ${e.message}`);
        say();
        // binaryen is optional: without it the demo runs on the interpreter and says why.
        let jitMissing: string | undefined;
        try {
          await loadJitEngine();
        } catch (e) {
          jitMissing = e instanceof Error ? e.message : String(e);
        }
        const packets: Array<[string, Uint8Array]> = [
          ['IPv4/UDP ttl 64', ethernet({ payload: ipv4({ src: '10.0.0.1', dst: '10.0.0.2', ttl: 64, payload: udp({ sport: 4000, dport: 53, payload: 'hello' }) }) })],
          ['IPv4/TCP ttl 1', ethernet({ payload: ipv4({ src: '10.0.0.1', dst: '10.0.0.3', ttl: 1, payload: tcp({ sport: 5000, dport: 80 }) }) })],
          ['IPv6/UDP', ethernet({ payload: ipv6({ src: '2001:db8::1', dst: '2001:db8::2', payload: udp({ sport: 1, dport: 2 }) }) })],
        ];
        say(`$ bpfkit run (${jitMissing === undefined ? 'interpreter and JIT' : 'interpreter'}, on three packets)`);
        if (jitMissing !== undefined) say(`  (no JIT: ${jitMissing})`);
        for (const [label, packet] of packets) {
          const a = prog.run({ packet, engine: 'interp' });
          const b = jitMissing === undefined ? prog.run({ packet, engine: 'jit' }) : a;
          const same = a.retval === b.retval && Buffer.from(a.packet ?? []).equals(Buffer.from(b.packet ?? []));
          const ttl = decodePacket(a.packet ?? new Uint8Array()).ipv4?.ttl;
          say(
            `  ${label.padEnd(16)} -> ${VERDICTS[a.retval] ?? a.retval}${ttl !== undefined ? `, ttl now ${ttl}` : ''}` +
              `   (interp ${a.executed} insns${jitMissing === undefined ? `; jit ${same ? 'agrees' : 'DISAGREES'}` : ''})`,
          );
        }
        say();
        say(`maps after the runs (${jitMissing === undefined ? 'each packet ran twice, once per engine' : 'each packet ran once'}):`);
        for (const { key, value } of obj.map('proto_stats').entriesTyped()) {
          const v = value as { packets: bigint; bytes: bigint };
          if (v.packets > 0n) say(`  proto_stats[${String(key)}] = { packets: ${v.packets}, bytes: ${v.bytes} }`);
        }
        say(`  .bss = ${JSON.stringify(obj.map('.bss').lookup(0), (_k, x: unknown) => (typeof x === 'bigint' ? Number(x) : x))}`);
      }),
    );
}
