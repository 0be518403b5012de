// The batch processors of upstream's SDK packages, for exporters that take objects (the console
// exporter): built from one options object, the form both OpenTelemetry JS lines accept.

import type { SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace';
import type { LogRecordExporter, LogRecordProcessor } from '@opentelemetry/sdk-logs';
import { lineRequire } from './line';

export interface BatchOptions {
  maxQueueSize: number;
  maxExportBatchSize: number;
  scheduledDelayMillis: number;
  exportTimeoutMillis: number;
}

export function batchSpanProcessor(exporter: SpanExporter, options: BatchOptions): SpanProcessor {
  const t = lineRequire('@opentelemetry/sdk-trace') as typeof import('@opentelemetry/sdk-trace');
  return new t.BatchSpanProcessor({ exporter, ...options } as never);
}

export function batchLogRecordProcessor(exporter: LogRecordExporter, options: BatchOptions): LogRecordProcessor {
  const l = lineRequire('@opentelemetry/sdk-logs') as typeof import('@opentelemetry/sdk-logs');
  return new l.BatchLogRecordProcessor({ exporter, ...options } as never);
}
