// A periodic metric reader whose interval can change while it runs (remote configuration).
// Like the SDK's PeriodicExportingMetricReader: collect, skip empty collections, export under
// suppressed tracing, flush on shutdown; its timer never keeps the process alive.

import type { AggregationTemporality, InstrumentType, MetricReader as MetricReaderT, PushMetricExporter, ResourceMetrics } from '@opentelemetry/sdk-metrics';

type Sdk = typeof import('@opentelemetry/sdk-metrics');

/** Told how many data points each export delivered, or lost and why (the loss ledger). */
export type MetricOutcome = (dataPoints: number, lost?: 'export_failed' | 'timeout') => void;

export function createIntervalReader(exporter: PushMetricExporter, intervalMillis: number, timeoutMillis: number, temporality: (t: InstrumentType) => AggregationTemporality, outcome: MetricOutcome = () => undefined): MetricReaderT & { setIntervalMillis(ms: number): void } {
  const { MetricReader } = require('@opentelemetry/sdk-metrics') as Sdk;
  const api = require('@opentelemetry/api') as typeof import('@opentelemetry/api');
  const core = require('@opentelemetry/core') as typeof import('@opentelemetry/core');

  class IntervalMetricReader extends MetricReader {
    private timer?: NodeJS.Timeout;
    private interval = intervalMillis;
    private running?: Promise<void>;

    constructor() {
      super({ aggregationTemporalitySelector: temporality });
    }

    setIntervalMillis(ms: number): void {
      if (ms === this.interval) return;
      this.interval = ms;
      if (this.timer) this.schedule();
    }

    protected override onInitialized(): void {
      this.schedule();
    }

    protected override async onForceFlush(): Promise<void> {
      await this.exportOnce();
      await exporter.forceFlush();
    }

    protected override async onShutdown(): Promise<void> {
      if (this.timer) clearInterval(this.timer);
      this.timer = undefined;
      await this.exportOnce();
      await exporter.shutdown();
    }

    private schedule(): void {
      if (this.timer) clearInterval(this.timer);
      this.timer = setInterval(() => {
        this.exportOnce().catch((err) => core.globalErrorHandler(err));
      }, this.interval);
      this.timer.unref();
    }

    /** One collection and export at a time. */
    private exportOnce(): Promise<void> {
      this.running ??= this.collectAndExport().finally(() => (this.running = undefined));
      return this.running;
    }

    private async collectAndExport(): Promise<void> {
      const { resourceMetrics, errors } = await this.collect({ timeoutMillis: timeoutMillis });
      if (errors.length) core.globalErrorHandler(errors[0] as Error);
      if (resourceMetrics.scopeMetrics.length === 0) return;
      await resourceMetrics.resource.waitForAsyncAttributes?.();
      const points = resourceMetrics.scopeMetrics.reduce((n, sm) => n + sm.metrics.reduce((m, metric) => m + metric.dataPoints.length, 0), 0);
      await new Promise<void>((resolve) => {
        let settled = false;
        const settle = (lost?: 'export_failed' | 'timeout') => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          try {
            outcome(points, lost);
          } catch {
            // Counting never breaks the reader.
          }
          resolve();
        };
        // A failed or timed-out export is counted (and its cause named) by the loss ledger.
        const timer = setTimeout(() => {
          settle('timeout');
        }, timeoutMillis);
        api.context.with(core.suppressTracing(api.context.active()), () =>
          exporter.export(resourceMetrics as ResourceMetrics, (result) => {
            if (settled) return;
            settle(result.code !== 0 ? 'export_failed' : undefined);
          }),
        );
      });
    }
  }
  return new IntervalMetricReader();
}
