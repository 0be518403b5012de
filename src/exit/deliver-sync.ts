// Delivers pending OTLP requests from code that must stay synchronous (a `process.exit()` call, an
// 'exit' listener, an uncaught exception): a worker thread sends them and this thread blocks in
// Atomics.wait until each request has an answer or the deadline passes — never longer. The same
// technique as pino's thread-stream flushSync and synckit; why a worker and what it costs:
// docs/exit-delivery.md. Nothing is started when nothing is pending.

import * as path from 'path';
import type { LossCause, PendingRequest } from '../sdk';
import { allocate, DELIVERED, FAILED, readReason, type SenderInput } from './slots';

export interface SyncOutcome {
  delivered: PendingRequest[];
  /** Refused or failed: export_failed; no answer by the deadline: timeout; never sent: shutdown. */
  lost: Array<{ request: PendingRequest; cause: LossCause }>;
  /** The first failure's reason, or why nothing was attempted. */
  reason?: string;
}

const WORKER_FILE = path.join(__dirname, 'sender-worker.js');

export function deliverSync(requests: readonly PendingRequest[], deadline: number): SyncOutcome {
  if (requests.length === 0) return { delivered: [], lost: [] };
  const never = (reason: string): SyncOutcome => ({ delivered: [], lost: requests.map((request) => ({ request, cause: 'shutdown' })), reason });
  if (deadline - Date.now() <= 0) return never('no time left');
  const { slots, reason } = allocate(requests.length);
  const input: SenderInput = { slots, reason, deadline, requests: requests.map(({ bytes, target }) => ({ bytes, target })) };
  let worker: import('worker_threads').Worker;
  try {
    const { Worker } = require('worker_threads') as typeof import('worker_threads');
    // No preload flags and no environment: the worker sends and nothing else; its own output (if
    // any) stays in its streams, never on the host's stdout or stderr.
    worker = new Worker(WORKER_FILE, { workerData: input, execArgv: [], env: {}, stdout: true, stderr: true });
  } catch (err) {
    return never(`sender thread failed to start (${(err as Error)?.message ?? err})`);
  }
  worker.on('error', () => undefined);
  worker.unref();

  const state = new Int32Array(slots);
  for (;;) {
    const settled = Atomics.load(state, 0);
    const left = deadline - Date.now();
    if (settled >= requests.length || left <= 0) break;
    Atomics.wait(state, 0, settled, left);
  }
  // Answered in full, the worker ends by itself; otherwise stop it (the process exits anyway).
  if (Atomics.load(state, 0) < requests.length) void worker.terminate().catch(() => undefined);

  const outcome: SyncOutcome = { delivered: [], lost: [] };
  requests.forEach((request, i) => {
    const result = Atomics.load(state, i + 1);
    if (result === DELIVERED) outcome.delivered.push(request);
    else outcome.lost.push({ request, cause: result === FAILED ? 'export_failed' : 'timeout' });
  });
  if (outcome.lost.length) outcome.reason = readReason(reason) ?? 'no answer in time';
  return outcome;
}
