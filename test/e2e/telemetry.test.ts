// The foundation's end-to-end contract: real fixture apps, started with NODE_OPTIONS exactly as a
// user would, export traces, metrics and logs to a real OTLP receiver (gRPC and HTTP/protobuf),
// for both entries × a CommonJS and an ES module app — on the Node.js running the tests (both
// protocols) and on a real binary of every other supported release line (gRPC).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OtlpReceiver, type Protocol, type ReceivedSpan } from '../../scripts/otlp-receiver';
import { get, start, withoutNodeWarnings } from '../helpers/processes';
import { nodeBinary, SUPPORTED_MATRIX } from '../../scripts/node-binaries';
import { DEADLINE_MS } from '../helpers/wait';

const APPS = [
  { kind: 'cjs', script: 'cjs-app/app.js', name: 'fixture-cjs-app', version: '1.2.3', clientScope: '@opentelemetry/instrumentation-http' },
  { kind: 'esm', script: 'esm-app/app.mjs', name: 'fixture-esm-app', version: '2.0.0', clientScope: '@opentelemetry/instrumentation-undici' },
] as const;
const ENTRIES = ['--require', '--import'] as const;
const RUNS: Array<{ node: string; protocol: Protocol }> = [
  { node: 'system', protocol: 'grpc' },
  { node: 'system', protocol: 'http/protobuf' },
  ...SUPPORTED_MATRIX.map((node) => ({ node, protocol: 'grpc' as Protocol })),
];

const NOT_SAMPLED_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const NOT_SAMPLED_PARENT = '00f067aa0ba902b7';

describe.each(RUNS)('Node $node, OTLP over $protocol', ({ node, protocol }) => {
  let receiver: OtlpReceiver;
  let nodePath: string;
  beforeAll(async () => {
    nodePath = node === 'system' ? process.execPath : nodeBinary(node);
    receiver = await new OtlpReceiver(protocol).start();
  });
  afterAll(() => receiver.stop());

  describe.each(ENTRIES)('node %s otel-preload/register', (entry) => {
    it.each(APPS)('$kind app: server, client and downstream spans, metrics and logs', async (app) => {
      const proc = start([app.script], {
        node: nodePath,
        env: {
          NODE_OPTIONS: `${entry} otel-preload/register`,
          OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
          OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
        },
      });
      const [, port] = await proc.waitForLine(/listening (\d+)/);
      const base = `http://127.0.0.1:${port}`;
      expect((await get(`${base}/users/42`)).status).toBe(200);
      const notSampled = await get(`${base}/users/7`, { traceparent: `00-${NOT_SAMPLED_TRACE}-${NOT_SAMPLED_PARENT}-00` });
      expect(notSampled.status).toBe(200);
      await get(`${base}/shutdown`);
      const finished = await proc.exited;
      expect(finished.code).toBe(0);
      expect(withoutNodeWarnings(finished.stderr)).toBe('');

      const mine = (s: ReceivedSpan) => s.resource['service.name'] === app.name;
      await receiver.waitFor((r) => r.spans.filter(mine).some((s) => s.attributes['http.route'] === '/users/:id' && s.traceId === NOT_SAMPLED_TRACE), DEADLINE_MS, 'spans');
      const spans = receiver.spans.filter(mine);

      // SERVER span with route and status code.
      const server = spans.find((s) => s.kind === 'SPAN_KIND_SERVER' && s.attributes['http.route'] === '/users/:id' && s.traceId !== NOT_SAMPLED_TRACE);
      expect(server, 'SERVER span for /users/:id').toBeDefined();
      expect(Number(server!.attributes['http.response.status_code'])).toBe(200);
      expect(server!.attributes['http.request.method']).toBe('GET');
      expect(server!.resource['service.version']).toBe(app.version);
      expect(server!.resource['telemetry.distro.name']).toBe('otel-preload');

      // Express 5 runs on `router`: covered by the express instrumentation, not twice by both.
      expect(spans.filter((s) => s.scope === '@opentelemetry/instrumentation-router')).toEqual([]);

      // CLIENT span in the same trace, and the downstream SERVER span as its child.
      const client = spans.find((s) => s.kind === 'SPAN_KIND_CLIENT' && s.traceId === server!.traceId);
      expect(client, 'CLIENT span in the same trace').toBeDefined();
      expect(client!.scope).toBe(app.clientScope);
      const downstream = spans.find((s) => s.kind === 'SPAN_KIND_SERVER' && s.parentSpanId === client!.spanId);
      expect(downstream, 'downstream SERVER span, child of the CLIENT span').toBeDefined();
      expect(downstream!.attributes['http.route']).toBe('/downstream');
      expect(downstream!.traceId).toBe(server!.traceId);

      // A request that arrived with a not-sampled traceparent is exported all the same.
      const continued = spans.find((s) => s.kind === 'SPAN_KIND_SERVER' && s.traceId === NOT_SAMPLED_TRACE && s.attributes['http.route'] === '/users/:id');
      expect(continued, 'span continuing a not-sampled trace').toBeDefined();
      expect(continued!.parentSpanId).toBe(NOT_SAMPLED_PARENT);

      // RED metric, flushed at exit.
      await receiver.waitFor((r) => r.metrics.some((m) => m.resource['service.name'] === app.name && m.name === 'http.server.request.duration'), DEADLINE_MS, 'metrics');
      const duration = receiver.metrics.find((m) => m.resource['service.name'] === app.name && m.name === 'http.server.request.duration')!;
      expect(duration.unit).toBe('s');
      expect(duration.dataPoints.some((p) => p.attributes['http.route'] === '/users/:id' && Number(p.attributes['http.response.status_code']) === 200)).toBe(true);

      // A log record emitted inside the request carries its trace and span ids.
      await receiver.waitFor((r) => r.logs.some((l) => l.resource['service.name'] === app.name), DEADLINE_MS, 'logs');
      const record = receiver.logs.find((l) => l.resource['service.name'] === app.name && l.body === 'served user 42')!;
      expect(record.traceId).toBe(server!.traceId);
      expect(record.spanId).toMatch(/^[0-9a-f]{16}$/);
    });
  });
});
