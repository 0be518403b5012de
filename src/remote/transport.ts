// One OpAMP request over plain HTTP(S): POST a binary AgentToServer, read a bounded ServerToAgent.
// Sockets are unref'd (they never keep the app alive) and tracing is suppressed around the call.

import * as http from 'http';
import * as https from 'https';
import * as zlib from 'zlib';

export const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

export interface TransportOptions {
  endpoint: string;
  headers: Readonly<Record<string, string>>;
  instanceUid: string;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  timeoutMs: number;
  userAgent: string;
  /** Keep the process alive for this request (the disconnect at exit); polls never do. */
  holdProcess?: boolean;
}

export interface HttpAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export class TransportError extends Error {}

export function post(opts: TransportOptions, body: Uint8Array): Promise<HttpAnswer> {
  return withoutTracing(
    () =>
      new Promise<HttpAnswer>((resolve, reject) => {
        const url = new URL(opts.endpoint);
        const client = url.protocol === 'https:' ? https : http;
        const req = client.request(
          url,
          {
            method: 'POST',
            agent: false,
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
          },
          (res) => {
            const gzip = /gzip/i.test(String(res.headers['content-encoding'] ?? ''));
            const stream = gzip ? res.pipe(zlib.createGunzip()) : res;
            const chunks: Buffer[] = [];
            let size = 0;
            stream.on('data', (chunk: Buffer) => {
              size += chunk.length;
              if (size > MAX_RESPONSE_BYTES) {
                req.destroy(new TransportError(`response larger than ${MAX_RESPONSE_BYTES} bytes`));
                return;
              }
              chunks.push(chunk);
            });
            stream.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
            stream.on('error', (err: Error) => reject(new TransportError(`response: ${err.message}`)));
          },
        );
        if (!opts.holdProcess) req.on('socket', (socket) => socket.unref());
        req.on('timeout', () => req.destroy(new TransportError(`no answer within ${opts.timeoutMs} ms`)));
        req.on('error', (err) => reject(err instanceof TransportError ? err : new TransportError(err.message)));
        req.end(body);
      }),
  );
}

/** OpAMP's own HTTP calls must not be traced (opamp-reference.md, Security). */
function withoutTracing<T>(fn: () => T): T {
  try {
    const api = require('@opentelemetry/api') as typeof import('@opentelemetry/api');
    const { suppressTracing } = require('@opentelemetry/core') as typeof import('@opentelemetry/core');
    return api.context.with(suppressTracing(api.context.active()), fn);
  } catch {
    return fn();
  }
}
