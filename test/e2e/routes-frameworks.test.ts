// Boundary spans for Koa, Fastify, Connect, Hapi and router: by default the SERVER span carries
// the route the framework matched (under a prefix or mount), the outgoing call's CLIENT span is
// the SERVER span's child, and the framework adds no span of its own; with
// OTEL_NODE_INSTRUMENTATION_DETAIL naming the framework its spans come back, between the two.

import * as path from 'path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OtlpReceiver, type ReceivedSpan } from '../../scripts/otlp-receiver';
import { get, REPO, start } from '../helpers/processes';
import { DEADLINE_MS } from '../helpers/wait';

const FRAMEWORKS = [
  { framework: 'koa', instrumentation: 'koa', scope: '@opentelemetry/instrumentation-koa', route: '/api/items/:id' },
  { framework: 'fastify', instrumentation: 'fastify', scope: '@fastify/otel', route: '/api/items/:id' },
  { framework: 'connect', instrumentation: 'connect', scope: '@opentelemetry/instrumentation-connect', route: '/api/items' },
  { framework: 'hapi', instrumentation: 'hapi', scope: '@opentelemetry/instrumentation-hapi', route: '/api/items/{id}' },
  { framework: 'router', instrumentation: 'router', scope: '@opentelemetry/instrumentation-router', route: '/api/items/:id' },
];

let receiver: OtlpReceiver;
beforeAll(async () => {
  receiver = await new OtlpReceiver('grpc').start();
});
afterAll(() => receiver.stop());

async function exercise(framework: string, service: string, detail?: string) {
  const app = start([path.join(REPO, 'fixtures/routes/frameworks.js')], {
    env: { FRAMEWORK: framework, NODE_OPTIONS: `--require ${path.join(REPO, 'register.cjs')}`, OTEL_SERVICE_NAME: service, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_NODE_INSTRUMENTATION_DETAIL: detail },
  });
  const [, port] = await app.waitForLine(/listening (\d+)/, DEADLINE_MS);
  expect((await get(`http://127.0.0.1:${port}/api/items/7`)).status).toBe(200);
  expect((await get(`http://127.0.0.1:${port}/nowhere`)).status).toBe(404);
  await get(`http://127.0.0.1:${port}/shutdown`);
  const finished = await app.exited;
  expect(finished.code, finished.stderr).toBe(0);
  const mine = (s: ReceivedSpan) => s.resource['service.name'] === service;
  // Four SERVER spans: /api/items/7, its /ping, /nowhere, /shutdown.
  await receiver.waitFor((r) => r.spans.filter((s) => mine(s) && s.kind === 'SPAN_KIND_SERVER').length >= 4, DEADLINE_MS, 'spans');
  await receiver.waitFor((r) => r.metrics.some((m) => m.resource['service.name'] === service && m.name === 'http.server.request.duration'), DEADLINE_MS, 'metrics');
  const spans = receiver.spans.filter(mine);
  const server = spans.find((s) => s.kind === 'SPAN_KIND_SERVER' && s.attributes['url.path'] === '/api/items/7')!;
  const notFound = spans.find((s) => s.kind === 'SPAN_KIND_SERVER' && s.attributes['url.path'] === '/nowhere')!;
  const client = spans.find((s) => s.kind === 'SPAN_KIND_CLIENT' && s.traceId === server?.traceId)!;
  const points = receiver.metrics.filter((m) => m.resource['service.name'] === service && m.name === 'http.server.request.duration').flatMap((m) => m.dataPoints);
  return { spans, server, notFound, client, points };
}

describe.each(FRAMEWORKS)('$framework', ({ framework, instrumentation, scope, route }) => {
  it('default: SERVER span with the route, CLIENT span its child, no framework span', async () => {
    const { spans, server, notFound, client, points } = await exercise(framework, `routes-${framework}`);
    expect(server, 'SERVER span').toBeDefined();
    expect(server.attributes['http.route']).toBe(route);
    expect(notFound.attributes['http.route']).toBeUndefined();
    expect(client, 'CLIENT span').toBeDefined();
    expect(client.parentSpanId).toBe(server.spanId);
    expect(points.some((p) => p.attributes['http.route'] === route)).toBe(true);
    expect(spans.filter((s) => s.scope === scope).map((s) => s.name)).toEqual([]);
    // Nothing INTERNAL but the socket connect of the outgoing call.
    expect(spans.filter((s) => s.kind === 'SPAN_KIND_INTERNAL' && s.scope !== '@opentelemetry/instrumentation-net').map((s) => `${s.scope}: ${s.name}`)).toEqual([]);
  });

  it(`OTEL_NODE_INSTRUMENTATION_DETAIL=${instrumentation}: the framework's spans come back`, async () => {
    const { spans, server, client } = await exercise(framework, `routes-${framework}-detail`, instrumentation);
    expect(server.attributes['http.route']).toBe(route);
    const own = spans.filter((s) => s.scope === scope && s.traceId === server.traceId);
    expect(own.length).toBeGreaterThan(0);
    // Each framework span and the CLIENT span descend from the SERVER span.
    const descends = (s: ReceivedSpan | undefined): boolean => s !== undefined && (s.parentSpanId === server.spanId || descends(spans.find((p) => p.spanId === s.parentSpanId)));
    for (const s of [...own, client]) expect(descends(s), `${s.name} under the SERVER span`).toBe(true);
  });
});
