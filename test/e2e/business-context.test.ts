// Business context without code: named request/response headers as http.request.header.<name> /
// http.response.header.<name> on SERVER and CLIENT spans, and chosen W3C baggage entries as span
// attributes — set by environment variables, by the configuration file, and remotely over OpAMP.
// Credential headers named locally are left out with one warning naming the variable; their
// values never reach the receiver.

import * as fs from 'fs';
import * as path from 'path';
import { expect, it } from 'vitest';
import type { ReceivedSpan } from '../../scripts/otlp-receiver';
import { get } from '../helpers/processes';
import { RemoteConfigStatuses } from '../helpers/opamp-server';
import { opampSetup } from '../helpers/opamp-setup';
import { DEADLINE_MS } from '../helpers/wait';

const APPLIED = RemoteConfigStatuses.RemoteConfigStatuses_APPLIED;
const { receiver, startApp, newServer, tmp } = opampSetup('otel-preload-context-');

const HEADERS = { 'x-tenant': 'acme', authorization: 'Bearer s3cret', baggage: 'tenant.id=acme,plan=gold' };

/** GET /users/<id> (which calls /downstream over HTTP); the trace's SERVER and CLIENT spans once in. */
async function request(service: string, port: string, id: number): Promise<{ server: ReceivedSpan; client: ReceivedSpan; downstream: ReceivedSpan }> {
  expect((await get(`http://127.0.0.1:${port}/users/${id}`, HEADERS)).status).toBe(200);
  const mine = () => receiver.spans.filter((s) => s.resource['service.name'] === service);
  const isServer = (s: ReceivedSpan) => s.kind === 'SPAN_KIND_SERVER' && s.attributes['url.path'] === `/users/${id}`;
  await receiver.waitFor(() => mine().some(isServer), DEADLINE_MS, `SERVER span of /users/${id}`);
  const server = mine().find(isServer)!;
  const trace = () => mine().filter((s) => s.traceId === server.traceId);
  await receiver.waitFor(() => trace().some((s) => s.kind === 'SPAN_KIND_CLIENT') && trace().some((s) => s.attributes['url.path'] === '/downstream'), DEADLINE_MS, 'CLIENT and downstream spans');
  return { server, client: trace().find((s) => s.kind === 'SPAN_KIND_CLIENT')!, downstream: trace().find((s) => s.attributes['url.path'] === '/downstream')! };
}

function expectContext({ server, client, downstream }: Awaited<ReturnType<typeof request>>): void {
  expect(server.attributes['http.request.header.x-tenant']).toEqual(['acme']);
  expect(server.attributes['http.response.header.content-type']).toEqual([expect.stringMatching(/^application\/json/)]);
  expect(client.attributes['http.response.header.content-type']).toEqual([expect.stringMatching(/^application\/json/)]);
  // The baggage entry named, on the request's spans and, propagated, on the callee's; not the other.
  for (const span of [server, client, downstream]) expect(span.attributes['tenant.id'], span.name).toBe('acme');
  expect(server.attributes.plan).toBeUndefined();
  expect(JSON.stringify([server, client, downstream])).not.toContain('s3cret');
}

it('environment: OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_* and OTEL_NODE_BAGGAGE_SPAN_ATTRIBUTES; a credential header refused', async () => {
  const service = 'context-env';
  const app = startApp(service, '', {
    OTEL_NODE_OPAMP_ENDPOINT: undefined,
    OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_REQUEST: 'X-Tenant,Authorization',
    OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_RESPONSE: 'content-type',
    OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_CLIENT_RESPONSE: 'Content-Type',
    OTEL_NODE_BAGGAGE_SPAN_ATTRIBUTES: 'tenant.id',
  });
  const [, port] = await app.waitForLine(/listening (\d+)/, DEADLINE_MS);
  expectContext(await request(service, port, 1));
  expect(app.stderr().trim().split('\n')).toEqual([
    'otel-preload warn: OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_REQUEST names authorization: credential headers are never captured; it is left out.',
  ]);
});

it('configuration file: instrumentation/development http captured headers and distribution baggage_span_attributes', async () => {
  const service = 'context-file';
  const file = path.join(tmp(), 'context.yaml');
  fs.writeFileSync(file, [
    'file_format: "1.0"',
    `resource: { attributes: [{ name: service.name, value: ${service} }] }`,
    'propagator: { composite: [{ tracecontext: {} }, { baggage: {} }] }',
    `tracer_provider: { processors: [{ batch: { schedule_delay: 100, exporter: { otlp_grpc: { endpoint: "${receiver.endpoint}" } } } }] }`,
    'instrumentation/development:',
    '  general:',
    '    http:',
    '      server: { request_captured_headers: [x-tenant], response_captured_headers: [content-type] }',
    '      client: { response_captured_headers: [content-type] }',
    'distribution:',
    '  otel-preload:',
    '    baggage_span_attributes: [tenant.id]',
    '',
  ].join('\n'));
  const app = startApp(service, '', { OTEL_NODE_OPAMP_ENDPOINT: undefined, OTEL_CONFIG_FILE: file });
  const [, port] = await app.waitForLine(/listening (\d+)/, DEADLINE_MS);
  expectContext(await request(service, port, 2));
  expect(app.stderr()).toBe('');
});

it('OpAMP: http_server_request_headers, http_*_response_headers and baggage_span_attributes switched on in a running process', async () => {
  const service = 'context-opamp';
  const opamp = await newServer();
  const app = startApp(service, opamp.endpoint);
  const [, port] = await app.waitForLine(/listening (\d+)/, DEADLINE_MS);
  const before = await request(service, port, 3);
  expect(before.server.attributes['http.request.header.x-tenant']).toBeUndefined();
  expect(before.server.attributes['tenant.id']).toBeUndefined();
  const hash = opamp.setConfig({ 'otel-preload': { http_server_request_headers: ['x-tenant'], http_server_response_headers: ['content-type'], http_client_response_headers: ['content-type'], baggage_span_attributes: ['tenant.id'] } });
  await opamp.waitFor((r) => r.some((m) => m.a2s.remoteConfigStatus?.status === APPLIED && Buffer.from(m.a2s.remoteConfigStatus.lastRemoteConfigHash).equals(Buffer.from(hash))), DEADLINE_MS, 'APPLIED');
  expectContext(await request(service, port, 4));
});
