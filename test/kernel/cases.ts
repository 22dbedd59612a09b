/**
 * The recorded kernel cases (fixtures/kernel-cases): each expected/OBJ.PROG.PACKET.json is what
 * kernel-run printed for program PROG of build/OBJ.o on packets/PACKET.bin.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadObject } from '../../src/loader/index.js';
import type { BpfObject } from '../../src/loader/model.js';

export const CASES_DIR = resolve(import.meta.dirname, '..', '..', 'fixtures', 'kernel-cases');

export interface KernelCase {
  id: string;
  object: string;
  program: string;
  packet: string;
  expected: {
    accepted: boolean;
    retval?: number;
    packet?: string;
    maps?: Record<string, Array<{ key: string; value: string }>>;
    ringbuf?: string[];
    /** The bpf_trace_printk messages record.sh read from the kernel's trace buffer. */
    printk?: string[];
    testRunErrno?: number;
  };
}

export function kernelCases(): KernelCase[] {
  const dir = join(CASES_DIR, 'expected');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => {
      const [object, program, packet] = f.replace(/\.json$/, '').split('.') as [string, string, string];
      return { id: `${object}.${program}.${packet}`, object, program, packet, expected: JSON.parse(readFileSync(join(dir, f), 'utf8')) };
    });
}

const objects = new Map<string, BpfObject>();
export function caseObject(name: string): BpfObject {
  let o = objects.get(name);
  if (o === undefined) {
    o = loadObject(new Uint8Array(readFileSync(join(CASES_DIR, 'build', `${name}.o`))));
    objects.set(name, o);
  }
  return o;
}

export const casePacket = (name: string): Uint8Array => new Uint8Array(readFileSync(join(CASES_DIR, 'packets', `${name}.bin`)));

/**
 * Objects the kernel accepts and bpfkit's verifier does not yet (a false reject, with the gap
 * named). Their runs are still compared field by field (the runs do not depend on the verdict);
 * test/verifier/corpus.test.ts skips them by name until the verifier accepts them.
 */
export const VERDICT_PENDING = new Map<string, string>([]);
