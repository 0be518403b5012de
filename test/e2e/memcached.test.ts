// memcached (upstream's @opentelemetry/instrumentation-memcached) against a real memcached server:
// Debian's own binary, fetched and cached by test/helpers/memcached.ts (CI has no memcached
// service; without the binary this file fails, it does not skip). The `memcached` package at its
// newest published version (libs-newest) and the oldest the instrumentation claims (libs-oldest,
// `>=2.2.0 <3`), installed from the registry by scripts/corpus.ts; an HTTP handler sets and gets
// one key: one CLIENT span per command, each under the request's SERVER span.

import { randomBytes } from 'crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OtlpReceiver } from '../../scripts/otlp-receiver';
import { setVersion, type VersionSet } from '../../scripts/e2e-tested';
import { appOnVersionSet } from '../helpers/version-app';
import { startMemcached, type Memcached } from '../helpers/memcached';
import { DEADLINE_MS } from '../helpers/wait';

const SCOPE = '@opentelemetry/instrumentation-memcached';
let receiver: OtlpReceiver;
let memcached: Memcached;
beforeAll(async () => {
  memcached = await startMemcached();
  receiver = await new OtlpReceiver('grpc').start();
});
afterAll(async () => {
  await memcached?.stop();
  await receiver?.stop();
});

describe.each(['libs-newest', 'libs-oldest'] as const satisfies readonly VersionSet[])('memcached from %s', (set) => {
  const app = appOnVersionSet('fixtures/memcached/app.cjs', set, () => receiver.endpoint, () => ({ MEMCACHED_PORT: String(memcached.port), OTEL_SERVICE_NAME: `memcached-${set}` }));

  it('set and get: one CLIENT span each, under the SERVER span', async () => {
    const traceId = randomBytes(16).toString('hex');
    const res = await fetch(`http://127.0.0.1:${app.port()}/`, { headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` } });
    const body = await res.json();
    expect(body, app.stderr()).toEqual({ value: 'hello', version: setVersion(set, 'memcached') });
    const spans = () => receiver.spans.filter((s) => s.traceId === traceId);
    await receiver.waitFor(() => spans().some((s) => s.kind === 'SPAN_KIND_SERVER'), DEADLINE_MS, 'the SERVER span');
    // Both commands end before the response is written, so they are exported with it or before.
    const server = spans().filter((s) => s.kind === 'SPAN_KIND_SERVER');
    expect(server).toHaveLength(1);
    const commands = spans().filter((s) => s.scope === SCOPE);
    expect(commands.map((s) => s.name).sort()).toEqual(['memcached get', 'memcached set']);
    for (const span of commands) {
      const op = span.name.split(' ')[1];
      expect(span).toMatchObject({ kind: 'SPAN_KIND_CLIENT', parentSpanId: server[0].spanId });
      expect(span.attributes).toMatchObject({
        'db.system.name': 'memcached',
        'db.operation.name': op,
        'db.memcached.key': 'e2e:greeting',
        'memcached.version': setVersion(set, 'memcached'),
        'server.address': '127.0.0.1',
        // The receiver keeps OTLP's 64-bit integers as strings.
        'server.port': String(memcached.port),
      });
    }
    // Nothing else in the trace: no span from another instrumentation for these two commands.
    expect(spans()).toHaveLength(3);
  });
});
