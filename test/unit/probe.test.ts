// doctor's endpoint probe, through the exporters' transports, against real servers: a gRPC
// collector that wants a token names OTEL_EXPORTER_OTLP_HEADERS, an HTTP/2 server that is no gRPC
// service is called what it is, the OpAMP probe tells a wrong path, and no probe leaves a connection
// open behind it (doctor exits).

import * as http from 'http';
import * as http2 from 'http2';
import type { AddressInfo } from 'net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probe, probeOpamp } from '../../src/cli/probe';

// Answers like an authenticating collector: 0 with the right token, 7 with a wrong one, 16 without;
// asked to (x-plain), like an HTTP/2 server that is no gRPC service.
const grpc = http2.createServer((req, res) => {
  req.resume();
  if (req.headers['x-plain']) return res.writeHead(404).end();
  const auth = req.headers.authorization;
  res.writeHead(200, { 'content-type': 'application/grpc', 'grpc-status': String(auth === 'Bearer s3cret' ? 0 : auth ? 7 : 16) }).end();
});
const http1 = http.createServer((req, res) => req.resume().on('end', () => res.writeHead(req.url === '/nothing' ? 404 : 200).end()));
const open = { grpc: 0, http: 0 };
let grpcUrl = '';
let httpUrl = '';

beforeAll(async () => {
  grpc.on('session', (s) => (open.grpc++, s.on('close', () => open.grpc--)));
  http1.on('connection', (s) => (open.http++, s.on('close', () => open.http--)));
  await Promise.all([grpc, http1].map((s) => new Promise<void>((r) => s.listen(0, '127.0.0.1', r))));
  grpcUrl = `http://127.0.0.1:${(grpc.address() as AddressInfo).port}`;
  httpUrl = `http://127.0.0.1:${(http1.address() as AddressInfo).port}/v1/traces`;
});
afterAll(() => {
  http1.closeAllConnections();
  grpc.close();
  http1.close();
});

/** Resolves once the server side has no connection left open, or fails after `ms`. */
async function allClosed(kind: keyof typeof open, ms = 1000): Promise<void> {
  for (const t0 = Date.now(); open[kind] > 0; await new Promise((r) => setTimeout(r, 20))) {
    if (Date.now() - t0 > ms) throw new Error(`${open[kind]} ${kind} connection(s) still open ${ms} ms after the probe`);
  }
}

describe('probe (gRPC)', () => {
  it('the configured headers reach the collector: grpc-status 0', async () => {
    const r = await probe(grpcUrl, 'grpc', 'traces', { headers: { authorization: 'Bearer s3cret' } });
    expect(r).toEqual({ ok: true, steps: ['TCP connect ok', 'gRPC answered (grpc-status 0)'] });
    await allClosed('grpc');
  });

  it.each([
    [16, {}],
    [7, { authorization: 'Bearer wrong' }],
  ])('grpc-status %i: the problem points at OTEL_EXPORTER_OTLP_HEADERS', async (status, headers) => {
    const r = await probe(grpcUrl, 'grpc', 'traces', { headers });
    expect(r).toEqual({ ok: false, steps: ['TCP connect ok', `gRPC answered (grpc-status ${status})`], problem: `the gRPC service answered grpc-status ${status} (unauthenticated / permission denied: check OTEL_EXPORTER_OTLP_HEADERS)` });
    await allClosed('grpc');
  });

  it('an HTTP/2 answer without grpc-status is no gRPC answer, and is named as such', async () => {
    const r = await probe(grpcUrl, 'grpc', 'traces', { headers: { 'x-plain': '1' } });
    expect(r.ok).toBe(false);
    expect(r.problem).toMatch(/HTTP status 404 without grpc-status; is http:\/\/127\.0\.0\.1:\d+ an OTLP\/gRPC endpoint\?/);
  });
});

describe('probe (HTTP)', () => {
  it('2xx: ok, and the connection is closed afterwards', async () => {
    const r = await probe(httpUrl, 'http/protobuf', 'traces');
    expect(r).toEqual({ ok: true, steps: ['TCP connect ok', 'HTTP answered 2xx'] });
    await allClosed('http');
  });
});

describe('probeOpamp', () => {
  it('any answer but 404 or 5xx: the endpoint is there', async () => {
    expect(await probeOpamp(httpUrl.replace('/v1/traces', '/v1/opamp'))).toEqual({ ok: true, steps: ['TCP connect ok', 'HTTP answered 200'] });
    await allClosed('http');
  });

  it('404: the wrong path', async () => {
    expect(await probeOpamp(httpUrl.replace('/v1/traces', '/nothing'))).toEqual({ ok: false, steps: ['TCP connect ok', 'HTTP answered 404'], problem: 'wrong path (the conventional one is /v1/opamp)' });
  });
});
