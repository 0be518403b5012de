// An OTLP receiver that counts every span and log record it accepts, and misbehaves on demand:
// OTLP/gRPC on node:http2 and OTLP/HTTP protobuf on node:http, each on its own port, switchable at
// run time between the fault modes a collector shows in production. Only what it answers with
// success is counted as accepted; metrics are decoded so that tests can read the SDK's
// self-metrics (otel.sdk.*) once it is healthy again.

import * as http from 'http';
import * as http2 from 'http2';
import type { AddressInfo, Socket } from 'net';
import { gunzipSync } from 'zlib';
import { decodeLogs, decodeMetrics, decodeTrace, type NormalDataPoint, type OtlpSignal } from './otlp-decode';
import { DEADLINE_MS } from './wait';

export type FaultMode = 'ok' | 'down' | 'unavailable' | 'resource_exhausted' | 'http503' | 'blackhole' | 'slow' | 'goaway';

const GRPC_PATHS: Record<string, OtlpSignal> = {
  '/opentelemetry.proto.collector.trace.v1.TraceService/Export': 'traces',
  '/opentelemetry.proto.collector.logs.v1.LogsService/Export': 'logs',
  '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export': 'metrics',
};
const HTTP_PATHS: Record<string, OtlpSignal> = { '/v1/traces': 'traces', '/v1/logs': 'logs', '/v1/metrics': 'metrics' };

// google.rpc.Status{details: [Any{type_url: RetryInfo, value: RetryInfo{retry_delay: 1 s}}]}, base64.
const RETRY_INFO_1S = (() => {
  const duration = Buffer.from([0x08, 0x01]); // seconds = 1
  const retryInfo = Buffer.concat([Buffer.from([0x0a, duration.length]), duration]);
  const typeUrl = Buffer.from('type.googleapis.com/google.rpc.RetryInfo');
  const any = Buffer.concat([Buffer.from([0x0a, typeUrl.length]), typeUrl, Buffer.from([0x12, retryInfo.length]), retryInfo]);
  return Buffer.concat([Buffer.from([0x08, 8, 0x1a, any.length]), any]).toString('base64');
})();

export interface SelfMetricPoint {
  service: string;
  name: string;
  attributes: Record<string, unknown>;
  value: number;
}

export class CountingReceiver {
  mode: FaultMode = 'ok';
  /** Answer delay in 'slow' mode. */
  slowMillis = 3000;
  /** Items accepted, by signal and service.name. */
  readonly accepted: Record<OtlpSignal, Map<string, number>> = { traces: new Map(), logs: new Map(), metrics: new Map() };
  /** Export calls seen, by signal (accepted or not). */
  readonly calls: Record<OtlpSignal, number> = { traces: 0, logs: 0, metrics: 0 };
  /** Latest value of every cumulative sum received, keyed by service, name and attributes. */
  private readonly sums = new Map<string, SelfMetricPoint>();
  private grpc = http2.createServer();
  private http = http.createServer();
  private readonly sockets = new Set<Socket>();
  private readonly sessions = new Set<http2.ServerHttp2Session>();
  private readonly waiters = new Set<() => void>();
  grpcPort = 0;
  httpPort = 0;

  async start(): Promise<this> {
    this.wire();
    this.grpcPort = await listen(this.grpc, this.grpcPort);
    this.httpPort = await listen(this.http, this.httpPort);
    return this;
  }

  get grpcEndpoint(): string {
    return `http://127.0.0.1:${this.grpcPort}`;
  }
  get httpEndpoint(): string {
    return `http://127.0.0.1:${this.httpPort}`;
  }

  /** Switches the fault mode; 'down' closes both ports and every connection, leaving 'down' listens again on the same ports. */
  async setMode(mode: FaultMode): Promise<void> {
    const wasDown = this.mode === 'down';
    this.mode = mode;
    if (mode === 'down' && !wasDown) await this.closeAll();
    if (mode !== 'down' && wasDown) await this.start();
  }

  /** Every span id accepted from a service, in order, a span that came twice twice. */
  readonly spanIds = new Map<string, string[]>();
  /** Span ids of the copies marked otel.preload.span.resent (sent again at exit). */
  readonly resentIds = new Map<string, string[]>();

  count(signal: OtlpSignal, service: string): number {
    return this.accepted[signal].get(service) ?? 0;
  }

  /** The latest value of a self-metric sum, summed over the data points whose attributes match. */
  selfMetric(service: string, name: string, match: (attrs: Record<string, unknown>) => boolean = () => true): number {
    let total = 0;
    for (const p of this.sums.values()) if (p.service === service && p.name === name && match(p.attributes)) total += p.value;
    return total;
  }

  /** Resolves once `check` holds (re-checked on every request), or rejects after `ms`. */
  waitFor(check: () => boolean, ms = DEADLINE_MS, what = 'condition'): Promise<void> {
    return new Promise((resolve, reject) => {
      const done = () => {
        if (!check()) return;
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(done);
        reject(new Error(`receiver: ${what} not reached within ${ms} ms`));
      }, ms);
      this.waiters.add(done);
      done();
    });
  }

  async stop(): Promise<void> {
    await this.closeAll();
  }

  private wire(): void {
    this.grpc = http2.createServer();
    this.http = http.createServer();
    for (const server of [this.grpc, this.http] as Array<http.Server | http2.Http2Server>) {
      server.on('connection', (socket: Socket) => {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
      });
    }
    this.grpc.on('session', (session) => {
      this.sessions.add(session);
      session.on('close', () => this.sessions.delete(session));
      session.on('error', () => undefined);
    });
    this.grpc.on('stream', (stream, headers) => this.onGrpc(stream, headers));
    this.http.on('request', (req, res) => this.onHttp(req, res));
  }

  private onGrpc(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void {
    stream.on('error', () => undefined);
    const signal = GRPC_PATHS[String(headers[':path'])];
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      if (!signal) return stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '12' }, { endStream: true });
      this.calls[signal]++;
      const trailersOnly = (status: number, message: string, extra: http2.OutgoingHttpHeaders = {}) =>
        stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': String(status), 'grpc-message': encodeURIComponent(message), ...extra }, { endStream: true });
      const mode = this.mode;
      if (mode === 'blackhole') return; // keeps the stream open, answers nothing
      if (mode === 'goaway') return stream.session?.goaway(http2.constants.NGHTTP2_NO_ERROR);
      if (mode === 'unavailable') return trailersOnly(14, 'receiver says unavailable');
      if (mode === 'resource_exhausted') return trailersOnly(8, 'receiver over quota', { 'grpc-status-details-bin': RETRY_INFO_1S });
      if (mode === 'http503') return stream.respond({ ':status': 503 }, { endStream: true });
      const accept = () => {
        if (stream.closed || stream.destroyed) return; // the client gave up (deadline): not accepted
        const body = Buffer.concat(chunks);
        const message = body.subarray(5, 5 + body.readUInt32BE(1));
        this.accept(signal, body[0] === 1 ? gunzipSync(message) : message);
        stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
        stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
        stream.end(Buffer.from([0, 0, 0, 0, 0])); // an empty Export*ServiceResponse
      };
      if (mode === 'slow') setTimeout(accept, this.slowMillis);
      else accept();
    });
  }

  private onHttp(req: http.IncomingMessage, res: http.ServerResponse): void {
    const signal = HTTP_PATHS[req.url ?? ''];
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (!signal) return res.writeHead(404).end();
      this.calls[signal]++;
      const mode = this.mode;
      if (mode === 'blackhole') return;
      if (mode === 'goaway') return res.writeHead(503, { connection: 'close' }).end(); // HTTP/1.1 has no GOAWAY
      if (mode === 'unavailable' || mode === 'http503') return res.writeHead(503).end();
      if (mode === 'resource_exhausted') return res.writeHead(429, { 'retry-after': '1' }).end();
      const accept = () => {
        if (res.destroyed || req.socket.destroyed) return; // the client gave up (timeout): not accepted
        const body = Buffer.concat(chunks);
        this.accept(signal, req.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body);
        res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      };
      if (mode === 'slow') setTimeout(accept, this.slowMillis);
      else accept();
    });
  }

  private accept(signal: OtlpSignal, bytes: Buffer): void {
    const add = (service: unknown, n: number) => this.accepted[signal].set(String(service), (this.accepted[signal].get(String(service)) ?? 0) + n);
    if (signal === 'traces') {
      for (const r of decodeTrace(bytes).resourceSpans ?? []) {
        const service = String(r.resource.attributes['service.name']);
        add(service, (r.scopeSpans ?? []).reduce((n, s) => n + (s.spans?.length ?? 0), 0));
        const ids = this.spanIds.get(service) ?? [];
        const resent = this.resentIds.get(service) ?? [];
        for (const s of r.scopeSpans ?? []) {
          for (const span of s.spans ?? []) {
            ids.push(String(span.spanId));
            if (span.attributes?.['otel.preload.span.resent'] === true) resent.push(String(span.spanId));
          }
        }
        this.spanIds.set(service, ids);
        this.resentIds.set(service, resent);
      }
    } else if (signal === 'logs') {
      for (const r of decodeLogs(bytes).resourceLogs ?? []) add(r.resource.attributes['service.name'], (r.scopeLogs ?? []).reduce((n, s) => n + (s.logRecords?.length ?? 0), 0));
    } else {
      for (const r of decodeMetrics(bytes).resourceMetrics ?? []) {
        const service = String(r.resource.attributes['service.name']);
        for (const m of (r.scopeMetrics ?? []).flatMap((s) => s.metrics ?? [])) {
          add(service, 1);
          for (const p of m.sum?.dataPoints ?? []) this.recordSum(service, m.name, p);
        }
      }
    }
    for (const w of [...this.waiters]) w();
  }

  private recordSum(service: string, name: string, p: NormalDataPoint): void {
    const attributes = p.attributes ?? {};
    const key = JSON.stringify([service, name, Object.entries(attributes).sort()]);
    this.sums.set(key, { service, name, attributes, value: Number(p.asInt ?? p.asDouble ?? 0) });
  }

  private async closeAll(): Promise<void> {
    for (const session of this.sessions) session.destroy();
    for (const socket of this.sockets) socket.destroy();
    await Promise.all([this.grpc, this.http].map((s) => new Promise<void>((resolve) => (s.listening ? s.close(() => resolve()) : resolve()))));
  }
}

function listen(server: http.Server | http2.Http2Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}
