// Spans encoded as they end produce the very bytes upstream's serializer produces for the batch.

import { describe, expect, it } from 'vitest';
import { ScopeSpansBuilder, traceRequest } from '../../src/sdk/queue/otlp-span-encoding';
import { lineRequire } from '../../src/otel-line/line';

const api = lineRequire('@opentelemetry/api') as typeof import('@opentelemetry/api');
const { TracerProvider, InMemorySpanExporter, SimpleSpanProcessor, AlwaysOnSampler } = lineRequire('@opentelemetry/sdk-trace');
const { resourceFromAttributes } = lineRequire('@opentelemetry/resources');
const { ProtobufTraceSerializer } = lineRequire('@opentelemetry/otlp-transformer');

function spans() {
  const exporter = new InMemorySpanExporter();
  const resource = resourceFromAttributes({ 'service.name': 'encoding-test', 'host.name': 'h', pid: 42 });
  const provider = new TracerProvider({ resource, sampler: new AlwaysOnSampler(), spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  const http = provider.getTracer('http-like', '1.2.3');
  const db = provider.getTracer('db-like', '0.1.0', { schemaUrl: 'https://opentelemetry.io/schemas/1.30.0' });
  const remote = api.trace.setSpanContext(api.ROOT_CONTEXT, {
    traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 0, isRemote: true,
    traceState: api.createTraceState('vendor=value'),
  });
  const server = http.startSpan('GET /users/:id', { kind: api.SpanKind.SERVER, attributes: { 'http.request.method': 'GET', 'http.response.status_code': 200, 'server.port': 8080, ratio: 0.25, ok: true, tags: ['a', 'b'], empty: '' } }, remote);
  const child = db.startSpan('SELECT', { kind: api.SpanKind.CLIENT, links: [{ context: server.spanContext(), attributes: { why: 'follows' } }] }, api.trace.setSpan(api.ROOT_CONTEXT, server));
  child.addEvent('rows', { count: 3 });
  child.recordException(new Error('boom'));
  child.setStatus({ code: api.SpanStatusCode.ERROR, message: 'boom' });
  child.end();
  const internal = http.startSpan('internal');
  internal.end();
  server.end();
  return exporter.getFinishedSpans();
}

describe('OTLP span encoding at span end', () => {
  it('equals upstream’s ExportTraceServiceRequest for the same spans', () => {
    const finished = spans();
    const scopes = new Map<unknown, ScopeSpansBuilder>();
    for (const span of finished) {
      if (!scopes.has(span.instrumentationScope)) scopes.set(span.instrumentationScope, new ScopeSpansBuilder(span.instrumentationScope, 64));
      scopes.get(span.instrumentationScope)!.add(span);
    }
    const ours = traceRequest(finished[0].resource, [...scopes.values()].map((s) => s.finish()));
    const upstream = ProtobufTraceSerializer.serializeRequest(finished);
    expect(Buffer.from(ours).toString('hex')).toBe(Buffer.from(upstream).toString('hex'));
  });
});
