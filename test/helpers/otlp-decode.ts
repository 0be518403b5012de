// Decodes OTLP protobuf requests in tests with the OpenTelemetry protos that @elastic/mockotlpserver
// ships (protobufjs), normalised to plain objects.

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { getProtoRoot } = require('@elastic/mockotlpserver/lib/proto') as { getProtoRoot(): { lookupType(name: string): { decode(b: Uint8Array): unknown } } };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { normalizeTrace, normalizeLogs, normalizeMetrics } = require('@elastic/mockotlpserver') as Record<string, (req: unknown) => unknown>;

export type OtlpSignal = 'traces' | 'logs' | 'metrics';

const TYPES: Record<OtlpSignal, string> = {
  traces: 'opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest',
  logs: 'opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest',
  metrics: 'opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest',
};

export interface NormalSpan {
  name: string;
  spanId?: string;
  attributes: Record<string, unknown>;
}
export interface NormalTrace {
  resourceSpans: Array<{ resource: { attributes: Record<string, unknown> }; scopeSpans: Array<{ spans?: NormalSpan[] }> }>;
}
export interface NormalLogs {
  resourceLogs: Array<{ resource: { attributes: Record<string, unknown> }; scopeLogs: Array<{ logRecords?: Array<{ body?: unknown; attributes: Record<string, unknown> }> }> }>;
}
export interface NormalDataPoint {
  attributes?: Record<string, unknown>;
  asInt?: string | number;
  asDouble?: number;
}
export interface NormalMetrics {
  resourceMetrics: Array<{
    resource: { attributes: Record<string, unknown> };
    scopeMetrics: Array<{ metrics?: Array<{ name: string; sum?: { dataPoints: NormalDataPoint[] }; gauge?: { dataPoints: NormalDataPoint[] } }> }>;
  }>;
}

export function decodeTrace(bytes: Uint8Array): NormalTrace {
  return normalizeTrace(getProtoRoot().lookupType(TYPES.traces).decode(bytes)) as NormalTrace;
}
export function decodeLogs(bytes: Uint8Array): NormalLogs {
  return normalizeLogs(getProtoRoot().lookupType(TYPES.logs).decode(bytes)) as NormalLogs;
}
export function decodeMetrics(bytes: Uint8Array): NormalMetrics {
  return normalizeMetrics(getProtoRoot().lookupType(TYPES.metrics).decode(bytes)) as NormalMetrics;
}

export function spanNames(bytes: Uint8Array): string[] {
  return decodeTrace(bytes).resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => (s.spans ?? []).map((sp) => sp.name)));
}
export function logBodies(bytes: Uint8Array): unknown[] {
  return decodeLogs(bytes).resourceLogs.flatMap((r) => r.scopeLogs.flatMap((s) => (s.logRecords ?? []).map((l) => l.body)));
}
