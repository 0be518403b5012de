// OTLP/HTTP (protobuf) as the exporters' transport: one POST per export, answered per the OTLP
// specification (https://opentelemetry.io/docs/specs/otlp/#otlphttp-response): 2xx delivered
// (the body carries any partial success), 429/502/503/504 and dropped connections retryable with
// the server's Retry-After, anything else failed. Upstream's HTTP transport does the same but is
// only reachable through its delegate, which wraps it in a retry loop whose backoff timers hold
// the event loop: an app that ends by itself while the collector answers 503 waited up to 10 s
// more. Here nothing holds the loop (sockets and timers unref'd; the exit flush holds it for at
// most its bound) and retries are retry.ts's, the same as for gRPC.

import * as http from 'http';
import * as https from 'https';
import type { LookupFunction } from 'net';
import type { ExportResponse, IExporterTransport } from '@opentelemetry/otlp-exporter-base';
import { compressThenSend } from './compressed-send';
import { deadlineAfterIo } from '../../util/deadline';
import { ownLookup } from '../../util/lookup';
import { retryAfterMillis } from '../../util/retry-after';
import { ownOptions, trackOwnRequest } from '../../util/own-traffic';

export interface HttpTarget {
  /** The full signal URL, e.g. http://collector:4318/v1/traces */
  url: string;
  headers: Readonly<Record<string, string>>;
  compression: 'gzip' | 'none';
  tls: { ca?: Buffer; cert?: Buffer; key?: Buffer };
  userAgent: string;
}

/** A collector's answer is read up to this size (a partial-success message is tiny). */
const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;
const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);
/**
 * Connection failures worth another attempt, as upstream's HTTP transport retries them, and a
 * socket that could not be opened for want of a descriptor (EMFILE, ENFILE, EAGAIN): it passes.
 */
const RETRYABLE_NETWORK = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EMFILE', 'ENFILE', 'EAGAIN']);

/** A failed export's error; httpStatus is set when the server answered (any status but 2xx). */
export type HttpExportError = Error & { httpStatus?: number };

export class HttpExportTransport implements IExporterTransport {
  private readonly agent: http.Agent;
  private readonly url: URL;

  constructor(private readonly target: HttpTarget) {
    this.url = new URL(target.url);
    const secure = this.url.protocol === 'https:';
    this.agent = secure ? new https.Agent({ keepAlive: true, ...target.tls }) : new http.Agent({ keepAlive: true });
  }

  send(data: Uint8Array, timeoutMillis: number): Promise<ExportResponse> {
    return compressThenSend(data, this.target.compression, (body, gzipped, resolve) => this.post(body, gzipped, timeoutMillis, resolve));
  }

  shutdown(): void {
    this.agent.destroy();
  }

  private post(body: Uint8Array, gzipped: boolean, timeoutMillis: number, resolve: (r: ExportResponse) => void): void {
    let settled = false;
    const settle = (response: ExportResponse) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(response);
    };
    const headers: http.OutgoingHttpHeaders = {
      'content-type': 'application/x-protobuf',
      'content-length': body.byteLength,
      'user-agent': this.target.userAgent,
      ...(gzipped ? { 'content-encoding': 'gzip' } : {}),
      ...this.target.headers,
    };
    // Ours (util/own-traffic.ts): no span, no metric point, whatever the endpoint.
    const request = (this.url.protocol === 'https:' ? https : http).request(this.url, ownOptions({ method: 'POST', headers, agent: this.agent, lookup: ownLookup as LookupFunction }), (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size <= MAX_RESPONSE_BYTES) chunks.push(chunk);
      });
      res.on('error', () => undefined);
      res.on('end', () => settle(answer(res, Buffer.concat(chunks))));
      res.on('close', () => settle(answer(res, Buffer.concat(chunks))));
    });
    // An export in flight must never keep the process alive. Unref'd for every request, new or
    // reused: the keep-alive agent refs a socket again when it reuses it.
    request.on('socket', (socket) => socket.unref());
    // An answer already in the socket buffer when the deadline passes still counts (util/deadline.ts).
    const timer = deadlineAfterIo(() => {
      if (settled) return;
      settle({ status: 'failure', error: new Error(`no answer within ${timeoutMillis} ms (timeout)`) });
      request.destroy();
    }, timeoutMillis);
    trackOwnRequest(request);
    request.on('error', (err: NodeJS.ErrnoException) => {
      const error = new Error(err.message);
      settle(RETRYABLE_NETWORK.has(err.code ?? '') ? { status: 'retryable', error } : { status: 'failure', error });
    });
    request.end(body);
  }
}

function answer(res: http.IncomingMessage, body: Buffer): ExportResponse {
  const code = res.statusCode ?? 0;
  if (code >= 200 && code < 300) return { status: 'success', data: body };
  const error: HttpExportError = Object.assign(new Error(`HTTP ${code}${res.statusMessage ? ` ${res.statusMessage}` : ''}`), { httpStatus: code });
  if (RETRYABLE_STATUS.has(code)) return { status: 'retryable', error, retryInMillis: retryAfterMillis(res.headers['retry-after']) };
  return { status: 'failure', error };
}
