// Detail on demand, at run time: an OpAMP server turns express's middleware and handler spans on
// for a running service (remote key `instrumentation_detail`) and off again, without a restart.
// Each step waits for the SERVER span of a request made after the config was APPLIED (the
// positive marker) and then looks at what else that request's trace holds.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { OtlpReceiver, type ReceivedSpan } from '../../scripts/otlp-receiver';
import { get, start, type Running } from '../helpers/processes';
import { SpecOpampServer, RemoteConfigStatuses } from '../helpers/opamp-server';

const APPLIED = RemoteConfigStatuses.RemoteConfigStatuses_APPLIED;
const SERVICE = 'opamp-detail';
let receiver: OtlpReceiver;
let opamp: SpecOpampServer;
let tmp: string;
let app: Running | undefined;

beforeAll(async () => {
  receiver = await new OtlpReceiver('grpc').start();
  opamp = await new SpecOpampServer().start();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'otel-preload-detail-'));
});
afterAll(async () => {
  if (app) {
    app.child.kill('SIGKILL');
    await app.exited;
  }
  await opamp.stop();
  await receiver.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

it('instrumentation_detail switches express spans on and off in a running process', async () => {
  app = start(['cjs-app/app.js'], {
    env: {
      NODE_OPTIONS: '--require otel-preload/register',
      OTEL_SERVICE_NAME: SERVICE,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_BSP_SCHEDULE_DELAY: '100',
      OTEL_NODE_OPAMP_ENDPOINT: opamp.endpoint,
      OTEL_NODE_OPAMP_HEARTBEAT_INTERVAL: '1000',
      OTEL_NODE_OPAMP_CACHE_FILE: path.join(tmp, 'cache.json'),
    },
  });
  const [, port] = await app.waitForLine(/listening (\d+)/, 30_000);
  const mine = () => receiver.spans.filter((s) => s.resource['service.name'] === SERVICE);

  /** Requests /users/<id>; returns the spans of its trace once its SERVER span has arrived. */
  const trace = async (id: number): Promise<ReceivedSpan[]> => {
    expect((await get(`http://127.0.0.1:${port}/users/${id}`)).status).toBe(200);
    const isServer = (s: ReceivedSpan) => s.kind === 'SPAN_KIND_SERVER' && s.attributes['url.path'] === `/users/${id}`;
    await receiver.waitFor(() => mine().some(isServer), 10_000, `SERVER span of /users/${id}`);
    const server = mine().find(isServer)!;
    expect(server.attributes['http.route']).toBe('/users/:id');
    return mine().filter((s) => s.traceId === server.traceId);
  };
  const expressSpans = (spans: ReceivedSpan[]) => spans.filter((s) => s.scope === '@opentelemetry/instrumentation-express').map((s) => s.name);
  const push = async (entries: Record<string, unknown>) => {
    const hash = opamp.setConfig(entries);
    await opamp.waitFor(() => opamp.received.some((r) => r.a2s.remoteConfigStatus?.status === APPLIED && Buffer.from(r.a2s.remoteConfigStatus.lastRemoteConfigHash).equals(Buffer.from(hash))), 10_000, 'APPLIED');
  };

  expect(expressSpans(await trace(1))).toEqual([]);
  await push({ 'otel-preload': { instrumentation_detail: ['express'] } });
  expect(expressSpans(await trace(2))).toEqual(expect.arrayContaining([expect.stringMatching(/^request handler/)]));
  await push({ 'otel-preload': { instrumentation_detail: [] } });
  expect(expressSpans(await trace(3))).toEqual([]);
}, 60_000);
