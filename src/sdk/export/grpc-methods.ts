// The gRPC method of each signal's OTLP export service (opentelemetry-proto, collector/*/v1).

export const GRPC_METHODS: Record<'traces' | 'metrics' | 'logs', string> = {
  traces: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
  metrics: '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export',
  logs: '/opentelemetry.proto.collector.logs.v1.LogsService/Export',
};
