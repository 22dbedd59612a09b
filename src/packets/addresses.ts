import { BpfkitError, ErrorCode } from '../errors.js';

const bad = (what: string, text: string): never => {
  throw new BpfkitError(ErrorCode.Usage, `invalid ${what} address '${text}'`);
};

/** `aa:bb:cc:dd:ee:ff` → 6 bytes. */
export function mac(text: string): Uint8Array {
  const parts = text.split(/[:-]/);
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{1,2}$/.test(p))) bad('MAC', text);
  return Uint8Array.from(parts.map((p) => parseInt(p, 16)));
}

/** `10.0.0.1` → 4 bytes. */
export function ipv4Address(text: string): Uint8Array {
  const parts = text.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) bad('IPv4', text);
  return Uint8Array.from(parts.map(Number));
}

/** `2001:db8::1` → 16 bytes (with `::` compression and an optional embedded IPv4 tail). */
export function ipv6Address(text: string): Uint8Array {
  let t = text;
  const lastColon = t.lastIndexOf(':');
  if (lastColon >= 0 && t.slice(lastColon + 1).includes('.')) {
    // `::ffff:10.0.0.1`: rewrite the dotted tail as two hex groups, then parse as usual.
    const v4 = ipv4Address(t.slice(lastColon + 1));
    t = `${t.slice(0, lastColon + 1)}${((v4[0]! << 8) | v4[1]!).toString(16)}:${((v4[2]! << 8) | v4[3]!).toString(16)}`;
  }
  const halves = t.split('::');
  if (halves.length > 2) bad('IPv6', text);
  const parse = (s: string): number[] =>
    s === '' ? [] : s.split(':').map((g) => (/^[0-9a-fA-F]{1,4}$/.test(g) ? parseInt(g, 16) : bad('IPv6', text)));
  let groups: number[];
  if (halves.length === 2) {
    const a = parse(halves[0]!);
    const b = parse(halves[1]!);
    const fill = 8 - a.length - b.length;
    if (fill < 1) bad('IPv6', text);
    groups = [...a, ...new Array<number>(fill).fill(0), ...b];
  } else {
    groups = parse(t);
  }
  if (groups.length !== 8) bad('IPv6', text);
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    out[i * 2] = g >> 8;
    out[i * 2 + 1] = g & 0xff;
  });
  return out;
}

export const formatMac = (b: Uint8Array): string => [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');
export const formatIpv4 = (b: Uint8Array): string => [...b].join('.');

/** RFC 5952 text of a 16-byte IPv6 address. */
export function formatIpv6(b: Uint8Array): string {
  const g: number[] = [];
  for (let i = 0; i < 16; i += 2) g.push((b[i]! << 8) | b[i + 1]!);
  let bestAt = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestAt = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (xs: number[]): string => xs.map((x) => x.toString(16)).join(':');
  if (bestAt < 0) return hex(g);
  return `${hex(g.slice(0, bestAt))}::${hex(g.slice(bestAt + bestLen))}`;
}
