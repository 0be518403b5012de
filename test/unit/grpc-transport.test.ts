// The HTTP/2 gRPC transport against a real in-process node:http2 server: the request as gRPC
// requires it, every way an answer can go wrong mapped to one status line, the deadline (with fake
// timers), and the connection's life cycle (one session reused, a new one after the server leaves).

import * as http2 from 'http2';
import { gunzipSync } from 'zlib';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Http2GrpcTransport, type GrpcTarget } from '../../src/sdk/grpc-transport';

const PATH = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';

interface Seen {
  headers: http2.IncomingHttpHeaders;
  body: Buffer;
  stream: http2.ServerHttp2Stream;
  sessionId: number;
}
type Responder = (stream: http2.ServerHttp2Stream, seen: Seen) => void;

/** Answers OK with a 3-byte message unless the test sets another responder. */
const okAnswer: Responder = (stream) => {
  stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
  stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
  stream.end(Buffer.from([0, 0, 0, 0, 3, 0x0a, 0x01, 0x41]));
};

let server: http2.Http2Server;
let seen: Seen[];
let respond: Responder;
let sessions: http2.ServerHttp2Session[];
let endpoint: string;

beforeEach(async () => {
  seen = [];
  sessions = [];
  respond = okAnswer;
  server = http2.createServer();
  server.on('session', (s) => sessions.push(s));
  server.on('stream', (stream, headers) => {
    const chunks: Buffer[] = [];
    stream.on('error', () => undefined); // resets the tests provoke
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      const entry = { headers, body: Buffer.concat(chunks), stream, sessionId: sessions.indexOf(stream.session as http2.ServerHttp2Session) };
      seen.push(entry);
      respond(stream, entry);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  endpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterEach(async () => {
  vi.useRealTimers();
  for (const s of sessions) s.destroy();
  await new Promise((r) => server.close(r));
});

function transport(extra: Partial<GrpcTarget> = {}): Http2GrpcTransport {
  return new Http2GrpcTransport({ endpoint, path: PATH, headers: { authorization: 'Bearer t' }, compression: 'none', tls: {}, userAgent: 'otel-preload/test', ...extra });
}
const MESSAGE = Uint8Array.from([0x0a, 0x02, 0x08, 0x01]);

describe('Http2GrpcTransport', () => {
  it('sends one gRPC unary call as the protocol requires and returns the unframed answer', async () => {
    const t = transport();
    const answer = await t.send(MESSAGE, 10_000);
    expect(answer.status).toBe('success');
    expect(Buffer.from((answer as { data: Uint8Array }).data)).toEqual(Buffer.from([0x0a, 0x01, 0x41]));
    const { headers, body } = seen[0];
    expect(headers).toMatchObject({ ':method': 'POST', ':path': PATH, 'content-type': 'application/grpc', te: 'trailers', 'grpc-timeout': '10000m', 'user-agent': 'otel-preload/test', authorization: 'Bearer t' });
    expect(headers['grpc-encoding']).toBeUndefined();
    expect(body).toEqual(Buffer.from([0, 0, 0, 0, 4, ...MESSAGE]));
    t.shutdown();
  });

  it('gzip: flag 1, grpc-encoding gzip, and the body inflates to the message', async () => {
    const t = transport({ compression: 'gzip' });
    expect((await t.send(MESSAGE, 5000)).status).toBe('success');
    const { headers, body } = seen[0];
    expect(headers['grpc-encoding']).toBe('gzip');
    expect(body[0]).toBe(1);
    expect(body.readUInt32BE(1)).toBe(body.length - 5);
    expect(gunzipSync(body.subarray(5))).toEqual(Buffer.from(MESSAGE));
    t.shutdown();
  });

  it.each([
    ['a grpc-status in the trailers', (stream: http2.ServerHttp2Stream) => {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '8', 'grpc-message': 'quota%20exceeded' }));
      stream.end();
    }, /^8 RESOURCE_EXHAUSTED: quota exceeded$/],
    ['a trailers-only answer', (stream: http2.ServerHttp2Stream) => {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '16', 'grpc-message': 'who are you' }, { endStream: true });
    }, /^16 UNAUTHENTICATED: who are you$/],
    ['a status code past the known ones', (stream: http2.ServerHttp2Stream) => {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '42' }, { endStream: true });
    }, /^42 UNKNOWN: no message$/],
    ['an HTTP answer that is not gRPC', (stream: http2.ServerHttp2Stream) => {
      stream.respond({ ':status': 404 }, { endStream: true });
    }, /^14 UNAVAILABLE: HTTP status 404 without grpc-status; is http:\/\/127\.0\.0\.1:\d+ an OTLP\/gRPC endpoint\?$/],
    ['a stream reset by the server', (stream: http2.ServerHttp2Stream) => {
      stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
    }, /^14 UNAVAILABLE: /],
  ] as const)('%s: a failure naming the status', async (_name, responder, message) => {
    respond = responder;
    const t = transport();
    const answer = await t.send(MESSAGE, 5000);
    expect(answer.status).toBe('failure');
    expect((answer as { error: Error }).error.message).toMatch(message);
    t.shutdown();
  });

  it('a refused connection: 14 UNAVAILABLE with the reason', async () => {
    const closed = new Http2GrpcTransport({ endpoint: 'http://127.0.0.1:9', path: PATH, headers: {}, compression: 'none', tls: {}, userAgent: 'x' });
    const answer = await closed.send(MESSAGE, 5000);
    expect(answer.status).toBe('failure');
    expect((answer as { error: Error }).error.message).toMatch(/^14 UNAVAILABLE: .*ECONNREFUSED/);
  });

  it('no answer: DEADLINE_EXCEEDED exactly at the timeout, and the stream is cancelled on the wire', async () => {
    const arrived = new Promise<void>((r) => (respond = () => r())); // and never answers
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const t = transport();
    let outcome: string | undefined;
    const sent = t.send(MESSAGE, 3000).then((a) => (outcome = a.status === 'failure' ? a.error?.message : 'success'));
    await arrived; // real I/O: the clock has not moved
    const reset = new Promise<number>((r) => seen[0].stream.on('close', () => r(seen[0].stream.rstCode)));
    await vi.advanceTimersByTimeAsync(2999);
    expect(outcome).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(outcome).toBe('DEADLINE_EXCEEDED: no answer within 3000 ms');
    await sent;
    vi.useRealTimers();
    expect(await reset).toBe(http2.constants.NGHTTP2_CANCEL);
    t.shutdown();
  });

  it('one connection for many calls; a new one after the server goes away', async () => {
    const t = transport();
    await Promise.all([t.send(MESSAGE, 5000), t.send(MESSAGE, 5000), t.send(MESSAGE, 5000)]);
    expect(new Set(seen.map((s) => s.sessionId))).toEqual(new Set([0]));
    await new Promise((r) => sessions[0].close(() => r(undefined))); // GOAWAY, then the connection closes
    expect((await t.send(MESSAGE, 5000)).status).toBe('success');
    expect(seen[3].sessionId).toBe(1);
    t.shutdown();
  });
});
