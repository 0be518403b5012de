// GraphQL at the boundary, against a real Apollo Server: one query returning 100 items × 2 fields
// gives its SERVER span and one operation span (`query GetItems`, graphql.operation.*, the
// document without its literals), nothing per field, no parse or validate span — under require()
// and under import (Apollo's ES module build). OTEL_NODE_INSTRUMENTATION_DETAIL=graphql brings the
// parse, validate and resolver spans back.

import { randomBytes } from 'crypto';
import * as path from 'path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OtlpReceiver, type ReceivedSpan } from '../../scripts/otlp-receiver';
import { REPO, start } from '../helpers/processes';
import { DEADLINE_MS } from '../helpers/wait';

let receiver: OtlpReceiver;
beforeAll(async () => {
  receiver = await new OtlpReceiver('grpc').start();
});
afterAll(() => receiver.stop());

const QUERY = 'query GetItems { items(first: 100) { id name } }';

/** Runs the app, sends one query with a known trace id, and returns that trace's spans. */
async function traceOf(script: string, service: string, env: Record<string, string> = {}): Promise<ReceivedSpan[]> {
  const flag = script.endsWith('.mjs') ? `--import ${path.join(REPO, 'register.mjs')}` : `--require ${path.join(REPO, 'register.cjs')}`;
  const app = start([path.join(REPO, 'fixtures/graphql', script)], {
    env: { NODE_OPTIONS: flag, OTEL_SERVICE_NAME: service, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_BSP_SCHEDULE_DELAY: '100', OTEL_METRICS_EXPORTER: 'none', ...env },
  });
  try {
    const [, port] = await app.waitForLine(/listening (\d+)/, DEADLINE_MS);
    const traceId = randomBytes(16).toString('hex');
    const res = await fetch(`http://127.0.0.1:${port}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
      body: JSON.stringify({ query: QUERY }),
    });
    const body = (await res.json()) as { data: { items: unknown[] } };
    expect(body.data.items).toHaveLength(100);
    const trace = () => receiver.spans.filter((s) => s.traceId === traceId);
    // The SERVER span ends last: once it is in, the request's spans are.
    await receiver.waitFor(() => trace().some((s) => s.kind === 'SPAN_KIND_SERVER'), DEADLINE_MS, 'the SERVER span');
    // Let a straggler batch arrive (resolver spans, if any, end before the SERVER span anyway).
    await new Promise((r) => setTimeout(r, 300));
    return trace();
  } finally {
    app.child.kill('SIGTERM');
    await app.exited;
  }
}

describe.each(['apollo.cjs', 'apollo.mjs'])('Apollo Server (%s), boundary by default', (script) => {
  it('one SERVER span and one span for the operation, nothing per field', async () => {
    const spans = await traceOf(script, `graphql-${script.replace('.', '-')}`);
    expect(spans.map((s) => `${s.kind.replace('SPAN_KIND_', '')} ${s.name}`).sort()).toEqual(['INTERNAL query GetItems', 'SERVER POST']);
    const server = spans.find((s) => s.kind === 'SPAN_KIND_SERVER')!;
    const operation = spans.find((s) => s.name === 'query GetItems')!;
    expect(operation.parentSpanId).toBe(server.spanId);
    expect(operation.scope).toBe('@opentelemetry/instrumentation-graphql');
    expect(operation.attributes).toMatchObject({ 'graphql.operation.type': 'query', 'graphql.operation.name': 'GetItems' });
    // The document, with the literal 100 replaced: no argument value is exported.
    expect(String(operation.attributes['graphql.document'])).toMatch(/query GetItems \{\s*items\(first: \*\)/);
    expect(operation.attributes['graphql.source']).toBeUndefined();
  });
});

describe('OTEL_NODE_INSTRUMENTATION_DETAIL=graphql', () => {
  it('parse, validate and a resolver span per field come back', async () => {
    const spans = await traceOf('apollo.cjs', 'graphql-detail', { OTEL_NODE_INSTRUMENTATION_DETAIL: 'graphql' });
    const names = spans.map((s) => s.name);
    expect(names).toContain('query GetItems');
    expect(names).toContain('graphql.parse');
    expect(names).toContain('graphql.validate');
    expect(names.filter((n) => n.startsWith('graphql.resolve ')).length).toBeGreaterThanOrEqual(200);
  });
});
