// Detail on demand, at run time: an OpAMP server turns express's middleware and handler spans on
// for a running service (remote key `instrumentation_detail`) and off again, without a restart.
// Each step waits for the SERVER span of a request made after the config was APPLIED (the
// positive marker) and then looks at what else that request's trace holds.

import { expect, it } from 'vitest';
import type { ReceivedSpan } from '../../scripts/otlp-receiver';
import { get } from '../helpers/processes';
import { RemoteConfigStatuses } from '../helpers/opamp-server';
import { opampSetup } from '../helpers/opamp-setup';
import { DEADLINE_MS } from '../helpers/wait';

const APPLIED = RemoteConfigStatuses.RemoteConfigStatuses_APPLIED;
const SERVICE = 'opamp-detail';
const { receiver, startApp, newServer } = opampSetup('otel-preload-detail-');

it('instrumentation_detail switches express spans on and off in a running process', async () => {
  const opamp = await newServer();
  const app = startApp(SERVICE, opamp.endpoint);
  const [, port] = await app.waitForLine(/listening (\d+)/, DEADLINE_MS);
  const mine = () => receiver.spans.filter((s) => s.resource['service.name'] === SERVICE);

  /** Requests /users/<id>; returns the spans of its trace once its SERVER span has arrived. */
  const trace = async (id: number): Promise<ReceivedSpan[]> => {
    expect((await get(`http://127.0.0.1:${port}/users/${id}`)).status).toBe(200);
    const isServer = (s: ReceivedSpan) => s.kind === 'SPAN_KIND_SERVER' && s.attributes['url.path'] === `/users/${id}`;
    await receiver.waitFor(() => mine().some(isServer), DEADLINE_MS, `SERVER span of /users/${id}`);
    const server = mine().find(isServer)!;
    expect(server.attributes['http.route']).toBe('/users/:id');
    return mine().filter((s) => s.traceId === server.traceId);
  };
  const expressSpans = (spans: ReceivedSpan[]) => spans.filter((s) => s.scope === '@opentelemetry/instrumentation-express').map((s) => s.name);
  const push = async (entries: Record<string, unknown>) => {
    const hash = opamp.setConfig(entries);
    await opamp.waitFor(() => opamp.received.some((r) => r.a2s.remoteConfigStatus?.status === APPLIED && Buffer.from(r.a2s.remoteConfigStatus.lastRemoteConfigHash).equals(Buffer.from(hash))), DEADLINE_MS, 'APPLIED');
  };

  expect(expressSpans(await trace(1))).toEqual([]);
  await push({ 'otel-preload': { instrumentation_detail: ['express'] } });
  expect(expressSpans(await trace(2))).toEqual(expect.arrayContaining([expect.stringMatching(/^request handler/)]));
  await push({ 'otel-preload': { instrumentation_detail: [] } });
  expect(expressSpans(await trace(3))).toEqual([]);
});
