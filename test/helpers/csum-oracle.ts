/** csum_from32to16 written out independently of the implementation, for a seed-only bpf_csum_diff. */
export function csumDiffValue(seed: number): number {
  let s = (seed & 0xffff) + (seed >>> 16);
  s = (s & 0xffff) + (s >>> 16);
  return s;
}
