// Two OpenTelemetry JS lines from one install and one NODE_OPTIONS line: the same fixture app
// (express, an http client call, a PostgreSQL query, a log record) under Node 24 (3.x line) and the
// 2.x line (the system Node 20, and 18.20), plus Node 22.23 (3.x) and Node 26 (3.x, no deprecation
// warning). Each run must report its line in telemetry.sdk.version and in the start-up summary,
// and every line must deliver the same shape of spans, metrics and logs.

import * as path from 'path';
import { beforeAll, describe, expect, it } from 'vitest';
import { OtlpReceiver, type ReceivedSpan } from '../../scripts/otlp-receiver';
import { nodeBinary } from '../../scripts/node-binaries';
import { get, REPO, start, withoutNodeWarnings } from '../helpers/processes';
import { missingServices } from '../helpers/services';
import { lineForNode } from '../../src/otel-line/line';
import { DEADLINE_MS } from '../helpers/wait';

const NODE_OPTIONS = `--require ${path.join(REPO, 'register.cjs')}`;
const SERVICE = 'fixture-cjs-app';

interface Shape {
  spans: string[];
  metrics: string[];
  logs: string[];
}

interface Outcome {
  sdkVersion: unknown;
  summaryLine: unknown;
  stderr: string;
  shape: Shape;
}

const withPg = missingServices(['postgresql']).then((m) => m.length === 0);

/** What must be the same on both lines: which spans (scope, kind, name, attribute keys), which metrics, which logs. */
function shapeOf(receiver: OtlpReceiver, mine: (s: { resource: Record<string, unknown> }) => boolean): Shape {
  const unversioned = (s: ReceivedSpan) => `${s.scope} ${s.kind} ${s.name} [${Object.keys(s.attributes).filter((k) => !VOLATILE.has(k)).sort().join(',')}]`;
  return {
    spans: [...new Set(receiver.spans.filter(mine).map(unversioned))].sort(),
    metrics: [...new Set(receiver.metrics.filter(mine).filter((m) => m.dataPoints.length).map((m) => m.name))].filter((n) => APP_METRICS.test(n)).sort(),
    logs: receiver.logs.filter(mine).map((l) => `${String((l.body as { stringValue?: string })?.stringValue ?? l.body)} traced=${Boolean(l.traceId)}`).sort(),
  };
}
// Attributes whose presence depends on timing or on the socket, not on the line.
const VOLATILE = new Set(['network.peer.port', 'network.peer.address']);
// Metrics that every run produces by the time it exits (runtime metrics depend on the interval).
const APP_METRICS = /^(http\.(server|client)\.request\.duration|db\.client\.operation\.duration)$/;

async function runApp(node: string, receiver: OtlpReceiver, pg: boolean): Promise<Outcome> {
  const proc = start(['cjs-app/app.js'], {
    node,
    env: { NODE_OPTIONS, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_LOG_LEVEL: 'info', OTEL_METRIC_EXPORT_INTERVAL: '60000' },
  });
  const [, port] = await proc.waitForLine(/listening (\d+)/, DEADLINE_MS);
  const base = `http://127.0.0.1:${port}`;
  expect((await get(`${base}/users/42`)).status).toBe(200);
  if (pg) expect((await get(`${base}/db`)).status).toBe(200);
  await get(`${base}/shutdown`);
  const finished = await proc.exited;
  expect(finished.code, finished.stderr).toBe(0);
  const mine = (s: { resource: Record<string, unknown> }) => s.resource['service.name'] === SERVICE;
  await receiver.waitFor((r) => r.spans.filter(mine).some((s) => s.attributes['http.route'] === '/users/:id') && r.logs.some(mine) && r.metrics.some((m) => mine(m) && m.name === 'http.server.request.duration'), DEADLINE_MS, 'spans, logs and metrics');
  const started = finished.stderr.split('\n').find((l) => l.startsWith('otel-preload info: started '));
  const summary = started ? JSON.parse(started.slice('otel-preload info: started '.length)) : undefined;
  return {
    sdkVersion: receiver.spans.find(mine)?.resource['telemetry.sdk.version'],
    summaryLine: summary?.otelLine,
    stderr: withoutNodeWarnings(finished.stderr.split('\n').filter((l) => !l.startsWith('otel-preload info:')).join('\n')),
    shape: shapeOf(receiver, mine),
  };
}

const RUNS = [
  { label: 'Node 24.21.0', version: '24.21.0' },
  { label: `system Node ${process.versions.node}`, version: 'system' },
  { label: 'Node 22.23.3', version: '22.23.3' },
  { label: 'Node 18.20.8', version: '18.20.8' },
  { label: 'Node 26.10.0', version: '26.10.0' },
] as const;

describe('one install, the line chosen by the Node.js version', () => {
  const outcomes = new Map<string, Outcome>();
  let pg = false;
  beforeAll(async () => {
    pg = await withPg;
    for (const r of RUNS) if (r.version !== 'system') nodeBinary(r.version);
  });

  it.each(RUNS)('$label: exports with its line\'s telemetry.sdk.version, named in the start-up summary', async ({ version }) => {
    const node = version === 'system' ? process.execPath : nodeBinary(version);
    const nodeVersion = version === 'system' ? process.versions.node : version;
    const receiver = await new OtlpReceiver('grpc').start();
    try {
      const outcome = await runApp(node, receiver, pg);
      outcomes.set(version, outcome);
      const expected = lineForNode(nodeVersion);
      expect(outcome.sdkVersion).toMatch(expected === '3.x' ? /^3\./ : /^2\./);
      expect(outcome.summaryLine).toMatchObject({ line: expected, sdkVersion: outcome.sdkVersion });
      // Nothing else on stderr: no deprecation warning from either line (Node 26 included).
      expect(outcome.stderr).not.toMatch(/DeprecationWarning|DEP0\d+/);
      expect(outcome.stderr).toBe('');
    } finally {
      await receiver.stop();
    }
  });

  it('the 3.x line (Node 24) and the 2.x line (system Node 20) deliver the same spans, metrics and logs', () => {
    const three = outcomes.get('24.21.0');
    const two = outcomes.get(lineForNode(process.versions.node) === '2.x' ? 'system' : '18.20.8');
    expect(three && two, 'both runs above finished').toBeTruthy();
    expect(three!.shape.spans.some((s) => s.includes('SPAN_KIND_SERVER GET /users/:id'))).toBe(true);
    expect(three!.shape.spans.some((s) => s.includes('SPAN_KIND_CLIENT GET'))).toBe(true);
    if (pg) expect(three!.shape.spans.some((s) => s.startsWith('@opentelemetry/instrumentation-pg SPAN_KIND_CLIENT'))).toBe(true);
    if (process.env.OTEL_LINES_SHOW) console.log(JSON.stringify(three!.shape, null, 1));
    expect(three!.shape).toEqual(two!.shape);
  });
});
