// The shared memory between the exiting main thread and the sender worker: slot 0 counts settled
// requests (the main thread waits on it), slot 1 + i holds request i's outcome; a second buffer
// carries the first failure's reason for the one line at exit.

import type { PendingRequest } from '../sdk/queue/pending';

export const DELIVERED = 1;
export const FAILED = 2;
const REASON_BYTES = 512;

export interface SenderInput {
  slots: SharedArrayBuffer;
  reason: SharedArrayBuffer;
  /** Epoch ms after which nothing is waited for any more. */
  deadline: number;
  requests: Array<Pick<PendingRequest, 'bytes' | 'target'>>;
}

export function allocate(requests: number): { slots: SharedArrayBuffer; reason: SharedArrayBuffer } {
  return { slots: new SharedArrayBuffer(4 * (requests + 1)), reason: new SharedArrayBuffer(4 + REASON_BYTES) };
}

/** Only the first reason is kept (the length word goes from 0 to the length once). */
export function writeReason(buffer: SharedArrayBuffer, reason: string): void {
  const bytes = Buffer.from(reason.slice(0, 200), 'utf8').subarray(0, REASON_BYTES);
  const length = new Int32Array(buffer, 0, 1);
  if (Atomics.compareExchange(length, 0, 0, -1) !== 0) return;
  new Uint8Array(buffer, 4, REASON_BYTES).set(bytes);
  Atomics.store(length, 0, bytes.length);
}

export function readReason(buffer: SharedArrayBuffer): string | undefined {
  const length = Atomics.load(new Int32Array(buffer, 0, 1), 0);
  if (length <= 0) return undefined;
  return Buffer.from(new Uint8Array(buffer, 4, length)).toString('utf8');
}
