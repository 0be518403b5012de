// Probes an OTLP endpoint the way an exporter would reach it: TCP, then TLS for https, then one
// empty export (an empty request is valid OTLP) through the exporters' own transports, so that
// doctor judges the very client the preload uses. Short timeouts; never throws — every outcome is
// a result.

import * as net from 'net';
import * as tls from 'tls';
import type { IExporterTransport } from '@opentelemetry/otlp-exporter-base';
import { Http2GrpcTransport, type GrpcCallError } from '../sdk/export/grpc-transport';
import { HttpExportTransport, type HttpExportError } from '../sdk/export/http-transport';
import { GRPC_METHODS } from '../sdk/export/grpc-methods';
import { uuidString, uuidv7 } from '../remote/ids';
import { post } from '../remote/transport';
import { DISTRO_VERSION } from '../version';

export interface ProbeResult {
  ok: boolean;
  steps: string[];
  problem?: string;
}

/** What the exporter would send: its headers (authentication) and TLS material. */
export interface ProbeAuth {
  headers?: Readonly<Record<string, string>>;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

type Protocol = 'grpc' | 'http/protobuf';
type Signal = keyof typeof GRPC_METHODS;

/** How one empty export went. */
interface Answer {
  /** 'success': accepted; a number: refused with this grpc-status / HTTP status; absent: the server did not speak the protocol (or could not be reached). */
  status?: 'success' | number;
  error?: string;
}

const USER_AGENT = `otel-preload/${DISTRO_VERSION} doctor`;

export async function probe(endpoint: string, protocol: Protocol, signal: Signal, auth: ProbeAuth = {}, timeoutMs = 2000): Promise<ProbeResult> {
  const steps: string[] = [];
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return { ok: false, steps, problem: `${endpoint} is not a URL` };
  }
  const port = portOf(url);
  try {
    await reach(url, port, auth, protocol === 'grpc' ? ['h2'] : undefined, timeoutMs, steps);
    const answer = await emptyExport(protocol, endpoint, signal, auth, timeoutMs);
    if (answer.status === undefined) {
      // The usual mistake: one protocol sent to the other's port (4317 gRPC, 4318 HTTP). Each
      // fails against the other with a raw parser error; if the other protocol answers, say so.
      const other = await emptyExport(protocol === 'grpc' ? 'http/protobuf' : 'grpc', endpoint, signal, auth, timeoutMs);
      return { ok: false, steps, problem: other.status === undefined ? answer.error : mismatch(protocol, port) };
    }
    return protocol === 'grpc' ? grpcVerdict(answer.status, steps) : httpVerdict(answer.status, steps);
  } catch (err) {
    return { ok: false, steps, problem: (err as Error).message };
  }
}

function grpcVerdict(status: 'success' | number, steps: string[]): ProbeResult {
  const code = status === 'success' ? 0 : status;
  steps.push(`gRPC answered (grpc-status ${code})`);
  if (code === 0) return { ok: true, steps };
  const hint = code === 16 || code === 7 ? ' (unauthenticated / permission denied: check OTEL_EXPORTER_OTLP_HEADERS)' : '';
  return { ok: false, steps, problem: `the gRPC service answered grpc-status ${code}${hint}` };
}

function httpVerdict(status: 'success' | number, steps: string[]): ProbeResult {
  steps.push(`HTTP answered ${status === 'success' ? '2xx' : status}`);
  if (status === 'success') return { ok: true, steps };
  // Some receivers refuse a zero-length body with 400 while accepting real exports.
  if (status === 400) return { ok: true, steps: [...steps, 'it rejects an empty request, as some receivers do'] };
  const hint = status === 401 || status === 403 ? ' (check OTEL_EXPORTER_OTLP_HEADERS)' : status === 404 ? ' (wrong path? per-signal endpoints are used as is)' : '';
  return { ok: false, steps, problem: `the endpoint answered HTTP ${status}${hint}` };
}

function mismatch(protocol: Protocol, port: number): string {
  return protocol === 'grpc'
    ? `${port} answers HTTP/1.1, but the protocol is grpc: set OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf, or use the collector's gRPC port (4317)`
    : `${port} answers gRPC (HTTP/2 only), but the protocol is http/protobuf: set OTEL_EXPORTER_OTLP_PROTOCOL=grpc, or use the collector's HTTP port (4318)`;
}

/** Sends an empty export through the exporters' transport for the protocol, then shuts it down. */
async function emptyExport(protocol: Protocol, endpoint: string, signal: Signal, auth: ProbeAuth, timeoutMs: number): Promise<Answer> {
  const target = { headers: auth.headers ?? {}, compression: 'none' as const, tls: { ca: auth.ca, cert: auth.cert, key: auth.key }, userAgent: USER_AGENT };
  const transport: IExporterTransport = protocol === 'grpc' ? new Http2GrpcTransport({ ...target, endpoint, path: GRPC_METHODS[signal] }) : new HttpExportTransport({ ...target, url: endpoint });
  // The transports never hold the event loop (an export must not keep an app alive); doctor has
  // nothing else to wait on, so without this it would exit before the answer came.
  const hold = setTimeout(() => undefined, timeoutMs + 1000);
  try {
    const response = await transport.send(new Uint8Array(0), timeoutMs);
    if (response.status === 'success') return { status: 'success' };
    const status = protocol === 'grpc' ? (response.error as GrpcCallError | undefined)?.grpcStatus : (response.error as HttpExportError | undefined)?.httpStatus;
    return { status, error: response.error?.message ?? 'no answer' };
  } finally {
    clearTimeout(hold);
    transport.shutdown();
  }
}

/** TCP, then the TLS handshake for https; each step that succeeds is recorded. */
async function reach(url: URL, port: number, auth: ProbeAuth, alpn: string[] | undefined, timeoutMs: number, steps: string[]): Promise<void> {
  await connect(() => net.connect({ host: url.hostname, port }), timeoutMs);
  steps.push('TCP connect ok');
  if (url.protocol !== 'https:') return;
  const { ca, cert, key } = auth;
  // SNI carries host names only (RFC 6066); Node warns when given an IP address.
  await connect(() => tls.connect({ host: url.hostname, port, servername: net.isIP(url.hostname) ? undefined : url.hostname, ca, cert, key, ALPNProtocols: alpn }), timeoutMs, 'secureConnect');
  steps.push('TLS handshake ok');
}

function portOf(url: URL): number {
  return Number(url.port || (url.protocol === 'https:' ? 443 : 80));
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
 * OpAMP: TCP, TLS, then one request through the OpAMP client's own transport; any HTTP answer
 * means the endpoint is there (an empty AgentToServer may well be a bad request).
 */
export async function probeOpamp(endpoint: string, ca?: Buffer, timeoutMs = 2000): Promise<ProbeResult> {
  const steps: string[] = [];
  try {
    const url = new URL(endpoint);
    await reach(url, portOf(url), { ca }, undefined, timeoutMs, steps);
    const { status } = await post({ endpoint, headers: {}, instanceUid: uuidString(uuidv7()), ca, timeoutMs, userAgent: USER_AGENT, holdProcess: true }, new Uint8Array(0));
    steps.push(`HTTP answered ${status}`);
    return { ok: status < 500 && status !== 404, steps, problem: status === 404 ? 'wrong path (the conventional one is /v1/opamp)' : undefined };
  } catch (err) {
    return { ok: false, steps, problem: (err as Error).message };
  }
}
