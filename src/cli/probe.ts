// Probes an OTLP endpoint the way an exporter would reach it: TCP, then TLS for https, then one
// empty export in the endpoint's protocol (an empty request is valid OTLP). Short timeouts; never
// throws — every outcome is a result.

import * as http from 'http';
import * as http2 from 'http2';
import * as https from 'https';
import * as net from 'net';
import * as tls from 'tls';

export interface ProbeResult {
  ok: boolean;
  steps: string[];
  problem?: string;
}

const GRPC_PATHS = {
  traces: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
  metrics: '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export',
  logs: '/opentelemetry.proto.collector.logs.v1.LogsService/Export',
} as const;

export async function probe(endpoint: string, protocol: 'grpc' | 'http/protobuf', signal: keyof typeof GRPC_PATHS, ca?: Buffer, timeoutMs = 2000): Promise<ProbeResult> {
  const steps: string[] = [];
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return { ok: false, steps, problem: `${endpoint} is not a URL` };
  }
  const secure = url.protocol === 'https:';
  const port = Number(url.port || (secure ? 443 : 80));
  try {
    await connect(() => net.connect({ host: url.hostname, port }), timeoutMs);
    steps.push('TCP connect ok');
    if (secure) {
      await connect(() => tls.connect({ host: url.hostname, port, servername: url.hostname, ca, ALPNProtocols: protocol === 'grpc' ? ['h2'] : undefined }), timeoutMs, 'secureConnect');
      steps.push('TLS handshake ok');
    }
    if (protocol === 'grpc') {
      const status = await grpcExport(url, GRPC_PATHS[signal], ca, timeoutMs);
      steps.push(`gRPC answered (grpc-status ${status})`);
      return status === '0' ? { ok: true, steps } : { ok: false, steps, problem: `the gRPC service answered grpc-status ${status}` };
    }
    const status = await httpExport(url, ca, timeoutMs);
    steps.push(`HTTP answered ${status}`);
    if (status >= 200 && status < 300) return { ok: true, steps };
    // Some receivers refuse a zero-length body with 400 while accepting real exports.
    if (status === 400) return { ok: true, steps: [...steps, 'it rejects an empty request, as some receivers do'] };
    const hint = status === 401 || status === 403 ? ' (check OTEL_EXPORTER_OTLP_HEADERS)' : status === 404 ? ' (wrong path? per-signal endpoints are used as is)' : '';
    return { ok: false, steps, problem: `the endpoint answered HTTP ${status}${hint}` };
  } catch (err) {
    return { ok: false, steps, problem: (err as Error).message };
  }
}

function connect(open: () => net.Socket, timeoutMs: number, readyEvent = 'connect'): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = open();
    const done = (err?: Error) => {
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve();
    };
    const timer = setTimeout(() => done(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    socket.once(readyEvent, () => done());
    socket.once('error', (err) => done(err));
  });
}

function grpcExport(url: URL, path: string, ca: Buffer | undefined, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(url.origin, { ca });
    const timer = setTimeout(() => finish(new Error(`no gRPC answer within ${timeoutMs} ms`)), timeoutMs);
    const finish = (err: Error | null, status?: string) => {
      clearTimeout(timer);
      session.close();
      session.destroy();
      if (err) reject(err);
      else resolve(status ?? 'unknown');
    };
    session.on('error', (err) => finish(err));
    const req = session.request({ ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers' });
    let status: string | undefined;
    req.on('response', (headers) => {
      status = headers['grpc-status'] as string | undefined;
      if (headers[':status'] !== 200) finish(new Error(`HTTP/2 status ${headers[':status']} (not a gRPC endpoint?)`));
    });
    req.on('trailers', (trailers) => (status = (trailers['grpc-status'] as string | undefined) ?? status));
    req.on('end', () => finish(null, status));
    req.on('error', (err) => finish(err));
    req.resume();
    // One gRPC frame: uncompressed flag + zero length = an empty Export request.
    req.end(Buffer.alloc(5));
  });
}

function httpExport(url: URL, ca: Buffer | undefined, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const client = url.protocol === 'https:' ? https : http;
    const req = client.request(url, { method: 'POST', headers: { 'content-type': 'application/x-protobuf', 'content-length': 0 }, ca, timeout: timeoutMs, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(new Error(`no HTTP answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** OpAMP: TCP, TLS, then any HTTP answer from the endpoint (a POST without a body is a bad request). */
export async function probeOpamp(endpoint: string, ca?: Buffer, timeoutMs = 2000): Promise<ProbeResult> {
  const steps: string[] = [];
  try {
    const url = new URL(endpoint);
    const secure = url.protocol === 'https:';
    const port = Number(url.port || (secure ? 443 : 80));
    await connect(() => net.connect({ host: url.hostname, port }), timeoutMs);
    steps.push('TCP connect ok');
    if (secure) {
      await connect(() => tls.connect({ host: url.hostname, port, servername: url.hostname, ca }), timeoutMs, 'secureConnect');
      steps.push('TLS handshake ok');
    }
    const status = await httpExport(url, ca, timeoutMs);
    steps.push(`HTTP answered ${status}`);
    return { ok: status < 500 && status !== 404, steps, problem: status === 404 ? 'wrong path (the conventional one is /v1/opamp)' : undefined };
  } catch (err) {
    return { ok: false, steps, problem: (err as Error).message };
  }
}
