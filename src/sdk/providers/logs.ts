// The logger provider: log records are queued and exported like spans (log-processor.ts); each
// record carries the trace and span id of the context it was emitted in.

import type { Resource } from '@opentelemetry/resources';
import type { LoggerProvider, LogRecordProcessor } from '@opentelemetry/sdk-logs';
import type { Config } from '../../config';
import type { Logger } from '../../log/logger';
import { createExporters } from '../export/exporters';
import { batchLogRecordProcessor } from '../../otel-line/processors';
import { QueuedLogRecordProcessor } from '../queue/log-processor';
import type { LossLedger } from '../queue/loss-ledger';
import type { PendingSource } from '../queue/pending';
import { pendingSource, queuedExport } from '../queue/queued-export';
import type { RuntimeState } from '../../runtime/state';
import { lineRequire } from '../../otel-line/line';

export function createLoggerProvider(config: Readonly<Config>, resource: Resource, log: Logger, ledger: LossLedger, runtime: RuntimeState, pending: PendingSource[]): LoggerProvider {
  const l = lineRequire('@opentelemetry/sdk-logs') as typeof import('@opentelemetry/sdk-logs');
  const processors = createExporters('logs', config.logs, log, runtime).map((exporter): LogRecordProcessor => {
    if (!exporter.takesEncoded) return batchLogRecordProcessor(exporter as never, config.logBatch);
    const q = queuedExport('logs', exporter, config.logBatch, config.logs, log);
    const processor = new QueuedLogRecordProcessor(q.send, q.settings, ledger, q.onResult);
    pending.push(pendingSource('logs', config.logs, () => processor.takePendingSync()));
    return processor;
  });
  return new l.LoggerProvider({
    resource,
    processors,
    logRecordLimits: { ...config.generalLimits },
  });
}
