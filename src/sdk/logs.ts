// The logger provider: log records are batched and exported like spans; each record carries the
// trace and span id of the context it was emitted in.

import type { Resource } from '@opentelemetry/resources';
import type { LoggerProvider } from '@opentelemetry/sdk-logs';
import type { Config } from '../config';
import type { Logger } from '../diag/logger';
import { createExporters } from './exporters';
import type { RuntimeState } from './runtime-state';

export function createLoggerProvider(config: Readonly<Config>, resource: Resource, log: Logger, runtime: RuntimeState): LoggerProvider {
  const l = require('@opentelemetry/sdk-logs') as typeof import('@opentelemetry/sdk-logs');
  const processors = createExporters('logs', config.logs, log, runtime).map(
    (exporter) => new l.BatchLogRecordProcessor({ exporter: exporter as never, ...config.logBatch }),
  );
  return new l.LoggerProvider({
    resource,
    processors,
    logRecordLimits: { ...config.generalLimits },
  });
}
