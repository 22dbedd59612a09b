/**
 * Load-time checks of format strings. Of the printf-like helpers only bpf_snprintf has its format
 * checked when the program is loaded (check_bpf_snprintf_call runs the kernel's
 * bpf_bprintf_prepare on the constant format); bpf_trace_printk, bpf_trace_vprintk and
 * bpf_seq_printf check theirs when called, and fail with -EINVAL then (the simulated kernel does
 * the same), so a bad format there is no reason to reject the program.
 */
import { constValue } from './domains/scalar.js';
import { Kind, onlyKind } from './domains/types.js';
import type { StateView } from './domains/ebpf-domain.js';
import type { VerifierEnv } from './env.js';

const isPrint = (c: number): boolean => c >= 0x20 && c < 0x7f;
const isSpace = (c: number): boolean => c === 0x20 || (c >= 0x09 && c <= 0x0d);
const isAscii = (c: number): boolean => c < 0x80;
const isPunct = (c: number): boolean => isPrint(c) && !isSpace(c) && !(c >= 0x30 && c <= 0x39) && !((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a);
const ch = (s: string): number => s.charCodeAt(0);

/**
 * Why the kernel's bpf_bprintf_prepare refuses `fmt` with `numArgs` arguments, or undefined when
 * it accepts it. `fmt` holds the bytes up to (not including) the NUL.
 */
export function bprintfError(fmt: Uint8Array, numArgs: number): string | undefined {
  let spec = 0;
  const at = (i: number): number => (i < fmt.length ? fmt[i]! : 0);
  for (let i = 0; i < fmt.length; i++) {
    let c = fmt[i]!;
    if (isAscii(c) && !isPrint(c) && !isSpace(c)) return `byte ${i} (0x${c.toString(16)}) is a control character`;
    if (c !== ch('%')) continue;
    if (at(i + 1) === ch('%')) {
      i++;
      continue;
    }
    if (spec >= numArgs) return `conversion ${spec + 1} at byte ${i} has no argument (${numArgs} given)`;
    const start = i;
    i++;
    c = at(i);
    if (!isAscii(c)) return `non-ASCII byte after '%' at byte ${i}`;
    while (at(i) === ch('0') || at(i) === ch('+') || at(i) === ch('-') || at(i) === ch(' ')) i++;
    if (at(i) >= ch('1') && at(i) <= ch('9')) {
      i++;
      while (at(i) >= ch('0') && at(i) <= ch('9')) i++;
    }
    const conv = (): string => String.fromCharCode(...fmt.subarray(start, Math.min(fmt.length, i + 1)));
    if (at(i) === ch('p')) {
      const n = at(i + 1);
      if (n === 0 || isSpace(n) || isPunct(n)) {
        spec++;
        continue;
      }
      if ((n === ch('k') || n === ch('u')) && at(i + 2) === ch('s')) {
        i += 2;
        const after = at(i + 1);
        if (after !== 0 && !isSpace(after) && !isPunct(after)) return `'${conv()}' must be followed by a space, punctuation or the end`;
        spec++;
        continue;
      }
      if (n === ch('K') || n === ch('x') || n === ch('s') || n === ch('S') || n === ch('B')) {
        i++;
        spec++;
        continue;
      }
      if ((n !== ch('i') && n !== ch('I')) || (at(i + 2) !== ch('4') && at(i + 2) !== ch('6')))
        return `'%p${String.fromCharCode(n)}' is not supported (only %p, %pK, %px, %ps, %pS, %pB, %pks, %pus, %pI4, %pi4, %pI6, %pi6)`;
      i += 2;
      spec++;
      continue;
    }
    if (at(i) === ch('s')) {
      const after = at(i + 1);
      if (after !== 0 && !isSpace(after) && !isPunct(after)) return `'${conv()}' must be followed by a space, punctuation or the end`;
      spec++;
      continue;
    }
    if (at(i) === ch('c')) {
      spec++;
      continue;
    }
    if (at(i) === ch('l')) i++;
    if (at(i) === ch('l')) i++;
    const k = at(i);
    if (k !== ch('i') && k !== ch('d') && k !== ch('u') && k !== ch('x') && k !== ch('X'))
      return `'${conv()}' is not a supported conversion (%d %i %u %x %X with l/ll, %c, %s, %p forms)`;
    spec++;
  }
  return undefined;
}

/** The load-time format check of a helper call, if the helper has one. */
export function checkFormat(s: StateView, env: VerifierEnv, helper: string): string | undefined {
  if (helper !== 'snprintf') return undefined;
  const fmtReg = s.reg(3);
  const len = s.reg(5);
  const m = env.maps[fmtReg.map];
  const off = constValue(fmtReg.num);
  if (!onlyKind(fmtReg, Kind.MAP_VALUE) || !m?.constant || off === undefined) return undefined;
  const n = len.kinds === Kind.NUM ? constValue(len.num) : undefined;
  // the kernel reads the low bits of the size whatever else it knows of it
  const size = n ?? len.num.t.value;
  if (size % 8n !== 0n) return `R5 (the size of bpf_snprintf's arguments) is ${size}, not a multiple of 8: the arguments are an array of u64`;
  const start = Number(off);
  const end = m.constant.indexOf(0, start);
  const fmt = m.constant.subarray(start, end < 0 ? m.constant.length : end);
  const why = bprintfError(fmt, Number(size / 8n));
  if (why) return `bpf_snprintf's format string "${printable(fmt)}" is refused by the kernel: ${why} (Invalid format string)`;
  return undefined;
}

function printable(b: Uint8Array): string {
  let out = '';
  for (const c of b) out += c === 0x0a ? '\\n' : isPrint(c) ? String.fromCharCode(c) : `\\x${c.toString(16).padStart(2, '0')}`;
  return out;
}
