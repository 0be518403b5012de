// Libraries at their newest published major and the oldest version the catalogue claims, each
// installed from the npm registry into the corpus cache (test/versions/<set>, scripts/corpus.ts),
// driven through one app (fixtures/versions/app.cjs) under a request with a known trace id:
// - graphql: one `query GetItems` span (upstream's patch on ≤ 16, graphql 17's tracing channel);
// - bunyan: the request's trace id in the record (bunyan 2 through our range extension);
// - mariadb (our own instrumentation) against the local MariaDB: promise and callback APIs, a
//   pool, an error: CLIENT spans under the SERVER span with the stable database attributes;
// - @cucumber/cucumber: step spans (13 through our range extension);
// - BullMQ (our own wiring of its telemetry option) on the local Redis: a PRODUCER span when the
//   request adds a job (`add <queue>`), a CONSUMER span when the worker runs it, in the request's
//   trace, and what the job calls under it; none of BullMQ's INTERNAL spans, and an idle worker's
//   stalled-job checks (every 300 ms here) make no trace at all;
// - amqplib on the local RabbitMQ: a PRODUCER span when the request publishes, the CONSUMER span
//   under it when this app consumes the message;
// - mysql (the `mysql` package) against the local MariaDB, knex on the local PostgreSQL (its
//   builder span, the pg query under it), mysql2 on MariaDB: CLIENT spans under the SERVER span;
// - express: the route on the SERVER span (4.0.0 and 5; bundle.test.ts also bundles the newest);
// - ioredis on the local Redis: a CLIENT span per command (2.0.0 in libs-oldest-alone);
// - generic-pool's acquire span, dataloader's load and batch spans, under the SERVER span;
// - connect and @hapi/hapi, restify and router (a process of their own): the route on the SERVER span;
// - node-redis: which @redis/client (@node-redis/client for redis 4.0.0, libs-oldest-alone) redis
//   loaded, a span per command, and a MULTI and a pipeline: one span per queued command, none twice;
//   redis 2.6.0 (libs-oldest-redis2, upstream's v2-v3 patch): a span per command;
// - pg-pool (pg's Pool, one connection): two requests at once, one's query queued behind the
//   other's connection, each query in its own request's trace;
// - @grpc/grpc-js, server and client in the app over HTTP/2: a CLIENT span per call (one answered,
//   one NOT_FOUND) under the SERVER span, the gRPC SERVER span under it, `rpc.*` and the status code;
// - lru-memoizer: a caller queued behind another's load is called back in its own context;
// - socket.io with socket.io-client (the solo process): a PRODUCER span for a broadcast under the
//   request, the server's receive a CONSUMER span, its emit a PRODUCER span under that.

import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OtlpReceiver, type ReceivedSpan } from '../../scripts/otlp-receiver';
import { prepareApp, VERSION_SETS } from '../../scripts/corpus';
import { appOnVersionSet } from '../helpers/version-app';
import { REPO, run, start, type Running } from '../helpers/processes';
import { nodeBinary } from '../../scripts/node-binaries';
import { missingServices } from '../helpers/services';
import { waitUntil, DEADLINE_MS } from '../helpers/wait';
import { E2E_TESTED, setVersion, VERSION_SET_NAMES, type VersionSet } from '../../scripts/e2e-tested';

const SETS = VERSION_SET_NAMES;
/** `<set>:<module>` of each library case that sent its request (checked against E2E_TESTED at the end). */
const ran = new Set<string>();
const LIB_OF_ROUTE: Record<string, string> = { '/graphql': 'graphql', '/bunyan': 'bunyan', '/bullmq': 'bullmq', '/pg': 'pg', '/redis': 'redis', '/undici': 'undici', '/pino': 'pino', '/winston': 'winston', '/amqplib': 'amqplib', '/mysql': 'mysql', '/knex': 'knex', '/mysql2': 'mysql2', '/ioredis': 'ioredis', '/generic-pool': 'generic-pool', '/dataloader': 'dataloader', '/grpc': '@grpc/grpc-js', '/pg-pool': 'pg-pool' };

let receiver: OtlpReceiver;
let noMariadb = false;
let noRedis = false;
let noPg = false;
let noRabbit = false;
beforeAll(async () => {
  noRabbit = (await missingServices(['rabbitmq'])).length > 0;
  noMariadb = (await missingServices(['mariadb'])).length > 0;
  noRedis = (await missingServices(['redis'])).length > 0;
  noPg = (await missingServices(['postgresql'])).length > 0;
  receiver = await new OtlpReceiver('grpc').start();
});
afterAll(() => receiver.stop());

export interface Traced {
  status: number;
  body: any;
  traceId: string;
  spans: () => ReceivedSpan[];
}

/** GET `route` with a fresh trace id; `spans()` is what arrived for that trace. */
export async function request(port: number, route: string, set?: VersionSet, lib?: string): Promise<Traced> {
  const name = lib ?? (route.startsWith('/mariadb/') ? 'mariadb' : LIB_OF_ROUTE[route]);
  if (set && name) ran.add(`${set}:${name}`);
  const traceId = randomBytes(16).toString('hex');
  const res = await fetch(`http://127.0.0.1:${port}${route}`, { headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` } });
  const body = await res.json();
  const spans = () => receiver.spans.filter((s) => s.traceId === traceId);
  await receiver.waitFor(() => spans().some((s) => s.kind === 'SPAN_KIND_SERVER' && s.attributes['url.path'] === route), DEADLINE_MS, `the SERVER span of ${route}`);
  return { status: res.status, body, traceId, spans };
}

/** The ioredis case, run in each set and in libs-oldest-alone (ioredis 2.0.0). */
function ioredisCase(port: () => number, set: VersionSet) {
  return async () => {
    if (noRedis) return;
    const r = await request(port(), '/ioredis', set);
    expect(r.body.value).toBe('v');
    const cmd = () => r.spans().filter((s) => s.scope === '@opentelemetry/instrumentation-ioredis' && ['set', 'get'].includes(s.name));
    await receiver.waitFor(() => cmd().some((s) => s.name === 'get'), DEADLINE_MS, 'the get span');
    const server = r.spans().find((s) => s.kind === 'SPAN_KIND_SERVER')!;
    expect(cmd().map((s) => s.name).sort()).toEqual(['get', 'set']);
    for (const span of cmd()) expect(span).toMatchObject({ kind: 'SPAN_KIND_CLIENT', parentSpanId: server.spanId });
    const setSpan = cmd().find((s) => s.name === 'set')!;
    expect(setSpan.attributes).toMatchObject({ 'db.system.name': 'redis', 'db.query.text': 'set versions:ioredis [1 other arguments]', 'server.address': '127.0.0.1' });
  };
}

/** node-redis SET and GET: one span per command; the @redis/client (or @node-redis/client) that redis loaded is the set's. */
function nodeRedisCase(port: () => number, set: VersionSet) {
  return async () => {
    if (noRedis) return;
    const r = await request(port(), '/redis', set);
    expect(r.body.value).toBe('v');
    // The client package the patch hooks is the one the set pins, as redis itself loaded it.
    const client = r.body.client as { name: string; version: string };
    expect(client.version).toBe(setVersion(set, client.name));
    const cmd = () => r.spans().filter((s) => s.scope === '@opentelemetry/instrumentation-redis' && s.name !== 'redis-connect');
    await receiver.waitFor(() => cmd().some((s) => s.name === 'redis-GET'), DEADLINE_MS, 'the GET span');
    expect(cmd().map((s) => s.name).sort()).toEqual(['redis-GET', 'redis-SET']);
    expect(cmd().find((s) => s.name === 'redis-SET')!.attributes['db.query.text']).toBe('SET versions:last [1 other arguments]');
    ran.add(`${set}:${client.name}`);
  };
}

/** node-redis 2 and 3 (upstream's v2-v3 patch): SET and GET, a CLIENT span each under the SERVER span. */
function legacyRedisCase(port: () => number, set: VersionSet) {
  return async () => {
    if (noRedis) return;
    const r = await request(port(), '/redis', set);
    expect(r.body).toEqual({ value: 'v', version: setVersion(set, 'redis') });
    // Not the INFO the client sends itself when it connects (made in this request).
    const cmd = () => r.spans().filter((s) => s.scope === '@opentelemetry/instrumentation-redis' && s.name !== 'redis-info');
    await receiver.waitFor(() => cmd().some((s) => s.name === 'redis-get'), DEADLINE_MS, 'the get span');
    const server = r.spans().find((s) => s.kind === 'SPAN_KIND_SERVER')!;
    expect(cmd().map((s) => s.name).sort()).toEqual(['redis-get', 'redis-set']);
    for (const span of cmd()) expect(span).toMatchObject({ kind: 'SPAN_KIND_CLIENT', parentSpanId: server.spanId });
    expect(cmd().find((s) => s.name === 'redis-set')!.attributes).toMatchObject({ 'db.system.name': 'redis', 'db.operation.name': 'set', 'db.query.text': 'set versions:last [1 other arguments]', 'server.address': '127.0.0.1' });
  };
}

/** node-redis MULTI/EXEC and a pipeline: upstream's span per queued command (none for MULTI or EXEC), each once. */
function nodeRedisMultiCase(port: () => number, set: VersionSet) {
  return async () => {
    if (noRedis) return;
    const r = await request(port(), '/redis/multi', set, 'redis');
    expect(r.body.multi).toEqual(['OK', '2']);
    expect(r.body.piped).toEqual(['2', '3']);
    const server = r.spans().find((s) => s.kind === 'SPAN_KIND_SERVER')!;
    const cmd = () => r.spans().filter((s) => s.scope === '@opentelemetry/instrumentation-redis' && s.name !== 'redis-connect');
    await receiver.waitFor(() => cmd().length >= 4, DEADLINE_MS, 'four command spans');
    // Spans end and export in order: anything duplicated has arrived with the request's own span.
    expect(cmd().map((s) => s.name).sort()).toEqual(['redis-GET', 'redis-INCR', 'redis-INCR', 'redis-SET']);
    for (const span of cmd()) {
      expect(span).toMatchObject({ kind: 'SPAN_KIND_CLIENT', parentSpanId: server.spanId });
      expect(span.attributes).toMatchObject({ 'db.system.name': 'redis', 'server.address': '127.0.0.1' });
    }
    // Upstream names the batch in db.operation.name (`MULTI`, `PIPELINE`; `MULTI SET` were all its commands SETs).
    expect(cmd().map((s) => s.attributes['db.operation.name']).sort()).toEqual(['MULTI', 'MULTI', 'PIPELINE', 'PIPELINE']);
    expect(cmd().find((s) => s.name === 'redis-SET')!.attributes).toMatchObject({ 'db.operation.name': 'MULTI', 'db.query.text': 'SET versions:multi [1 other arguments]' });
    expect(cmd().find((s) => s.name === 'redis-GET')!.attributes['db.operation.name']).toBe('PIPELINE');
  };
}

describe.each(SETS)('%s', (set) => {
  let app: Running;
  let port: number;
  let fastifyPort: number;
  let koaPort: number;
  let expressPort: number;
  let connectPort: number;
  let hapiPort: number;
  beforeAll(async () => {
    const dir = prepareApp(set, VERSION_SETS).dir;
    app = start([path.join(REPO, 'fixtures/versions/app.cjs')], {
      env: {
        NODE_OPTIONS: `--require ${path.join(REPO, 'register.cjs')}`,
        LIBS_DIR: dir,
        WITH_BULLMQ: noRedis ? '0' : '1',
        // The stalled-job check every 300 ms, not 30 s: an idle worker's timer, seen in the test.
        BULLMQ_STALLED_INTERVAL: '300',
        OTEL_SERVICE_NAME: `versions-${set}`,
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
        OTEL_BSP_SCHEDULE_DELAY: '100',
        OTEL_METRICS_EXPORTER: 'none',
        // koa without a router has no route: its middleware span (detail) is what shows it is instrumented.
        OTEL_NODE_INSTRUMENTATION_DETAIL: 'koa',
      },
    });
    port = Number((await app.waitForLine(/listening (\d+)/, DEADLINE_MS))[1]);
    fastifyPort = Number((await app.waitForLine(/fastify (\d+)/, DEADLINE_MS))[1]);
    koaPort = Number((await app.waitForLine(/koa (\d+)/, DEADLINE_MS))[1]);
    expressPort = Number((await app.waitForLine(/express (\d+)/, DEADLINE_MS))[1]);
    connectPort = Number((await app.waitForLine(/connect (\d+)/, DEADLINE_MS))[1]);
    hapiPort = Number((await app.waitForLine(/hapi (\d+)/, DEADLINE_MS))[1]);
  });
  afterAll(async () => {
    app?.child.kill('SIGTERM');
    await app?.exited;
  });

  it('graphql: one operation span under the SERVER span', async () => {
    const r = await request(port, '/graphql', set);
    expect(r.body.items).toBe(3);
    await receiver.waitFor(() => r.spans().some((s) => s.name === 'query GetItems'), DEADLINE_MS, 'the operation span');
    const server = r.spans().find((s) => s.kind === 'SPAN_KIND_SERVER' && s.attributes['url.path'] === '/graphql')!;
    const op = r.spans().filter((s) => s.name === 'query GetItems');
    expect(op).toHaveLength(1);
    expect(op[0].parentSpanId).toBe(server.spanId);
    expect(op[0].scope).toBe('@opentelemetry/instrumentation-graphql');
    expect(op[0].attributes).toMatchObject({ 'graphql.operation.type': 'query', 'graphql.operation.name': 'GetItems' });
    expect(String(op[0].attributes['graphql.document'])).toMatch(/items\(first: \*\)/);
    // What the resolver calls is under the operation span.
    await receiver.waitFor(() => r.spans().some((s) => s.kind === 'SPAN_KIND_CLIENT'), DEADLINE_MS, "the resolver's call");
    expect(r.spans().find((s) => s.kind === 'SPAN_KIND_CLIENT')!.parentSpanId).toBe(op[0].spanId);
  });

  it('bunyan: the record carries the request\'s trace id', async () => {
    const r = await request(port, '/bunyan', set);
    expect(r.body.record.trace_id).toBe(r.traceId);
    expect(r.body.record.span_id).toMatch(/^[0-9a-f]{16}$/);
  });

  it.each([
    ['promise API', '/mariadb/promise', 2, 'SELECT ? + ? AS n'],
    ['callback API', '/mariadb/callback', 1, 'SELECT ? AS n'],
    ['pool', '/mariadb/pool', 1, 'SELECT ? AS n'],
  ])('mariadb %s: CLIENT spans with the database attributes, literals out', async (_what, route, count, text) => {
    if (noMariadb) return;
    const r = await request(port, route, set);
    expect(r.status).toBe(200);
    const server = r.spans().find((s) => s.kind === 'SPAN_KIND_SERVER')!;
    const dbSpans = () => r.spans().filter((s) => s.attributes['db.system.name'] === 'mariadb');
    await receiver.waitFor(() => dbSpans().length >= count, DEADLINE_MS, `${count} mariadb spans`);
    const db = dbSpans();
    expect(db).toHaveLength(count);
    for (const span of db) {
      expect(span.kind).toBe('SPAN_KIND_CLIENT');
      expect(span.parentSpanId).toBe(server.spanId);
      expect(span.name).toBe('SELECT test');
      expect(span.attributes).toMatchObject({ 'db.operation.name': 'SELECT', 'db.namespace': 'test', 'server.address': '127.0.0.1' });
      expect(String(span.attributes['server.port'])).toBe('3306');
    }
    expect(db[0].attributes['db.query.text']).toBe(text);
    // The string literal of the prepared statement never reaches the span.
    expect(JSON.stringify(db)).not.toContain('secret');
  });

  it('mariadb: a failing statement is an error span with the server\'s code', async () => {
    if (noMariadb) return;
    const r = await request(port, '/mariadb/error', set);
    expect(r.body.error).toBe('ER_NO_SUCH_TABLE');
    await receiver.waitFor(() => r.spans().some((s) => s.attributes['db.system.name'] === 'mariadb'), DEADLINE_MS, 'the mariadb span');
    const db = r.spans().find((s) => s.attributes['db.system.name'] === 'mariadb')!;
    expect(db.status?.code).toBe('STATUS_CODE_ERROR');
    expect(db.attributes).toMatchObject({ 'error.type': 'ER_NO_SUCH_TABLE', 'db.response.status_code': '1146' });
  });

  it('pg: one CLIENT span per query under the SERVER span', async () => {
    if (noPg) return;
    const r = await request(port, '/pg', set);
    expect(r.body.n).toBe(4);
    const q = () => r.spans().filter((s) => s.attributes['db.query.text'] === 'SELECT $1::int AS n');
    await receiver.waitFor(() => q().length >= 1, DEADLINE_MS, 'the query span');
    expect(q()).toHaveLength(1);
    expect(q()[0]).toMatchObject({ kind: 'SPAN_KIND_CLIENT', scope: '@opentelemetry/instrumentation-pg' });
    expect(q()[0].attributes['db.system.name']).toBe('postgresql');
  });

  it('node-redis: one span per command (the patch, and on 5.12+ not also its tracing channel)', nodeRedisCase(() => port, set));

  it('node-redis: MULTI/EXEC and a pipeline, one span per queued command, none twice', nodeRedisMultiCase(() => port, set));

  it('pg-pool: two requests on a pool of one connection, each query in its own request\'s trace', async () => {
    if (noPg) return;
    const [a, b] = await Promise.all([request(port, '/pg-pool', set), request(port, '/pg-pool', set)]);
    expect([a.body.n, b.body.n]).toEqual([6, 6]);
    // One held the connection until the other's pool.query was queued behind it.
    expect([a.body.waited, b.body.waited].sort()).toEqual([false, true]);
    expect(a.body.version).toBe(setVersion(set, 'pg-pool'));
    const q = (r: Traced) => r.spans().filter((s) => s.scope === '@opentelemetry/instrumentation-pg' && s.attributes['db.query.text'] === 'SELECT $1::int AS n');
    await receiver.waitFor(() => q(a).length + q(b).length >= 2, DEADLINE_MS, 'the two query spans');
    for (const r of [a, b]) {
      const server = r.spans().find((s) => s.kind === 'SPAN_KIND_SERVER')!;
      expect(q(r)).toHaveLength(1);
      expect(q(r)[0]).toMatchObject({ kind: 'SPAN_KIND_CLIENT', parentSpanId: server.spanId });
      expect(q(r)[0].attributes).toMatchObject({ 'db.system.name': 'postgresql', 'db.namespace': 'test' });
    }
  });

  it('@grpc/grpc-js: a CLIENT span per call under the SERVER span, the gRPC SERVER span under it (rpc.*)', async () => {
    const r = await request(port, '/grpc', set);
    expect(r.body.reply).toEqual({ message: 'hello versions' });
    expect(r.body.refused).toEqual({ code: 5 });
    expect(r.body.version).toBe(setVersion(set, '@grpc/grpc-js'));
    const mine = () => r.spans().filter((s) => s.scope === '@opentelemetry/instrumentation-grpc');
    await receiver.waitFor(() => mine().length >= 4, DEADLINE_MS, 'two CLIENT and two SERVER gRPC spans');
    const httpServer = r.spans().find((s) => s.kind === 'SPAN_KIND_SERVER' && s.attributes['url.path'] === '/grpc')!;
    const clients = mine().filter((s) => s.kind === 'SPAN_KIND_CLIENT');
    const servers = mine().filter((s) => s.kind === 'SPAN_KIND_SERVER');
    expect(clients).toHaveLength(2);
    expect(servers).toHaveLength(2);
    for (const span of [...clients, ...servers]) {
      expect(span.name).toBe('grpc.versions.Greeter/SayHello');
      expect(span.attributes).toMatchObject({ 'rpc.system': 'grpc', 'rpc.service': 'versions.Greeter', 'rpc.method': 'SayHello' });
    }
    for (const client of clients) {
      expect(client.parentSpanId).toBe(httpServer.spanId);
      expect(client.attributes['server.address']).toBe('127.0.0.1');
      expect(String(client.attributes['server.port'])).toBe(String(r.body.port));
      // The server's span continues the client's, from the call's metadata.
      const server = servers.find((s) => s.parentSpanId === client.spanId);
      expect(server, 'a gRPC SERVER span under each CLIENT span').toBeDefined();
      expect(String(server!.attributes['rpc.grpc.status_code'])).toBe(String(client.attributes['rpc.grpc.status_code']));
    }
    const codes = clients.map((c) => String(c.attributes['rpc.grpc.status_code'])).sort();
    expect(codes).toEqual(['0', '5']);
    const refused = clients.find((c) => String(c.attributes['rpc.grpc.status_code']) === '5')!;
    expect(refused.status?.code).toBe('STATUS_CODE_ERROR');
  });

  it('lru-memoizer: a caller queued behind a running load is called back in its own context', async () => {
    const key = `key-${set}`;
    const [a, b] = await Promise.all([request(port, `/lru-memoizer/${key}`, set, 'lru-memoizer'), request(port, `/lru-memoizer/${key}`, set, 'lru-memoizer')]);
    // One load for both callers: it ended only once the second had asked, queued behind it.
    expect([a.body.loads, b.body.loads]).toEqual([1, 1]);
    expect(a.body.version).toBe(setVersion(set, 'lru-memoizer'));
    const calls = (r: Traced) => r.spans().filter((s) => s.kind === 'SPAN_KIND_CLIENT' && String(s.attributes['url.full'] ?? '').endsWith('/ping'));
    await receiver.waitFor(() => calls(a).length + calls(b).length >= 2, DEADLINE_MS, "the callbacks' calls out");
    // Without the instrumentation the queued callback runs in the first caller's context: both calls in one trace.
    for (const r of [a, b]) {
      const server = r.spans().find((s) => s.kind === 'SPAN_KIND_SERVER' && String(s.attributes['url.path']).startsWith('/lru-memoizer/'))!;
      expect(calls(r)).toHaveLength(1);
      expect(calls(r)[0].parentSpanId).toBe(server.spanId);
    }
  });

  // undici 8 (the newest) needs Node >= 22.19: on the Node 20 line only the oldest set runs it.
  it('undici: one CLIENT span per request', async ({ skip }) => {
    const [major, minor] = process.versions.node.split('.').map(Number);
    if (set === 'libs-newest' && (major < 22 || (major === 22 && minor < 19))) return skip('undici 8 needs Node >= 22.19: the 3.x pass (Node 24) runs it');
    const r = await request(port, '/undici', set);
    expect(r.body.status).toBe(200);
    const client = () => r.spans().filter((s) => s.scope === '@opentelemetry/instrumentation-undici');
    await receiver.waitFor(() => r.spans().some((s) => s.kind === 'SPAN_KIND_SERVER' && s.attributes['url.path'] === '/ping'), DEADLINE_MS, 'the /ping SERVER span');
    await receiver.waitFor(() => client().length >= 1, DEADLINE_MS, 'the undici span');
    expect(client()).toHaveLength(1);
    expect(client()[0].attributes['url.full']).toBe(`http://127.0.0.1:${port}/ping`);
  });

  it('amqplib: PRODUCER on publish under the SERVER span, CONSUMER under it when consumed', async () => {
    if (noRabbit) return;
    const r = await request(port, '/amqplib', set);
    expect(r.body.message).toBe('hello');
    await receiver.waitFor(() => r.spans().some((s) => s.kind === 'SPAN_KIND_CONSUMER'), DEADLINE_MS, 'the CONSUMER span');
    const server = r.spans().find((s) => s.kind === 'SPAN_KIND_SERVER')!;
    const producer = r.spans().filter((s) => s.kind === 'SPAN_KIND_PRODUCER');
    const consumer = r.spans().filter((s) => s.kind === 'SPAN_KIND_CONSUMER');
    expect(producer).toHaveLength(1);
    expect(consumer).toHaveLength(1);
    // sendToQueue publishes to the default exchange, routed by the queue's name.
    expect(producer[0]).toMatchObject({ name: 'publish <default>', parentSpanId: server.spanId, scope: '@opentelemetry/instrumentation-amqplib' });
    expect(producer[0].attributes).toMatchObject({ 'messaging.system': 'rabbitmq', 'messaging.rabbitmq.routing_key': r.body.queue });
    // The consumer continues the producer's context, carried in the message headers.
    expect(consumer[0]).toMatchObject({ name: `${r.body.queue} process`, parentSpanId: producer[0].spanId });
    expect(consumer[0].attributes).toMatchObject({ 'messaging.operation': 'process', 'messaging.rabbitmq.routing_key': r.body.queue });
  });

  it('mysql: one CLIENT span per query under the SERVER span, with the database attributes', async () => {
    if (noMariadb) return;
    const r = await request(port, '/mysql', set);
    expect(r.body.n).toBe(2);
    const q = () => r.spans().filter((s) => s.scope === '@opentelemetry/instrumentation-mysql');
    await receiver.waitFor(() => q().length >= 1, DEADLINE_MS, 'the mysql span');
    expect(q()).toHaveLength(1);
    const server = r.spans().find((s) => s.kind === 'SPAN_KIND_SERVER')!;
    expect(q()[0]).toMatchObject({ name: 'SELECT', kind: 'SPAN_KIND_CLIENT', parentSpanId: server.spanId });
    expect(q()[0].attributes).toMatchObject({ 'db.system.name': 'mysql', 'db.namespace': 'test', 'db.query.text': 'SELECT 1 + 1 AS n', 'server.address': '127.0.0.1' });
    expect(String(q()[0].attributes['server.port'])).toBe('3306');
  });

  it('knex: the builder query is a CLIENT span under the SERVER span, its pg query under it', async () => {
    if (noPg) return;
    const r = await request(port, '/knex', set);
    expect(r.body.n).toBe(4);
    const isQuery = (s: ReceivedSpan) => s.scope === '@opentelemetry/instrumentation-pg' && String(s.attributes['db.query.text']).includes('pg_database');
    await receiver.waitFor(() => r.spans().some((s) => s.scope === '@opentelemetry/instrumentation-knex') && r.spans().some(isQuery), DEADLINE_MS, 'the knex and pg spans');
    const server = r.spans().find((s) => s.kind === 'SPAN_KIND_SERVER')!;
    const knex = r.spans().filter((s) => s.scope === '@opentelemetry/instrumentation-knex');
    expect(knex).toHaveLength(1);
    expect(knex[0]).toMatchObject({ name: 'select test.pg_database', kind: 'SPAN_KIND_CLIENT', parentSpanId: server.spanId });
    expect(knex[0].attributes).toMatchObject({ 'db.system.name': 'postgresql', 'db.operation.name': 'select', 'db.collection.name': 'pg_database', 'db.query.text': 'select 4 AS n from "pg_database" limit ?' });
    const pg = r.spans().filter(isQuery);
    expect(pg).toHaveLength(1);
    expect(pg[0]).toMatchObject({ kind: 'SPAN_KIND_CLIENT', parentSpanId: knex[0].spanId });
    expect(pg[0].attributes['db.query.text']).toBe('select 4 AS n from "pg_database" limit $1');
  });

  it('mysql2: one CLIENT span per query under the SERVER span, with the database attributes', async () => {
    if (noMariadb) return;
    const r = await request(port, '/mysql2', set);
    expect(r.body.n).toBe(5);
    const q = () => r.spans().filter((s) => s.scope === '@opentelemetry/instrumentation-mysql2');
    await receiver.waitFor(() => q().length >= 1, DEADLINE_MS, 'the mysql2 span');
    expect(q()).toHaveLength(1);
    const server = r.spans().find((s) => s.kind === 'SPAN_KIND_SERVER')!;
    expect(q()[0]).toMatchObject({ name: 'SELECT', kind: 'SPAN_KIND_CLIENT', parentSpanId: server.spanId });
    expect(q()[0].attributes).toMatchObject({ 'db.system.name': 'mysql', 'db.namespace': 'test', 'db.query.text': 'SELECT 2 + 3 AS n', 'server.address': '127.0.0.1' });
    expect(String(q()[0].attributes['server.port'])).toBe('3306');
  });

  it('express: the route on the SERVER span and in its name; no layer spans without detail', async () => {
    const r = await request(expressPort, '/users/7', set, 'express');
    expect(r.body.id).toBe('7');
    const server = r.spans().filter((s) => s.kind === 'SPAN_KIND_SERVER');
    expect(server).toHaveLength(1);
    expect(server[0]).toMatchObject({ name: 'GET /users/:id', parentSpanId: '00f067aa0ba902b7' });
    expect(server[0].attributes['http.route']).toBe('/users/:id');
    expect(r.spans().filter((s) => s.scope === '@opentelemetry/instrumentation-express')).toEqual([]);
  });

  it('ioredis: one CLIENT span per command under the SERVER span', ioredisCase(() => port, set));

  it('generic-pool: the acquire span under the SERVER span', async () => {
    const r = await request(port, '/generic-pool', set);
    expect(r.body.id).toBe(1);
    const acquire = () => r.spans().filter((s) => s.scope === '@opentelemetry/instrumentation-generic-pool');
    await receiver.waitFor(() => acquire().length >= 1, DEADLINE_MS, 'the acquire span');
    expect(acquire()).toHaveLength(1);
    const server = r.spans().find((s) => s.kind === 'SPAN_KIND_SERVER')!;
    expect(acquire()[0]).toMatchObject({ name: 'generic-pool.acquire', kind: 'SPAN_KIND_INTERNAL', parentSpanId: server.spanId });
  });

  it('dataloader: a CLIENT span per load under the SERVER span, the one batch under a load', async () => {
    const r = await request(port, '/dataloader', set);
    expect(r.body.values).toEqual([2, 4]);
    const mine = () => r.spans().filter((s) => s.scope === '@opentelemetry/instrumentation-dataloader');
    await receiver.waitFor(() => mine().length >= 3, DEADLINE_MS, 'the load and batch spans');
    const server = r.spans().find((s) => s.kind === 'SPAN_KIND_SERVER')!;
    const loads = mine().filter((s) => s.name === 'dataloader.load');
    const batches = mine().filter((s) => s.name === 'dataloader.batch');
    expect(loads).toHaveLength(2);
    for (const l of loads) expect(l).toMatchObject({ kind: 'SPAN_KIND_CLIENT', parentSpanId: server.spanId });
    // The two loads are one call of the batch function, started from the first load's context.
    expect(batches).toHaveLength(1);
    expect(batches[0].kind).toBe('SPAN_KIND_INTERNAL');
    expect(loads.map((l) => l.spanId)).toContain(batches[0].parentSpanId);
  });

  it.each([
    ['connect', () => connectPort, '/hello', '/hello'],
    ['@hapi/hapi', () => hapiPort, '/things/3', '/things/{id}'],
  ])('%s: the route on the SERVER span and in its name', async (lib, p, route, template) => {
    const r = await request(p(), route, set, lib);
    expect(r.status).toBe(200);
    const server = r.spans().filter((s) => s.kind === 'SPAN_KIND_SERVER');
    expect(server).toHaveLength(1);
    expect(server[0]).toMatchObject({ name: `GET ${template}`, parentSpanId: '00f067aa0ba902b7' });
    expect(server[0].attributes['http.route']).toBe(template);
  });

  it.each(['pino', 'winston'])('%s: the record carries the request\'s trace id', async (lib) => {
    const r = await request(port, `/${lib}`, set);
    expect(r.body.record.trace_id).toBe(r.traceId);
    expect(r.body.record.span_id).toMatch(/^[0-9a-f]{16}$/);
  });

  it('fastify: the route on the SERVER span', async () => {
    const r = await request(fastifyPort, '/items/7', set, 'fastify');
    expect(r.body).toEqual({ id: '7' });
    await receiver.waitFor(() => r.spans().some((s) => s.kind === 'SPAN_KIND_SERVER' && s.attributes['http.route'] === '/items/:id'), DEADLINE_MS, 'the route');
  });

  it('koa: a middleware span under the SERVER span', async () => {
    const r = await request(koaPort, '/', set, 'koa');
    expect(r.body).toEqual({ koa: true });
    await receiver.waitFor(() => r.spans().some((s) => s.scope === '@opentelemetry/instrumentation-koa'), DEADLINE_MS, 'the koa span');
    const mw = r.spans().filter((s) => s.scope === '@opentelemetry/instrumentation-koa');
    expect(mw).toHaveLength(1);
    expect(mw[0].parentSpanId).toBe(r.spans().find((s) => s.kind === 'SPAN_KIND_SERVER')!.spanId);
  });

  it('bullmq: PRODUCER on add, CONSUMER when processed, in the request\'s trace; the job\'s call under it', async () => {
    if (noRedis) return;
    const r = await request(port, '/bullmq', set);
    expect(r.body.result).toEqual({ pinged: 200, n: 5 });
    // /ping's SERVER span may arrive before the request's own, which ends last.
    const isRequest = (s: ReceivedSpan) => s.kind === 'SPAN_KIND_SERVER' && s.attributes['url.path'] === '/bullmq';
    await receiver.waitFor(() => r.spans().some((s) => s.kind === 'SPAN_KIND_CONSUMER') && r.spans().some(isRequest) && r.spans().filter((s) => s.kind === 'SPAN_KIND_SERVER').length >= 2, DEADLINE_MS, 'the CONSUMER span, /ping and /bullmq');
    const spans = r.spans();
    const server = spans.find(isRequest)!;
    const producer = spans.find((s) => s.kind === 'SPAN_KIND_PRODUCER')!;
    const consumer = spans.find((s) => s.kind === 'SPAN_KIND_CONSUMER')!;
    // Messaging conventions: `{operation} {destination}`, the queue (the job's name is an attribute).
    expect(producer.name).toMatch(/^add versions-\d+$/);
    expect(producer.attributes['bullmq.job.name']).toBe('work');
    expect(consumer.name).toMatch(/^process versions-\d+$/);
    // …and their attributes (messaging spans): the system, the queue, the operation, the job's id.
    const queue = producer.name.slice('add '.length);
    expect(producer.attributes).toMatchObject({ 'messaging.system': 'bullmq', 'messaging.destination.name': queue, 'messaging.operation.type': 'send', 'messaging.operation.name': 'add' });
    expect(consumer.attributes).toMatchObject({ 'messaging.system': 'bullmq', 'messaging.destination.name': queue, 'messaging.operation.type': 'process', 'messaging.operation.name': 'process' });
    expect(producer.attributes['messaging.message.id']).toEqual(expect.any(String));
    expect(consumer.attributes['messaging.message.id']).toBe(producer.attributes['messaging.message.id']);
    // Producer under the request; consumer continues the producer's context.
    const ancestors = (span: typeof producer) => {
      const out: string[] = [];
      for (let p = span; p?.parentSpanId; p = spans.find((s) => s.spanId === p!.parentSpanId)!) out.push(p.parentSpanId);
      return out;
    };
    expect(ancestors(producer)).toContain(server.spanId);
    expect(ancestors(consumer)).toContain(producer.spanId);
    const fetchClient = spans.find((s) => s.kind === 'SPAN_KIND_CLIENT' && String(s.attributes['url.full'] ?? '').endsWith('/ping'))!;
    expect(ancestors(fetchClient)).toContain(consumer.spanId);
    // Boundary spans only: none of BullMQ's INTERNAL housekeeping spans (complete, getNextJob, …).
    expect(spans.filter((s) => s.scope === 'otel-preload-bullmq' && s.kind === 'SPAN_KIND_INTERNAL').map((s) => s.name)).toEqual([]);
    // The job's payload ({ n: 5 }) goes to Redis as an EVALSHA argument: counted, never shown.
    const scripts = spans.filter((s) => s.kind === 'SPAN_KIND_CLIENT' && /^evalsha\b/i.test(String(s.attributes['db.query.text'] ?? s.attributes['db.statement'] ?? '')));
    expect(scripts.length).toBeGreaterThan(0);
    for (const s of scripts) expect(String(s.attributes['db.query.text'] ?? s.attributes['db.statement'])).toMatch(/\[\d+ other arguments\]$/);
    expect(spans.flatMap((s) => Object.values(s.attributes)).filter((v) => String(v).includes('"n":5'))).toEqual([]);
  });

  it('bullmq: an idle worker\'s stalled-job checks make no trace (nor their Redis commands)', async () => {
    if (noRedis) return;
    // Two checks from now on (every 300 ms), then a request: spans end and export in order, so
    // whatever the checks made has arrived by the time the request's SERVER span has.
    const from = app.stdout().split('\n').filter((l) => l === 'stalled check').length;
    await waitUntil(() => app.stdout().split('\n').filter((l) => l === 'stalled check').length >= from + 2, 10_000, 'two stalled checks');
    await request(port, '/ping', set);
    const service = `versions-${set}`;
    const mine = receiver.spans.filter((s) => s.resource['service.name'] === service);
    // Every request here carries a traceparent: no span of this app is a root but BullMQ's own.
    const roots = mine.filter((s) => !s.parentSpanId);
    expect(roots.map((s) => `${s.kind} ${s.name}`)).toEqual([]);
    expect(mine.filter((s) => /stalled/i.test(s.name)).map((s) => s.name)).toEqual([]);
    // BullMQ's Redis commands are traced only under a job's PRODUCER or CONSUMER span (the add's own script).
    const parentOf = (id?: string) => mine.find((s) => s.spanId === id);
    for (const e of mine.filter((s) => s.name === 'evalsha')) expect(['SPAN_KIND_PRODUCER', 'SPAN_KIND_CONSUMER']).toContain(parentOf(e.parentSpanId)?.kind);
  });
});

// Libraries whose oldest claimed version cannot share libs-oldest (ioredis 2.0.0: bullmq 6.0.0
// there resolves its ioredis peer, >=5, from the same node_modules): the same app, without BullMQ
// and the framework servers.
describe('libs-oldest-alone', () => {
  const set: VersionSet = 'libs-oldest-alone';
  const port = appOnSetAlone(set);

  it('ioredis 2.0.0: one CLIENT span per command under the SERVER span', ioredisCase(port, set));

  it('node-redis 4.0.0 (@node-redis/client): one span per command', nodeRedisCase(port, set));

  it('node-redis 4.0.0 (@node-redis/client): MULTI/EXEC and a pipeline, one span per queued command', nodeRedisMultiCase(port, set));
});

// redis 2.6.0, the oldest of the v2-v3 range (upstream's other patch), in a set of its own.
describe('libs-oldest-redis2', () => {
  const set: VersionSet = 'libs-oldest-redis2';
  const port = appOnSetAlone(set);

  it('node-redis 2.6.0: one CLIENT span per command under the SERVER span', legacyRedisCase(port, set));
});

/** The versions app on a set of its own, without BullMQ and the framework servers: its port, once listening. */
function appOnSetAlone(set: VersionSet): () => number {
  return appOnVersionSet('fixtures/versions/app.cjs', set, () => receiver.endpoint, () => ({ WITH_BULLMQ: '0', FRAMEWORKS: '0', OTEL_SERVICE_NAME: `versions-${set}` })).port;
}

/** restify 4 (libs-oldest) cannot load on Node >= 22 (process.binding('http_parser') is gone). */
function restifyOldOnNewNode(set: VersionSet): boolean {
  return set === 'libs-oldest' && Number(process.versions.node.split('.')[0]) >= 22;
}

// restify, router and socket.io, each set's in a process of their own (FRAMEWORKS=solo in the app:
// restify patches every server's responses, express 5 loading `router` first keeps it
// uninstrumented, and what a socket.io server receives starts traces of its own, which the main
// process's bullmq case says none of its spans do).
describe.each(SETS)('%s: restify, router and socket.io in their own process', (set) => {
  let app: Running;
  let routerPort: number;
  let restifyPort: number;
  let socketIoPort: number;
  beforeAll(async () => {
    app = start([path.join(REPO, 'fixtures/versions/app.cjs')], {
      env: {
        NODE_OPTIONS: `--require ${path.join(REPO, 'register.cjs')}`,
        LIBS_DIR: prepareApp(set, VERSION_SETS).dir,
        WITH_BULLMQ: '0',
        FRAMEWORKS: 'solo',
        OTEL_SERVICE_NAME: `versions-${set}-solo`,
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
        OTEL_BSP_SCHEDULE_DELAY: '100',
        OTEL_METRICS_EXPORTER: 'none',
      },
    });
    routerPort = Number((await app.waitForLine(/router (\d+)/, DEADLINE_MS))[1]);
    restifyPort = Number((await app.waitForLine(/restify (\d+)|restify unavailable/, DEADLINE_MS))[1]);
    socketIoPort = Number((await app.waitForLine(/socket\.io (\d+)|socket\.io failed/, DEADLINE_MS))[1]);
  });
  afterAll(async () => {
    app?.child.kill('SIGTERM');
    await app?.exited;
  });

  it.each([
    ['router', () => routerPort, '/items/4', '/items/:id'],
    ['restify', () => restifyPort, '/orders/5', '/orders/:id'],
  ])('%s: the route on the SERVER span and in its name', async (lib, p, route, template) => {
    if (lib === 'restify' && restifyOldOnNewNode(set)) return;
    const r = await request(p(), route, set, lib);
    expect(r.status).toBe(200);
    expect(r.body.version).toBe(setVersion(set, lib));
    const server = r.spans().filter((s) => s.kind === 'SPAN_KIND_SERVER');
    expect(server).toHaveLength(1);
    expect(server[0]).toMatchObject({ name: `GET ${template}`, parentSpanId: '00f067aa0ba902b7' });
    expect(server[0].attributes['http.route']).toBe(template);
  });

  it('socket.io: a PRODUCER span for the request\'s broadcast; what the server receives a CONSUMER span, its emit under it', async () => {
    expect(socketIoPort, app.stdout()).toBeGreaterThan(0);
    const r = await request(socketIoPort, '/emit', set, 'socket.io');
    expect(r.body.ack).toBe(`ok ${r.body.n}`);
    expect(r.body.version).toBe(setVersion(set, 'socket.io'));
    const sio = (s: ReceivedSpan) => s.scope === '@opentelemetry/instrumentation-socket.io';
    const event = (s: ReceivedSpan) => s.attributes['messaging.socket.io.event_name'];
    const server = r.spans().find((s) => s.kind === 'SPAN_KIND_SERVER')!;
    await receiver.waitFor(() => r.spans().some((s) => sio(s) && event(s) === 'news'), DEADLINE_MS, 'the news span');
    const news = r.spans().filter((s) => sio(s) && event(s) === 'news');
    expect(news).toHaveLength(1);
    expect(news[0]).toMatchObject({ name: 'send /', kind: 'SPAN_KIND_PRODUCER', parentSpanId: server.spanId });
    expect(news[0].attributes).toMatchObject({ 'messaging.system': 'socket.io', 'messaging.destination': '/', 'messaging.destination_kind': 'topic', 'messaging.socket.io.namespace': '/' });
    // socket.io carries no trace context: the server's handling of the client's `thanks` is a trace of its own.
    const service = `versions-${set}-solo`;
    const mine = () => receiver.spans.filter((s) => s.resource['service.name'] === service && sio(s));
    await receiver.waitFor(() => mine().some((s) => event(s) === 'bye'), DEADLINE_MS, 'the bye span');
    const thanks = mine().filter((s) => event(s) === 'thanks');
    expect(thanks).toHaveLength(1);
    expect(thanks[0]).toMatchObject({ name: 'receive /', kind: 'SPAN_KIND_CONSUMER' });
    expect(thanks[0].attributes).toMatchObject({ 'messaging.system': 'socket.io', 'messaging.operation': 'receive', 'messaging.destination': '/' });
    const bye = mine().filter((s) => event(s) === 'bye');
    expect(bye).toHaveLength(1);
    expect(bye[0]).toMatchObject({ name: 'send /', kind: 'SPAN_KIND_PRODUCER', parentSpanId: thanks[0].spanId, traceId: thanks[0].traceId });
  });
});

// The same housekeeping with its detail asked for: BullMQ's INTERNAL spans come back.
describe('bullmq with OTEL_NODE_INSTRUMENTATION_DETAIL=bullmq', () => {
  it('the stalled-job check is an INTERNAL span again', async () => {
    if (noRedis) return;
    const service = 'versions-bullmq-detail';
    const app = start([path.join(REPO, 'fixtures/versions/app.cjs')], {
      env: {
        NODE_OPTIONS: `--require ${path.join(REPO, 'register.cjs')}`,
        LIBS_DIR: prepareApp('libs-newest', VERSION_SETS).dir,
        WITH_BULLMQ: '1',
        BULLMQ_STALLED_INTERVAL: '300',
        OTEL_NODE_INSTRUMENTATION_DETAIL: 'bullmq',
        OTEL_SERVICE_NAME: service,
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
        OTEL_BSP_SCHEDULE_DELAY: '100',
        OTEL_METRICS_EXPORTER: 'none',
      },
    });
    try {
      const mine = () => receiver.spans.filter((s) => s.resource['service.name'] === service);
      await receiver.waitFor(() => mine().some((s) => s.name.startsWith('moveStalledJobsToWait ')), DEADLINE_MS, 'a moveStalledJobsToWait span');
      expect(mine().find((s) => s.name.startsWith('moveStalledJobsToWait '))).toMatchObject({ kind: 'SPAN_KIND_INTERNAL', scope: 'otel-preload-bullmq' });
    } finally {
      app.child.kill('SIGTERM');
      await app.exited;
    }
  });
});

// @cucumber/cucumber 13 (our range extension) needs Node >= 22: run on Node 22.14 (2.x line) and on
// the 3.x line's Node; 8.0.0 (the oldest claimed) on the Node running the tests.
describe.each([
  ['libs-newest', '22.14.0'],
  ['libs-newest', '24.21.0'],
  ['libs-oldest', undefined],
] as const)('cucumber from %s on Node %s', (set, nodeVersion) => {
  it('a span per scenario step, under the run', async () => {
    const dir = prepareApp(set, VERSION_SETS).dir;
    const node = nodeVersion ? nodeBinary(nodeVersion) : process.execPath;
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'node_modules/@cucumber/cucumber/package.json'), 'utf8'));
    const done = await run([path.join(dir, 'node_modules/@cucumber/cucumber', pkg.bin['cucumber-js']), '--require', path.join(REPO, 'fixtures/versions/cucumber/steps.cjs'), path.join(REPO, 'fixtures/versions/cucumber/features/shop.feature')], {
      // Cucumber 8 must resolve itself from the working directory.
      cwd: dir,
      node,
      env: {
        NODE_OPTIONS: `--require ${path.join(REPO, 'register.cjs')}`,
        // A test runner is tooling (bootstrap/tooling.ts): taken back explicitly, as a user would.
        OTEL_NODE_INCLUDED_PROCESSES: 'cucumber,cucumber-js,@cucumber/cucumber',
        LIBS_DIR: dir,
        OTEL_SERVICE_NAME: `cucumber-${set}-${nodeVersion ?? 'default'}`,
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
        OTEL_METRICS_EXPORTER: 'none',
      },
    });
    expect(done.code, done.stderr).toBe(0);
    const service = `cucumber-${set}-${nodeVersion ?? 'default'}`;
    const spans = () => receiver.spans.filter((s) => s.resource['service.name'] === service);
    await receiver.waitFor(() => spans().some((s) => s.name === 'the cart holds 2 items'), DEADLINE_MS, 'the step spans');
    const names = spans().map((s) => s.name);
    expect(names).toEqual(expect.arrayContaining(['an empty cart', 'I add 2 apples', 'the cart holds 2 items']));
    const step = spans().find((s) => s.name === 'I add 2 apples')!;
    expect(step.scope).toBe('@opentelemetry/instrumentation-cucumber');
    expect(step.attributes).toMatchObject({ 'cucumber.step.status': 'PASSED' });
  });
});

// The README's "Tested end to end" column comes from E2E_TESTED: every version it names is installed
// by its set, and every case it names for this file ran (the last describe of the file: it runs last).
// Versions from corpus apps (the GenAI tests', Nest's) are checked by test/unit/readme.test.ts.
describe('the tested-versions data (scripts/e2e-tested.ts)', () => {
  it.each(Object.entries(E2E_TESTED).filter(([, t]) => t.sets.length))('%s: in its version sets, and run', (module, t) => {
    for (const set of t.sets) {
      expect(setVersion(set, module), `${module} in ${set}`).toMatch(/^\d+\.\d+\.\d+$/);
      if (t.by !== 'versions.test.ts') continue;
      const [major, minor] = process.versions.node.split('.').map(Number);
      const oldNode = major < 22 || (major === 22 && minor < 19);
      if (module === 'undici' && set === 'libs-newest' && oldNode) continue;
      if (module === '@cucumber/cucumber') continue;
      if (module === 'restify' && restifyOldOnNewNode(set)) continue;
      if (noRedis && ['redis', 'bullmq', 'ioredis', '@redis/client', '@node-redis/client'].includes(module)) continue;
      if (noPg && (module === 'pg' || module === 'pg-pool')) continue;
      if (noMariadb && ['mariadb', 'mysql', 'mysql2'].includes(module)) continue;
      if (noPg && module === 'knex') continue;
      if (noRabbit && module === 'amqplib') continue;
      expect(ran.has(`${set}:${module}`), `${set}:${module} ran`).toBe(true);
    }
  });
});
