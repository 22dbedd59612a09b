import { helperTable, type FastHelperFn, type HelperFn, type HelperTable } from '../abi.js';
import { HELPER_NAMES, helperId, helperName } from '../helper-ids.js';
import type { KernelState } from '../kernel/state.js';
import { callbackHelpers } from './callbacks.js';
import { csumFastHelpers, csumHelpers } from './csum.js';
import type { FastHelperGroup, HelperGroup } from './group.js';
import { mapFastHelpers, mapHelpers } from './map-helpers.js';
import { packetFastHelpers, packetHelpers } from './packet.js';
import { perfHelpers } from './perf.js';
import { printkHelpers } from './printk.js';
import { probeHelpers } from './probe.js';
import { ringbufHelpers } from './ringbuf-helpers.js';
import { tailCallHelpers } from './tail-call.js';
import { timeTaskFastHelpers, timeTaskHelpers } from './time-task.js';
import { kernelInfoHelpers } from './kernel-info.js';
import { dynptrHelpers } from './dynptr.js';
import { lockHelpers } from './locks.js';
import { perfReadHelpers } from './perf-read.js';
import { socketHelpers } from './sockets.js';
import { localStorageHelpers } from './local-storage.js';
import { sockOpsHelpers } from './sock-ops.js';
import { skAssignHelpers } from './sk-assign.js';
import { sockMapHelpers } from './sockmap-helpers.js';
import { skMsgHelpers } from './sk-msg.js';
import { sysctlHelpers } from './sysctl.js';
import { cgroupStorageHelpers } from './cgroup-storage.js';
import { cgroupArrayHelpers } from './cgroup-array.js';
import { stackHelpers } from './stacks.js';
import { userRingbufHelpers } from './user-ringbuf.js';
import { tunnelFastHelpers, tunnelHelpers } from './tunnel.js';
import { syncookieHelpers } from './syncookies.js';
import { retvalHelpers } from './retval.js';
import { timerHelpers } from './timers.js';
import { routeFastHelpers, routeHelpers } from './route.js';
import { skbMetaHelpers } from './skb-meta.js';
import { stringFastHelpers, stringHelpers } from './strings.js';
import { currentTaskHelpers } from '../kernel-objects/task-helpers.js';

const GROUPS: readonly HelperGroup[] = [
  mapHelpers,
  ringbufHelpers,
  timeTaskHelpers,
  tailCallHelpers,
  packetHelpers,
  csumHelpers,
  printkHelpers,
  callbackHelpers,
  probeHelpers,
  perfHelpers,
  skbMetaHelpers,
  stringHelpers,
  lockHelpers,
  routeHelpers,
  kernelInfoHelpers,
  timerHelpers,
  socketHelpers,
  perfReadHelpers,
  dynptrHelpers,
  currentTaskHelpers,
  localStorageHelpers,
  sockOpsHelpers,
  skAssignHelpers,
  sockMapHelpers,
  skMsgHelpers,
  sysctlHelpers,
  cgroupStorageHelpers,
  cgroupArrayHelpers,
  stackHelpers,
  userRingbufHelpers,
  tunnelHelpers,
  syncookieHelpers,
  retvalHelpers,
];

/** The implementations by helper id, for the simulated kernel `k`. */
export function helperFunctions(k: KernelState): Map<number, HelperFn> {
  const fns = new Map<number, HelperFn>();
  for (const group of GROUPS) {
    for (const [name, fn] of Object.entries(group(k))) fns.set(groupHelperId(name), fn);
  }
  return fns;
}

const FAST_GROUPS: readonly FastHelperGroup[] = [
  mapFastHelpers,
  stringFastHelpers,
  csumFastHelpers,
  packetFastHelpers,
  routeFastHelpers,
  timeTaskFastHelpers,
  tunnelFastHelpers,
];

/** The id of the helper a group names `name` (`map_lookup_elem`), or an error naming it. */
function groupHelperId(name: string): number {
  const id = helperId(name);
  if (id < 0) throw new Error(`helper ${name} has no id in the kernel UAPI`);
  return id;
}

/** The fast paths by helper id, for the simulated kernel `k` (each also has its HelperFn). */
export function fastHelperFunctions(k: KernelState): Map<number, FastHelperFn> {
  const fns = new Map<number, FastHelperFn>();
  for (const group of FAST_GROUPS) {
    for (const [name, fn] of Object.entries(group(k))) fns.set(groupHelperId(name), fn);
  }
  return fns;
}

/**
 * Stands in for the kernel while the fast groups are asked which helpers they cover: a group
 * builds closures and reads its kernel only when called (FastHelperGroup), so any read is a defect.
 */
const NO_KERNEL = new Proxy({} as KernelState, {
  get: (_t, p) => {
    throw new Error(`a fast helper group read kernel.${String(p)} while being built`);
  },
});

/**
 * The ids of the helpers that have a fast path, from FAST_GROUPS: the JIT passes exactly these
 * helpers' arguments in memory (its `helperm` import), so a new fast path is one entry there.
 */
export const FAST_HELPER_IDS: ReadonlySet<number> = new Set(FAST_GROUPS.flatMap((g) => Object.keys(g(NO_KERNEL)).map(groupHelperId)));

/** The helper table engines dispatch through: every helper bpfkit implements, named as the kernel names them. */
export function kernelHelperTable(k: KernelState): HelperTable {
  const names = new Map<number, string>(HELPER_NAMES.map((_, id) => [id, helperName(id)]));
  return helperTable(helperFunctions(k), names, fastHelperFunctions(k));
}
