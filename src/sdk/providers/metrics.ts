// The meter provider: one periodic reader per exporter. Temporality is answered here rather than
// by the exporter, so that the reader can be built without loading the exporter package.

import type { Resource } from '@opentelemetry/resources';
import type { MeterProvider, PushMetricExporter, InstrumentType as InstrumentTypeT, AggregationTemporality as TemporalityT } from '@opentelemetry/sdk-metrics';
import type { Config } from '../../config';
import type { Logger } from '../../log/logger';
import { createExporters } from '../export/exporters';
import { createIntervalReader, type IntervalReader, type MetricOutcome } from '../queue/interval-reader';
import type { RuntimeState } from '../../runtime/state';
import { dataPoints } from '../queue/collect-sync';
import { pendingTarget, type PendingSource } from '../queue/pending';
import { lineRequire } from '../../otel-line/line';
import { protobufSerializer } from '../../otel-line/otlp-parts';

export interface Metrics {
  provider: MeterProvider;
  /** Changes the export interval of every reader (remote configuration). */
  setExportIntervalMillis(ms: number): void;
}

export function createMeterProvider(config: Readonly<Config>, resource: Resource, log: Logger, runtime: RuntimeState, outcome: MetricOutcome | undefined, pending: PendingSource[]): Metrics {
  const m = lineRequire('@opentelemetry/sdk-metrics') as typeof import('@opentelemetry/sdk-metrics');
  const temporality = temporalitySelector(config.metricTemporality, m);
  const exporters = createExporters('metrics', config.metrics, log, runtime);
  const readers = exporters.map((exporter, i) => {
    const reader = createIntervalReader(exporter as unknown as PushMetricExporter, config.metricExportIntervalMillis, Math.min(config.metricExportTimeoutMillis, config.metricExportIntervalMillis), temporality, outcome);
    if (config.metrics.exporters[i] === 'otlp') pending.push(pendingMetrics(reader, config));
    return reader;
  });
  return {
    provider: new m.MeterProvider({ resource, readers }),
    setExportIntervalMillis: (ms) => readers.forEach((r) => r.setIntervalMillis(ms)),
  };
}

/** What an OTLP reader holds at process.exit(), encoded as whole requests for the exit flush. */
function pendingMetrics(reader: IntervalReader, config: Readonly<Config>): PendingSource {
  return {
    signal: 'metrics',
    target: pendingTarget('metrics', config.metrics),
    take: () => {
      const taken = reader.takePendingSync();
      if (!taken.length) return [];
      const serializer = protobufSerializer('metrics');
      return taken.map((metrics) => ({ count: dataPoints(metrics), bytes: serializer.serializeRequest(metrics) as Uint8Array }));
    },
  };
}

/** OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE, as the OTLP exporter spec defines it. */
function temporalitySelector(preference: Config['metricTemporality'], m: typeof import('@opentelemetry/sdk-metrics')) {
  const { InstrumentType: I, AggregationTemporality: T } = m;
  const deltaFor: Record<Config['metricTemporality'], InstrumentTypeT[]> = {
    cumulative: [],
    delta: [I.COUNTER, I.OBSERVABLE_COUNTER, I.HISTOGRAM],
    lowmemory: [I.COUNTER, I.HISTOGRAM],
  };
  const delta = new Set(deltaFor[preference]);
  return (type: InstrumentTypeT): TemporalityT => (delta.has(type) ? T.DELTA : T.CUMULATIVE);
}
