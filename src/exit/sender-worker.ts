// Runs on a worker thread started at exit (deliver-sync.ts): sends the pending OTLP requests while
// the main thread, which may only run synchronous code at `process.exit()`, waits on shared memory.
// Each request's outcome is written to its own slot, then the settled count is bumped and notified.
// It never throws and never writes to stdout or stderr: the main thread reports.

import * as http from 'http';
import * as http2 from 'http2';
import * as https from 'https';
import { gzipSync } from 'zlib';
import type { LookupFunction } from 'net';
import { workerData } from 'worker_threads';
import type { PendingTarget } from '../sdk/queue/pending';
import { DELIVERED, FAILED, type SenderInput, writeReason } from './slots';
import { BoundedResolver } from '../util/lookup';

/** Our own bounded lookup here too (util/lookup.ts): a getaddrinfo that hangs would hold the exit. */
const lookup = new BoundedResolver().lookup as LookupFunction;

const input = workerData as SenderInput;
const slots = new Int32Array(input.slots);
const sessions = new Map<string, http2.ClientHttp2Session>();

function settle(index: number, ok: boolean, reason?: string): void {
  if (Atomics.compareExchange(slots, index + 1, 0, ok ? DELIVERED : FAILED) !== 0) return;
  if (!ok && reason) writeReason(input.reason, reason);
  const settled = Atomics.add(slots, 0, 1) + 1;
  Atomics.notify(slots, 0);
  // All answered: end this thread now, so that the exiting process need not stop it.
  if (settled === input.requests.length) process.exit(0);
}

function tlsOf(t: PendingTarget) {
  const buf = (v?: Uint8Array | string) => (v === undefined ? undefined : typeof v === 'string' ? v : Buffer.from(v));
  return { ca: buf(t.ca), cert: buf(t.cert), key: buf(t.key) };
}

function body(t: PendingTarget, bytes: Uint8Array): Buffer {
  return t.compression === 'gzip' ? gzipSync(bytes) : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** OTLP/gRPC: one unary call, a length-prefixed message, success when grpc-status is 0. */
function sendGrpc(index: number, t: PendingTarget, bytes: Uint8Array, timeoutMillis: number): void {
  const url = new URL(t.endpoint);
  const origin = `${url.protocol}//${url.host}`;
  let session = sessions.get(origin);
  if (!session) {
    session = http2.connect(origin, { lookup, ...(origin.startsWith('https:') ? tlsOf(t) : {}) });
    session.on('error', (err) => lastError.set(origin, err.message));
    sessions.set(origin, session);
  }
  const message = body(t, bytes);
  const framed = Buffer.allocUnsafe(5 + message.length);
  framed[0] = t.compression === 'gzip' ? 1 : 0;
  framed.writeUInt32BE(message.length, 1);
  message.copy(framed, 5);
  const stream = session.request({
    ':method': 'POST',
    ':path': t.path,
    'content-type': 'application/grpc',
    te: 'trailers',
    'grpc-timeout': `${Math.max(1, timeoutMillis)}m`,
    ...(t.compression === 'gzip' ? { 'grpc-encoding': 'gzip' } : {}),
    ...t.headers,
  });
  let status: string | undefined;
  stream.on('response', (headers) => (status ??= headers['grpc-status'] as string | undefined));
  stream.on('trailers', (trailers) => (status = trailers['grpc-status'] as string | undefined));
  stream.on('data', () => undefined);
  stream.on('error', (err: Error & { cause?: Error }) => settle(index, false, lastError.get(origin) ?? err.cause?.message ?? err.message));
  stream.on('close', () => settle(index, status === '0', status === undefined ? (lastError.get(origin) ?? 'no answer') : `grpc-status ${status}`));
  stream.setTimeout(timeoutMillis, () => {
    settle(index, false, `no answer within ${timeoutMillis} ms`);
    stream.close(http2.constants.NGHTTP2_CANCEL);
  });
  stream.end(framed);
}

/** OTLP/HTTP with a protobuf body: success on any 2xx. */
function sendHttp(index: number, t: PendingTarget, bytes: Uint8Array, timeoutMillis: number): void {
  const url = new URL(t.endpoint);
  if (t.path) url.pathname = t.path;
  const payload = body(t, bytes);
  const headers: Record<string, string | number> = { 'content-type': 'application/x-protobuf', 'content-length': payload.length, ...t.headers };
  if (t.compression === 'gzip') headers['content-encoding'] = 'gzip';
  const options = { method: 'POST', headers, timeout: timeoutMillis, lookup, ...(url.protocol === 'https:' ? tlsOf(t) : {}) };
  // A 2xx status is the collector's verdict: a body cut short after it does not undo the delivery
  // (as the exporters' own transport, sdk/export/http-transport.ts, reads it).
  let code = 0;
  const accepted = () => code >= 200 && code < 300;
  const request = (url.protocol === 'https:' ? https : http).request(url, options, (res) => {
    res.resume();
    code = res.statusCode ?? 0;
    res.on('end', () => settle(index, accepted(), `HTTP ${code}`));
    res.on('error', (err) => settle(index, accepted(), err.message));
    res.on('close', () => settle(index, accepted(), `HTTP ${code}, the answer cut short`));
  });
  request.on('timeout', () => {
    settle(index, false, `no answer within ${timeoutMillis} ms`);
    request.destroy();
  });
  request.on('error', (err) => settle(index, accepted(), err.message));
  request.end(payload);
}

const lastError = new Map<string, string>();

input.requests.forEach((r, index) => {
  try {
    const timeoutMillis = Math.max(1, Math.min(r.target.timeoutMillis, input.deadline - Date.now()));
    if (r.target.protocol === 'grpc') sendGrpc(index, r.target, r.bytes, timeoutMillis);
    else sendHttp(index, r.target, r.bytes, timeoutMillis);
  } catch (err) {
    settle(index, false, (err as Error)?.message ?? String(err));
  }
});
