import type { KernelValue } from '../helpers/kernel-objects/values.js';
import type { TracingArgs } from '../run/tracing-context.js';
import { ExitError } from './common.js';

/** A JSON value as a kernel value: `"123n"`/`"0x10n"` are 64-bit integers, other strings stay strings. */
function fromJson(v: unknown, what: string): KernelValue {
  if (v === null || typeof v === 'number' || typeof v === 'boolean') return v;
  if (typeof v === 'string') {
    const m = /^(-?(?:0x[0-9a-fA-F]+|\d+))n$/.exec(v);
    if (m) return m[1]!.startsWith('-') ? -BigInt(m[1]!.slice(1)) : BigInt(m[1]!);
    return v;
  }
  if (Array.isArray(v)) return v.map((x, i) => fromJson(x, `${what}[${i}]`));
  if (typeof v === 'object') {
    const out: Record<string, KernelValue> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = fromJson(x, `${what}.${k}`);
    return out;
  }
  throw new ExitError(`${what}: unsupported JSON value`, 2);
}

/**
 * `--args JSON`: the hook's arguments by name (`{"p":{"pid":42,"comm":"bash"},"old_pid":7}`) or
 * position (`[{"pid":42}, 7]`); objects become kernel objects of the parameter's type.
 */
export function parseTracingArgs(json: string, option = '--args'): TracingArgs {
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch (e) {
    throw new ExitError(`${option}: not JSON: ${(e as Error).message}`, 2);
  }
  if (typeof v !== 'object' || v === null) throw new ExitError(`${option}: expected a JSON object (arguments by name) or array (by position)`, 2);
  return fromJson(v, option) as TracingArgs;
}

/** `--task JSON`: the current task's fields (a task_struct), e.g. `{"pid":42,"tgid":42,"comm":"bash"}`. */
export function parseTaskFields(json: string): Record<string, KernelValue> {
  const v = parseTracingArgs(json, '--task');
  if (Array.isArray(v)) throw new ExitError('--task: expected a JSON object of task_struct fields', 2);
  return v as Record<string, KernelValue>;
}
