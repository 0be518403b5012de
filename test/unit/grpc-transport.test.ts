// The gRPC transport heals, against real sockets: after a half-open connection (deadline or failed
// PING), a black hole, GOAWAY and a server restart, the next export goes out on a fresh session.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Http2GrpcTransport, type GrpcCallError } from '../../src/sdk/export/grpc-transport';
import { CountingReceiver } from '../helpers/counting-receiver';
import { TcpProxy } from '../helpers/tcp-proxy';

// An empty ExportTraceServiceRequest is a valid request with no spans.
const EMPTY = new Uint8Array(0);
const TRACES = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';

let receiver: CountingReceiver;
let proxy: TcpProxy | undefined;
beforeEach(async () => {
  receiver = await new CountingReceiver().start();
});
afterEach(async () => {
  await proxy?.stop();
  proxy = undefined;
  await receiver.stop();
});

function transport(port: number, keepaliveMillis = 60_000, pingTimeoutMillis = 60_000) {
  return new Http2GrpcTransport({ endpoint: `http://127.0.0.1:${port}`, path: TRACES, headers: {}, compression: 'none', tls: {}, userAgent: 'test', keepaliveMillis, pingTimeoutMillis });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Http2GrpcTransport heals', () => {
  it('a half-open connection: DEADLINE_EXCEEDED, then a fresh session', async () => {
    proxy = await new TcpProxy(receiver.grpcPort).start();
    const t = transport(proxy.port);
    expect((await t.send(EMPTY, 2000)).status).toBe('success');
    proxy.halfOpen();
    const stuck = await t.send(EMPTY, 300);
    expect(stuck.status).toBe('retryable');
    expect(String((stuck as { error?: Error }).error?.message)).toMatch(/4 DEADLINE_EXCEEDED/);
    expect((await t.send(EMPTY, 2000)).status).toBe('success');
    expect(t.sessionsOpened).toBe(2);
    expect(proxy.connections).toBe(2);
    t.shutdown();
  });

  it('a half-open connection while idle: the keepalive PING finds it before the next export', async () => {
    proxy = await new TcpProxy(receiver.grpcPort).start();
    const t = transport(proxy.port, 100, 100);
    expect((await t.send(EMPTY, 2000)).status).toBe('success');
    proxy.halfOpen();
    await sleep(500); // a PING goes unanswered and the session is dropped
    // A short deadline: on the old, half-open session this would fail.
    expect((await t.send(EMPTY, 400)).status).toBe('success');
    expect(t.sessionsOpened).toBe(2);
    t.shutdown();
  });

  it('a black hole: the deadline ends the call and the session', async () => {
    const t = transport(receiver.grpcPort);
    await receiver.setMode('blackhole');
    expect((await t.send(EMPTY, 300)).status).toBe('retryable');
    await receiver.setMode('ok');
    expect((await t.send(EMPTY, 2000)).status).toBe('success');
    expect(t.sessionsOpened).toBe(2);
    t.shutdown();
  });

  it('one call past its deadline does not fail the others on the session: a slow collector still answers them, once', async () => {
    await receiver.setMode('slow');
    receiver.slowMillis = 600;
    const t = transport(receiver.grpcPort);
    const [short, long] = await Promise.all([t.send(EMPTY, 300), t.send(EMPTY, 3000)]);
    expect(short.status).toBe('retryable');
    expect(String((short as { error?: Error }).error?.message)).toMatch(/4 DEADLINE_EXCEEDED/);
    expect(long.status).toBe('success');
    expect((await t.send(EMPTY, 3000)).status).toBe('success'); // on a fresh session
    expect(t.sessionsOpened).toBe(2);
    t.shutdown();
  });

  it('GOAWAY: the next call opens a new session', async () => {
    const t = transport(receiver.grpcPort);
    expect((await t.send(EMPTY, 2000)).status).toBe('success');
    await receiver.setMode('goaway');
    const refused = await t.send(EMPTY, 500);
    expect(refused.status).not.toBe('success');
    await receiver.setMode('ok');
    expect((await t.send(EMPTY, 2000)).status).toBe('success');
    expect(t.sessionsOpened).toBeGreaterThanOrEqual(2);
    t.shutdown();
  });

  it('a server restart: UNAVAILABLE (retryable) while down, delivered once it is back', async () => {
    const t = transport(receiver.grpcPort);
    expect((await t.send(EMPTY, 2000)).status).toBe('success');
    await receiver.setMode('down');
    const down = await t.send(EMPTY, 500);
    expect(down.status).toBe('retryable');
    expect(String((down as { error?: Error }).error?.message)).toMatch(/14 UNAVAILABLE/);
    expect((down as { error?: GrpcCallError }).error?.grpcStatus).toBeUndefined(); // our code for no answer, not the server's
    await receiver.setMode('ok');
    expect((await t.send(EMPTY, 2000)).status).toBe('success');
    t.shutdown();
  });

  it('RESOURCE_EXHAUSTED with RetryInfo is retryable after the delay the server asks for', async () => {
    const t = transport(receiver.grpcPort);
    await receiver.setMode('resource_exhausted');
    const answer = await t.send(EMPTY, 2000);
    expect(answer).toMatchObject({ status: 'retryable', retryInMillis: 1000, error: { grpcStatus: 8 } });
    t.shutdown();
  });

  it('a header HTTP/2 forbids, with gzip: a failed export, never an exception from the zlib callback', async () => {
    const t = new Http2GrpcTransport({ endpoint: receiver.grpcEndpoint, path: TRACES, headers: { connection: 'close' }, compression: 'gzip', tls: {}, userAgent: 'test' });
    const answer = await t.send(EMPTY, 2000);
    expect(answer.status).toBe('failure');
    expect(String((answer as { error?: Error }).error?.message)).toMatch(/could not be sent/);
    t.shutdown();
  });
});
