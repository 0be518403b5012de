// A periodic metric reader whose interval can change while it runs (remote configuration).
// Like the SDK's PeriodicExportingMetricReader: collect, skip empty collections, export under
// suppressed tracing, flush on shutdown; its timers never keep the process alive. The next
// collection waits for an export at most the metric export timeout; the export's count waits for
// the exporter's own answer (bounded by OTEL_EXPORTER_OTLP_TIMEOUT), so a collector that answers
// late is counted as it answered, not as a timeout.

import type { AggregationTemporality, InstrumentType, MetricReader as MetricReaderT, PushMetricExporter, ResourceMetrics } from '@opentelemetry/sdk-metrics';

import { collectSync, dataPoints, withoutDelta } from './collect-sync';
import { lineRequire } from '../../otel-line/line';

type Sdk = typeof import('@opentelemetry/sdk-metrics');

/** Told how many data points each export delivered, or lost and why (the loss ledger). */
export type MetricOutcome = (dataPoints: number, lost?: 'export_failed' | 'timeout') => void;

export interface IntervalReader extends MetricReaderT {
  setIntervalMillis(ms: number): void;
  /**
   * For the flush at process.exit(): what the synchronous instruments recorded since the last
   * collection, and the cumulative part of an export still in flight (sent again: a cumulative
   * point repeated is harmless), taken out synchronously; the caller delivers each or counts it
   * lost. The delta part of an export in flight is not sent again — the collector may have it, and
   * a delta point sent twice is counted twice — and is counted as lost (timeout). Nothing new once
   * the reader has shut down (its last export took it all).
   */
  takePendingSync(): ResourceMetrics[];
}

export function createIntervalReader(exporter: PushMetricExporter, intervalMillis: number, timeoutMillis: number, temporality: (t: InstrumentType) => AggregationTemporality, outcome: MetricOutcome = () => undefined): IntervalReader {
  const { MetricReader } = lineRequire('@opentelemetry/sdk-metrics') as Sdk;
  const api = lineRequire('@opentelemetry/api') as typeof import('@opentelemetry/api');
  const core = lineRequire('@opentelemetry/core') as typeof import('@opentelemetry/core');

  class IntervalMetricReader extends MetricReader {
    private timer?: NodeJS.Timeout;
    private interval = intervalMillis;
    private running?: Promise<void>;
    private stopped = false;
    /** Exports not answered yet; `count` settles one (once). */
    private readonly inFlight = new Set<{ metrics: ResourceMetrics; count(lost?: 'export_failed' | 'timeout', rejected?: number): void }>();

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
      await this.exportFresh();
      await exporter.forceFlush();
    }

    takePendingSync(): ResourceMetrics[] {
      const taken: ResourceMetrics[] = [];
      for (const entry of [...this.inFlight]) {
        const { cumulative, deltaPoints } = withoutDelta(entry.metrics);
        if (cumulative) taken.push(cumulative);
        // From here on the exit flush accounts for the cumulative part; the delta part is lost.
        outcomeOf(deltaPoints, 'timeout');
        this.inFlight.delete(entry);
        entry.count = () => undefined;
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
      await this.exportFresh();
      await exporter.shutdown();
    }

    private schedule(): void {
      if (this.timer) clearInterval(this.timer);
      this.timer = setInterval(() => {
        this.exportOnce().catch((err) => core.globalErrorHandler(err));
      }, this.interval);
      this.timer.unref();
    }

    /**
     * A collection made now, exported beside the export already running (if any): that one was
     * collected before, and a flush or the last export at shutdown must carry what was recorded
     * since — joining it instead lost the last points (and the last self-metric counts) whenever a
     * periodic export was in flight at exit. Beside it, not after it: waiting for a slow
     * collector's answer first made the exit take two answers' time and miss its bound.
     */
    private async exportFresh(): Promise<void> {
      const running = this.running;
      const fresh = this.collectAndExport();
      await Promise.all([running, fresh]);
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
      let answered!: () => void;
      const counted = new Promise<void>((resolve) => (answered = resolve));
      const entry = {
        metrics: resourceMetrics as ResourceMetrics,
        count: (lost?: 'export_failed' | 'timeout', rejected = 0): void => {
          entry.count = () => undefined;
          this.inFlight.delete(entry);
          // Points the collector refused in a partial success are lost all the same (partial-success.ts).
          const refused = Math.min(points, Math.max(0, rejected));
          outcomeOf(points - refused, lost);
          outcomeOf(refused, 'export_failed');
          answered();
        },
      };
      this.inFlight.add(entry);
      try {
        api.context.with(core.suppressTracing(api.context.active()), () => exporter.export(resourceMetrics as ResourceMetrics, (result) => entry.count(result.code !== 0 ? 'export_failed' : undefined, (result as { rejected?: { count: number } }).rejected?.count)));
      } catch {
        entry.count('export_failed'); // an exporter that throws instead of answering
      }
      let timer: NodeJS.Timeout | undefined;
      const waited = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMillis);
        timer.unref();
      });
      await Promise.race([counted, waited]);
      clearTimeout(timer);
    }
  }

  /** A failed or timed-out export is counted (and its cause named) by the loss ledger. */
  function outcomeOf(points: number, lost?: 'export_failed' | 'timeout'): void {
    if (points === 0) return;
    try {
      outcome(points, lost);
    } catch {
      // Counting never breaks the reader.
    }
  }
  return new IntervalMetricReader();
}
