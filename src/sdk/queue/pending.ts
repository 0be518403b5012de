// The synchronous hand-over of what is pending, for the flush at process.exit(): whole OTLP
// requests and where to send them. Whatever takes them delivers each or counts it lost
// (Sdk.countLost); the queues no longer hold them, so nothing is sent or counted twice.

import type { SignalExport } from '../../config';
import type { TakenBatch } from './batch-queue';
import { readPemText } from '../../util/pem';
import { GRPC_METHODS } from '../export/grpc-methods';

export interface PendingRequest {
  signal: 'traces' | 'logs' | 'metrics';
  /** Spans / log records / data points in it. */
  count: number;
  /** One whole OTLP Export<Signal>ServiceRequest, protobuf, uncompressed. */
  bytes: Uint8Array;
  target: PendingTarget;
}

export interface PendingTarget {
  protocol: 'grpc' | 'http/protobuf';
  /** scheme://host:port */
  endpoint: string;
  /** gRPC: the method path; http/protobuf: the URL path (and query). */
  path: string;
  headers: Record<string, string>;
  compression: 'gzip' | 'none';
  /** PEM contents. */
  ca?: string;
  cert?: string;
  key?: string;
  timeoutMillis: number;
}

export interface PendingSource {
  signal: PendingRequest['signal'];
  take(): TakenBatch[];
  target(): PendingTarget;
}


/** Where a signal's OTLP exporter sends, as the exit flush needs it (read once, then kept). */
export function pendingTarget(signal: PendingRequest['signal'], s: Readonly<SignalExport>): () => PendingTarget {
  let target: PendingTarget | undefined;
  return () => {
    if (target) return target;
    const url = new URL(s.endpoint);
    target = {
      protocol: s.protocol,
      endpoint: `${url.protocol}//${url.host}`,
      path: s.protocol === 'grpc' ? GRPC_METHODS[signal] : `${url.pathname}${url.search}`,
      headers: { ...s.headers },
      compression: s.compression,
      ca: readPemText(s.certificate),
      cert: readPemText(s.clientCertificate),
      key: readPemText(s.clientKey),
      timeoutMillis: s.timeoutMillis,
    };
    return target;
  };
}

/** Takes everything pending from every source; a source that fails gives nothing (and keeps it). */
export function takePending(sources: readonly PendingSource[]): PendingRequest[] {
  const out: PendingRequest[] = [];
  for (const source of sources) {
    try {
      const target = source.target();
      for (const batch of source.take()) out.push({ signal: source.signal, count: batch.count, bytes: batch.bytes, target });
    } catch {
      // Never throw into process.exit(); what stays queued is reported by the shutdown line.
    }
  }
  return out;
}
