// The export queue shared by the span and log-record processors: BatchSpanProcessor's settings and
// schedule (queue bound, batch size, delay, export timeout, one export at a time, flush at
// shutdown) plus a byte bound, over batches that encode themselves to one whole OTLP request.
// Conservation is its law: every item offered ends in exactly one ledger entry — delivered, or
// lost by cause (queue full, export failed, timed out, shut down) — or is handed over whole to the
// synchronous exit flush (takePendingSync), which then owns its accounting.

import type { BatchSettings } from '../../config';
import type { LedgerSignal, LossCause, LossLedger } from './loss-ledger';
import { partialSuccessError, type Rejected } from '../export/partial-success';
import { deadlineAfterIo } from '../../util/deadline';
import { markResent } from './resent-marker';

/** The open batch of one signal: items of one resource, encodable to a whole export request. */
export interface BatchBuilder<T> {
  readonly count: number;
  /** Whether the item belongs in this batch (same resource). */
  accepts(item: T): boolean;
  /** Adds the item; returns how many bytes it adds to the queue. */
  add(item: T): number;
  /** Resolves once the request may be encoded (asynchronous resource attributes). */
  ready?(): Promise<void>;
  /** The whole Export<Signal>ServiceRequest; called once. */
  encode(): Uint8Array;
}

export interface QueueSettings extends BatchSettings {
  /** Bound on the bytes the queue holds, besides maxQueueSize (items). */
  maxQueueBytes: number;
  /**
   * Called once, on an unref'd timer right after the first item is queued: the exporter is built
   * then, while the app runs, instead of inside the exit flush of a job shorter than the batch
   * delay (measured at a tenth of a core: a 0.94–0.98 s flush, 0.27 s with the exporter built).
   */
  prepare?: () => void;
}

/** Delivers one encoded request; rejects when it was not delivered (after retries); resolves with what the collector refused of it, if anything. */
export type Send = (request: Uint8Array, count: number) => Promise<Rejected | undefined | void>;

export interface Batch {
  count: number;
  bytes: number;
  builder: BatchBuilder<unknown>;
  encoded?: Uint8Array;
  /** Taken by the exit flush: whatever the export in flight does next is no longer ours to count. */
  taken?: boolean;
}

export interface TakenBatch {
  count: number;
  bytes: Uint8Array;
}

export class BatchQueue<T> {
  private open?: BatchBuilder<T>;
  private openBytes = 0;
  private readonly ready: Batch[] = [];
  private current?: Batch;
  private queued = 0;
  private queuedBytes = 0;
  private exporting?: Promise<void>;
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private prepared = false;

  constructor(
    private readonly signal: LedgerSignal,
    private readonly settings: QueueSettings,
    private readonly newBatch: (first: T) => BatchBuilder<T>,
    private readonly send: Send,
    private readonly ledger: LossLedger,
    /** Told about each failed export (the error line, once per episode) and each success. */
    private readonly onResult: (error?: Error) => void,
  ) {}

  /** Items waiting or in export, and their bytes (for tests and the queue-size metric). */
  get size(): { items: number; bytes: number } {
    return { items: this.queued, bytes: this.queuedBytes };
  }

  offer(item: T): void {
    if (this.stopped) return this.ledger.lose(this.signal, 1, 'shutdown');
    // The byte bound admits while under it, so the queue exceeds it by at most one item.
    if (this.queued >= this.settings.maxQueueSize || this.queuedBytes >= this.settings.maxQueueBytes) {
      return this.ledger.lose(this.signal, 1, 'queue_full');
    }
    let bytes: number;
    try {
      if (this.open && !this.open.accepts(item)) this.closeBatch();
      this.open ??= this.newBatch(item);
      bytes = this.open.add(item);
    } catch {
      // Nothing thrown here may reach the app's span.end() or logger.emit().
      return this.ledger.lose(this.signal, 1, 'export_failed');
    }
    if (!this.prepared) {
      this.prepared = true;
      const prepare = this.settings.prepare;
      if (prepare) setTimeout(() => prepare(), 0).unref();
    }
    this.openBytes += bytes;
    this.queued++;
    this.queuedBytes += bytes;
    if (this.open.count >= this.settings.maxExportBatchSize) {
      this.closeBatch();
      void this.pump();
    } else if (!this.timer) {
      this.timer = setTimeout(() => this.onTimer(), this.settings.scheduledDelayMillis);
      this.timer.unref();
    }
  }

  /** Resolves once everything queued so far was delivered or counted as lost; never rejects. */
  async forceFlush(): Promise<void> {
    this.closeBatch();
    while (this.ready.length > 0 || this.exporting) await this.pump();
  }

  async shutdown(): Promise<void> {
    try {
      await this.forceFlush();
    } finally {
      // From here on, items are lost (shutdown); the SDK writes the loss line once every signal is done.
      this.stopped = true;
    }
  }

  /**
   * Everything pending — the open batch, the batches waiting and the one in export — encoded and
   * removed from the queue, for the synchronous flush at process.exit(). The caller delivers each
   * or counts it lost. A request in flight may already have reached the collector: handing it
   * over again risks a duplicate rather than a loss.
   */
  takePendingSync(): TakenBatch[] {
    this.closeBatch();
    const batches = this.current && !this.current.taken ? [this.current, ...this.ready] : [...this.ready];
    this.ready.length = 0;
    const taken: TakenBatch[] = [];
    for (const batch of batches) {
      const wasCurrent = batch === this.current;
      batch.taken = true;
      this.release(batch);
      try {
        const bytes = (batch.encoded ??= batch.builder.encode());
        // Sent again while the collector may have it: its spans say so (resent-marker.ts).
        taken.push({ count: batch.count, bytes: wasCurrent && this.signal === 'traces' ? markResent(bytes) : bytes });
        if (!wasCurrent) this.ledger.handedToExporter(this.signal, batch.count);
      } catch {
        this.ledger.lose(this.signal, batch.count, 'export_failed');
      }
    }
    return taken;
  }

  private onTimer(): void {
    this.timer = undefined;
    this.closeBatch();
    void this.pump();
  }

  private closeBatch(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.open) return;
    if (this.open.count > 0) this.ready.push({ count: this.open.count, bytes: this.openBytes, builder: this.open as BatchBuilder<unknown> });
    this.open = undefined;
    this.openBytes = 0;
  }

  /** Exports ready batches one after the other. */
  private pump(): Promise<void> {
    // With nothing ready the loop would finish before `exporting` is assigned, and stick.
    if (!this.exporting && this.ready.length === 0) return Promise.resolve();
    this.exporting ??= (async () => {
      for (let batch = this.ready.shift(); batch; batch = this.ready.shift()) {
        this.current = batch;
        await this.exportOne(batch);
        this.current = undefined;
      }
      this.exporting = undefined;
    })();
    return this.exporting;
  }

  /** Settles the batch in the ledger exactly once; never rejects. */
  private async exportOne(batch: Batch): Promise<void> {
    let cause: LossCause | undefined;
    let error: Error | undefined;
    let rejected = 0;
    try {
      await batch.builder.ready?.();
      if (batch.taken) return;
      batch.encoded ??= batch.builder.encode();
      this.ledger.handedToExporter(this.signal, batch.count);
      const refused = await withTimeout(this.send(batch.encoded, batch.count), this.settings.exportTimeoutMillis, this.signal);
      if (refused) {
        rejected = Math.min(batch.count, Math.max(0, refused.count));
        error = partialSuccessError({ count: rejected, message: refused.message }, batch.count);
      }
    } catch (err) {
      error = err instanceof Error ? err : new Error(String(err));
      cause = isTimeout(error) ? 'timeout' : 'export_failed';
    }
    if (batch.taken) return; // the exit flush owns it now
    this.release(batch);
    try {
      this.onResult(error); // the failure's own line comes before the count of what it cost
    } catch {
      // Reporting must never break the queue.
    }
    if (cause) this.ledger.lose(this.signal, batch.count, cause);
    else {
      this.ledger.delivered(this.signal, batch.count - rejected);
      if (rejected) this.ledger.lose(this.signal, rejected, 'export_failed');
    }
  }

  private release(batch: Batch): void {
    this.queued -= batch.count;
    this.queuedBytes -= batch.bytes;
  }
}

export class ExportTimeoutError extends Error {
  override name = 'ExportTimeoutError';
}

function withTimeout<T>(p: Promise<T>, ms: number, signal: string): Promise<T> {
  return new Promise((resolve, reject) => {
    // An export answered while the loop was blocked past the deadline still counts (util/deadline.ts).
    const timer = deadlineAfterIo(() => reject(new ExportTimeoutError(`${signal} export did not finish within ${ms} ms`)), ms);
    p.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}

/** A deadline passed somewhere: ours, the transport's, or the collector's (DEADLINE_EXCEEDED). */
export function isTimeout(error: Error): boolean {
  return error instanceof ExportTimeoutError || /DEADLINE_EXCEEDED|timed out|timeout/i.test(`${error.name} ${error.message}`);
}
