// PostgreSQL through a pool, boundary spans: by default a request yields its SERVER span and the
// query's CLIENT span (its child), and no `pg-pool.connect` / `pg.connect` / `tcp.connect` span; with
// OTEL_NODE_INSTRUMENTATION_DETAIL=pg the connect spans come back.

import * as path from 'path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OtlpReceiver, type ReceivedSpan } from '../../scripts/otlp-receiver';
import { get, REPO, start } from '../helpers/processes';
import { missingServices } from '../helpers/services';
import { DEADLINE_MS } from '../helpers/wait';

const missing = await missingServices(['postgresql']);
let receiver: OtlpReceiver;
beforeAll(async () => {
  receiver = await new OtlpReceiver('grpc').start();
});
afterAll(() => receiver.stop());

async function spansOf(service: string, detail?: string): Promise<ReceivedSpan[]> {
  const app = start([path.join(REPO, 'fixtures/routes/pg-app.js')], {
    env: { NODE_OPTIONS: `--require ${path.join(REPO, 'register.cjs')}`, OTEL_SERVICE_NAME: service, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_NODE_INSTRUMENTATION_DETAIL: detail },
  });
  const [, port] = await app.waitForLine(/listening (\d+)/, DEADLINE_MS);
  for (let i = 0; i < 3; i++) expect((await get(`http://127.0.0.1:${port}/q${i}`)).status).toBe(200);
  await get(`http://127.0.0.1:${port}/shutdown`);
  expect((await app.exited).code).toBe(0);
  const mine = () => receiver.spans.filter((s) => s.resource['service.name'] === service);
  // The SERVER spans end after their queries: once all three are in, so are the queries.
  await receiver.waitFor(() => mine().filter((s) => s.kind === 'SPAN_KIND_SERVER' && /^\/q\d$/.test(String(s.attributes['url.path']))).length === 3, DEADLINE_MS, 'spans');
  return mine();
}

describe.skipIf(missing.length > 0)('pg through a pool', () => {
  it('default: SERVER span and the query span, no connect span', async () => {
    const spans = await spansOf('boundary-pg');
    const servers = spans.filter((s) => s.kind === 'SPAN_KIND_SERVER' && /^\/q\d$/.test(String(s.attributes['url.path'])));
    for (const server of servers) {
      // A new pool connection's socket connect (net) is detail too (boundary-connections.test.ts).
      const children = spans.filter((s) => s.parentSpanId === server.spanId);
      expect(children.map((s) => `${s.scope} ${s.name}`)).toEqual([expect.stringMatching(/^@opentelemetry\/instrumentation-pg pg\.query/)]);
      expect(children[0].kind).toBe('SPAN_KIND_CLIENT');
      expect(children[0].attributes['db.system.name'] ?? children[0].attributes['db.system']).toBe('postgresql');
    }
    expect(spans.filter((s) => /^pg(-pool)?\.connect/.test(s.name)).map((s) => s.name)).toEqual([]);
  });

  it('OTEL_NODE_INSTRUMENTATION_DETAIL=pg: connect spans come back', async () => {
    const spans = await spansOf('boundary-pg-detail', 'pg');
    expect(spans.filter((s) => s.name === 'pg-pool.connect').length).toBeGreaterThanOrEqual(3);
  });
});
