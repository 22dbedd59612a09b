import { mapHandle } from '../helpers/abi.js';
import { RuntimeFault } from '../helpers/fault.js';
import { TRAMPOLINE_SLOTS, type ObjectInstance } from '../helpers/kernel.js';
import { newRunState } from '../helpers/kernel/state.js';
import { DEFAULT_BUDGET } from '../vm/interpreter.js';
import { createEngine, type Engine, type EngineKind } from './engine.js';

/** One timer callback that ran. */
export interface TimerFiring {
  /** CLOCK_MONOTONIC when it fired (the clock the callback saw). */
  at: bigint;
  /** The program whose callback it was, and the map holding the timer. */
  program: string;
  map: string;
  /** r0 of the callback (the kernel wants 0), or the fault that stopped it. */
  r0: bigint;
  error: RuntimeFault | undefined;
  /** bpf_printk lines it wrote. */
  printk: string[];
}

export interface AdvanceOptions {
  engine?: EngineKind;
  budget?: number;
}

const engines = new WeakMap<ObjectInstance, Map<string, Engine>>();

/**
 * Moves the simulated CLOCK_MONOTONIC forward by `ns` and runs every bpf_timer callback that comes
 * due on the way, in expiry order, each with the clock at its expiry and with the kernel's
 * arguments (the map, the key, the map value holding the timer). A callback may start its timer
 * again; it fires again if that is still within the interval.
 */
export function advanceTime(instance: ObjectInstance, ns: bigint, options: AdvanceOptions = {}): TimerFiring[] {
  const k = instance.kernel;
  const target = k.clock.now() + ns;
  const fired: TimerFiring[] = [];
  for (;;) {
    const t = k.timers.next(target);
    if (t === undefined) break;
    const at = t.expires!;
    k.clock.set(at);
    t.expires = undefined;
    if (t.program === undefined || t.slot === undefined) continue;
    const map = k.maps[t.map]!;
    instance.releaseRuns();
    // The key of the element holding the timer, in memory for the callback's r2.
    const entry = map.entries().find((e) => map.lookup(e.key, k.cpu) === t.value);
    const keyRegion = instance.memory.allocBytes('timer key', 'scratch', entry?.key ?? new Uint8Array(map.keySize), { writable: false });
    const kind = options.engine ?? 'interp';
    const cacheKey = `${t.program}@${t.slot}/${kind}`;
    let byKey = engines.get(instance);
    if (byKey === undefined) engines.set(instance, (byKey = new Map()));
    let engine = byKey.get(cacheKey);
    if (engine === undefined) {
      engine = createEngine(kind, instance.callbackProgram(t.program, t.slot), instance.memory, instance.helpers);
      byKey.set(cacheKey, engine);
    }
    k.run = newRunState(instance.program(t.program).type, undefined, t.program);
    k.run.slotBias = TRAMPOLINE_SLOTS;
    k.run.inTimer = t.address;
    let r0 = 0n;
    let error: RuntimeFault | undefined;
    try {
      r0 = engine.run([BigInt(mapHandle(map.index)), BigInt(keyRegion.start), BigInt(t.value)], options.budget ?? DEFAULT_BUDGET);
    } catch (e) {
      if (!(e instanceof RuntimeFault)) throw e;
      error = e;
    } finally {
      fired.push({ at, program: instance.program(t.program).name, map: map.name, r0, error, printk: [...k.run.printk] });
      k.run = newRunState();
      instance.releaseRuns();
    }
  }
  k.clock.set(target);
  return fired;
}

