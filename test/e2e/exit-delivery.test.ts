// process.exit() allows only synchronous work: what is pending is sent from a worker thread while
// the main thread waits (src/exit/). Every way of sending the exporters support — OTLP/gRPC and
// OTLP/HTTP protobuf, gzip, TLS with a private CA and a client certificate, headers — delivers the
// exact number of spans to a real receiver, and the exit code stays the app's.

import * as https from 'https';
import * as path from 'path';
import { gunzipSync } from 'zlib';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OtlpReceiver, type Protocol } from '../../scripts/otlp-receiver';
import { makeCertificates, type Certificates } from '../helpers/certs';
import { APP, ourLines, REQUIRE, ROUND_TRIPS } from '../helpers/exit-matrix';
import { decodeTrace } from '../helpers/otlp-decode';
import { run } from '../helpers/processes';
import { DEADLINE_MS } from '../helpers/wait';

const SPANS = 2 * ROUND_TRIPS;
const PROTOS = path.dirname(require.resolve('@elastic/mockotlpserver/package.json'));

interface Seen {
  spans: number;
  headers: Record<string, unknown>;
}

/** OTLP/gRPC over mutual TLS on @grpc/grpc-js, an implementation independent of ours. */
async function grpcTlsReceiver(certs: Certificates, seen: Seen[]): Promise<{ port: number; stop(): void }> {
  const definition = protoLoader.loadSync('opentelemetry/proto/collector/trace/v1/trace_service.proto', { includeDirs: [PROTOS], enums: String, longs: String });
  const pkg = grpc.loadPackageDefinition(definition) as unknown as { opentelemetry: { proto: { collector: { trace: { v1: { TraceService: grpc.ServiceClientConstructor } } } } } };
  const server = new grpc.Server();
  server.addService(pkg.opentelemetry.proto.collector.trace.v1.TraceService.service, {
    Export: (call: grpc.ServerUnaryCall<{ resourceSpans: { scopeSpans: { spans: unknown[] }[] }[] }, unknown>, done: grpc.sendUnaryData<unknown>) => {
      seen.push({ spans: call.request.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans)).length, headers: call.metadata.getMap() });
      done(null, {});
    },
  });
  const credentials = grpc.ServerCredentials.createSsl(certs.read('ca.pem'), [{ private_key: certs.read('server.key'), cert_chain: certs.read('server.pem') }], true);
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', credentials, (err, p) => (err ? reject(err) : resolve(p))));
  return { port, stop: () => server.forceShutdown() };
}

/** OTLP/HTTP protobuf over mutual TLS on node:https, decoded with the OpenTelemetry protos. */
async function httpsReceiver(certs: Certificates, seen: Seen[]): Promise<{ port: number; stop(): void }> {
  const server = https.createServer({ ca: certs.read('ca.pem'), cert: certs.read('server.pem'), key: certs.read('server.key'), requestCert: true, rejectUnauthorized: true }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const body = req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
      const trace = decodeTrace(body);
      seen.push({ spans: trace.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans ?? [])).length, headers: { ...req.headers, path: req.url } });
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as { port: number }).port, stop: () => server.close() };
}

const exitApp = (env: Record<string, string>) =>
  run([APP], { env: { EXIT_KIND: 'process-exit', ROUND_TRIPS: String(ROUND_TRIPS), NODE_OPTIONS: REQUIRE, OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none', ...env } });

describe('process.exit(3): the pending spans are delivered, exactly', () => {
  const receivers: Partial<Record<Protocol, OtlpReceiver>> = {};
  let certs: Certificates;
  beforeAll(async () => {
    receivers.grpc = await new OtlpReceiver('grpc').start();
    receivers['http/protobuf'] = await new OtlpReceiver('http/protobuf').start();
    certs = makeCertificates();
  });
  afterAll(async () => {
    await Promise.all(Object.values(receivers).map((r) => r.stop()));
    certs.remove();
  });

  it.each([
    ['grpc', 'none'],
    ['grpc', 'gzip'],
    // (HTTP with gzip: the TLS case below; @elastic/mockotlpserver does not inflate HTTP bodies.)
    ['http/protobuf', 'none'],
  ] as const)('%s, compression %s', async (protocol, compression) => {
    const receiver = receivers[protocol]!;
    const service = `exit-delivery-${protocol.replace('/', '-')}-${compression}`;
    const result = await exitApp({ OTEL_SERVICE_NAME: service, OTEL_EXPORTER_OTLP_PROTOCOL: protocol, OTEL_EXPORTER_OTLP_COMPRESSION: compression, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint });
    expect(result.code).toBe(3);
    expect(result.stdout).toBe('done\n');
    expect(ourLines(result.stderr)).toEqual([]);
    const count = () => receiver.spans.filter((s) => s.resource['service.name'] === service).length;
    await receiver.waitFor(() => count() >= SPANS, DEADLINE_MS);
    expect(count()).toBe(SPANS);
  });

  it.each(['grpc', 'http/protobuf'] as const)('%s: the request durations recorded since the last metric export are delivered too', async (protocol) => {
    const receiver = receivers[protocol]!;
    const service = `exit-delivery-metrics-${protocol.replace('/', '-')}`;
    const result = await exitApp({ OTEL_SERVICE_NAME: service, OTEL_EXPORTER_OTLP_PROTOCOL: protocol, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_METRICS_EXPORTER: 'otlp' });
    expect(result.code).toBe(3);
    expect(ourLines(result.stderr)).toEqual([]);
    // Each round trip is one server and one client request: their histograms count them all.
    // (Counts are uint64: a Long over gRPC, a string over HTTP.)
    const asNumber = (c: unknown) => (typeof c === 'object' && c !== null ? (c as { low: number; high: number }).low + (c as { high: number }).high * 2 ** 32 : Number(c ?? 0));
    const counted = (name: string) =>
      receiver.metrics.filter((m) => m.name === name && m.resource['service.name'] === service).reduce((n, m) => n + m.dataPoints.reduce((k, p) => k + asNumber(p.count), 0), 0);
    await receiver.waitFor(() => counted('http.server.request.duration') >= ROUND_TRIPS && counted('http.client.request.duration') >= ROUND_TRIPS, DEADLINE_MS, 'request durations');
    expect(counted('http.server.request.duration')).toBe(ROUND_TRIPS);
    expect(counted('http.client.request.duration')).toBe(ROUND_TRIPS);
    await receiver.waitFor(() => receiver.spans.filter((s) => s.resource['service.name'] === service).length >= SPANS, DEADLINE_MS);
  });

  it('log records (pino) pending at process.exit(4) are delivered too', async () => {
    const receiver = receivers.grpc!;
    const service = 'exit-delivery-logs';
    const result = await run([path.join('exit', 'log-exit.js')], { env: { NODE_OPTIONS: REQUIRE, OTEL_SERVICE_NAME: service, OTEL_METRICS_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, LOG_LINES: '7' } });
    expect(result.code).toBe(4);
    expect(result.stdout.trim().split('\n')).toHaveLength(7);
    expect(ourLines(result.stderr)).toEqual([]);
    const count = () => receiver.logs.filter((l) => l.resource['service.name'] === service).length;
    await receiver.waitFor(() => count() >= 7, DEADLINE_MS);
    expect(count()).toBe(7);
  });

  it.each(['grpc', 'http/protobuf'] as const)('%s over mutual TLS with a private CA, gzip and headers', async (protocol) => {
    const seen: Seen[] = [];
    const receiver = protocol === 'grpc' ? await grpcTlsReceiver(certs, seen) : await httpsReceiver(certs, seen);
    try {
      const result = await exitApp({
        OTEL_SERVICE_NAME: `exit-delivery-tls-${protocol}`,
        OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
        OTEL_EXPORTER_OTLP_ENDPOINT: `https://127.0.0.1:${receiver.port}`,
        OTEL_EXPORTER_OTLP_CERTIFICATE: certs.file('ca.pem'),
        OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE: certs.file('client.pem'),
        OTEL_EXPORTER_OTLP_CLIENT_KEY: certs.file('client.key'),
        OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip',
        OTEL_EXPORTER_OTLP_HEADERS: 'x-team=checkout',
      });
      expect(result.code).toBe(3);
      expect(ourLines(result.stderr)).toEqual([]);
      expect(seen.reduce((n, s) => n + s.spans, 0)).toBe(SPANS);
      for (const s of seen) expect(s.headers['x-team']).toBe('checkout');
      if (protocol === 'http/protobuf') expect(seen.map((s) => s.headers.path)).toEqual(seen.map(() => '/v1/traces'));
    } finally {
      receiver.stop();
    }
  });
});
