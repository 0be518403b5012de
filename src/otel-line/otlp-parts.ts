// The parts of upstream's OTLP packages the exporters use, each loaded by itself: a signal's
// protobuf serialiser and exporter-metrics helper, and the metric exporter's base class. The
// packages' indexes also load the JSON serialisers of every signal and the metric exporter's own
// OTLP/HTTP transport, which nothing here uses (measured: otlp-transformer's index, 34 files, ~15 ms
// on the 2-core machine under load against ~8 ms for the protobuf parts); so each part is loaded
// by path (otel-line/internals.ts), and an index only if a bump moved the part.

import { lineRequire } from './line';
import { requireInternal, type InternalName } from './internals';

type Signal = 'traces' | 'metrics' | 'logs';

const NAMES: Record<Signal, { serializer: string; helper: string; module: 'trace' | 'metrics' | 'logs' }> = {
  traces: { serializer: 'ProtobufTraceSerializer', helper: 'TraceExporterMetricsHelper', module: 'trace' },
  metrics: { serializer: 'ProtobufMetricsSerializer', helper: 'MetricsExporterMetricsHelper', module: 'metrics' },
  logs: { serializer: 'ProtobufLogsSerializer', helper: 'LogsExporterMetricsHelper', module: 'logs' },
};

export interface ProtobufSerializer {
  serializeRequest(request: unknown): Uint8Array | undefined;
  deserializeResponse(data: Uint8Array): unknown;
}

function exported<T>(internal: InternalName, name: string, pkg = '@opentelemetry/otlp-transformer'): T {
  try {
    const value = requireInternal<Record<string, T>>(internal)[name];
    if (value) return value;
  } catch {
    // moved by a bump: the index has it (test/unit/otel-line.test.ts names the internal)
  }
  return (lineRequire(pkg) as Record<string, T>)[name];
}

/** The signal's protobuf serialiser (requests out, the collector's responses in). */
export function protobufSerializer(signal: Signal): ProtobufSerializer {
  const { module, serializer } = NAMES[signal];
  return exported<ProtobufSerializer>(`otlp-transformer/${module}/protobuf`, serializer);
}

/** The signal's helper for upstream's exporter metrics (what an item is, how many a request holds). */
export function exporterMetricsHelper(signal: Signal): unknown {
  const { module, helper } = NAMES[signal];
  return exported(`otlp-transformer/${module}`, helper);
}

/** Upstream's push metric exporter around an export delegate (temporality, aggregation, shutdown). */
export function metricExporterBase(): new (delegate: unknown, options: object) => unknown {
  return exported('exporter-metrics-otlp-http/base', 'OTLPMetricExporterBase', '@opentelemetry/exporter-metrics-otlp-http');
}
