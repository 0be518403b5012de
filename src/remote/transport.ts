// One OpAMP request over plain HTTP(S): POST a binary AgentToServer, read a bounded ServerToAgent.
// Every request settles exactly once, whatever the server does: refused, reset mid-body, a body
// cut short (gzip or not), corrupt gzip, oversize (before or after decompression), or an answer
// that never ends — an overall deadline covers the whole exchange, not just idle sockets.
// Sockets are unref'd (they never keep the app alive) and tracing is suppressed around the call.

import * as http from 'http';
import * as https from 'https';
import * as zlib from 'zlib';
import type { LookupFunction } from 'net';
import { lineRequire } from '../otel-line/line';
import { ownLookup } from '../util/lookup';
import { ownOptions, trackOwnRequest } from '../util/own-traffic';

export const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

export interface TransportOptions {
  endpoint: string;
  headers: Readonly<Record<string, string>>;
  instanceUid: string;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  /** The whole exchange, connect to last byte. */
  timeoutMs: number;
  userAgent: string;
  /** Keep the process alive for this request (the disconnect at exit); polls never do. */
  holdProcess?: boolean;
  /** Aborting settles the request at once (rejects) and closes its socket. */
  signal?: AbortSignal;
}

export interface HttpAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export class TransportError extends Error {}

export function post(opts: TransportOptions, body: Uint8Array): Promise<HttpAnswer> {
  return withoutTracing(() => new Promise<HttpAnswer>((resolve, reject) => exchange(opts, body, resolve, reject)));
}

function exchange(opts: TransportOptions, body: Uint8Array, resolve: (a: HttpAnswer) => void, reject: (e: Error) => void): void {
  let settled = false;
  let req: http.ClientRequest | undefined;
  let res: http.IncomingMessage | undefined;
  let gunzip: zlib.Gunzip | undefined;
  const onAbort = () => fail('aborted (shutting down)');
  const deadline = setTimeout(() => fail(`no complete answer within ${opts.timeoutMs} ms`), opts.timeoutMs);
  if (!opts.holdProcess) deadline.unref();

  function settle(): boolean {
    if (settled) return false;
    settled = true;
    clearTimeout(deadline);
    opts.signal?.removeEventListener('abort', onAbort);
    return true;
  }
  function fail(why: string): void {
    if (!settle()) return;
    gunzip?.destroy();
    res?.destroy();
    req?.destroy();
    reject(new TransportError(why));
  }
  function succeed(answer: HttpAnswer): void {
    if (settle()) resolve(answer);
  }

  if (opts.signal?.aborted) return fail('aborted (shutting down)');
  opts.signal?.addEventListener('abort', onAbort);
  try {
    const url = new URL(opts.endpoint);
    const client = url.protocol === 'https:' ? https : http;
    // Ours (util/own-traffic.ts): no span, no metric point, whatever the endpoint.
    req = client.request(url, ownOptions({
      method: 'POST',
      agent: false,
      lookup: ownLookup as LookupFunction,
      timeout: opts.timeoutMs,
      ca: opts.ca,
      cert: opts.cert,
      key: opts.key,
      headers: {
        ...opts.headers,
        'Content-Type': 'application/x-protobuf',
        'Content-Length': body.byteLength,
        'Accept-Encoding': 'gzip',
        'User-Agent': opts.userAgent,
        'OpAMP-Instance-UID': opts.instanceUid,
      },
    }));
    trackOwnRequest(req);
  } catch (err) {
    return fail((err as Error).message);
  }
  req.on('response', (response) => {
    res = response;
    const declared = Number(response.headers['content-length']);
    if (declared > MAX_RESPONSE_BYTES) return fail(`response larger than ${MAX_RESPONSE_BYTES} bytes (Content-Length ${declared})`);
    const encoding = String(response.headers['content-encoding'] ?? 'identity').toLowerCase();
    if (encoding !== 'identity' && encoding !== 'gzip') return fail(`unsupported Content-Encoding "${encoding}"`);
    const chunks: Buffer[] = [];
    let size = 0;
    let raw = 0;
    const collect = (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_RESPONSE_BYTES) return fail(`response larger than ${MAX_RESPONSE_BYTES} bytes`);
      chunks.push(chunk);
    };
    const done = () => succeed({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) });
    response.on('data', (chunk: Buffer) => {
      raw += chunk.length;
      if (raw > MAX_RESPONSE_BYTES) return fail(`response larger than ${MAX_RESPONSE_BYTES} bytes`);
      if (gunzip) gunzip.write(chunk);
      else collect(chunk);
    });
    // An error, or 'close' without a complete body: the server reset or cut the connection mid-body.
    response.on('error', (err) => fail(`the response broke off (${err.message})`));
    response.on('close', () => {
      if (!response.complete) fail('the response broke off (connection closed)');
    });
    if (encoding === 'gzip') {
      gunzip = zlib.createGunzip();
      gunzip.on('data', collect);
      gunzip.on('error', (err) => fail(`corrupt gzip response: ${err.message}`));
      gunzip.on('end', done);
      response.on('end', () => gunzip?.end());
    } else {
      response.on('end', done);
    }
  });
  if (!opts.holdProcess) req.on('socket', (socket) => socket.unref());
  req.on('timeout', () => fail(`no answer within ${opts.timeoutMs} ms`));
  req.on('error', (err) => fail(err.message));
  req.end(body);
}

/** OpAMP's own HTTP calls must not be traced. */
function withoutTracing<T>(fn: () => T): T {
  try {
    const api = lineRequire('@opentelemetry/api') as typeof import('@opentelemetry/api');
    const { suppressTracing } = lineRequire('@opentelemetry/core') as typeof import('@opentelemetry/core');
    return api.context.with(suppressTracing(api.context.active()), fn);
  } catch {
    return fn();
  }
}
