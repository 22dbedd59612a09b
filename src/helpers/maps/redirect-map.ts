import type { RedirectTarget } from '../kernel/state.js';

/** A map bpf_redirect_map may redirect through: devmap, devmap_hash, cpumap, xskmap. */
export interface RedirectMap {
  /** Flags beyond the fallback action the map takes (BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS for devmaps). */
  readonly redirectFlagMask: bigint;
  /** Where key `key` redirects to, or undefined for an empty slot. */
  redirectTarget(key: number): Omit<RedirectTarget, 'flags' | 'map'> | undefined;
}

export const isRedirectMap = (m: object): m is RedirectMap => 'redirectTarget' in m && 'redirectFlagMask' in m;
