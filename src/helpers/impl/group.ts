import type { FastHelperFn, HelperFn } from '../abi.js';
import type { KernelState } from '../kernel/state.js';

/** A set of helper implementations by kernel name without the `bpf_` prefix (`map_lookup_elem`). */
export type HelperGroup = (k: KernelState) => Record<string, HelperFn>;

/**
 * Fast paths (see FastHelperFn) of some helpers of a group, by the same names. Building the record
 * must not read `k` (only the closures may): the registry builds it once without a kernel to learn
 * which helpers have a fast path (FAST_HELPER_IDS).
 */
export type FastHelperGroup = (k: KernelState) => Record<string, FastHelperFn>;
