// The meter provider: one periodic reader per exporter. Temporality is answered here rather than
// by the exporter, so that the reader can be built without loading the exporter package.

import type { Resource } from '@opentelemetry/resources';
import type { MeterProvider, PushMetricExporter, InstrumentType as InstrumentTypeT, AggregationTemporality as TemporalityT } from '@opentelemetry/sdk-metrics';
import type { Config } from '../config';
import type { Logger } from '../log/logger';
import { createExporters } from './exporters';
import { createIntervalReader, type MetricOutcome } from './interval-reader';
import type { RuntimeState } from '../runtime/state';

export interface Metrics {
  provider: MeterProvider;
  /** Changes the export interval of every reader (remote configuration). */
  setExportIntervalMillis(ms: number): void;
}

export function createMeterProvider(config: Readonly<Config>, resource: Resource, log: Logger, runtime: RuntimeState, outcome?: MetricOutcome): Metrics {
  const m = require('@opentelemetry/sdk-metrics') as typeof import('@opentelemetry/sdk-metrics');
  const temporality = temporalitySelector(config.metricTemporality, m);
  const readers = createExporters('metrics', config.metrics, log, runtime).map((exporter) =>
    createIntervalReader(exporter as unknown as PushMetricExporter, config.metricExportIntervalMillis, Math.min(config.metricExportTimeoutMillis, config.metricExportIntervalMillis), temporality, outcome),
  );
  return {
    provider: new m.MeterProvider({ resource, readers }),
    setExportIntervalMillis: (ms) => readers.forEach((r) => r.setIntervalMillis(ms)),
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
