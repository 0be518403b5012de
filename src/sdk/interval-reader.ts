// A periodic metric reader whose interval can change while it runs (remote configuration).
// Like the SDK's PeriodicExportingMetricReader: collect, skip empty collections, export under
// suppressed tracing, flush on shutdown; its timer never keeps the process alive.

import type { AggregationTemporality, InstrumentType, MetricReader as MetricReaderT, PushMetricExporter, ResourceMetrics } from '@opentelemetry/sdk-metrics';

import { collectSync, dataPoints } from './collect-sync';

type Sdk = typeof import('@opentelemetry/sdk-metrics');

/** Told how many data points each export delivered, or lost and why (the loss ledger). */
export type MetricOutcome = (dataPoints: number, lost?: 'export_failed' | 'timeout') => void;

export interface IntervalReader extends MetricReaderT {
  setIntervalMillis(ms: number): void;
  /**
   * For the flush at process.exit(): the export in flight (it may thus arrive twice) and what the
   * synchronous instruments recorded since, taken out synchronously; the caller delivers each or
   * counts it lost. Nothing once the reader has shut down (its last export took it all).
   */
  takePendingSync(): ResourceMetrics[];
}

export function createIntervalReader(exporter: PushMetricExporter, intervalMillis: number, timeoutMillis: number, temporality: (t: InstrumentType) => AggregationTemporality, outcome: MetricOutcome = () => undefined): IntervalReader {
  const { MetricReader } = require('@opentelemetry/sdk-metrics') as Sdk;
  const api = require('@opentelemetry/api') as typeof import('@opentelemetry/api');
  const core = require('@opentelemetry/core') as typeof import('@opentelemetry/core');

  class IntervalMetricReader extends MetricReader {
    private timer?: NodeJS.Timeout;
    private interval = intervalMillis;
    private running?: Promise<void>;
    private stopped = false;
    /** The export in flight, and how to end its count without a result. */
    private inFlight?: { metrics: ResourceMetrics; abandon(): void };

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

    takePendingSync(): ResourceMetrics[] {
      const taken: ResourceMetrics[] = [];
      if (this.inFlight) {
        taken.push(this.inFlight.metrics);
        this.inFlight.abandon();
      }
      if (!this.stopped) {
        const fresh = collectSync(this);
        if (fresh && fresh.scopeMetrics.length) taken.push(fresh);
      }
      return taken;
    }

    protected override async onShutdown(): Promise<void> {
      this.stopped = true;
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
      const points = dataPoints(resourceMetrics);
      await new Promise<void>((resolve) => {
        let settled = false;
        const end = () => {
          settled = true;
          this.inFlight = undefined;
          clearTimeout(timer);
        };
        // Taken by the exit flush: it delivers or counts these points, not this export's result.
        this.inFlight = {
          metrics: resourceMetrics as ResourceMetrics,
          abandon: () => {
            end();
            resolve();
          },
        };
        const settle = (lost?: 'export_failed' | 'timeout') => {
          if (settled) return;
          end();
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
