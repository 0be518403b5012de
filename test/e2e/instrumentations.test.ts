// The catalogue end to end against the real services on this machine: each library, loaded by
// require() and by import, produces its spans as children of the HTTP SERVER span that caused
// them, with the key attributes of its semantic conventions.

import * as http from 'http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OtlpReceiver, type ReceivedSpan } from '../../scripts/otlp-receiver';
import { get, run, start, type Running } from '../helpers/processes';
import { missingServices } from '../helpers/services';
import { DEADLINE_MS } from '../helpers/wait';

const missing = await missingServices(['postgresql', 'mariadb', 'redis', 'rabbitmq']);
const needs = (...services: string[]) => services.some((s) => (missing as string[]).includes(s));

let receiver: OtlpReceiver;
let openai: http.Server;
let openaiUrl: string;

beforeAll(async () => {
  receiver = await new OtlpReceiver('grpc').start();
  // A local OpenAI-compatible server: one chat completion with token usage.
  openai = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({
        id: 'chatcmpl-1', object: 'chat.completion', created: 1, model: 'gpt-fixture-2026',
        choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: 'Hello!' } }],
        usage: { prompt_tokens: 11, completion_tokens: 3, total_tokens: 14 },
      }));
    });
  });
  await new Promise<void>((r) => openai.listen(0, '127.0.0.1', () => r()));
  openaiUrl = `http://127.0.0.1:${(openai.address() as { port: number }).port}/v1`;
});
afterAll(async () => {
  await receiver.stop();
  openai.close();
});

function attr(s: ReceivedSpan, ...keys: string[]): unknown {
  for (const k of keys) if (s.attributes[k] !== undefined) return s.attributes[k];
  return undefined;
}

/** True when `span` descends from `ancestor` within the spans received. */
function descendsFrom(span: ReceivedSpan, ancestor: ReceivedSpan, spans: ReceivedSpan[]): boolean {
  let parent = span.parentSpanId;
  for (let i = 0; parent && i < 20; i++) {
    if (parent === ancestor.spanId) return true;
    parent = spans.find((s) => s.spanId === parent)?.parentSpanId;
  }
  return false;
}

interface Scenario {
  route: string;
  services: string[];
  expectSpan: (spans: ReceivedSpan[], server: ReceivedSpan) => void;
}

const SCENARIOS: Scenario[] = [
  {
    route: '/pg',
    services: ['postgresql'],
    expectSpan: (spans, server) => {
      const s = spans.find((x) => x.scope === '@opentelemetry/instrumentation-pg' && x.kind === 'SPAN_KIND_CLIENT' && String(attr(x, 'db.query.text', 'db.statement')).startsWith('SELECT'))!;
      expect(s, 'pg CLIENT span').toBeDefined();
      expect(attr(s, 'db.system.name', 'db.system')).toBe('postgresql');
      expect(attr(s, 'db.query.text', 'db.statement')).toBe('SELECT $1::int AS n');
      expect(descendsFrom(s, server, spans)).toBe(true);
    },
  },
  {
    route: '/mysql2',
    services: ['mariadb'],
    expectSpan: (spans, server) => {
      const s = spans.find((x) => x.scope === '@opentelemetry/instrumentation-mysql2')!;
      expect(s, 'mysql2 span').toBeDefined();
      expect(s.kind).toBe('SPAN_KIND_CLIENT');
      expect(attr(s, 'db.system.name', 'db.system')).toMatch(/mysql|mariadb/);
      expect(attr(s, 'db.query.text', 'db.statement')).toBe('SELECT 1 + 1 AS n');
      expect(descendsFrom(s, server, spans)).toBe(true);
    },
  },
  {
    route: '/ioredis',
    services: ['redis'],
    expectSpan: (spans, server) => {
      const set = spans.find((x) => x.scope === '@opentelemetry/instrumentation-ioredis' && x.name === 'set')!;
      expect(set, 'ioredis set span').toBeDefined();
      expect(set.kind).toBe('SPAN_KIND_CLIENT');
      expect(attr(set, 'db.system.name', 'db.system')).toBe('redis');
      expect(descendsFrom(set, server, spans)).toBe(true);
    },
  },
  {
    route: '/redis',
    services: ['redis'],
    expectSpan: (spans, server) => {
      const set = spans.find((x) => x.scope === '@opentelemetry/instrumentation-redis' && /SET/i.test(x.name))!;
      expect(set, 'redis SET span').toBeDefined();
      expect(set.kind).toBe('SPAN_KIND_CLIENT');
      expect(attr(set, 'db.system.name', 'db.system')).toBe('redis');
      expect(descendsFrom(set, server, spans)).toBe(true);
    },
  },
  {
    route: '/amqplib',
    services: ['rabbitmq'],
    expectSpan: (spans, server) => {
      const publish = spans.find((x) => x.scope === '@opentelemetry/instrumentation-amqplib' && x.kind === 'SPAN_KIND_PRODUCER')!;
      expect(publish, 'amqplib PRODUCER span').toBeDefined();
      expect(attr(publish, 'messaging.system')).toBe('rabbitmq');
      expect(JSON.stringify(publish.attributes)).toContain('otel-preload-fixture');
      expect(descendsFrom(publish, server, spans)).toBe(true);
      const consume = spans.find((x) => x.scope === '@opentelemetry/instrumentation-amqplib' && x.kind === 'SPAN_KIND_CONSUMER');
      expect(consume, 'amqplib CONSUMER span').toBeDefined();
      expect(consume!.traceId).toBe(publish.traceId);
    },
  },
  {
    route: '/grpc',
    services: [],
    expectSpan: (spans, server) => {
      const client = spans.find((x) => x.scope === '@opentelemetry/instrumentation-grpc' && x.kind === 'SPAN_KIND_CLIENT')!;
      expect(client, 'gRPC CLIENT span').toBeDefined();
      expect(attr(client, 'rpc.system')).toBe('grpc');
      expect(attr(client, 'rpc.service')).toBe('fixture.Greeter');
      expect(attr(client, 'rpc.method')).toBe('SayHello');
      expect(descendsFrom(client, server, spans)).toBe(true);
      const grpcServer = spans.find((x) => x.scope === '@opentelemetry/instrumentation-grpc' && x.kind === 'SPAN_KIND_SERVER');
      expect(grpcServer?.parentSpanId, 'gRPC SERVER span, child of the CLIENT span').toBe(client.spanId);
    },
  },
  {
    route: '/graphql',
    services: [],
    expectSpan: (spans, server) => {
      const exec = spans.find((x) => x.scope === '@opentelemetry/instrumentation-graphql' && /execute|query/i.test(x.name))!;
      expect(exec, 'graphql execute span').toBeDefined();
      expect(attr(exec, 'graphql.operation.type')).toBe('query');
      expect(attr(exec, 'graphql.operation.name')).toBe('Greet');
      expect(descendsFrom(exec, server, spans)).toBe(true);
    },
  },
  {
    route: '/openai',
    services: [],
    expectSpan: (spans, server) => {
      const chat = spans.find((x) => x.scope === '@opentelemetry/instrumentation-openai')!;
      expect(chat, 'openai span').toBeDefined();
      expect(chat.kind).toBe('SPAN_KIND_CLIENT');
      expect(attr(chat, 'gen_ai.request.model')).toBe('gpt-fixture');
      expect(attr(chat, 'gen_ai.response.model')).toBe('gpt-fixture-2026');
      expect(Number(attr(chat, 'gen_ai.usage.input_tokens'))).toBe(11);
      expect(Number(attr(chat, 'gen_ai.usage.output_tokens'))).toBe(3);
      expect(descendsFrom(chat, server, spans)).toBe(true);
    },
  },
];

describe.each([
  ['CommonJS', 'services/app.js', '--require otel-preload/register'],
  ['ES module', 'services/app.mjs', '--import otel-preload/register'],
])('%s app', (kind, script, flag) => {
  const service = `services-${kind === 'CommonJS' ? 'cjs' : 'esm'}`;
  let app: Running;
  let base: string;

  beforeAll(async () => {
    app = start([script], { env: { NODE_OPTIONS: flag, OTEL_SERVICE_NAME: service, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OPENAI_BASE_URL: openaiUrl, OTEL_BSP_SCHEDULE_DELAY: '200', OTEL_BLRP_SCHEDULE_DELAY: '200', OTEL_METRIC_EXPORT_INTERVAL: '1000' } });
    const [, port] = await app.waitForLine(/listening (\d+)/, DEADLINE_MS);
    base = `http://127.0.0.1:${port}`;
  });

  afterAll(async () => {
    await get(`${base}/shutdown`).catch(() => undefined);
    const finished = await app.exited;
    expect(finished.code).toBe(0);
  });

  const mine = () => receiver.spans.filter((s) => s.resource['service.name'] === service);

  for (const scenario of SCENARIOS) {
    // A missing service skips its scenario with the reason printed (missingServices() already
    // failed the run under CI=true); nothing else is ever skipped.
    const absent = scenario.services.filter((s) => needs(s));
    if (absent.length > 0) console.warn(`skipping ${kind} ${scenario.route}: needs ${absent.join(', ')}, not reachable`);
    it.skipIf(absent.length > 0)(scenario.route, async () => {
      const res = await get(`${base}${scenario.route}`);
      expect(res.status, res.body).toBe(200);
      await receiver.waitFor(() => mine().some((s) => s.kind === 'SPAN_KIND_SERVER' && s.attributes['http.route'] === scenario.route));
      const server = mine().find((s) => s.kind === 'SPAN_KIND_SERVER' && s.attributes['http.route'] === scenario.route)!;
      await receiver.waitFor(() => {
        const trace = mine().filter((s) => s.traceId === server.traceId);
        try {
          scenario.expectSpan(trace, server);
          return true;
        } catch {
          return false;
        }
      }, 5000).catch(() => undefined);
      scenario.expectSpan(mine().filter((s) => s.traceId === server.traceId), server);
    });
  }

  it('a handler that runs once the request body has arrived stays in the request’s trace', async () => {
    const res = await fetch(`${base}/body`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ n: 5 }) });
    expect(await res.json()).toEqual({ got: 5 });
    const server = () => mine().find((s) => s.kind === 'SPAN_KIND_SERVER' && s.attributes['http.route'] === '/body');
    const client = () => mine().find((s) => s.kind === 'SPAN_KIND_CLIENT' && String(s.attributes['url.full']).endsWith('/v1/models'));
    await receiver.waitFor(() => server() !== undefined && client() !== undefined);
    expect(server()!.name).toBe('POST /body');
    expect(descendsFrom(client()!, server()!, mine())).toBe(true);
  });

  it.each(['pino', 'winston'])('%s: trace_id/span_id in the app’s own log line and the record exported over OTLP', async (logger) => {
    await get(`${base}/${logger}`);
    await receiver.waitFor(() => receiver.logs.some((l) => l.resource['service.name'] === service && JSON.stringify(l.body).includes(`${logger} says hello`)));
    await receiver.waitFor(() => mine().some((s) => s.kind === 'SPAN_KIND_SERVER' && s.attributes['http.route'] === `/${logger}`));
    const record = receiver.logs.find((l) => l.resource['service.name'] === service && JSON.stringify(l.body).includes(`${logger} says hello`))!;
    const server = mine().find((s) => s.kind === 'SPAN_KIND_SERVER' && s.attributes['http.route'] === `/${logger}`)!;
    expect(record.traceId).toBe(server.traceId);
    // The line the app itself wrote carries the same ids.
    const line = app.stdout().split('\n').find((l) => l.includes(`${logger} says hello`))!;
    expect(JSON.parse(line)).toMatchObject({ trace_id: server.traceId, span_id: expect.stringMatching(/^[0-9a-f]{16}$/) });
  });

  it('RED metrics match OBI’s names; runtime metrics are exported', async () => {
    await receiver.waitFor((r) => ['http.server.request.duration', 'http.client.request.duration', 'nodejs.eventloop.delay.p99', 'nodejs.eventloop.utilization', 'v8js.memory.heap.used'].every((n) => r.metrics.some((m) => m.resource['service.name'] === service && m.name === n)), DEADLINE_MS, 'metrics');
    const metric = (name: string) => receiver.metrics.filter((m) => m.resource['service.name'] === service && m.name === name);
    const serverPoints = metric('http.server.request.duration').flatMap((m) => m.dataPoints);
    expect(metric('http.server.request.duration')[0].unit).toBe('s');
    expect(serverPoints.some((p) => p.attributes['http.route'] === '/pg' || p.attributes['http.route'] === '/grpc')).toBe(true);
    expect(serverPoints[0].attributes).toMatchObject({ 'http.request.method': 'GET', 'url.scheme': 'http' });
    expect(Number(serverPoints[0].attributes['http.response.status_code'])).toBe(200);
    const clientPoints = metric('http.client.request.duration').flatMap((m) => m.dataPoints);
    expect(clientPoints.some((p) => p.attributes['server.address'] === '127.0.0.1' && Number(p.attributes['server.port']) > 0)).toBe(true);
    expect(metric('nodejs.eventloop.utilization').length + metric('nodejs.eventloop.delay.p99').length).toBeGreaterThan(0);
    expect(metric('v8js.gc.duration').length + metric('v8js.memory.heap.used').length).toBeGreaterThan(0);
  });
});

describe.each([
  ['fastify', 'services/fastify-app.js', '@fastify/otel'],
  ['koa', 'services/koa-app.js', '@opentelemetry/instrumentation-koa'],
])('%s', (framework, script, scope) => {
  it.skipIf(needs('postgresql'))('route on the SERVER span, framework spans, the pg query as a descendant', async () => {
    const service = `framework-${framework}`;
    // Framework spans are detail, off by default (routes-frameworks.test.ts covers the default).
    const app = start([script], { env: { NODE_OPTIONS: '--require otel-preload/register', OTEL_SERVICE_NAME: service, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_NODE_INSTRUMENTATION_DETAIL: framework } });
    const [, port] = await app.waitForLine(/listening (\d+)/);
    expect((await get(`http://127.0.0.1:${port}/items/5`)).status).toBe(200);
    await get(`http://127.0.0.1:${port}/shutdown`);
    expect((await app.exited).code).toBe(0);
    await receiver.waitFor(() => receiver.spans.some((s) => s.resource['service.name'] === service && s.scope === '@opentelemetry/instrumentation-pg'));
    const spans = receiver.spans.filter((s) => s.resource['service.name'] === service);
    const server = spans.find((s) => s.kind === 'SPAN_KIND_SERVER' && s.attributes['http.route'] === '/items/:id')!;
    expect(server, 'SERVER span with http.route').toBeDefined();
    expect(spans.some((s) => s.scope === scope && s.traceId === server.traceId)).toBe(true);
    const query = spans.find((s) => s.scope === '@opentelemetry/instrumentation-pg' && s.kind === 'SPAN_KIND_CLIENT')!;
    expect(descendsFrom(query, server, spans)).toBe(true);
  });
});

describe('no secrets by default', () => {
  it('URL credentials and signed query parameters are redacted on every span; headers are not captured', async () => {
    const service = 'redaction';
    const result = await run(['services/redaction.js'], { env: { NODE_OPTIONS: '--require otel-preload/register', OTEL_SERVICE_NAME: service, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint } });
    expect(result.code).toBe(0);
    await receiver.waitFor(() => receiver.spans.filter((s) => s.resource['service.name'] === service && s.kind === 'SPAN_KIND_CLIENT').length >= 2);
    const spans = receiver.spans.filter((s) => s.resource['service.name'] === service);
    const text = JSON.stringify(spans);
    for (const secret of ['hunter2', 's3cret', 'AKIA123']) expect(text).not.toContain(secret);
    expect(text).toContain('keep=1');
    expect(text).toContain('keep=2');
    expect(text).not.toMatch(/http\.(request|response)\.header\./);
  });
});
