/** Wraps assembled programs into the object model for verifier tests. */
import { assemble } from '../../src/isa/asm.js';
import { MapFlag, MapType, ProgType } from '../../src/loader/kinds.js';
import type { BpfObject, MapDef } from '../../src/loader/model.js';
import { verifyProgram, type ProgramReport, type VerifyOptions } from '../../src/verifier/index.js';

export const arrayMap = (name: string, valueSize: number, maxEntries = 4, keySize = 4): MapDef => ({
  name,
  type: MapType.ARRAY,
  keySize,
  valueSize,
  maxEntries,
  flags: 0,
  origin: 'btf',
  btfKeyTypeId: 0,
  btfValueTypeId: 0,
});

export const ringbufMap = (name: string): MapDef => ({ ...arrayMap(name, 0, 4096, 0), type: MapType.RINGBUF });

export const rodataMap = (bytes: number[]): MapDef => ({
  ...arrayMap('.rodata', bytes.length, 1),
  flags: MapFlag.RDONLY_PROG,
  origin: 'rodata',
  initialValue: new Uint8Array(bytes),
});

export interface AsmOptions extends VerifyOptions {
  type?: number;
  maps?: MapDef[];
  license?: string;
}

export function objectOf(asm: string, o: AsmOptions = {}): BpfObject {
  const instructions = assemble(asm);
  return {
    endian: 'little',
    license: o.license ?? 'GPL',
    programs: [{ name: 'prog', section: 'xdp', type: o.type ?? ProgType.XDP, instructions, functions: [{ name: 'prog', slot: 0 }], subprograms: [] }],
    maps: o.maps ?? [],
  };
}

export function verifyAsm(asm: string, o: AsmOptions = {}): ProgramReport {
  return verifyProgram(objectOf(asm, o), 'prog', o);
}

/** The first error's message, or 'ok'. */
export function verdict(asm: string, o: AsmOptions = {}): string {
  const r = verifyAsm(asm, o);
  return r.accepted ? 'ok' : `${r.errors[0]!.pc}: ${r.errors[0]!.message}`;
}
