// Builds the three providers from a Config and registers them as the process-wide globals.
// Called once, on demand, the first time something could produce telemetry.

import type { Meter } from '@opentelemetry/api';
import type { SpanProcessor } from '@opentelemetry/sdk-trace';
import type { Config } from '../../config';
import type { Logger } from '../../log/logger';
import { buildResource } from '../resource/resource';
import type { ServiceIdentity } from '../resource/service-identity';
import { createTracerProvider } from './traces';
import { createMeterProvider } from './metrics';
import { createLoggerProvider } from './logs';
import { LazyLoggerProvider } from './lazy-logs';
import { routeOtelDiagnostics } from '../../log/otel-diag';
import type { RuntimeState } from '../../runtime/state';
import { LossLedger, type LossCause } from '../queue/loss-ledger';
import { otlpComponentType } from '../export/exporters';
import { exportErrorReporter } from '../export/export-errors';
import { takePending, type PendingRequest, type PendingSource } from '../queue/pending';
import { lineRequire } from '../../otel-line/line';
import { globalLogsApis } from '../../otel-line/logs-api';

export type { PendingRequest, LossCause };

export interface Sdk {
  service: ServiceIdentity;
  setMetricExportIntervalMillis(ms: number): void;
  /** Flushes and stops every provider; resolves even when exports fail. */
  shutdown(): Promise<void>;
  /**
   * For the flush at process.exit(): closes open batches and hands over, encoded, every span and
   * log record queued for OTLP (including a request in flight, which may thus arrive twice). They
   * leave the queues: the caller delivers each or counts it with countLost. Metrics: the data
   * points of the synchronous instruments recorded since the last export (collect-sync.ts), and
   * an export in flight. Synchronous; never throws.
   */
  takePendingSync(): PendingRequest[];
  /** Counts items the caller could not deliver, in the same self-metrics and loss line (naming `reason`, if given). */
  countLost(signal: PendingRequest['signal'], count: number, cause: LossCause, reason?: string): void;
  /** Writes the loss line now if anything lost is not yet named (e.g. when the exit flush timed out). */
  reportLosses(): void;
  /** Items lost so far, all signals. */
  totalLost(): number;
}

/** `leadingSpanProcessors` run before ours on every span (the instrumentations' own, e.g. Next.js de-duplication). */
export function startSdk(config: Readonly<Config>, log: Logger, runtime: RuntimeState, serviceInstanceId: string, leadingSpanProcessors: SpanProcessor[] = []): Sdk {
  const api = lineRequire('@opentelemetry/api') as typeof import('@opentelemetry/api');
  const { AsyncLocalStorageContextManager } = lineRequire('@opentelemetry/context-async-hooks');

  routeOtelDiagnostics(api, log);
  const { resource, service } = buildResource(config, log, serviceInstanceId);
  // Settle the asynchronous resource attributes (host.id, container.id) as soon as their detectors
  // answer, not at the first export: a process.exit() before it encodes the resource synchronously.
  void (resource as { waitForAsyncAttributes?: () => Promise<void> }).waitForAsyncAttributes?.().catch(() => undefined);
  // Metric data points are counted too; the ledger's own counters live in this meter provider.
  let selfMeter: (() => Meter) | undefined;
  const ledger = new LossLedger(log, () => selfMeter?.());
  const pending: PendingSource[] = [];
  const metrics = createMeterProvider(config, resource, log, runtime, (n, lost) => (lost ? ledger.lose('metrics', n, lost) : ledger.delivered('metrics', n)), pending);
  const meterProvider = metrics.provider;
  selfMeter = () => meterProvider.getMeter('otel-preload');
  ledger.setExporterType('traces', otlpComponentType('traces', config.traces.protocol));
  ledger.setExporterType('logs', otlpComponentType('logs', config.logs.protocol));
  ledger.setExporterType('metrics', otlpComponentType('metrics', config.metrics.protocol));
  const tracerProvider = createTracerProvider(config, resource, log, ledger, runtime, pending, leadingSpanProcessors);
  // Made at the first log record (lazy-logs.ts); its exit source joins `pending` then.
  const loggerProvider = new LazyLoggerProvider(
    () => createLoggerProvider(config, resource, log, ledger, runtime, pending),
    (err, first) => first && log.warn(`the logs SDK could not be loaded (${(err as Error)?.message ?? err}); log records are counted lost (export_failed) until it can, tried again at each record.`),
    () => ledger.lose('logs', 1, 'export_failed'),
  );

  api.context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  api.propagation.setGlobalPropagator(createPropagator(config));
  api.trace.setGlobalTracerProvider(tracerProvider);
  api.metrics.setGlobalMeterProvider(meterProvider);
  for (const logs of globalLogsApis()) logs.setGlobalLoggerProvider(loggerProvider);

  let stopped: Promise<void> | undefined;
  const stop = async () => {
    // The flush at exit sends what it can once; no backoff may eat the exit bound.
    (require('../export/retry') as typeof import('../export/retry')).stopRetries();
    ledger.holdLines();
    // Traces and logs first: their exports may still add self-metrics.
    const results = await Promise.allSettled([tracerProvider.shutdown(), loggerProvider.shutdown()]);
    // From here on a shut-down meter provider cannot hand out meters (it would warn): counts made
    // later stay in the ledger and its loss line.
    selfMeter = undefined;
    results.push(...(await Promise.allSettled([meterProvider.shutdown()])));
    ledger.reportPending(); // metric data points lost in the last export, if any
    // Every signal had its chance; then say what was lost (one line, shutdown.ts).
    const failures = results.flatMap((r) => (r.status === 'rejected' ? [(r.reason as Error)?.message ?? String(r.reason)] : []));
    if (failures.length) throw new Error([...new Set(failures)].join('; '));
  };
  return {
    service,
    setMetricExportIntervalMillis: metrics.setExportIntervalMillis,
    shutdown: () => (stopped ??= stop()),
    takePendingSync: () => takePending(pending),
    countLost: (signal, count, cause, reason) => {
      // Why the exit flush could not deliver, named on the loss line as a failed export is.
      if (reason && cause !== 'shutdown') exportErrorReporter(signal, config[signal].endpoint, log)(new Error(reason));
      ledger.lose(signal, count, cause);
    },
    reportLosses: () => ledger.reportPending(),
    totalLost: () => ledger.totalLost(),
  };
}

function createPropagator(config: Readonly<Config>) {
  const core = lineRequire('@opentelemetry/core') as typeof import('@opentelemetry/core');
  const factories: Record<string, () => import('@opentelemetry/api').TextMapPropagator> = {
    tracecontext: () => new core.W3CTraceContextPropagator(),
    baggage: () => new core.W3CBaggagePropagator(),
  };
  return new core.CompositePropagator({ propagators: config.propagators.map((p) => factories[p]()) });
}
