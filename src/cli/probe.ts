// Probes an OTLP endpoint the way an exporter would reach it: TCP, then TLS for https, then one
// empty export in the endpoint's protocol (an empty request is valid OTLP). Short timeouts; never
// throws — every outcome is a result.

import * as http from 'http';
import * as http2 from 'http2';
import { GRPC_METHODS } from '../sdk/pending';
import * as https from 'https';
import * as net from 'net';
import * as tls from 'tls';

export interface ProbeResult {
  ok: boolean;
  steps: string[];
  problem?: string;
}

// The same method paths the exporters call: one table.
const GRPC_PATHS = GRPC_METHODS;

/** What the exporter would send: its headers (authentication) and TLS material. */
export interface ProbeAuth {
  headers?: Readonly<Record<string, string>>;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

export async function probe(endpoint: string, protocol: 'grpc' | 'http/protobuf', signal: keyof typeof GRPC_PATHS, auth: ProbeAuth = {}, timeoutMs = 2000): Promise<ProbeResult> {
  const steps: string[] = [];
  const { ca, cert, key } = auth;
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
      // SNI carries host names only (RFC 6066); Node warns when given an IP address.
      await connect(() => tls.connect({ host: url.hostname, port, servername: net.isIP(url.hostname) ? undefined : url.hostname, ca, cert, key, ALPNProtocols: protocol === 'grpc' ? ['h2'] : undefined }), timeoutMs, 'secureConnect');
      steps.push('TLS handshake ok');
    }
    const mismatch = await protocolMismatch(url, port, protocol, signal, auth, timeoutMs);
    if (mismatch) return { ok: false, steps, problem: mismatch };
    if (protocol === 'grpc') {
      const status = await grpcExport(url, GRPC_PATHS[signal], auth, timeoutMs);
      steps.push(`gRPC answered (grpc-status ${status})`);
      const hint = status === '16' || status === '7' ? ' (unauthenticated / permission denied: check OTEL_EXPORTER_OTLP_HEADERS)' : '';
      return status === '0' ? { ok: true, steps } : { ok: false, steps, problem: `the gRPC service answered grpc-status ${status}${hint}` };
    }
    const status = await httpExport(url, auth, timeoutMs);
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

/**
 * The usual mistake: the protocol of one port with the other port (4317 gRPC, 4318 HTTP). Each
 * protocol's failure against the other is a raw parser error; this names the mismatch instead.
 */
async function protocolMismatch(url: URL, port: number, protocol: 'grpc' | 'http/protobuf', signal: keyof typeof GRPC_PATHS, auth: ProbeAuth, timeoutMs: number): Promise<string | undefined> {
  const fix = protocol === 'grpc' ? 'set OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf, or use the collector\'s gRPC port (4317)' : 'set OTEL_EXPORTER_OTLP_PROTOCOL=grpc, or use the collector\'s HTTP port (4318)';
  if (protocol === 'grpc') {
    const h2 = await grpcExport(url, GRPC_PATHS[signal], auth, timeoutMs).then(() => true, () => false);
    if (h2) return undefined;
    const http1 = await httpExport(url, auth, timeoutMs).then(() => true, () => false);
    return http1 ? `${port} answers HTTP/1.1, but the protocol is grpc: ${fix}` : undefined;
  }
  const http1 = await httpExport(url, auth, timeoutMs).then(() => true, () => false);
  if (http1) return undefined;
  const h2 = await grpcExport(url, GRPC_PATHS[signal], auth, timeoutMs).then(() => true, () => false);
  return h2 ? `${port} answers gRPC (HTTP/2 only), but the protocol is http/protobuf: ${fix}` : undefined;
}

function grpcExport(url: URL, path: string, auth: ProbeAuth, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(url.origin, { ca: auth.ca, cert: auth.cert, key: auth.key });
    const timer = setTimeout(() => finish(new Error(`no gRPC answer within ${timeoutMs} ms`)), timeoutMs);
    const finish = (err: Error | null, status?: string) => {
      clearTimeout(timer);
      session.close();
      session.destroy();
      if (err) reject(err);
      else resolve(status ?? 'unknown');
    };
    session.on('error', (err) => finish(err));
    const req = session.request({ ...lowerCased(auth.headers), ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers' });
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

function lowerCased(headers: Readonly<Record<string, string>> = {}): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}

function httpExport(url: URL, auth: ProbeAuth, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const client = url.protocol === 'https:' ? https : http;
    const headers = { ...lowerCased(auth.headers), 'content-type': 'application/x-protobuf', 'content-length': 0 };
    const req = client.request(url, { method: 'POST', headers, ca: auth.ca, cert: auth.cert, key: auth.key, timeout: timeoutMs, agent: false }, (res) => {
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
      await connect(() => tls.connect({ host: url.hostname, port, servername: net.isIP(url.hostname) ? undefined : url.hostname, ca }), timeoutMs, 'secureConnect');
      steps.push('TLS handshake ok');
    }
    const status = await httpExport(url, { ca }, timeoutMs);
    steps.push(`HTTP answered ${status}`);
    return { ok: status < 500 && status !== 404, steps, problem: status === 404 ? 'wrong path (the conventional one is /v1/opamp)' : undefined };
  } catch (err) {
    return { ok: false, steps, problem: (err as Error).message };
  }
}
