// Connection-level spans are detail: by default a request that calls out on a fresh connection
// yields its SERVER span and the HTTP CLIENT span (and the callee's SERVER span), and no
// `tcp.connect` (instrumentation-net) or `dns.lookup` (instrumentation-dns) span — neither inside
// the request nor as a root trace for a connection made at start-up. With
// OTEL_NODE_INSTRUMENTATION_DETAIL=net,dns they come back.

import * as path from 'path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OtlpReceiver, type ReceivedSpan } from '../../scripts/otlp-receiver';
import { get, REPO, start } from '../helpers/processes';
import { DEADLINE_MS } from '../helpers/wait';

let receiver: OtlpReceiver;
beforeAll(async () => {
  receiver = await new OtlpReceiver('grpc').start();
});
afterAll(() => receiver.stop());

const CONNECTION_SCOPES = ['@opentelemetry/instrumentation-net', '@opentelemetry/instrumentation-dns'];

async function spansOf(service: string, detail?: string): Promise<ReceivedSpan[]> {
  const app = start([path.join(REPO, 'fixtures/routes/connect-app.js')], {
    env: { NODE_OPTIONS: `--require ${path.join(REPO, 'register.cjs')}`, OTEL_SERVICE_NAME: service, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_BSP_SCHEDULE_DELAY: '100', OTEL_NODE_INSTRUMENTATION_DETAIL: detail },
  });
  const [, port] = await app.waitForLine(/listening (\d+)/, DEADLINE_MS);
  for (let i = 0; i < 2; i++) expect((await get(`http://127.0.0.1:${port}/call?n=${i}`)).status).toBe(200);
  await get(`http://127.0.0.1:${port}/shutdown`);
  expect((await app.exited).code).toBe(0);
  const mine = () => receiver.spans.filter((s) => s.resource['service.name'] === service);
  await receiver.waitFor(() => mine().filter((s) => s.kind === 'SPAN_KIND_SERVER' && s.attributes['url.path'] === '/call').length === 2, DEADLINE_MS, 'spans');
  return mine();
}

describe('connection-level spans', () => {
  it('default: SERVER and CLIENT spans only; no tcp.connect or dns.lookup, not even at start-up', async () => {
    const spans = await spansOf('boundary-connections');
    expect(spans.filter((s) => CONNECTION_SCOPES.includes(s.scope)).map((s) => s.name)).toEqual([]);
    for (const server of spans.filter((s) => s.kind === 'SPAN_KIND_SERVER' && s.attributes['url.path'] === '/call')) {
      const children = spans.filter((s) => s.parentSpanId === server.spanId);
      expect(children.map((s) => `${s.kind} ${s.name}`)).toEqual(['SPAN_KIND_CLIENT GET']);
    }
  });

  it('OTEL_NODE_INSTRUMENTATION_DETAIL=net,dns: tcp.connect and dns.lookup come back', async () => {
    const spans = await spansOf('boundary-connections-detail', 'net,dns');
    const names = spans.filter((s) => CONNECTION_SCOPES.includes(s.scope)).map((s) => s.name);
    expect(names).toContain('tcp.connect');
    expect(names.some((n) => n.startsWith('dns.lookup'))).toBe(true);
  });
});
