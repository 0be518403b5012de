// OpAMP's HTTP exchange, end to end: a server that asks to be left alone (429 Retry-After,
// UNAVAILABLE with retry_info) is left alone that long; one that answers nonsense costs a single
// warning and a backoff while the app serves on; TLS with a private CA and mTLS.

import { create, toBinary } from '@bufbuild/protobuf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCertificates, type Certificates } from '../helpers/certs';
import { SpecOpampServer, attrs, pb } from '../helpers/opamp-server';
import { HEARTBEAT, opampSetup } from '../helpers/opamp-setup';
import { get } from '../helpers/processes';
import { DEADLINE_MS, waitUntil } from '../helpers/wait';

const { receiver, startApp, serverSpans } = opampSetup('otel-preload-opamp-transport-');

describe('OpAMP server faults', () => {
  it.each([
    ['429 with Retry-After: 2', (server: SpecOpampServer) => server.faults.push(() => ({ status: 429, headers: { 'Retry-After': '2' }, body: Buffer.from('slow down') })), 1800],
    ['UNAVAILABLE with retry_info of 2 s', (server: SpecOpampServer) => {
      const body = Buffer.from(toBinary(pb.ServerToAgentSchema, create(pb.ServerToAgentSchema, { errorResponse: { type: pb.ServerErrorResponseType.ServerErrorResponseType_Unavailable, errorMessage: 'busy', Details: { case: 'retryInfo', value: { retryAfterNanoseconds: 2_000_000_000n } } } })));
      server.faults.push(() => ({ status: 200, headers: { 'Content-Type': 'application/x-protobuf' }, body }));
    }, 1800],
  ] as const)('%s: the next request waits at least that long', async (_name, inject, minGapMs) => {
    const server = await new SpecOpampServer().start();
    try {
      inject(server);
      const app = startApp(`opamp-${minGapMs}-${_name.slice(0, 3)}`, server.endpoint);
      await app.waitForLine(/listening/);
      await server.waitFor((r) => r.length >= 2, DEADLINE_MS, 'a retry');
      expect(server.received[1].at - server.received[0].at).toBeGreaterThanOrEqual(minGapMs);
      expect(app.child.exitCode).toBeNull();
    } finally {
      await server.stop();
    }
  });

  it.each([
    ['garbage body', { status: 200, headers: { 'Content-Type': 'application/x-protobuf' }, body: Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x12, 0x99]) }],
    ['wrong content type', { status: 200, headers: { 'Content-Type': 'text/html' }, body: Buffer.from('<html>proxy login</html>') }],
    ['oversized body', { status: 200, headers: { 'Content-Type': 'application/x-protobuf' }, body: Buffer.alloc(5 * 1024 * 1024, 0x0a) }],
  ] as const)('%s: a failed poll, one warning, the app serves on and backs off', async (name, answer) => {
    const server = await new SpecOpampServer().start();
    try {
      server.faults.push(() => answer);
      const service = `opamp-fault-${name.replace(/\W/g, '-')}`;
      const app = startApp(service, server.endpoint);
      const [, port] = await app.waitForLine(/listening (\d+)/);
      await server.waitFor((r) => r.length >= 1);
      expect((await get(`http://127.0.0.1:${port}/users/1`)).status).toBe(200);
      await receiver.waitFor(() => serverSpans(service).length >= 1);
      await new Promise((r) => setTimeout(r, HEARTBEAT * 2));
      // Backing off (≥ 30 s): no second request within two heartbeats.
      expect(server.received).toHaveLength(1);
      expect(app.stderr().trim().split('\n')).toEqual([expect.stringMatching(/OpAMP poll failed .*retrying in \d+ s\. Local and cached configuration stay in effect\./)]);
    } finally {
      await server.stop();
    }
  });
});

describe('OpAMP over TLS', () => {
  let certs: Certificates;
  beforeAll(() => {
    certs = makeCertificates();
  });
  afterAll(() => certs.remove());
  const read = (f: string) => certs.read(f);

  it('with a private CA, and with a client certificate the server requires (mTLS)', async () => {
    const server = await new SpecOpampServer({ key: read('server.key'), cert: read('server.pem'), ca: read('ca.pem'), requestCert: true, rejectUnauthorized: true }).start();
    try {
      const withoutClientCert = startApp('opamp-tls-no-client-cert', server.endpoint, { OTEL_NODE_OPAMP_CERTIFICATE: certs.file('ca.pem') });
      await withoutClientCert.waitForLine(/listening/);
      const app = startApp('opamp-mtls', server.endpoint, {
        OTEL_NODE_OPAMP_CERTIFICATE: certs.file('ca.pem'),
        OTEL_NODE_OPAMP_CLIENT_CERTIFICATE: certs.file('client.pem'),
        OTEL_NODE_OPAMP_CLIENT_KEY: certs.file('client.key'),
      });
      await app.waitForLine(/listening/);
      await server.waitFor((r) => r.some((x) => attrs(x.a2s.agentDescription?.identifyingAttributes as never)['service.name'] === 'opamp-mtls'));
      expect(server.received.every((x) => attrs(x.a2s.agentDescription?.identifyingAttributes as never)['service.name'] !== 'opamp-tls-no-client-cert')).toBe(true);
      // The client without a certificate was refused in the handshake, and says so in one line.
      await waitUntil(() => withoutClientCert.stderr().includes('OpAMP poll failed'), DEADLINE_MS);
      // (OpenSSL's message carries a newline of its own, so the warning spans two lines today.)
      expect(withoutClientCert.stderr()).toMatch(/^otel-preload warn: OpAMP poll failed \(.*alert certificate required[^]*; retrying in \d+ s\. Local and cached configuration stay in effect\.\n$/);
    } finally {
      await server.stop();
    }
  });
});
