// Wires an OTLP exporter of encoded requests to its export queue: the send function, the queue's
// settings (with the byte bound), the error line per episode and the exit hand-over source.

import type { BatchSettings, SignalExport } from '../../config';
import type { Logger } from '../../log/logger';
import type { QueueSettings, Send, TakenBatch } from './batch-queue';
import { exportErrorReporter } from '../export/export-errors';
import { type AnyExporter, sendVia } from '../export/exporters';
import type { LossLedger } from './loss-ledger';
import { pendingTarget, type PendingSource } from './pending';

/**
 * Bytes an export queue may hold besides its item bound. At the default 2,048 items of a few
 * hundred bytes each a queue holds about 1 MiB; this bound only bites when items are huge (1 MB
 * query strings), where the item bound alone let an app grow to ~1 GiB. Items beyond it are
 * counted as lost with error.type queue_full.
 */
export const MAX_QUEUE_BYTES = 16 * 1024 * 1024;

export interface QueuedExport {
  send: Send;
  settings: QueueSettings;
  onResult: (error?: Error) => void;
}

export function queuedExport(signal: 'traces' | 'logs', exporter: AnyExporter, batch: BatchSettings, s: Readonly<SignalExport>, log: Logger): QueuedExport {
  return {
    send: sendVia(exporter),
    settings: { ...batch, maxQueueBytes: MAX_QUEUE_BYTES, prepare: () => exporter.prepare?.() },
    onResult: exportErrorReporter(signal, s.endpoint, log),
  };
}

export function pendingSource(signal: 'traces' | 'logs', s: Readonly<SignalExport>, take: () => TakenBatch[]): PendingSource {
  return { signal, take, target: pendingTarget(signal, s) };
}

export type { LossLedger };
