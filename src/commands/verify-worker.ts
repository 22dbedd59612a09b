/** A `verify --jobs` worker thread: verifies the objects the main thread hands it, one at a time. */
import { parentPort, workerData } from 'node:worker_threads';
import { isBpfkitError } from '../errors.js';
import { silenceRunningKernelNote, usedRunningKernelBtf } from './object.js';
import { verifyObjectFile, type VerifyCliOptions, type WorkerReply } from './verify-batch.js';

const { opts } = workerData as { opts: VerifyCliOptions };
silenceRunningKernelNote();
parentPort!.on('message', ({ index, obj }: { index: number; obj: string }) => {
  let reply: WorkerReply;
  try {
    reply = { index, outcome: verifyObjectFile(obj, opts, true), usedKernelBtf: usedRunningKernelBtf() };
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    const code = isBpfkitError(e) ? e.code : undefined;
    reply = { index, crash: { name: err.name, message: err.message, ...(code !== undefined ? { code } : {}) }, usedKernelBtf: usedRunningKernelBtf() };
  }
  parentPort!.postMessage(reply);
});
