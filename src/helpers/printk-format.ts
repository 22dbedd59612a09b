import { Errno } from './errno.js';

/**
 * The kernel's formatting for bpf_trace_printk, bpf_trace_vprintk and bpf_snprintf: the checks of
 * bpf_bprintf_prepare (kernel/bpf/helpers.c) then vsnprintf's rendering of what passes them.
 *
 * Accepted: `%%`; flags `0 + - space` and a decimal width; `%d %i %u %x %X` with `l`/`ll`
 * (`l` is 64-bit on x86-64); `%c`; `%s` (a kernel string; one that cannot be read prints empty);
 * `%p` followed by nothing, space or punctuation, `%px %pK %ps %pS %pB`, `%pks %pus`,
 * `%pI4 %pi4 %pI6 %pi6`. Anything else — `%pM`, `%ld` precision `.`, `#`, `%h`, too few
 * arguments, a character that is not printable ASCII — is `-EINVAL`, as in the kernel.
 * Deviation: the kernel prints `%p` and `%pK` as a pointer hash keyed at boot and `%ps`/`%pS`/`%pB`
 * as a symbol; bpfkit has neither, so `%p`/`%pK` print like `%px` and the symbol forms as `0x…`.
 */
export interface FormatMemory {
  /** A NUL-terminated string from kernel memory (at most `max` bytes), or undefined when unreadable. */
  kernelString(ptr: bigint, max: number): string | undefined;
  userString(ptr: bigint, max: number): string | undefined;
  /** `n` bytes of kernel memory, or undefined when unreadable. */
  kernelBytes(ptr: bigint, n: number): Uint8Array | undefined;
}

/** Bytes bpf_bprintf_prepare has for strings and arguments (MAX_BPRINTF_BIN_ARGS). */
const BIN_ARGS = 512;

interface Spec {
  left: boolean;
  zero: boolean;
  plus: boolean;
  space: boolean;
  width: number;
}

const isPrint = (c: number): boolean => c >= 0x20 && c < 0x7f;
const isSpace = (c: number): boolean => c === 0x20 || (c >= 0x09 && c <= 0x0d);
const isAlnum = (c: number): boolean => (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a);
const isPunct = (c: number): boolean => isPrint(c) && !isSpace(c) && !isAlnum(c);
const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;

function pad(body: string, spec: Spec, numeric: boolean): string {
  if (body.length >= spec.width) return body;
  const fill = spec.width - body.length;
  if (spec.left) return body + ' '.repeat(fill);
  if (spec.zero && numeric) {
    const sign = /^[-+ ]/.test(body) ? body[0]! : '';
    return sign + '0'.repeat(fill) + body.slice(sign.length);
  }
  return ' '.repeat(fill) + body;
}

// Byte texts made once: addresses are printed a byte at a time.
const HEX2: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const DEC: readonly string[] = Array.from({ length: 256 }, (_, i) => String(i));
const DEC3: readonly string[] = DEC.map((d) => d.padStart(3, '0'));

function ipv4(b: Uint8Array, lead: boolean): string {
  const t = lead ? DEC3 : DEC;
  return `${t[b[0]!]}.${t[b[1]!]}.${t[b[2]!]}.${t[b[3]!]}`;
}

function ipv6(b: Uint8Array, colons: boolean): string {
  let s = '';
  for (let i = 0; i < 16; i += 2) {
    if (colons && i > 0) s += ':';
    s += HEX2[b[i]!]! + HEX2[b[i + 1]!]!;
  }
  return s;
}

/**
 * Formats `fmt` (the bytes up to its NUL) with `args` (raw u64 values). Returns the text, or a
 * negative errno when bpf_bprintf_prepare refuses the format.
 */
export function bprintf(fmt: string, args: readonly bigint[], mem: FormatMemory): string | number {
  let out = '';
  let spec = 0;
  let binLeft = BIN_ARGS;
  const code = (i: number): number => (i < fmt.length ? fmt.charCodeAt(i) : 0);
  for (let i = 0; i < fmt.length; i++) {
    const c = code(i);
    if ((!isPrint(c) && !isSpace(c)) || c > 0x7f) return -Errno.EINVAL;
    if (c !== 0x25) {
      out += fmt[i];
      continue;
    }
    if (code(i + 1) === 0x25) {
      out += '%';
      i++;
      continue;
    }
    if (spec >= args.length) return -Errno.EINVAL;
    const arg = args[spec]!;
    i++;
    const s: Spec = { left: false, zero: false, plus: false, space: false, width: 0 };
    for (;;) {
      const f = code(i);
      if (f === 0x30) s.zero = true;
      else if (f === 0x2b) s.plus = true;
      else if (f === 0x2d) s.left = true;
      else if (f === 0x20) s.space = true;
      else break;
      i++;
    }
    if (code(i) >= 0x31 && code(i) <= 0x39) {
      let w = 0;
      while (isDigit(code(i))) w = w * 10 + (code(i++) - 0x30);
      s.width = w;
    }
    const conv = fmt[i];
    if (conv === 'p') {
      const next = code(i + 1);
      const ptr = BigInt.asUintN(64, arg);
      // Only the plain, %px and %pK forms print it.
      const hex16 = (): string => ptr.toString(16).padStart(16, '0');
      if (next === 0 || isSpace(next) || isPunct(next)) {
        out += pad(hex16(), s, false);
      } else if ((fmt[i + 1] === 'k' || fmt[i + 1] === 'u') && fmt[i + 2] === 's') {
        const after = code(i + 3);
        if (after !== 0 && !isSpace(after) && !isPunct(after)) return -Errno.EINVAL;
        const str = (fmt[i + 1] === 'k' ? mem.kernelString(ptr, binLeft) : mem.userString(ptr, binLeft)) ?? '';
        binLeft -= str.length + 1;
        out += pad(str, s, false);
        i += 2;
      } else if (fmt[i + 1] === 'K' || fmt[i + 1] === 'x') {
        out += pad(hex16(), s, false);
        i++;
      } else if (fmt[i + 1] === 's' || fmt[i + 1] === 'S' || fmt[i + 1] === 'B') {
        out += pad(`0x${ptr.toString(16)}`, s, false);
        i++;
      } else if ((fmt[i + 1] === 'i' || fmt[i + 1] === 'I') && (fmt[i + 2] === '4' || fmt[i + 2] === '6')) {
        const v6 = fmt[i + 2] === '6';
        const bytes = mem.kernelBytes(ptr, v6 ? 16 : 4) ?? new Uint8Array(v6 ? 16 : 4);
        const text = v6 ? ipv6(bytes, fmt[i + 1] === 'I') : ipv4(bytes, fmt[i + 1] === 'i');
        out += pad(text, s, false);
        i += 2;
        // %pI6c: the kernel consumes the 'c' and still prints every group in full (recorded).
        if (v6 && fmt[i - 1] === 'I' && fmt[i + 1] === 'c') i++;
      } else {
        return -Errno.EINVAL;
      }
      spec++;
      continue;
    }
    if (conv === 's') {
      const after = code(i + 1);
      if (after !== 0 && !isSpace(after) && !isPunct(after)) return -Errno.EINVAL;
      const str = mem.kernelString(BigInt.asUintN(64, arg), binLeft) ?? '';
      binLeft -= str.length + 1;
      out += pad(str, s, false);
      spec++;
      continue;
    }
    if (conv === 'c') {
      out += pad(String.fromCharCode(Number(arg & 0xffn)), s, false);
      spec++;
      continue;
    }
    let wide = false;
    if (fmt[i] === 'l') {
      wide = true;
      i++;
      if (fmt[i] === 'l') i++;
    }
    const k = fmt[i];
    if (k !== 'i' && k !== 'd' && k !== 'u' && k !== 'x' && k !== 'X') return -Errno.EINVAL;
    let body: string;
    if (k === 'd' || k === 'i') {
      const v = wide ? BigInt.asIntN(64, arg) : BigInt.asIntN(32, arg);
      body = (v < 0n ? '-' : s.plus ? '+' : s.space ? ' ' : '') + (v < 0n ? -v : v).toString();
    } else {
      const v = wide ? BigInt.asUintN(64, arg) : BigInt.asUintN(32, arg);
      body = k === 'u' ? v.toString() : k === 'x' ? v.toString(16) : v.toString(16).toUpperCase();
    }
    out += pad(body, s, true);
    spec++;
  }
  return out;
}

/** The bytes of a format string argument up to its NUL, or undefined when there is none within `size`. */
export function formatString(bytes: Uint8Array): string | undefined {
  const end = bytes.indexOf(0);
  if (end < 0) return undefined;
  let s = '';
  for (let i = 0; i < end; i++) s += String.fromCharCode(bytes[i]!);
  return s;
}
