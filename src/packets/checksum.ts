/** The Internet checksum (RFC 1071): ones' complement of the ones' complement sum of 16-bit words. */
export function onesComplementSum(bytes: Uint8Array, initial = 0): number {
  let sum = initial;
  const n = bytes.length;
  for (let i = 0; i + 1 < n; i += 2) sum += (bytes[i]! << 8) | bytes[i + 1]!;
  if (n & 1) sum += bytes[n - 1]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/** The checksum to store in a header whose checksum field is zero while summing. */
export const internetChecksum = (bytes: Uint8Array, initial = 0): number => ~onesComplementSum(bytes, initial) & 0xffff;

/** Sum of a pseudo header (for TCP/UDP/ICMPv6 checksums), not yet folded to 16 bits' complement. */
export function pseudoHeaderSum(src: Uint8Array, dst: Uint8Array, protocol: number, length: number): number {
  let sum = onesComplementSum(src) + onesComplementSum(dst) + protocol;
  // IPv6 uses a 32-bit upper-layer length; IPv4 a 16-bit one. Adding both halves covers both.
  sum += (length >>> 16) + (length & 0xffff);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}
