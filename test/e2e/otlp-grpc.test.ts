// OTLP/gRPC export against an independent gRPC server (@grpc/grpc-js, the OTLP protos as shipped in
// @elastic/mockotlpserver): TLS with a private CA and a client certificate, headers as metadata,
// gzip, and collector errors reported once without harming the job.

import * as http2 from 'http2';
import * as path from 'path';
import { gunzipSync } from 'zlib';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, run, withoutNodeWarnings } from '../helpers/processes';
import { makeCertificates, type Certificates } from '../helpers/certs';

const PROTOS = path.join(path.dirname(require.resolve('@elastic/mockotlpserver/package.json')));

interface Received {
  metadata: grpc.Metadata;
  spans: { name: string; kind: string }[];
}

class GrpcCollector {
  readonly received: Received[] = [];
  answer: { code: grpc.status; details: string } | undefined;
  private server = new grpc.Server();
  port = 0;

  async start(credentials: grpc.ServerCredentials): Promise<this> {
    const definition = protoLoader.loadSync('opentelemetry/proto/collector/trace/v1/trace_service.proto', { includeDirs: [PROTOS], keepCase: false, enums: String, longs: String });
    const pkg = grpc.loadPackageDefinition(definition) as unknown as { opentelemetry: { proto: { collector: { trace: { v1: { TraceService: grpc.ServiceClientConstructor } } } } } };
    this.server.addService(pkg.opentelemetry.proto.collector.trace.v1.TraceService.service, {
      Export: (call: grpc.ServerUnaryCall<{ resourceSpans: { scopeSpans: { spans: { name: string; kind: string }[] }[] }[] }, unknown>, done: grpc.sendUnaryData<unknown>) => {
        const spans = call.request.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans));
        this.received.push({ metadata: call.metadata, spans });
        if (this.answer) return done({ code: this.answer.code, details: this.answer.details });
        done(null, {});
      },
    });
    this.port = await new Promise<number>((resolve, reject) => this.server.bindAsync('127.0.0.1:0', credentials, (err, port) => (err ? reject(err) : resolve(port))));
    return this;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.tryShutdown(() => resolve()));
  }
}

const JOB = path.join(REPO, 'fixtures/guards/job.js');
const ONLY_TRACES = { NODE_OPTIONS: '--require otel-preload/register', OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none' };

describe('OTLP over gRPC', () => {
  let certs: Certificates;
  beforeAll(() => {
    certs = makeCertificates();
  });
  afterAll(() => certs.remove());
  const file = (f: string) => certs.file(f);

  it('over mutual TLS with a private CA, with headers as metadata and gzip', async () => {
    const collector = await new GrpcCollector().start(
      grpc.ServerCredentials.createSsl(certs.read('ca.pem'), [{ private_key: certs.read('server.key'), cert_chain: certs.read('server.pem') }], true),
    );
    try {
      const result = await run([JOB], {
        env: {
          ...ONLY_TRACES,
          OTEL_SERVICE_NAME: 'otlp-grpc-tls',
          OTEL_EXPORTER_OTLP_ENDPOINT: `https://127.0.0.1:${collector.port}`,
          OTEL_EXPORTER_OTLP_CERTIFICATE: file('ca.pem'),
          OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE: file('client.pem'),
          OTEL_EXPORTER_OTLP_CLIENT_KEY: file('client.key'),
          OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20t0ken,x-team=checkout',
          OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip',
        },
      });
      expect(result.code).toBe(0);
      expect(withoutNodeWarnings(result.stderr)).toBe('');
      const spans = collector.received.flatMap((r) => r.spans);
      expect(spans.map((s) => s.kind).sort()).toEqual(['SPAN_KIND_CLIENT', 'SPAN_KIND_SERVER']);
      const metadata = collector.received[0].metadata;
      expect(metadata.get('authorization')).toEqual(['Bearer t0ken']);
      expect(metadata.get('x-team')).toEqual(['checkout']);
      // grpc-js inflates gzip before the handler sees it; the next test checks gzip on the wire.
    } finally {
      await collector.stop();
    }
  });

  it.each([
    ['gzip', 'gzip', 1],
    ['none', undefined, 0],
  ] as const)('OTEL_EXPORTER_OTLP_COMPRESSION=%s, seen on the wire: grpc-encoding header, the frame\'s compressed flag, the body', async (setting, encoding, flag) => {
    // A bare HTTP/2 server, so nothing between the wire and the assertions inflates anything.
    const frames: { headers: http2.IncomingHttpHeaders; body: Buffer }[] = [];
    const server = http2.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        frames.push({ headers: req.headers, body: Buffer.concat(chunks) });
        res.writeHead(200, { 'content-type': 'application/grpc' });
        res.addTrailers({ 'grpc-status': '0' });
        res.end(Buffer.alloc(5));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    try {
      const service = `otlp-grpc-compression-${setting}`;
      const result = await run([JOB], { env: { ...ONLY_TRACES, OTEL_SERVICE_NAME: service, OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(server.address() as { port: number }).port}`, OTEL_EXPORTER_OTLP_COMPRESSION: setting } });
      expect(result.code).toBe(0);
      expect(withoutNodeWarnings(result.stderr)).toBe('');
      expect(frames.length).toBeGreaterThan(0);
      for (const { headers, body } of frames) {
        expect(headers[':path']).toBe('/opentelemetry.proto.collector.trace.v1.TraceService/Export');
        expect(headers['grpc-encoding']).toBe(encoding);
        // gRPC length-prefixed message: 1 byte compressed flag, 4 bytes length, the message.
        expect(body[0]).toBe(flag);
        expect(body.readUInt32BE(1)).toBe(body.length - 5);
        const message = body.subarray(5);
        if (flag === 1) expect([message[0], message[1]], 'gzip magic').toEqual([0x1f, 0x8b]);
        const plain = flag === 1 ? gunzipSync(message) : message;
        expect(plain.includes(Buffer.from(service)), 'the service name inside the protobuf').toBe(true);
      }
    } finally {
      server.close();
    }
  });

  it('a collector that answers with an error: one line naming the status, the job exits as it would', async () => {
    const collector = await new GrpcCollector().start(grpc.ServerCredentials.createInsecure());
    collector.answer = { code: grpc.status.RESOURCE_EXHAUSTED, details: 'quota exceeded for tenant' };
    try {
      const result = await run([JOB], { env: { ...ONLY_TRACES, OTEL_SERVICE_NAME: 'otlp-grpc-error', OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${collector.port}` } });
      expect(result.code).toBe(0);
      expect(result.stdout).toBe('job done\n');
      expect(collector.received.length).toBeGreaterThan(0);
      const lines = withoutNodeWarnings(result.stderr).split('\n').filter(Boolean);
      // One line: what the failure cost, and the failure (signal, endpoint, cause).
      expect(lines, result.stderr).toHaveLength(1);
      expect(lines[0]).toMatch(/telemetry lost: \d+ spans \(export_failed \d+.* because traces export to http:\/\/127.0.0.1:\d+ failed \(8 RESOURCE_EXHAUSTED: quota exceeded for tenant\)/);
    } finally {
      await collector.stop();
    }
  });

  it('a plaintext endpoint that is not gRPC: one line saying so', async () => {
    const http = await import('http');
    const server = http.createServer((req, res) => res.writeHead(404).end()).listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    try {
      const port = (server.address() as { port: number }).port;
      const result = await run([JOB], { env: { ...ONLY_TRACES, OTEL_SERVICE_NAME: 'otlp-grpc-not-grpc', OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}` } });
      expect(result.code).toBe(0);
      const lines = withoutNodeWarnings(result.stderr).split('\n').filter(Boolean);
      // Not speaking HTTP/2 is a connection failure (UNAVAILABLE), retried until the exit bound.
      expect(lines, result.stderr).toHaveLength(1);
      expect(lines[0], result.stderr).toMatch(/telemetry lost: .* because traces export to http:\/\/127.0.0.1:\d+ failed \(14 UNAVAILABLE/);
    } finally {
      server.close();
    }
  });
});
