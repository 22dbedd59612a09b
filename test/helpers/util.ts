/** Shared builders for the simulated-kernel unit tests: map definitions, byte encodings, programs from assembler text. */
import type { HelperRuntime } from '../../src/helpers/abi.js';
import { helperId } from '../../src/helpers/helper-ids.js';
import { helperFunctions } from '../../src/helpers/impl/registry.js';
import type { ProgramContext } from '../../src/helpers/contexts/context.js';
import { newRunState } from '../../src/helpers/kernel/state.js';
import { ObjectInstance, type KernelOptions } from '../../src/helpers/kernel.js';
import type { MapEnv } from '../../src/helpers/maps/map.js';
import { Memory } from '../../src/helpers/memory.js';
import { assemble } from '../../src/isa/asm.js';
import { ProgType } from '../../src/loader/kinds.js';
import type { BpfObject, MapDef, ProgramDef } from '../../src/loader/model.js';

export const env = (cpus = 2): MapEnv => ({ memory: new Memory(), cpus });

export function mapDef(partial: Partial<MapDef> & Pick<MapDef, 'type'>): MapDef {
  return { name: 'm', keySize: 4, valueSize: 8, maxEntries: 4, flags: 0, origin: 'btf', btfKeyTypeId: 0, btfValueTypeId: 0, ...partial };
}

export const u32 = (v: number): Uint8Array => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v >>> 0, true);
  return b;
};
export const u64 = (v: bigint | number): Uint8Array => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, BigInt(v)), true);
  return b;
};
export const readU64 = (b: Uint8Array, off = 0): bigint => new DataView(b.buffer, b.byteOffset).getBigUint64(off, true);
export const readU32 = (b: Uint8Array, off = 0): number => new DataView(b.buffer, b.byteOffset).getUint32(off, true);
export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
export const fromHex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

export interface AsmProgram {
  name?: string;
  type?: number;
  section?: string;
  asm: string;
}

/** A BpfObject made of assembled programs and hand-written maps (maps referenced as `lddw %rN, map_fd INDEX`). */
export function asmObject(programs: AsmProgram[], maps: MapDef[] = []): BpfObject {
  const progs: ProgramDef[] = programs.map((p, i) => {
    const name = p.name ?? `prog${i}`;
    return {
      name,
      section: p.section ?? 'xdp',
      type: p.type ?? ProgType.XDP,
      instructions: assemble(p.asm),
      functions: [{ name, slot: 0 }],
      subprograms: [],
    };
  });
  return { endian: 'little', license: 'GPL', programs: progs, maps };
}

export const asmInstance = (programs: AsmProgram[], maps: MapDef[] = [], options: KernelOptions = {}): ObjectInstance =>
  new ObjectInstance(asmObject(programs, maps), options);

/** A 60-byte IPv4/UDP frame: 10.0.0.1:1234 -> 10.0.0.2:53. */
export function udpFrame(payload = 'bpfkit!!'): Uint8Array {
  const p = new TextEncoder().encode(payload);
  const f = new Uint8Array(14 + 20 + 8 + p.length);
  f.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00]);
  const ip = [0x45, 0, 0, 20 + 8 + p.length, 0x12, 0x34, 0x40, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2];
  f.set(ip, 14);
  let s = 0;
  for (let i = 0; i < 20; i += 2) s += (f[14 + i]! << 8) | f[15 + i]!;
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  f[24] = (~s >> 8) & 0xff;
  f[25] = ~s & 0xff;
  f.set([0x04, 0xd2, 0x00, 0x35, 0, 8 + p.length, 0, 0], 34);
  f.set(p, 42);
  return f;
}


export interface Harness {
  instance: ObjectInstance;
  /** Calls helper `name` (without bpf_) with up to five arguments; returns r0 as a signed 64-bit value. */
  call(name: string, ...args: Array<bigint | number>): bigint;
  /** Allocates memory holding `init` (or `init` zero bytes); returns its address. */
  buf(init: Uint8Array | number, writable?: boolean): number;
  read(addr: number, n: number): Uint8Array;
  /** What bpf_loop / for_each callbacks run: slot, args -> r0. */
  callback: (slot: number, args: readonly bigint[]) => bigint;
  /** Makes `ctx` the run's context (program type `type`). */
  enter(type: number, ctx?: ProgramContext): void;
}

/** Calls helpers directly on an instance with `maps`, the way an engine would. */
export function harness(maps: MapDef[] = [], options: KernelOptions = {}): Harness {
  const instance = asmInstance([{ asm: 'mov %r0, 0\nexit' }], maps, options);
  const fns = helperFunctions(instance.kernel);
  const h: Harness = {
    instance,
    callback: () => 0n,
    call(name, ...args) {
      const fn = fns.get(helperId(name));
      if (fn === undefined) throw new Error(`no helper ${name}`);
      const rt: HelperRuntime = { memory: instance.memory, pc: 0, callFunction: (slot, a) => h.callback(slot, a) };
      const a = [0, 1, 2, 3, 4].map((i) => BigInt(args[i] ?? 0));
      return BigInt.asIntN(64, fn(rt, a[0]!, a[1]!, a[2]!, a[3]!, a[4]!));
    },
    buf(init, writable = true) {
      const bytes = typeof init === 'number' ? new Uint8Array(init) : init;
      return instance.memory.allocBytes('buf', 'mem', bytes, { writable }).start;
    },
    read: (addr, n) => instance.memory.u8.slice(addr, addr + n),
    enter(type, ctx) {
      instance.kernel.run = newRunState(type, ctx);
    },
  };
  return h;
}
