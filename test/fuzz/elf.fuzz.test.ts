/**
 * ELF bytes from anywhere: every fixture object, mutated (bit flips, byte overwrites, truncations,
 * structural fields — offsets, sizes, counts, section/symbol/string/type indexes — set to extremes),
 * into the loader. The only allowed outcomes are a loaded object or a BpfkitError with a one-line
 * message, within a bounded time; never another exception or a hang.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorCode, isBpfkitError } from '../../src/errors.js';
import { loadObject } from '../../src/loader/index.js';
import { verifyObject } from '../../src/verifier/index.js';
import { elfFields, extremes, fixtureObjects, scaled, SEED, writeField, type ElfField } from '../support/fuzz.js';

const fixtures = fixtureObjects();
const fields = new Map<string, ElfField[]>(fixtures.map((f) => [f.name, elfFields(f.bytes)]));
/**
 * A load that takes longer than this is treated as a hang (the slowest fixture loads in a few ms):
 * a guard against pathological loads, not a speed test, so a loaded CI machine never trips it.
 */
const SLOW_MS = 10_000;

/** A mutation described independently of the fixture it is applied to (positions are taken modulo). */
type Mutation =
  | { kind: 'flip'; pos: number; bit: number }
  | { kind: 'byte'; pos: number; value: number }
  | { kind: 'truncate'; pos: number }
  | { kind: 'field'; field: number; value: number }
  | { kind: 'fieldRandom'; field: number; value: bigint };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), pos: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('byte' as const), pos: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('truncate' as const), pos: fc.nat() }),
  { arbitrary: fc.record({ kind: fc.constant('field' as const), field: fc.nat(), value: fc.nat() }), weight: 4 },
  fc.record({ kind: fc.constant('fieldRandom' as const), field: fc.nat(), value: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }) }),
);

function apply(name: string, original: Uint8Array, ms: readonly Mutation[]): Uint8Array {
  let b = original.slice();
  const fs = fields.get(name) ?? [];
  for (const m of ms) {
    if (b.length === 0) break;
    switch (m.kind) {
      case 'flip':
        b[m.pos % b.length]! ^= 1 << m.bit;
        break;
      case 'byte':
        b[m.pos % b.length] = m.value;
        break;
      case 'truncate':
        b = b.slice(0, m.pos % b.length);
        break;
      case 'field':
      case 'fieldRandom': {
        if (fs.length === 0) break;
        const f = fs[m.field % fs.length]!;
        const vs = extremes(f.size, b.length);
        writeField(b, f, m.kind === 'field' ? vs[m.value % vs.length]! : m.value);
        break;
      }
    }
  }
  return b;
}

const describeMutations = (ms: readonly Mutation[], name: string): string =>
  ms
    .map((m) => {
      if (m.kind !== 'field' && m.kind !== 'fieldRandom') return JSON.stringify(m);
      const fs = fields.get(name) ?? [];
      const f = fs[m.field % Math.max(1, fs.length)];
      return `${f?.what ?? '?'}@${f?.at ?? '?'} := ${m.kind === 'field' ? String(extremes(f?.size ?? 4, 0)[m.value % 10]) : m.value.toString()}`;
    })
    .join(', ');

/** Loads (and verifies, when the load succeeds) `bytes`; asserts the outcome is clean and quick. */
function loadClean(bytes: Uint8Array, label: () => string, verify = true): 'loaded' | string {
  const t0 = performance.now();
  let outcome: 'loaded' | string;
  try {
    const obj = loadObject(bytes);
    outcome = 'loaded';
    // A mutated object that still loads goes on to the verifier, which must also answer cleanly.
    try {
      if (verify) verifyObject(obj);
    } catch (e) {
      if (!isBpfkitError(e)) throw new Error(`verifier threw ${String(e)} on ${label()}`, { cause: e });
    }
  } catch (e) {
    if (!isBpfkitError(e)) {
      const err = e as Error;
      throw new Error(`loader threw ${err?.name}: ${err?.message} on ${label()}\n${err?.stack ?? ''}`, { cause: e });
    }
    expect(e.message.length, label()).toBeGreaterThan(0);
    expect(e.message, label()).not.toMatch(/\n/);
    expect([ErrorCode.BadInput, ErrorCode.Unsupported], `${label()}: ${e.message}`).toContain(e.code);
    outcome = e.code;
  }
  const ms = performance.now() - t0;
  if (ms > SLOW_MS) throw new Error(`load took ${ms.toFixed(0)} ms on ${label()}`);
  return outcome;
}

describe('fuzz: ELF objects into the loader', () => {
  it('every fixture loads unmutated (the corpus is sound to start from)', () => {
    expect(fixtures.length).toBeGreaterThan(50);
    for (const f of fixtures) {
      try {
        loadObject(f.bytes);
      } catch (e) {
        // A few verifier fixtures exercise loader-level rejection on purpose; they must still be clean.
        if (!isBpfkitError(e)) throw e;
      }
    }
  });

  it('mutated fixtures load or fail with a typed BpfkitError, quickly', () => {
    const tally = new Map<string, number>();
    fc.assert(
      fc.property(fc.nat({ max: fixtures.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 4 }), (fi, ms) => {
        const f = fixtures[fi]!;
        const bytes = apply(f.name, f.bytes, ms);
        const out = loadClean(bytes, () => `${f.name} with ${describeMutations(ms, f.name)}`);
        tally.set(out, (tally.get(out) ?? 0) + 1);
      }),
      { numRuns: scaled(200), seed: SEED },
    );
    // Both outcomes must occur, or the mutations are too weak (or too strong) to test anything.
    expect(tally.get('loaded') ?? 0).toBeGreaterThan(0);
    expect(tally.get(ErrorCode.BadInput) ?? 0).toBeGreaterThan(0);
  });

  it('every structural field of every fixture, set to each extreme, is handled', () => {
    // A deterministic sweep over a sample of fields per fixture (more in the long run); the
    // loader only, since verifying whole objects costs ~100x a load (the random test verifies).
    const perFixture = scaled(3);
    let cases = 0;
    const rand = fc.sample(fc.nat(), { numRuns: fixtures.length * perFixture, seed: SEED });
    fixtures.forEach((f, fi) => {
      const fs = fields.get(f.name) ?? [];
      for (let k = 0; k < Math.min(perFixture, fs.length); k++) {
        const field = fs[rand[fi * perFixture + k]! % fs.length]!;
        for (const v of extremes(field.size, f.bytes.length)) {
          const b = f.bytes.slice();
          writeField(b, field, v);
          loadClean(b, () => `${f.name} with ${field.what}@${field.at} := ${v}`, false);
          cases++;
        }
      }
    });
    expect(cases).toBeGreaterThan(fixtures.length);
  });

  it('arbitrary bytes and ELF-looking headers are refused cleanly', () => {
    const header = fc.uint8Array({ minLength: 0, maxLength: 512 }).map((b) => {
      const out = new Uint8Array(Math.max(64, b.length));
      out.set(b);
      out.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1], 0);
      return out;
    });
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 256 }), header), (bytes) => {
        loadClean(bytes, () => `bytes ${Buffer.from(bytes).toString('hex')}`);
      }),
      { numRuns: scaled(500), seed: SEED },
    );
  });
});
