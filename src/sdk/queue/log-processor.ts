// The log-record processor for OTLP export: records wait in the shared export queue
// (batch-queue.ts) and each batch is encoded with OpenTelemetry's own serializer when it leaves,
// so that logs get the same bounds, retries, exit hand-over and loss accounting as spans.

import type { Resource } from '@opentelemetry/resources';
import type { LogRecordProcessor, ReadableLogRecord, SdkLogRecord } from '@opentelemetry/sdk-logs';
import { BatchQueue, type BatchBuilder, type QueueSettings, type Send } from './batch-queue';
import { QueueProcessor } from './queue-processor';
import type { LossLedger } from './loss-ledger';
import { protobufSerializer } from '../../otel-line/otlp-parts';

// What a record costs besides its strings: ids, timestamps, severity, framing.
const RECORD_OVERHEAD_BYTES = 64;

class LogBatch implements BatchBuilder<ReadableLogRecord> {
  private readonly records: ReadableLogRecord[] = [];

  constructor(private readonly resource: Resource) {}

  get count(): number {
    return this.records.length;
  }

  accepts(record: ReadableLogRecord): boolean {
    return record.resource === this.resource;
  }

  add(record: ReadableLogRecord): number {
    this.records.push(record);
    return RECORD_OVERHEAD_BYTES + approximateSize(record.body) + approximateSize(record.attributes);
  }

  async ready(): Promise<void> {
    const resource = this.resource as Resource & { waitForAsyncAttributes?: () => Promise<void> };
    if (resource.asyncAttributesPending) await resource.waitForAsyncAttributes?.();
  }

  encode(): Uint8Array {
    const bytes = protobufSerializer('logs').serializeRequest(this.records);
    if (!bytes) throw new Error('log records could not be encoded');
    return bytes;
  }
}

export class QueuedLogRecordProcessor extends QueueProcessor<ReadableLogRecord> implements LogRecordProcessor {
  constructor(send: Send, settings: QueueSettings, ledger: LossLedger, onResult: (error?: Error) => void) {
    super(new BatchQueue<ReadableLogRecord>('logs', settings, (first) => new LogBatch(first.resource), send, ledger, onResult));
  }

  onEmit(record: SdkLogRecord): void {
    this.queue.offer(record as unknown as ReadableLogRecord);
  }

}

/** Bytes a value adds to the queue, counted by its strings (the byte bound's unit), bounded in depth. */
function approximateSize(value: unknown, depth = 0): number {
  if (value == null) return 0;
  if (typeof value === 'string') return value.length;
  if (typeof value !== 'object') return 8;
  if (depth > 4) return 8;
  if (value instanceof Uint8Array) return value.length;
  let n = 0;
  for (const [k, v] of Object.entries(value)) n += k.length + approximateSize(v, depth + 1);
  return n;
}
