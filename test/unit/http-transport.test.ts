// The OTLP/HTTP transport against a real node:http server: each answer the OTLP specification
// names maps to success, retryable (with the server's Retry-After) or failure; gzip and headers
// reach the wire; a silent server ends in a timeout; nothing it leaves behind holds the process.

import * as http from 'http';
import type { AddressInfo } from 'net';
import { gunzipSync } from 'zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpExportTransport, type HttpExportError } from '../../src/sdk/export/http-transport';

interface Seen {
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}
const seen: Seen[] = [];
let answer: (res: http.ServerResponse) => void = (res) => res.writeHead(200).end();
const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    seen.push({ headers: req.headers, body: Buffer.concat(chunks) });
    answer(res);
  });
});
let url = '';
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

const transport = (compression: 'gzip' | 'none' = 'none', target = url) => new HttpExportTransport({ url: target, headers: { 'x-team': 'checkout' }, compression, tls: {}, userAgent: 'test/1' });
const BODY = new Uint8Array([10, 0, 1, 2, 3]);

describe('HttpExportTransport', () => {
  it('2xx: success with the body (a partial-success message) as data; the body and headers as sent', async () => {
    answer = (res) => res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end(Buffer.from([8, 1]));
    const result = await transport().send(BODY, 2000);
    expect(result).toEqual({ status: 'success', data: Buffer.from([8, 1]) });
    const last = seen.at(-1)!;
    expect([...last.body]).toEqual([...BODY]);
    expect(last.headers['content-type']).toBe('application/x-protobuf');
    expect(last.headers['x-team']).toBe('checkout');
    expect(last.headers['user-agent']).toBe('test/1');
  });

  it('gzip: the body on the wire is gzipped and says so', async () => {
    answer = (res) => res.writeHead(200).end();
    expect((await transport('gzip').send(BODY, 2000)).status).toBe('success');
    const last = seen.at(-1)!;
    expect(last.headers['content-encoding']).toBe('gzip');
    expect([...gunzipSync(last.body)]).toEqual([...BODY]);
  });

  it.each([429, 502, 503, 504])('%i: retryable, with the delay Retry-After asks for', async (status) => {
    answer = (res) => res.writeHead(status, { 'retry-after': '3' }).end();
    const result = await transport().send(BODY, 2000);
    expect(result.status).toBe('retryable');
    expect((result as { retryInMillis?: number }).retryInMillis).toBe(3000);
    expect(String((result as { error?: Error }).error?.message)).toMatch(new RegExp(`^HTTP ${status}`));
  });

  it.each([400, 401, 404, 413, 500])('%i: failure, naming the status', async (status) => {
    answer = (res) => res.writeHead(status).end('no');
    const result = await transport().send(BODY, 2000);
    expect(result.status).toBe('failure');
    expect(String((result as { error?: Error }).error?.message)).toMatch(new RegExp(`^HTTP ${status}`));
    expect((result as { error?: HttpExportError }).error?.httpStatus).toBe(status);
  });

  it('a refused connection is retryable', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const result = await transport('none', `http://127.0.0.1:${port}/v1/traces`).send(BODY, 2000);
    expect(result.status).toBe('retryable');
    expect(String((result as { error?: Error }).error?.message)).toMatch(/ECONNREFUSED/);
    expect((result as { error?: HttpExportError }).error?.httpStatus).toBeUndefined();
  });

  it('no answer: a timeout failure after the given time; meanwhile its socket, reused from the last export, does not hold the process', async () => {
    const t = transport();
    answer = (res) => res.writeHead(200).end();
    expect((await t.send(BODY, 2000)).status).toBe('success'); // the agent keeps this socket for the next export
    answer = () => undefined; // never answers
    const before = seen.length;
    const t0 = Date.now();
    const sending = t.send(BODY, 600);
    while (seen.length === before) await new Promise((r) => setTimeout(r, 10));
    const port = (server.address() as AddressInfo).port;
    // The server has the request (the marker): its socket is open, and not among the handles that keep the process alive.
    const handles = (process as unknown as { _getActiveHandles(): Array<{ remotePort?: number }> })._getActiveHandles();
    expect(handles.filter((h) => h.remotePort === port)).toEqual([]);
    const result = await sending;
    expect(Date.now() - t0).toBeGreaterThanOrEqual(590);
    expect(result.status).toBe('failure');
    expect(String((result as { error?: Error }).error?.message)).toMatch(/no answer within 600 ms \(timeout\)/);
  });
});
