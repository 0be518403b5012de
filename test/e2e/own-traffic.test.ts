// Our own traffic is never the app's telemetry (issues #25.1, #26.6): the exports (OTLP/HTTP and
// gRPC) and OpAMP polls of an app that calls nothing make no CLIENT span and no
// http.client.request.duration point, however many intervals pass; and with the trace endpoint
// set to the app's own port, the export POSTs the app's server receives make no SERVER span and
// no http.server.request.duration point (before, each export was traced and exported, forever).

import * as http from 'http';
import type { AddressInfo } from 'net';
import * as path from 'path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OtlpReceiver } from '../../scripts/otlp-receiver';
import { SpecOpampServer } from '../helpers/opamp-server';
import { REPO, get, start } from '../helpers/processes';
import { DEADLINE_MS } from '../helpers/wait';

const NODE_OPTIONS = `--require ${path.join(REPO, 'register.cjs')}`;
const INTERVALS = 6;
let receivers: Record<'grpc' | 'http/protobuf', OtlpReceiver>;
let opamp: SpecOpampServer;

beforeAll(async () => {
  receivers = { grpc: await new OtlpReceiver('grpc').start(), 'http/protobuf': await new OtlpReceiver('http/protobuf').start() };
  opamp = await new SpecOpampServer().start();
});
afterAll(async () => {
  await receivers.grpc.stop();
  await receivers['http/protobuf'].stop();
  await opamp.stop();
});

// The app serves; it counts the POSTs that reach it (our exports, when the endpoint is its port).
const APP = `
const http = require('http');
let posts = 0;
const server = http.createServer((req, res) => {
  if (req.method === 'POST') {
    req.resume();
    req.on('end', () => { res.writeHead(200, { 'content-type': 'application/x-protobuf' }); res.end(); console.log('export ' + ++posts); });
    return;
  }
  res.end('hello');
});
server.listen(Number(process.env.PORT || 0), '127.0.0.1', () => console.log('listening ' + server.address().port));
`;

const ofService = (r: OtlpReceiver, service: string) => ({
  spans: r.spans.filter((s) => s.resource['service.name'] === service),
  metrics: r.metrics.filter((m) => m.resource['service.name'] === service),
});
/** Metric exports received so far: one `nodejs.eventloop.utilization` (runtime-node) entry per export. */
const exportsOf = (r: OtlpReceiver, service: string) => ofService(r, service).metrics.filter((m) => m.name === 'nodejs.eventloop.utilization').length;
const points = (r: OtlpReceiver, service: string, name: string) => ofService(r, service).metrics.filter((m) => m.name === name).flatMap((m) => m.dataPoints);

async function freePort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

describe('our own traffic is invisible', () => {
  it.each(['http/protobuf', 'grpc'] as const)('an app that calls nothing, exporting over %s and polling OpAMP for several intervals: no CLIENT span, no http.client point', async (protocol) => {
    const receiver = receivers[protocol];
    const service = `own-traffic-idle-${protocol.replace('/', '-')}`;
    const app = start(['-e', APP], { env: { NODE_OPTIONS, OTEL_SERVICE_NAME: service, OTEL_EXPORTER_OTLP_PROTOCOL: protocol, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_METRIC_EXPORT_INTERVAL: '300', OTEL_BSP_SCHEDULE_DELAY: '100', OTEL_NODE_OPAMP_ENDPOINT: opamp.endpoint, OTEL_NODE_OPAMP_HEARTBEAT_INTERVAL: '1000' } });
    try {
      await app.waitForLine(/listening/, DEADLINE_MS);
      await receiver.waitFor(() => exportsOf(receiver, service) >= INTERVALS, DEADLINE_MS, `${INTERVALS} metric exports`);
      await opamp.waitFor((rs) => rs.filter((r) => r.headers['user-agent']?.includes('otel-preload')).length >= 2, DEADLINE_MS, 'two OpAMP polls');
    } finally {
      app.child.kill('SIGTERM');
    }
    await app.exited;
    const { spans } = ofService(receiver, service);
    expect(spans.filter((s) => s.kind === 'SPAN_KIND_CLIENT')).toEqual([]);
    expect(spans).toEqual([]);
    expect(points(receiver, service, 'http.client.request.duration')).toEqual([]);
    expect(points(receiver, service, 'http.server.request.duration')).toEqual([]);
  });

  it('the trace endpoint is the app’s own port (OTLP/HTTP): one request of the app, one export POST, and no more', async () => {
    const receiver = receivers['http/protobuf'];
    const service = 'own-traffic-own-port';
    const port = await freePort();
    const app = start(['-e', APP], {
      env: {
        NODE_OPTIONS,
        PORT: String(port),
        OTEL_SERVICE_NAME: service,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `http://127.0.0.1:${port}/v1/traces`,
        OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: `${receiver.endpoint}/v1/metrics`,
        OTEL_LOGS_EXPORTER: 'none',
        OTEL_METRIC_EXPORT_INTERVAL: '300',
        OTEL_BSP_SCHEDULE_DELAY: '100',
      },
    });
    try {
      await app.waitForLine(/listening/, DEADLINE_MS);
      expect((await get(`http://127.0.0.1:${port}/hello`)).body).toBe('hello');
      await app.waitForLine(/export 1/, DEADLINE_MS);
      const after = exportsOf(receiver, service);
      await receiver.waitFor(() => exportsOf(receiver, service) >= after + INTERVALS, DEADLINE_MS, `${INTERVALS} more metric exports`);
    } finally {
      app.child.kill('SIGTERM');
    }
    const finished = await app.exited;
    expect(finished.stdout.match(/^export \d+$/gm)).toEqual(['export 1']);
    const server = points(receiver, service, 'http.server.request.duration');
    expect(server.length).toBeGreaterThan(0);
    expect(server.every((p) => Number(p.count) === 1)).toBe(true);
    expect(points(receiver, service, 'http.client.request.duration')).toEqual([]);
  });
});
