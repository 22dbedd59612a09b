/**
 * Which helpers each program type may call lives in the shared helper table
 * (src/helpers/protos/availability.ts, recorded from the kernel); re-exported for the verifier.
 */
export { GPL_ONLY_HELPERS, HELPERS_BY_PROG_TYPE } from '../helpers/protos/availability.js';
