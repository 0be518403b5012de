// What the exit sender needs of a pending export: the whole OTLP request, encoded, and where it
// goes. The SDK hands these over synchronously at exit (Sdk.takePendingSync).

export type PendingSignal = 'traces' | 'metrics' | 'logs';

export interface PendingTarget {
  protocol: 'grpc' | 'http/protobuf';
  /** gRPC: the collector's origin; http/protobuf: the URL the request is POSTed to. */
  endpoint: string;
  /** gRPC: /package.Service/Method; http/protobuf: the URL path (overrides the endpoint's). */
  path: string;
  headers: Readonly<Record<string, string>>;
  compression: 'gzip' | 'none';
  ca?: Uint8Array | string;
  cert?: Uint8Array | string;
  key?: Uint8Array | string;
  timeoutMillis: number;
}

export interface PendingExport {
  signal: PendingSignal;
  /** Spans, data points or log records in the request. */
  count: number;
  bytes: Uint8Array;
  target: PendingTarget;
}
