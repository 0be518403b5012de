// OpAMP against a misbehaving server: every value it sends is bounded, every request settles,
// remote config is prototype-safe and can never turn on capture of credential headers. A real
// fixture app under the preload, a real OTLP receiver, a hand-written OpAMP server that cheats
// (and @elastic/mockopampserver, an independent one). One server per test, so every request
// counted is the app's.

import { randomBytes } from 'crypto';
import { gzipSync } from 'zlib';
import { describe, expect, it } from 'vitest';
import { get, stderrLines as lines, type Running } from '../helpers/processes';
import { RemoteConfigStatuses, attrs, type AgentToServer, type SpecOpampServer } from '../helpers/opamp-server';
import { opampSetup } from '../helpers/opamp-setup';
import { DEADLINE_MS, sleep, waitUntil } from '../helpers/wait';

const APPLIED = RemoteConfigStatuses.RemoteConfigStatuses_APPLIED;
const FAILED = RemoteConfigStatuses.RemoteConfigStatuses_FAILED;

const { receiver, startApp, newServer } = opampSetup('otel-preload-opamp-hostile-');

const statusFor = (server: SpecOpampServer, hash: Uint8Array) => server.received.map((r) => r.a2s.remoteConfigStatus).filter((s) => s && Buffer.from(s.lastRemoteConfigHash).equals(Buffer.from(hash)));
const uidText = (a2s: AgentToServer) => {
  const h = Buffer.from(a2s.instanceUid).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
};

/** SIGTERM, and the time until the process is gone. */
async function termTime(app: Running): Promise<number> {
  const t0 = Date.now();
  app.child.kill('SIGTERM');
  await app.exited;
  return Date.now() - t0;
}

describe('every value the server sends is bounded', () => {
  it.each([
    ['46 days', 46 * 86_400, '3974400'],
    ['2^64-1 seconds', 2n ** 64n - 1n, '18446744073709552000'],
  ])('a heartbeat of %s is clamped to 24 h: no poll storm, one warning, no Node warning', async (_name, seconds, shown) => {
    const server = await newServer();
    server.heartbeatSeconds = seconds;
    const app = startApp('opamp-huge-heartbeat', server.endpoint);
    await server.waitFor((r) => r.length >= 1, DEADLINE_MS, 'the first poll');
    await sleep(3000);
    // Unbounded, the offer became a 1 ms timer: thousands of polls in these 3 s.
    expect(server.received.length).toBeLessThanOrEqual(2);
    expect(app.stderr()).not.toMatch(/TimeoutOverflowWarning|Warning:/);
    expect(lines(app)).toEqual([expect.stringMatching(new RegExp(`heartbeat of ${shown} s, outside 1 s … 24 h; using 86400 s`))]);
  });

  it('OTEL_NODE_OPAMP_HEARTBEAT_INTERVAL below 1 s is clamped to 1 s, not replaced by the 30 s default', async () => {
    const server = await newServer();
    const app = startApp('opamp-tiny-heartbeat', server.endpoint, { OTEL_NODE_OPAMP_HEARTBEAT_INTERVAL: '1' });
    await server.waitFor((r) => r.length >= 1, DEADLINE_MS, 'the first poll');
    await server.waitFor((r) => r.length >= 4, DEADLINE_MS, 'three heartbeats at the 1 s minimum');
    // Three heartbeats of 1000 ms ±10 %; never a 1 ms storm (slack for a loaded machine).
    expect(server.received[3].at - server.received[0].at).toBeGreaterThanOrEqual(2000);
    expect(lines(app)).toEqual([expect.stringMatching(/OTEL_NODE_OPAMP_HEARTBEAT_INTERVAL=1 is outside 1000 … 86400000 ms; using 1000 ms/)]);
  });
});

describe('a server cannot drive a request loop', () => {
  it.each([
    ['ReportFullState in every answer', () => ({ flags: 1n })],
    ['a new instance uid in every answer', () => ({ agentIdentification: { newInstanceUid: new Uint8Array(randomBytes(16)) } })],
  ])('%s: at most one request a second', async (_name, extra) => {
    const server = await newServer();
    server.extras.push(extra);
    const app = startApp('opamp-loop', server.endpoint, { OTEL_NODE_OPAMP_HEARTBEAT_INTERVAL: '60000' });
    await server.waitFor((r) => r.length >= 1, DEADLINE_MS, 'the first poll');
    // Each answer asks for a full report; they come, but spaced by the 1 s minimum.
    await server.waitFor((r) => r.length >= 4, DEADLINE_MS, 'three full reports');
    // Three intervals of at least 1 s each, less what a loaded machine adds to single sends.
    expect(server.received[3].at - server.received[0].at).toBeGreaterThanOrEqual(2000);
    expect(server.received.slice(1, 4).every((r) => r.a2s.agentDescription !== undefined)).toBe(true);
    expect(lines(app)).toEqual([]);
  });
});

describe('every request settles', () => {
  it('a gzip answer cut off mid-body: one warning, backoff, the next poll; exit does not wait', async () => {
    const server = await newServer();
    server.rawFaults.push((received, res) => {
      if (server.received.length > 1) return false;
      const gz = gzipSync(server.encodedAnswer(received));
      res.writeHead(200, { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'gzip', 'Content-Length': String(gz.length) });
      res.write(gz.subarray(0, Math.floor(gz.length / 2)), () => res.socket?.destroy());
      return true;
    });
    const app = startApp('opamp-cut-gzip', server.endpoint, { OTEL_NODE_SHUTDOWN_TIMEOUT: '5000' });
    const [, port] = await app.waitForLine(/listening (\d+)/, DEADLINE_MS);
    await waitUntil(() => app.stderr().includes('OpAMP poll failed'), DEADLINE_MS, 'the failed-poll warning');
    expect(lines(app)).toEqual([expect.stringMatching(/OpAMP poll failed \(the response broke off \(.*\)\); retrying in \d+ s/)]);
    expect((await get(`http://127.0.0.1:${port}/users/1`)).status).toBe(200);
    // Backoff is 30 s ± 20 %: the next poll comes, and it carries the full state again.
    await server.waitFor((r) => r.length >= 2, DEADLINE_MS, 'the poll after the backoff');
    const [first, second] = server.received;
    expect(second.at - first.at).toBeGreaterThanOrEqual(23_000);
    expect(second.a2s.agentDescription).toBeDefined();
    expect(await termTime(app)).toBeLessThan(3000);
  });

  it('an answer that stalls mid-body is aborted at shutdown: exit does not wait on it', async () => {
    const server = await newServer();
    server.rawFaults.push((received, res) => {
      if (received.a2s.agentDisconnect) return false;
      const body = server.encodedAnswer(received);
      res.writeHead(200, { 'Content-Type': 'application/x-protobuf', 'Content-Length': String(body.length + 100) });
      res.write(body);
      return true; // and never ends
    });
    const app = startApp('opamp-stall', server.endpoint, { OTEL_NODE_SHUTDOWN_TIMEOUT: '5000' });
    await app.waitForLine(/listening (\d+)/, DEADLINE_MS);
    await server.waitFor((r) => r.length >= 1, DEADLINE_MS, 'the first poll');
    await sleep(200);
    // Without the abort, exit waited for the dead request until the shutdown bound (5 s here).
    expect(await termTime(app)).toBeLessThan(3000);
    expect(server.received.some((r) => r.a2s.agentDisconnect)).toBe(true);
    expect(lines(app)).toEqual([]);
  });

  it('an answer dripped a byte every 2 s (never idle, never done) ends at the 10 s deadline: one warning', async () => {
    const server = await newServer();
    server.rawFaults.push((received, res) => {
      if (received.a2s.agentDisconnect) return false;
      const body = server.encodedAnswer(received);
      res.writeHead(200, { 'Content-Type': 'application/x-protobuf', 'Content-Length': String(body.length + 1000) });
      const drip = setInterval(() => res.write(Buffer.from([0])), 2000);
      res.on('close', () => clearInterval(drip));
      return true;
    });
    const app = startApp('opamp-drip', server.endpoint);
    const [, port] = await app.waitForLine(/listening (\d+)/, DEADLINE_MS);
    await server.waitFor((r) => r.length >= 1, DEADLINE_MS, 'the first poll');
    // An idle timeout alone never fires here: the deadline covers the whole exchange.
    await waitUntil(() => app.stderr().includes('OpAMP poll failed'), DEADLINE_MS, 'the deadline warning');
    expect(lines(app)).toEqual([expect.stringMatching(/OpAMP poll failed \(no complete answer within 10000 ms\); retrying in \d+ s/)]);
    expect((await get(`http://127.0.0.1:${port}/users/1`)).status).toBe(200);
  });

  const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024));
  it.each([
    ['corrupt gzip', 'gzip', (b: Buffer) => Buffer.concat([gzipSync(b).subarray(0, 10), Buffer.alloc(40, 0xff)]), /corrupt gzip response/],
    ['a gzip bomb (64 MiB inflated)', 'gzip', () => bomb, /larger than 4194304 bytes/],
    ['a truncated protobuf', 'identity', (b: Buffer) => Buffer.concat([b, Buffer.from([0x1a, 0x7f, 0x01])]), /malformed ServerToAgent/],
  ])('%s: one warning, the app serves on', async (_name, encoding, body, why) => {
    const server = await newServer();
    server.rawFaults.push((received, res) => {
      const payload = body(server.encodedAnswer(received));
      res.writeHead(200, { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': encoding, 'Content-Length': String(payload.length) }).end(payload);
      return true;
    });
    const app = startApp('opamp-corrupt', server.endpoint, { OTEL_NODE_SHUTDOWN_TIMEOUT: '5000' });
    const [, port] = await app.waitForLine(/listening (\d+)/, DEADLINE_MS);
    await waitUntil(() => app.stderr().includes('OpAMP poll failed'), DEADLINE_MS, 'the failed-poll warning');
    expect(lines(app)).toEqual([expect.stringMatching(why)]);
    expect((await get(`http://127.0.0.1:${port}/users/1`)).status).toBe(200);
    expect(await termTime(app)).toBeLessThan(3000);
  });
});

describe('remote config cannot reach prototypes or credentials', () => {
  it('keys named after Object.prototype members fail the config, naming the key', async () => {
    const server = await newServer();
    const app = startApp('opamp-proto-keys', server.endpoint);
    await app.waitForLine(/listening (\d+)/, DEADLINE_MS);
    for (const body of ['{"__proto__": {"log_level": "debug"}}', '{"constructor": "x"}', '{"prototype": 1}', '{"toString": "debug"}', '{"hasOwnProperty": true}']) {
      const key = Object.keys(JSON.parse(body)).length ? body.slice(2, body.indexOf('"', 2)) : '';
      const hash = server.setConfig({ 'otel-preload': body });
      await waitUntil(() => statusFor(server, hash).some((s) => s!.status === FAILED), DEADLINE_MS, `FAILED for ${key}`);
      expect(statusFor(server, hash).find((s) => s!.status === FAILED)!.errorMessage).toContain(`"${key}"`);
    }
    expect(lines(app)).toEqual([]);
  });

  it('credential headers cannot be captured remotely: FAILED naming them, and never exported', async () => {
    const server = await newServer();
    const service = 'opamp-credentials';
    const app = startApp(service, server.endpoint);
    const [, port] = await app.waitForLine(/listening (\d+)/, DEADLINE_MS);
    const refused = [
      [{ http_request_headers: ['authorization', 'cookie', 'x-request-id'] }, ['authorization', 'cookie']],
      [{ http_request_headers: ['Proxy-Authorization', 'x-api-key'] }, ['proxy-authorization', 'x-api-key']],
      [{ http_response_headers: ['set-cookie'] }, ['set-cookie']],
    ] as const;
    for (const [config, named] of refused) {
      const hash = server.setConfig({ 'otel-preload': config });
      await waitUntil(() => statusFor(server, hash).some((s) => s!.status === FAILED), DEADLINE_MS, `FAILED for ${named}`);
      const message = statusFor(server, hash).find((s) => s!.status === FAILED)!.errorMessage;
      for (const name of named) expect(message).toContain(name);
      expect(message).toMatch(/credential headers cannot be captured remotely/);
    }
    const hash = server.setConfig({ 'otel-preload': { http_request_headers: ['x-request-id'] } });
    await waitUntil(() => statusFor(server, hash).some((s) => s!.status === APPLIED), DEADLINE_MS, 'APPLIED');
    await get(`http://127.0.0.1:${port}/users/7`, { authorization: 'Bearer s3cret', cookie: 'sid=s3cret', 'x-request-id': 'req-7' });
    const mine = () => receiver.spans.filter((s) => s.resource['service.name'] === service && s.kind === 'SPAN_KIND_SERVER' && JSON.stringify(s.attributes).includes('req-7'));
    await receiver.waitFor(() => mine().length >= 1);
    expect(JSON.stringify(mine())).not.toContain('s3cret');
  });
});

describe('spec v0.18 for SDK agents', () => {
  it('resource attributes as non-identifying, OpAMP-Instance-UID on every request, capabilities always, a new uid adopted with full state', async () => {
    const server = await newServer();
    const newUid = Buffer.from('0190a4b2c3d47e5f8a9b0c1d2e3f4a5b', 'hex');
    // The server changes its own capabilities on every answer, and on the 3rd answer says the
    // uid is a duplicate (new_instance_uid).
    server.extras.push(() => ({ capabilities: BigInt(server.received.length % 2 ? 0x7 : 0x1) }));
    server.extras.push(() => (server.received.length === 3 ? { agentIdentification: { newInstanceUid: new Uint8Array(newUid) } } : undefined));
    startApp('opamp-v018', server.endpoint, { OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=staging,team=payments,service.namespace=shop' });
    await server.waitFor((r) => r.length >= 6, DEADLINE_MS, 'six heartbeats');
    const first = server.received[0].a2s;
    expect(attrs(first.agentDescription!.identifyingAttributes as never)).toMatchObject({ 'service.name': 'opamp-v018', 'service.namespace': 'shop' });
    const nonIdentifying = attrs(first.agentDescription!.nonIdentifyingAttributes as never);
    expect(nonIdentifying).toMatchObject({ 'deployment.environment.name': 'staging', team: 'payments', 'telemetry.distro.name': 'otel-preload' });
    expect(nonIdentifying['service.namespace']).toBeUndefined();
    for (const r of server.received) {
      expect(r.headers['opamp-instance-uid']).toBe(uidText(r.a2s));
      expect(r.a2s.capabilities).toBe(0x3807n);
    }
    // The new uid from the 4th request on, with everything reported again.
    expect(server.received.slice(0, 3).every((r) => !Buffer.from(r.a2s.instanceUid).equals(newUid))).toBe(true);
    const fourth = server.received[3].a2s;
    expect(Buffer.from(fourth.instanceUid).equals(newUid)).toBe(true);
    expect(fourth.agentDescription).toBeDefined();
    expect(fourth.effectiveConfig).toBeDefined();
    // No ping-pong on the server's changing capabilities: heartbeats stay about 1 s apart.
    expect(server.received[5].at - server.received[3].at).toBeGreaterThanOrEqual(1300);
  });
});

describe('against @elastic/mockopampserver', () => {
  it('prototype keys and credential headers in the EDOT entry and ours are FAILED, naming them', async () => {
    const { MockOpAMPServer } = require('@elastic/mockopampserver');
    const mock = new MockOpAMPServer({ logLevel: 'warn', hostname: '127.0.0.1', port: 0, testMode: true });
    await mock.start();
    try {
      const app = startApp('opamp-mock-hostile', mock.endpoint);
      await app.waitForLine(/listening (\d+)/, DEADLINE_MS);
      const failed = (): Array<{ errorMessage: string }> => mock.testGetRequests().map((r: { a2s?: AgentToServer }) => r.a2s?.remoteConfigStatus).filter((s: { status: number } | undefined) => s?.status === FAILED);
      const body = (o: unknown) => ({ body: Buffer.from(typeof o === 'string' ? o : JSON.stringify(o)), contentType: 'application/json' });
      mock.setAgentConfigMap({ configMap: { elastic: body('{"constructor": "x"}'), 'otel-preload': body({ http_request_headers: ['Authorization'] }) } });
      await waitUntil(() => failed().length >= 1, DEADLINE_MS, 'FAILED');
      expect(failed()[0].errorMessage).toMatch(/"constructor".*refused/);
      expect(failed()[0].errorMessage).toMatch(/authorization: credential headers cannot be captured remotely/);
      expect(mock.testGetRequests().every((r: { req?: { headers: Record<string, string> }; a2s?: AgentToServer }) => !r.a2s || r.req?.headers['opamp-instance-uid'] === uidText(r.a2s))).toBe(true);
    } finally {
      await mock.close();
    }
  });
});
