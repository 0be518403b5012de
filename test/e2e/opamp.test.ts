// Remote configuration over OpAMP, end to end: a fixture app under the preload, a real OTLP
// receiver, and an OpAMP server written from the spec (then @elastic/mockopampserver, an
// independent implementation). Timings are asserted against the heartbeat, not by sleeping.

import * as fs from 'fs';
import * as path from 'path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get } from '../helpers/processes';
import { SpecOpampServer, RemoteConfigStatuses, attrs, effective, type AgentToServer } from '../helpers/opamp-server';
import { HEARTBEAT, opampSetup } from '../helpers/opamp-setup';
import { DEADLINE_MS, waitUntil } from '../helpers/wait';

const APPLIED = RemoteConfigStatuses.RemoteConfigStatuses_APPLIED;
const APPLYING = RemoteConfigStatuses.RemoteConfigStatuses_APPLYING;
const FAILED = RemoteConfigStatuses.RemoteConfigStatuses_FAILED;

const { receiver, tmp, startApp, serverSpans } = opampSetup('otel-preload-opamp-');

let markers = 0;
/**
 * Absence, anchored on a positive marker instead of a sleep: the app makes a manual span (which no
 * disabled instrumentation suppresses) after the requests under test; once it has arrived, the
 * export queue has moved past anything those requests produced, so no new SERVER span means none.
 */
async function expectNoNewServerSpans(base: string, service: string, before: number): Promise<void> {
  const name = `marker ${++markers}`;
  expect((await get(`${base}/mark/${markers}`)).status).toBe(200);
  await receiver.waitFor(() => receiver.spans.some((s) => s.resource['service.name'] === service && s.name === name), DEADLINE_MS, name);
  expect(serverSpans(service).length).toBe(before);
}

const statusOf = (a: AgentToServer) => a.remoteConfigStatus;

describe('OpAMP against a server written from the spec', () => {
  let server: SpecOpampServer;
  beforeAll(async () => {
    server = await new SpecOpampServer().start();
  });
  afterAll(() => server.stop());

  it('identifies itself as the spec requires and takes config pushed at run time within a heartbeat', async () => {
    const service = 'opamp-runtime';
    const app = startApp(service, server.endpoint, { OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20s3cret' });
    const [, port] = await app.waitForLine(/listening (\d+)/);
    const base = `http://127.0.0.1:${port}`;
    const mine = () => server.received.filter((r) => attrs(r.a2s.agentDescription?.identifyingAttributes as never)['service.name'] === service || r.headers['opamp-instance-uid'] === uid);
    let uid = '';
    await server.waitFor(() => server.received.some((r) => attrs(r.a2s.agentDescription?.identifyingAttributes as never)['service.name'] === service));
    const first = server.received.find((r) => attrs(r.a2s.agentDescription?.identifyingAttributes as never)['service.name'] === service)!;
    uid = String(first.headers['opamp-instance-uid']);

    // Spec facts: 16-byte UUIDv7, sequence from 1, capabilities 0x3807, identifying attributes, headers.
    expect(first.a2s.instanceUid).toHaveLength(16);
    expect(first.a2s.instanceUid[6] >> 4).toBe(7);
    expect(first.a2s.sequenceNum).toBe(1n);
    expect(first.a2s.capabilities).toBe(0x3807n);
    expect(first.headers['content-type']).toBe('application/x-protobuf');
    expect(uid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const identifying = attrs(first.a2s.agentDescription!.identifyingAttributes as never);
    expect(identifying['service.instance.id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(attrs(first.a2s.agentDescription!.nonIdentifyingAttributes as never)['telemetry.distro.name']).toBe('otel-preload');
    expect(first.a2s.health?.healthy).toBe(true);
    const eff = effective(first.a2s);
    expect(eff.local.traces.headers).toEqual(['authorization=<redacted>']);
    expect(JSON.stringify(eff)).not.toContain('s3cret');

    // Status compression: the next heartbeat carries no unchanged sub-messages.
    await server.waitFor(() => mine().length >= 2, DEADLINE_MS);
    const second = mine()[1].a2s;
    expect(second.sequenceNum).toBe(2n);
    expect(second.agentDescription).toBeUndefined();
    expect(second.effectiveConfig).toBeUndefined();

    // Spans flow; then instrumentations are disabled remotely: no new SERVER spans.
    await get(`${base}/users/1`);
    await receiver.waitFor(() => serverSpans(service).length >= 1);
    const hash = server.setConfig({ 'otel-preload': { disabled_instrumentations: ['http', 'express'], log_level: 'warn', metric_export_interval: '5s' } });
    const pushedAt = Date.now();
    await server.waitFor(() => mine().some((r) => statusOf(r.a2s)?.status === APPLIED && Buffer.from(statusOf(r.a2s)!.lastRemoteConfigHash).equals(Buffer.from(hash))), DEADLINE_MS, 'APPLIED');
    expect(Date.now() - pushedAt).toBeLessThan(HEARTBEAT * 1.1 + 1500);
    // Applied as it arrives (synchronously): the next request reports APPLIED, never APPLYING.
    const statuses = mine().map((r) => statusOf(r.a2s)?.status).filter((s) => s !== undefined);
    expect(statuses).not.toContain(APPLYING);
    const applied = mine().find((r) => statusOf(r.a2s)?.status === APPLIED)!;
    expect(effective(applied.a2s)).toMatchObject({ disabled_instrumentations: ['http', 'express'], metric_export_interval: 5000 });
    const before = serverSpans(service).length;
    for (let i = 0; i < 3; i++) expect((await get(`${base}/users/2`)).status).toBe(200);
    await expectNoNewServerSpans(base, service, before);

    // The server keeps resending until APPLIED; after that, the same hash is not applied again.
    const appliedCount = () => mine().filter((r) => statusOf(r.a2s) !== undefined).length;
    const count = appliedCount();
    await server.waitFor(() => mine().length >= mine().indexOf(applied) + 3, DEADLINE_MS);
    expect(appliedCount()).toBe(count);

    // A refused key fails the whole config, naming the key; the previous config stays.
    const badHash = server.setConfig({ 'otel-preload': { disabled_instrumentations: [], exporter_endpoint: 'http://collector.evil:4317' } });
    await server.waitFor(() => mine().some((r) => statusOf(r.a2s)?.status === FAILED && Buffer.from(statusOf(r.a2s)!.lastRemoteConfigHash).equals(Buffer.from(badHash))), DEADLINE_MS, 'FAILED');
    const failed = mine().find((r) => statusOf(r.a2s)?.status === FAILED)!;
    expect(statusOf(failed.a2s)!.errorMessage).toMatch(/"exporter_endpoint" is refused/);
    await get(`${base}/users/3`);
    await expectNoNewServerSpans(base, service, before);

    // The key disappears: instrumentations revert to their local (enabled) state.
    const emptyHash = server.setConfig({});
    await server.waitFor(() => mine().some((r) => statusOf(r.a2s)?.status === APPLIED && Buffer.from(statusOf(r.a2s)!.lastRemoteConfigHash).equals(Buffer.from(emptyHash))), DEADLINE_MS);
    await get(`${base}/users/4`);
    await receiver.waitFor(() => serverSpans(service).length > before);

    // Header capture and log level, switched on remotely, take effect at once.
    const headersHash = server.setConfig({ 'otel-preload': { http_request_headers: ['X-Request-Id'], log_level: 'debug' } });
    await server.waitFor(() => mine().some((r) => statusOf(r.a2s)?.status === APPLIED && Buffer.from(statusOf(r.a2s)!.lastRemoteConfigHash).equals(Buffer.from(headersHash))), DEADLINE_MS);
    await get(`${base}/users/5`, { 'x-request-id': 'req-42' });
    await receiver.waitFor(() => serverSpans(service).some((s) => JSON.stringify(s.attributes['http.request.header.x-request-id']) === '["req-42"]'));
    await waitUntil(() => /otel-preload debug: /.test(app.stderr()), DEADLINE_MS);

    // A sequence gap seen by the server → ReportFullState → the next message carries everything.
    server.forceFullState = true;
    const n = mine().length;
    await server.waitFor(() => mine().slice(n).some((r) => r.a2s.agentDescription !== undefined && r.a2s.effectiveConfig !== undefined), DEADLINE_MS, 'full state');
    // OpAMP's own HTTP calls are never traced.
    const opampSpans = receiver.spans.filter((x) => x.resource['service.name'] === service && JSON.stringify(x.attributes).includes('/v1/opamp'));
    expect(opampSpans).toEqual([]);
    await get(`${base}/shutdown`);
  });

  it('a server that accepts and never answers does not keep a short job alive', async () => {
    const net = await import('net');
    const sockets: import('net').Socket[] = [];
    const hang = net.createServer((s) => sockets.push(s));
    await new Promise<void>((r) => hang.listen(0, '127.0.0.1', () => r()));
    try {
      const { run } = await import('../helpers/processes');
      const port = (hang.address() as { port: number }).port;
      const plain = await run(['guards/job.js'], { env: {} });
      const result = await run(['guards/job.js'], { env: { NODE_OPTIONS: '--require otel-preload/register', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_NODE_OPAMP_ENDPOINT: `http://127.0.0.1:${port}/v1/opamp`, OTEL_NODE_OPAMP_CACHE_FILE: path.join(tmp(), 'hang.json') } });
      expect(result.code).toBe(0);
      expect(result.stdout).toBe('job done\n');
      // The flush at exit includes the bounded agent_disconnect (1 s at most), within the 2 s bound;
      // timed from 'job done' to exit, so that a slower start-up on a busy machine is not counted.
      expect(result.exitMs).toBeLessThan(plain.exitMs + 2500);
    } finally {
      sockets.forEach((s) => s.destroy());
      hang.close();
    }
  });

  it('a config from the cache applies at start-up while the server is down; start-up does not wait', async () => {
    const service = 'opamp-cache';
    const app = startApp(service, server.endpoint);
    await app.waitForLine(/listening/);
    const hash = server.setConfig({ 'otel-preload': { disabled_instrumentations: ['http', 'express'] } });
    await server.waitFor(() => server.received.some((r) => statusOf(r.a2s)?.status === APPLIED && Buffer.from(statusOf(r.a2s)!.lastRemoteConfigHash).equals(Buffer.from(hash))));
    app.child.kill('SIGTERM');
    await app.exited;
    server.setConfig({});
    expect(JSON.parse(fs.readFileSync(path.join(tmp(), `${service}.json`), 'utf8')).hash).toBe(Buffer.from(hash).toString('hex'));

    // The server is unreachable now (nothing listens on the discard port).
    const t0 = Date.now();
    const offline = startApp(service, 'http://127.0.0.1:9/v1/opamp');
    const [, port] = await offline.waitForLine(/listening (\d+)/);
    expect(Date.now() - t0).toBeLessThan(3000);
    const before = serverSpans(service).length;
    await get(`http://127.0.0.1:${port}/users/1`);
    await expectNoNewServerSpans(`http://127.0.0.1:${port}`, service, before);
    // The server is down: one line says so (after the jittered first poll), and that the cached config is in effect.
    await waitUntil(() => offline.stderr().includes('OpAMP poll failed'), DEADLINE_MS);
    expect(offline.stderr().trim().split('\n')).toEqual([expect.stringMatching(/OpAMP poll failed .*Local and cached configuration stay in effect/)]);

    // A corrupt cache is ignored with one warning; local config applies (spans flow).
    fs.writeFileSync(path.join(tmp(), `${service}.json`), '{ not json');
    const corrupt = startApp(service, 'http://127.0.0.1:9/v1/opamp');
    const [, port2] = await corrupt.waitForLine(/listening (\d+)/);
    await get(`http://127.0.0.1:${port2}/users/1`);
    await receiver.waitFor(() => serverSpans(service).length > before);
    expect(corrupt.stderr()).toMatch(/OTEL_NODE_OPAMP_CACHE_FILE .* is not a valid cache/);
    expect(corrupt.stderr().trim().split('\n').length).toBeLessThanOrEqual(2);
  });

  it('a read-only cache file baked into the image works as a fleet default', async () => {
    const service = 'opamp-readonly';
    const file = path.join(tmp(), 'fleet-default.json');
    fs.writeFileSync(file, JSON.stringify({ hash: 'ab'.repeat(16), configMap: { 'otel-preload': { contentType: 'application/json', body: Buffer.from(JSON.stringify({ traces_enabled: false })).toString('base64') } } }));
    fs.chmodSync(file, 0o444);
    const app = startApp(service, 'http://127.0.0.1:9/v1/opamp', { OTEL_NODE_OPAMP_CACHE_FILE: file });
    const [, port] = await app.waitForLine(/listening (\d+)/);
    await get(`http://127.0.0.1:${port}/users/1`);
    // Traces are off, so no span can serve as the marker: the request's own log record can. It is
    // emitted before the SERVER span ends, but the log batch waits 1 s (OTEL_BLRP_SCHEDULE_DELAY's
    // default) against the span batch's 100 ms, so a span, had one been exported, would be here first.
    await receiver.waitFor(() => receiver.logs.some((l) => l.resource['service.name'] === service && JSON.stringify(l.body).includes('served user 1')), DEADLINE_MS, 'the log record');
    expect(serverSpans(service)).toEqual([]);
  });
});

describe('OpAMP against @elastic/mockopampserver', () => {
  it('the EDOT "elastic" entry: deactivate_all_instrumentations applies; sampling_rate is refused', async () => {
    const { MockOpAMPServer } = require('@elastic/mockopampserver');
    const mock = new MockOpAMPServer({ logLevel: 'warn', hostname: '127.0.0.1', port: 0, testMode: true });
    await mock.start();
    try {
      const service = 'opamp-edot';
      const app = startApp(service, mock.endpoint);
      const [, port] = await app.waitForLine(/listening (\d+)/);
      await get(`http://127.0.0.1:${port}/users/1`);
      await receiver.waitFor(() => serverSpans(service).length >= 1);
      const statuses = () => mock.testGetRequests().map((r: { a2s?: AgentToServer }) => r.a2s?.remoteConfigStatus).filter(Boolean);

      mock.setAgentConfigMap({ configMap: { elastic: { body: Buffer.from(JSON.stringify({ deactivate_all_instrumentations: 'true', logging_level: 'warn' })), contentType: 'application/json' } } });
      await waitUntil(() => statuses().some((s: { status: number }) => s.status === APPLIED));
      const before = serverSpans(service).length;
      await get(`http://127.0.0.1:${port}/users/2`);
      await expectNoNewServerSpans(`http://127.0.0.1:${port}`, service, before);

      mock.setAgentConfigMap({ configMap: { elastic: { body: Buffer.from(JSON.stringify({ sampling_rate: '0.1' })), contentType: 'application/json' } } });
      await waitUntil(() => statuses().some((s: { status: number }) => s.status === FAILED));
      const failed = statuses().find((s: { status: number }) => s.status === FAILED);
      expect(failed.errorMessage).toMatch(/sampling_rate.*refused.*sampling is done centrally/);
    } finally {
      await mock.close();
    }
  });
});
