// The ECS resource detector with our own metadata fetch (docs/decisions.md, "Service identity is the
// application's"): upstream's (resource-detector-aws 2.x) makes two sequential calls with a 1 s
// socket timeout each, whose sockets keep a short-lived process alive until they time out, and
// whose suppression of tracing is set before the SDK's context manager exists, so the calls showed
// up as CLIENT spans and in http.client.request.duration of every process on ECS.
// Here each call bypasses the http instrumentation (and runs with tracing suppressed, for anything
// below it), is abandoned after ECS_METADATA_TIMEOUT_MS, and its socket is unref'd: a metadata
// endpoint that never answers costs a job at most that bound at exit.
// Upstream keeps the attribute mapping; only its fetch (a static method) is replaced.

import type { ResourceDetector } from '@opentelemetry/resources';
import { lineRequire } from '../../otel-line/line';

// The endpoint is a local agent (link-local on Fargate): it answers in milliseconds or not at all.
export const ECS_METADATA_TIMEOUT_MS = 300;

type DetectorClass = { _getUrlAsJson(url: string): Promise<unknown> };

export function boundedEcsDetector(): ResourceDetector {
  const { awsEcsDetector } = lineRequire('@opentelemetry/resource-detector-aws') as { awsEcsDetector: ResourceDetector };
  (awsEcsDetector.constructor as unknown as DetectorClass)._getUrlAsJson = (url) => getJson(url, ECS_METADATA_TIMEOUT_MS);
  return awsEcsDetector;
}

export function getJson(url: string, timeoutMs: number): Promise<unknown> {
  const api = lineRequire('@opentelemetry/api') as typeof import('@opentelemetry/api');
  const { suppressTracing } = lineRequire('@opentelemetry/core') as typeof import('@opentelemetry/core');
  const http = require('http') as typeof import('http');
  return api.context.with(suppressTracing(api.context.active()), () =>
    new Promise<unknown>((resolve, reject) => {
      // ClientRequest itself, not http.get: the http instrumentation wraps get/request and records
      // http.client.request.duration even for calls made with tracing suppressed.
      const request = new http.ClientRequest(url, (response: import('http').IncomingMessage) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => {
          clearTimeout(timer);
          if ((response.statusCode ?? 0) >= 400) return reject(new Error(`${url} answered ${response.statusCode}`));
          try {
            resolve(JSON.parse(body));
          } catch (err) {
            reject(err);
          }
        });
      });
      // The timer stays ref'd: it bounds the wait, and the resource (which exports wait for,
      // also at exit) must settle even when nothing else keeps the loop alive.
      const timer = setTimeout(() => request.destroy(new Error(`${url} did not answer within ${timeoutMs} ms`)), timeoutMs);
      request.on('socket', (socket) => socket.unref());
      request.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      request.end();
    }),
  );
}
