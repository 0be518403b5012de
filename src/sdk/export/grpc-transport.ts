// OTLP/gRPC as the exporters' transport, on Node's own HTTP/2 client. An OTLP export is one unary
// call: a POST of the length-prefixed protobuf message, answered by a message and a grpc-status
// trailer (https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-HTTP2.md). Upstream's transport
// drives it through @grpc/grpc-js, whose channel machinery, run on the app's own thread, measured
// ~70 MiB more resident memory under load than this (bench/README.md) and takes a while to give up
// on a refused connection at exit. Everything else — serialisation, the concurrency bound,
// partial-success handling — stays OpenTelemetry's (exporters.ts plugs this into its delegate).
// It heals as a gRPC client does: an HTTP/2 PING every KEEPALIVE_MS answered within
// PING_TIMEOUT_MS or the session is dropped, and a fresh session after GOAWAY, a deadline or a
// connection error. Retryable statuses are answered as 'retryable' (grpc-status.ts) for retry.ts.

import * as http2 from 'http2';
import type { ExportResponse, IExporterTransport } from '@opentelemetry/otlp-exporter-base';
import type { LookupFunction } from 'net';
import { compressThenSend } from './compressed-send';
import { deadlineAfterIo } from '../../util/deadline';
import { ownLookup } from '../../util/lookup';
import { DEADLINE_EXCEEDED, isRetryable, retryDelayMillis, statusOfHttp, statusText, UNAVAILABLE } from './grpc-status';

/** How often an open session is checked with a PING, and how long the answer may take. */
export const KEEPALIVE_MS = 20_000;
export const PING_TIMEOUT_MS = 5_000;

export interface GrpcTarget {
  /** http://host:port (plaintext HTTP/2) or https://host:port (TLS); any path is ignored. */
  endpoint: string;
  /** /package.Service/Method */
  path: string;
  headers: Readonly<Record<string, string>>;
  compression: 'gzip' | 'none';
  tls: { ca?: Buffer; cert?: Buffer; key?: Buffer };
  userAgent: string;
  keepaliveMillis?: number;
  pingTimeoutMillis?: number;
}

/** A failed call's error; grpcStatus is set only when the server itself answered with a grpc-status. */
export type GrpcCallError = Error & { grpcStatus?: number };

export class Http2GrpcTransport implements IExporterTransport {
  private session?: http2.ClientHttp2Session;
  private lastConnectionError?: Error;
  private inFlight = 0;
  private keepalive?: NodeJS.Timeout;
  private readonly origin: string;
  /** Sessions opened so far (tests watch it heal). */
  sessionsOpened = 0;

  constructor(private readonly target: GrpcTarget) {
    const url = new URL(target.endpoint);
    this.origin = `${url.protocol}//${url.host}`;
  }

  send(data: Uint8Array, timeoutMillis: number): Promise<ExportResponse> {
    return compressThenSend(data, this.target.compression, (message, compressed, resolve) => this.call(message, compressed, timeoutMillis, resolve));
  }

  shutdown(): void {
    if (this.session) this.drop(this.session, false);
  }

  private call(message: Uint8Array, compressed: boolean, timeoutMillis: number, resolve: (r: ExportResponse) => void): void {
    let session: http2.ClientHttp2Session;
    try {
      session = this.connect();
    } catch (err) {
      return resolve({ status: 'failure', error: err as Error });
    }
    // The session stays unref'd while calls are in flight: an export must never keep the process
    // alive; at exit the flush's own bound timer holds the loop (bootstrap/shutdown.ts).
    this.inFlight++;
    let settled = false;
    const settle = (response: ExportResponse) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (--this.inFlight === 0 && !session.destroyed) session.unref();
      resolve(response);
    };
    // `answered`: the code is the server's own, not one that stands for a failure to reach it.
    const failure = (code: number, detail: string, retryInMillis?: number, answered = false): ExportResponse => {
      const error: GrpcCallError = Object.assign(new Error(`${statusText(code)}: ${detail}`), answered ? { grpcStatus: code } : {});
      return isRetryable(code, retryInMillis) ? { status: 'retryable', error, retryInMillis } : { status: 'failure', error };
    };

    const stream = session.request({
      ':method': 'POST',
      ':path': this.target.path,
      'content-type': 'application/grpc',
      te: 'trailers',
      'grpc-timeout': `${Math.max(1, Math.ceil(timeoutMillis))}m`,
      'grpc-accept-encoding': 'identity',
      'user-agent': this.target.userAgent,
      ...(compressed ? { 'grpc-encoding': 'gzip' } : {}),
      ...this.target.headers,
    });
    // An answer already in the socket buffer when the deadline passes still counts (util/deadline.ts).
    const timer = deadlineAfterIo(() => {
      if (settled) return;
      stream.close(http2.constants.NGHTTP2_CANCEL);
      // No answer in time: the connection may be half-open behind a proxy, so the next call starts
      // a fresh session. This one is closed gracefully: the other calls on it, which a slow but
      // live collector may still answer, keep their own deadlines (destroying it failed them all,
      // and their retries sent again what the collector already had).
      this.drop(session, false);
      settle(failure(DEADLINE_EXCEEDED, `no answer within ${timeoutMillis} ms`));
    }, timeoutMillis);

    let responseHeaders: http2.IncomingHttpHeaders = {};
    let trailers: http2.IncomingHttpHeaders = {};
    const chunks: Buffer[] = [];
    stream.on('response', (headers) => (responseHeaders = headers));
    stream.on('trailers', (headers) => (trailers = headers));
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('error', (err: Error & { cause?: Error }) => settle(failure(UNAVAILABLE, err.cause?.message ?? this.lastConnectionError?.message ?? err.message)));
    stream.on('close', () => {
      // A trailers-only answer carries grpc-status in its headers.
      const header = (name: string) => trailers[name] ?? responseHeaders[name];
      const code = Number(header('grpc-status'));
      const httpStatus = responseHeaders[':status'];
      if (code === 0) return settle({ status: 'success', data: unframe(Buffer.concat(chunks)) });
      if (Number.isInteger(code) && header('grpc-status') !== undefined) {
        const detail = percentDecoded(String(header('grpc-message') ?? ''));
        return settle(failure(code, detail || 'no message', retryDelayMillis(header('grpc-status-details-bin') as string | undefined), true));
      }
      if (httpStatus !== undefined) return settle(failure(statusOfHttp(Number(httpStatus)), `HTTP status ${httpStatus} without grpc-status; is ${this.origin} an OTLP/gRPC endpoint?`));
      settle(failure(UNAVAILABLE, this.lastConnectionError?.message ?? 'the stream closed without an answer'));
    });
    stream.end(frame(message, compressed));
  }

  /** One HTTP/2 connection, re-established when it closes; it never keeps the process alive when idle. */
  private connect(): http2.ClientHttp2Session {
    if (this.session && !this.session.closed && !this.session.destroyed) return this.session;
    const { ca, cert, key } = this.target.tls;
    // Our own lookup (util/lookup.ts): never the thread pool, bounded, cached for the TTL.
    const lookup = ownLookup as LookupFunction;
    const session = http2.connect(this.origin, this.origin.startsWith('https:') ? { ca, cert, key, lookup } : { lookup });
    this.sessionsOpened++;
    session.on('error', (err) => (this.lastConnectionError = err));
    session.on('connect', () => (this.lastConnectionError = undefined));
    // After GOAWAY the server takes no new streams on this session: new calls get a new one.
    session.on('goaway', () => this.forget(session));
    session.on('close', () => this.forget(session));
    session.unref();
    this.session = session;
    this.startKeepalive();
    return session;
  }

  /** PINGs the current session; no answer within the timeout, and the session is dropped. */
  private startKeepalive(): void {
    if (this.keepalive) return;
    this.keepalive = setInterval(() => {
      const session = this.session;
      if (!session) {
        clearInterval(this.keepalive);
        this.keepalive = undefined;
        return;
      }
      if (!session.socket?.connecting && session.closed === false) this.ping(session);
    }, this.target.keepaliveMillis ?? KEEPALIVE_MS);
    this.keepalive.unref();
  }

  private ping(session: http2.ClientHttp2Session): void {
    const timer = setTimeout(() => this.drop(session, true), this.target.pingTimeoutMillis ?? PING_TIMEOUT_MS);
    timer.unref();
    try {
      const sent = session.ping((err) => {
        clearTimeout(timer);
        if (err) this.drop(session, true);
      });
      if (!sent) clearTimeout(timer); // too many PINGs in flight already: the earlier ones decide
    } catch {
      clearTimeout(timer);
      this.drop(session, true);
    }
  }

  /** Forgets the session and closes it; `now` destroys it at once (its streams fail and are retried). */
  private drop(session: http2.ClientHttp2Session, now: boolean): void {
    this.forget(session);
    if (now) session.destroy();
    else session.close();
  }

  private forget(session: http2.ClientHttp2Session): void {
    if (this.session === session) this.session = undefined;
  }
}

/** grpc-message is percent-encoded; a server that gets it wrong must not throw from our event handler. */
function percentDecoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** gRPC message framing: a compressed flag, a 4-byte big-endian length, the message. */
function frame(message: Uint8Array, compressed: boolean): Buffer {
  const framed = Buffer.allocUnsafe(5 + message.length);
  framed[0] = compressed ? 1 : 0;
  framed.writeUInt32BE(message.length, 1);
  framed.set(message, 5);
  return framed;
}

function unframe(body: Buffer): Uint8Array | undefined {
  if (body.length < 5) return undefined;
  return body.subarray(5, 5 + body.readUInt32BE(1));
}
