// Boundary spans for Express 4 and 5: by default a request yields its SERVER span with the route
// (and CLIENT spans for its outgoing calls) and no span per middleware or handler; the route is
// the one upstream's own express instrumentation reports, for nested routers, mounted sub-apps,
// array and regular-expression paths and errors — except that a request no route answered (a 404)
// gets none. OTEL_NODE_INSTRUMENTATION_DETAIL=express brings the middleware spans back.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OtlpReceiver, type ReceivedSpan } from '../../scripts/otlp-receiver';
import { get, REPO, start } from '../helpers/processes';
import { DEADLINE_MS } from '../helpers/wait';

const TARGETS = ['/users/42', '/alpha', '/beta/3', '/re/12', '/boom', '/pass', '/nope', '/api/items/5', '/api/fail/1', '/api/v1/deep/9', '/orgs/acme/members/bob', '/sub/hello/x', '/outgoing'];
/** Requests no route answered: upstream reports the last route tried (or none); we report none. */
const NOT_FOUND = ['/pass', '/nope'];
const REGISTER = path.join(REPO, 'register.cjs');
const UPSTREAM = path.join(REPO, 'test/helpers/upstream-express.cjs');

let receiver: OtlpReceiver;
let express4App: string;
beforeAll(async () => {
  receiver = await new OtlpReceiver('grpc').start();
  // Express 4 is installed as `express4`; instrumentations recognise it by its directory name
  // `express`, as an app would install it: a copy of it and of the app, beside each other.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'otel-preload-express4-'));
  fs.cpSync(path.join(REPO, 'node_modules/express4'), path.join(dir, 'node_modules/express'), { recursive: true });
  fs.copyFileSync(path.join(REPO, 'fixtures/routes/express-app.js'), path.join(dir, 'express-app.js'));
  express4App = path.join(dir, 'express-app.js');
});
afterAll(async () => {
  await receiver.stop();
  fs.rmSync(path.dirname(express4App), { recursive: true, force: true });
});

const VERSIONS = [
  { version: 5, script: () => path.join(REPO, 'fixtures/routes/express-app.js'), expressVersion: require('express/package.json').version as string },
  { version: 4, script: () => express4App, expressVersion: require('express4/package.json').version as string },
];

/** Runs the app under `preload`, requests every target in turn, stops it; returns its stderr. */
async function exercise(script: string, env: Record<string, string>): Promise<string> {
  const app = start([script], { cwd: path.dirname(script), env: { NODE_PATH: path.join(REPO, 'node_modules'), ...env } });
  const [, port] = await app.waitForLine(/listening (\d+)/, DEADLINE_MS);
  for (const target of TARGETS) await get(`http://127.0.0.1:${port}${target}`);
  await get(`http://127.0.0.1:${port}/shutdown`);
  const finished = await app.exited;
  expect(finished.code).toBe(0);
  return finished.stderr;
}

describe.each(VERSIONS)('Express $version', ({ version, script, expressVersion }) => {
  let upstream: Map<string, string | undefined>;
  beforeAll(async () => {
    const stderr = await exercise(script(), { NODE_OPTIONS: `--require ${UPSTREAM}` });
    const spans = stderr.split('\n').filter((l) => l.startsWith('upstream-span ')).map((l) => JSON.parse(l.slice('upstream-span '.length)));
    upstream = new Map(spans.filter((s) => s.kind === 1 /* SERVER */).map((s) => [s.path, s.route]));
    expect(upstream.size, `upstream saw every request: ${stderr}`).toBeGreaterThanOrEqual(TARGETS.length);
    expect(expressVersion.startsWith(`${version}.`)).toBe(true);
  });

  const collect = async (service: string, detail?: string) => {
    await exercise(script(), { NODE_OPTIONS: `--require ${REGISTER}`, OTEL_SERVICE_NAME: service, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, ...(detail ? { OTEL_NODE_INSTRUMENTATION_DETAIL: detail } : {}) });
    const mine = (s: ReceivedSpan) => s.resource['service.name'] === service;
    await receiver.waitFor((r) => r.spans.filter((s) => mine(s) && s.kind === 'SPAN_KIND_SERVER').length >= TARGETS.length + 2, DEADLINE_MS, 'spans');
    await receiver.waitFor((r) => r.metrics.some((m) => m.resource['service.name'] === service && m.name === 'http.server.request.duration'), DEADLINE_MS, 'metrics');
    const spans = receiver.spans.filter(mine);
    const servers = new Map(spans.filter((s) => s.kind === 'SPAN_KIND_SERVER').map((s) => [String(s.attributes['url.path']), s]));
    const points = receiver.metrics.filter((m) => m.resource['service.name'] === service && m.name === 'http.server.request.duration').flatMap((m) => m.dataPoints);
    return { spans, servers, points };
  };

  it('default: the SERVER span carries upstream’s route, no 404 gets one, and no middleware or handler span exists', async () => {
    const { spans, servers, points } = await collect(`routes-express${version}`);
    for (const target of TARGETS) {
      const server = servers.get(target);
      expect(server, `SERVER span for ${target}`).toBeDefined();
      const expected = NOT_FOUND.includes(target) ? undefined : upstream.get(target);
      expect({ target, route: server!.attributes['http.route'] }).toEqual({ target, route: expected });
      if (expected) expect(server!.name).toBe(`GET ${expected}`);
    }
    // Sanity: the reference did resolve the interesting ones.
    expect(upstream.get('/api/v1/deep/9')).toBe('/api/v1/deep/:x');
    expect(upstream.get('/sub/hello/x')).toBe('/sub/hello/:name');
    expect(Number(servers.get('/boom')!.attributes['http.response.status_code'])).toBe(500);
    expect(Number(servers.get('/nope')!.attributes['http.response.status_code'])).toBe(404);
    // Boundary spans only: SERVER spans and the one CLIENT span of /outgoing (with its socket connect).
    expect(spans.filter((s) => !['@opentelemetry/instrumentation-http', '@opentelemetry/instrumentation-net'].includes(s.scope)).map((s) => s.name)).toEqual([]);
    expect(spans.filter((s) => s.kind === 'SPAN_KIND_CLIENT')).toHaveLength(1);
    const client = spans.find((s) => s.kind === 'SPAN_KIND_CLIENT')!;
    expect(client.parentSpanId).toBe(servers.get('/outgoing')!.spanId);
    // The duration metric carries the same route; 404s carry none.
    expect(points.some((p) => p.attributes['http.route'] === '/api/items/:itemId')).toBe(true);
    expect(points.filter((p) => Number(p.attributes['http.response.status_code']) === 404).every((p) => p.attributes['http.route'] === undefined)).toBe(true);
  });

  it('OTEL_NODE_INSTRUMENTATION_DETAIL=express: middleware and handler spans under the SERVER span, same routes', async () => {
    const { spans, servers } = await collect(`routes-express${version}-detail`, 'express');
    const users = servers.get('/users/42')!;
    expect(users.attributes['http.route']).toBe('/users/:id');
    const children = spans.filter((s) => s.traceId === users.traceId && s.parentSpanId === users.spanId && s.scope === '@opentelemetry/instrumentation-express');
    expect(children.map((s) => s.name)).toEqual(expect.arrayContaining(['middleware - first', 'middleware - second', 'middleware - third', expect.stringMatching(/^request handler/)]));
    for (const target of TARGETS) {
      if (NOT_FOUND.includes(target)) continue;
      expect({ target, route: servers.get(target)!.attributes['http.route'] }).toEqual({ target, route: upstream.get(target) });
    }
  });
});
